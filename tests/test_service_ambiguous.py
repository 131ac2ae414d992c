"""Issue 13, finding 2: a save the store ran but whose answer was lost (Redis: slower than the
5 s socket timeout) must not be reported as failed, and a redelivered update whose step was
saved gets the question the person is at, not nothing.

The fakes subclass the real memory store and keep its interface: the save (or erasure) is
performed, then the store's timeout error is raised, as redis-py's TimeoutError reaches the
service (as a StoreError)."""

from __future__ import annotations

from typing import Any

import pytest

from bme_bot.core.engine import Engine
from bme_bot.core.events import Answer, Forget, Start
from bme_bot.core.session import Session
from bme_bot.service import Service, ServiceUnavailable
from bme_bot.storage.base import StoreError
from bme_bot.storage.memory import MemoryStore

TIMEOUT = "Timeout reading from socket"


class LostReplyStore(MemoryStore):
    """A store whose next save or erasure is performed and then answered with a timeout
    (`lose_next`), or not performed at all (`fail_next`); `blind` makes the look-up that
    could tell the difference (`seen`) fail too."""

    def __init__(self) -> None:
        super().__init__()
        self.lose_next = False
        self.fail_next = False
        self.blind = False

    async def save(self, chat: str, data: dict[str, Any], **kwargs: Any) -> int:
        if self.fail_next:
            self.fail_next = False
            raise StoreError(TIMEOUT)
        blind, self.blind = self.blind, False  # the store's own check inside the save works
        version = await super().save(chat, data, **kwargs)
        self.blind = blind
        if self.lose_next:
            self.lose_next = False
            raise StoreError(TIMEOUT)
        return version

    async def delete(self, chat: str, *, update_id: int | None = None) -> bool:
        erased = await super().delete(chat, update_id=update_id)
        if self.lose_next:
            self.lose_next = False
            raise StoreError(TIMEOUT)
        return erased

    async def seen(self, update_id: int) -> bool:
        if self.blind:
            raise StoreError(TIMEOUT)
        return await super().seen(update_id)


async def _session(store: MemoryStore, chat: str) -> Session:
    stored = await store.load(chat)
    assert stored is not None
    return Session.from_dict(stored.data)


async def _started(engine: Engine) -> tuple[LostReplyStore, Service]:
    store = LostReplyStore()
    service = Service(engine, store, max_attempts=2)
    await service.handle("c", Start(), update_id=1)
    return store, service


async def test_a_save_whose_answer_was_lost_is_answered_as_saved(engine: Engine) -> None:
    """Before: ServiceUnavailable ("try again"), while the answer was saved; the person's
    next "1" then answered a question they never saw."""
    store, service = await _started(engine)
    store.lose_next = True
    turn = await service.handle("c", Answer("agree"), update_id=2)
    saved = await _session(store, "c")
    assert saved.history == ("consent",)
    assert turn.session == saved and not turn.duplicate
    asked = [r for r in turn.replies if r.question is not None]
    assert asked and (asked[-1].question, asked[-1].turn) == (saved.state, saved.turn)
    assert service.ambiguous_saves["saved"] == 1


async def test_a_redelivered_saved_update_gets_the_open_question_again(engine: Engine) -> None:
    """Webhook: the first delivery failed after the save (503); Telegram's redelivery used to
    be dropped as a duplicate with nothing sent. It now carries the question the chat is at."""
    store, service = await _started(engine)
    await service.handle("c", Answer("agree"), update_id=2)
    again = await service.handle("c", Answer("agree"), update_id=2)
    saved = await _session(store, "c")
    assert again.duplicate and saved.history == ("consent",)
    asked = [r for r in again.replies if r.question is not None]
    assert asked and (asked[-1].question, asked[-1].turn) == (saved.state, saved.turn)
    stored = await store.load("c")
    assert stored is not None and stored.version == 2  # applied once


async def test_a_save_that_did_not_happen_is_still_a_failure(engine: Engine) -> None:
    store, service = await _started(engine)
    store.fail_next = True
    with pytest.raises(ServiceUnavailable):
        await service.handle("c", Answer("agree"), update_id=2)
    assert (await _session(store, "c")).history == ()
    assert not await store.seen(2)
    assert service.ambiguous_saves["not_saved"] == 1
    turn = await service.handle("c", Answer("agree"), update_id=2)  # the retry applies once
    assert not turn.duplicate and (await _session(store, "c")).history == ("consent",)


async def test_when_the_store_cannot_tell_the_failure_stands(engine: Engine) -> None:
    store, service = await _started(engine)
    store.lose_next = True
    store.blind = True
    with pytest.raises(ServiceUnavailable):
        await service.handle("c", Answer("agree"), update_id=2)
    store.blind = False
    assert service.ambiguous_saves["unknown"] == 1
    again = await service.handle("c", Answer("agree"), update_id=2)
    assert again.duplicate and again.replies  # the saved step's question is sent then


async def test_without_an_update_id_the_session_itself_is_compared(engine: Engine) -> None:
    store = LostReplyStore()
    service = Service(engine, store)
    await service.handle("c", Start())
    store.lose_next = True
    turn = await service.handle("c", Answer("agree"))
    assert turn.session == await _session(store, "c")
    assert turn.session is not None and turn.session.history == ("consent",)


async def test_an_erasure_whose_answer_was_lost_is_confirmed(engine: Engine) -> None:
    store, service = await _started(engine)
    store.lose_next = True
    turn = await service.handle("c", Forget(), update_id=2)
    assert store.chats() == [] and turn.session is None
    assert turn.replies and "erased" in turn.replies[0].text
