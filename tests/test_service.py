"""The service's order and failure handling, with fakes that subclass the real memory store."""

from __future__ import annotations

from typing import Any

import pytest

from bme_bot.core.engine import Engine
from bme_bot.core.events import Answer, Back, Forget, Help, Start, Text
from bme_bot.service import Service, ServiceUnavailable, count_changes
from bme_bot.storage.base import StaleWriteError, Stored, StoreError
from bme_bot.storage.memory import MemoryStore


class BrokenStore(MemoryStore):
    """Loading fails as an unreachable backend would."""

    async def load(self, chat: str) -> Stored | None:
        raise StoreError("connection refused")


class RacedStore(MemoryStore):
    """Another process saves the chat just before each of the first `races` saves."""

    def __init__(self, races: int) -> None:
        super().__init__()
        self.races = races
        self.saves = 0

    async def save(self, chat: str, data: dict[str, Any], **kwargs: Any) -> int:
        self.saves += 1
        if self.races > 0:
            self.races -= 1
            current = await self.load(chat)
            await super().save(
                chat,
                current.data if current else data,
                expected_version=current.version if current else 0,
            )
        return await super().save(chat, data, **kwargs)


class AlwaysStale(MemoryStore):
    saves = 0

    async def save(self, chat: str, data: dict[str, Any], **kwargs: Any) -> int:
        self.saves += 1
        raise StaleWriteError("always newer")


async def test_store_failure_becomes_service_unavailable(engine: Engine) -> None:
    service = Service(engine, BrokenStore())
    with pytest.raises(ServiceUnavailable, match="connection refused"):
        await service.handle("c1", Start(), update_id=1)
    reply = Service.unavailable_reply()
    assert "temporarily unavailable" in reply.text and "try again" in reply.text


async def test_a_lost_race_is_retried_from_a_fresh_load(engine: Engine) -> None:
    store = RacedStore(races=2)
    service = Service(engine, store)
    await service.handle("c1", Start(), update_id=1)
    turn = await service.handle("c1", Start(), update_id=2)
    assert turn.session is not None
    assert service.stale_retries == 2
    stored = await store.load("c1")
    assert stored is not None and stored.data == turn.session.to_dict()


async def test_retries_are_bounded(engine: Engine) -> None:
    store = AlwaysStale()
    service = Service(engine, store, max_attempts=3)
    with pytest.raises(ServiceUnavailable, match="kept changing"):
        await service.handle("c1", Start(), update_id=1)
    assert store.saves == 3
    assert not await store.seen(1)


async def test_forget_deletes_without_saving_and_confirms(engine: Engine) -> None:
    store = MemoryStore()
    service = Service(engine, store)
    await service.handle("c1", Start())
    await service.handle("c1", Answer("agree"))
    for event in (Text("/forget"), Text("/forget@BmeBot"), Forget()):
        turn = await service.handle("c1", event)
        assert turn.session is None
        assert "erased" in turn.replies[0].text
        assert store.chats() == []
    # Forgetting a chat that was never stored is fine and stores nothing.
    await service.handle("never", Forget())
    assert store.chats() == []


async def test_unreadable_session_starts_again(engine: Engine) -> None:
    store = MemoryStore()
    await store.save("c1", {"garbage": True}, expected_version=0)
    turn = await Service(engine, store).handle("c1", Start())
    assert turn.session is not None and turn.session.state == engine.flow.start
    stored = await store.load("c1")
    assert stored is not None and stored.version == 2


async def test_duplicate_without_store_writes(engine: Engine) -> None:
    store = MemoryStore()
    service = Service(engine, store)
    await service.handle("c1", Start(), update_id=9)
    before = await store.counters()
    turn = await service.handle("c1", Answer("agree"), update_id=9)
    assert turn.duplicate
    stored = await store.load("c1")
    assert stored is not None and stored.version == 1
    assert await store.counters() == before


def test_counting_steps(engine: Engine) -> None:
    start, _ = engine.step(None, Start())
    assert count_changes(None, start) == {"conversations_started": 1, "asked:consent": 1}
    agreed, _ = engine.step(start, Answer("agree"))
    counts = count_changes(start, agreed)
    assert counts == {f"asked:{agreed.state}": 1, "answered:consent": 1}
    back, _ = engine.step(agreed, Back())
    assert count_changes(agreed, back, Back()) == {"asked:consent": 1}
    assert count_changes(agreed, back, Text("/back")) == {"asked:consent": 1}
    helped, _ = engine.step(agreed, Help())
    assert count_changes(agreed, helped) == {}
    again, _ = engine.step(agreed, Start())
    assert count_changes(agreed, again, Start()) == {"conversations_started": 1, "asked:consent": 1}
