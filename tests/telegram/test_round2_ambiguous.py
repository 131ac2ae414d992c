"""Issue 13, finding 2 through the real PTB stack and the fake Bot API: a save the store ran but
whose answer was lost. Polling told the person "try again" (and their resent "1" answered a
question they never saw); the webhook said "no need to send it again" and then dropped
Telegram's redelivery as a duplicate, so nothing was ever sent."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from fake_bot_api import FakeBotApi, plain
from telegram import Update
from tg_harness import TOKEN, WEBHOOK_SECRET

from bme_bot.adapters.telegram.handlers import Outcome
from bme_bot.adapters.telegram.runtime import TelegramRuntime
from bme_bot.adapters.telegram.settings import TelegramSettings
from bme_bot.adapters.telegram.texts import UNAVAILABLE, UNAVAILABLE_RETRYING
from bme_bot.config import Secret
from bme_bot.core.engine import Engine
from bme_bot.core.session import Session
from bme_bot.service import Service
from bme_bot.storage.base import StoreError
from bme_bot.storage.memory import MemoryStore

CHAT = 8601


class LostReplyStore(MemoryStore):
    """The memory store, whose armed save is performed and then answered with the timeout a
    Redis client raises (as StoreError); `blind`: the check afterwards fails too."""

    def __init__(self) -> None:
        super().__init__()
        self.lose_next = False
        self.blind = False

    async def save(self, chat: str, data: dict[str, Any], **kwargs: Any) -> int:
        blind, self.blind = self.blind, False
        version = await super().save(chat, data, **kwargs)
        self.blind = blind
        if self.lose_next:
            self.lose_next = False
            raise StoreError("Timeout reading from socket")
        return version

    async def seen(self, update_id: int) -> bool:
        if self.blind:
            raise StoreError("Timeout reading from socket")
        return await super().seen(update_id)


Started = tuple[FakeBotApi, TelegramRuntime, LostReplyStore]


@pytest.fixture()
async def start(engine: Engine) -> AsyncIterator[Callable[..., Awaitable[Started]]]:
    made: list[Started] = []

    async def factory(*, webhook: bool) -> Started:
        fake = FakeBotApi(TOKEN)
        base_url = await fake.start()
        tg = TelegramSettings(
            token=Secret(TOKEN),
            api_base_url=base_url,
            webhook_url="https://bot.example.org/hook" if webhook else None,
            webhook_secret=Secret(WEBHOOK_SECRET) if webhook else None,
            webhook_listen="127.0.0.1",
            webhook_port=0,
            webhook_path="/hook",
            chat_rate=0,
        )
        store = LostReplyStore()
        runtime = TelegramRuntime(
            tg, Service(engine, store), poll_timeout=1, backoff=0.05, read_timeout=5
        )
        await runtime.start()
        made.append((fake, runtime, store))
        return fake, runtime, store

    yield factory
    for fake, runtime, _ in made:
        await runtime.stop()
        await fake.stop()


async def _at(store: MemoryStore) -> Session:
    stored = await store.load(f"tg:{CHAT}")
    assert stored is not None
    return Session.from_dict(stored.data)


def _texts(fake: FakeBotApi) -> list[str]:
    return [plain(c.text) for c in fake.sent(CHAT)]


async def test_polling_a_lost_save_answer_sends_the_next_question(
    start: Callable[..., Awaitable[Started]],
) -> None:
    fake, _, store = await start(webhook=False)
    fake.push(fake.text(CHAT, "/start"))
    await fake.wait_for(lambda: len(fake.sent(CHAT)) == 1)
    first = await _at(store)
    store.lose_next = True
    fake.push(fake.text(CHAT, "1"))  # the first option of the consent question
    await fake.wait_for(lambda: len(fake.sent(CHAT)) >= 2)
    now = await _at(store)
    assert now.history == (first.state,)  # saved once
    assert UNAVAILABLE not in _texts(fake)  # before: "try again", the answer being saved
    _, last = fake.last_message(CHAT)
    assert f"|{now.state}|{now.turn}|" in "".join(data for _, data in last.buttons)


async def test_webhook_redelivery_of_a_saved_update_gets_its_question(
    start: Callable[..., Awaitable[Started]],
) -> None:
    fake, runtime, store = await start(webhook=True)
    app, bot = runtime.application, runtime.bot
    assert await bot.process(app, Update.de_json(fake.text(CHAT, "/start"), app.bot)) in (
        Outcome.HANDLED,
    )
    answer = Update.de_json(fake.text(CHAT, "1"), app.bot)
    store.lose_next = True
    store.blind = True  # the check fails too: the webhook answers 503, Telegram redelivers
    assert await bot.process(app, answer) is Outcome.UNAVAILABLE
    assert _texts(fake)[-1] == UNAVAILABLE_RETRYING
    store.blind = False
    sent = len(fake.sent(CHAT))
    assert await bot.process(app, answer) is Outcome.DUPLICATE
    now = await _at(store)
    assert len(now.history) == 1  # applied once
    # before: dropped as a duplicate, nothing sent, the conversation stalled
    assert len(fake.sent(CHAT)) == sent + 1
    _, last = fake.last_message(CHAT)
    assert f"|{now.state}|{now.turn}|" in "".join(data for _, data in last.buttons)
    # a further redelivery after the question went out is not sent twice
    assert await bot.process(app, answer) is Outcome.DUPLICATE
    assert len(fake.sent(CHAT)) == sent + 1


async def test_webhook_a_lost_save_answer_is_handled(
    start: Callable[..., Awaitable[Started]],
) -> None:
    fake, runtime, store = await start(webhook=True)
    app, bot = runtime.application, runtime.bot
    await bot.process(app, Update.de_json(fake.text(CHAT, "/start"), app.bot))
    store.lose_next = True
    answer = Update.de_json(fake.text(CHAT, "1"), app.bot)
    assert await bot.process(app, answer) is Outcome.HANDLED  # 200: nothing to redeliver
    assert UNAVAILABLE_RETRYING not in _texts(fake)
    now = await _at(store)
    _, last = fake.last_message(CHAT)
    assert f"|{now.state}|{now.turn}|" in "".join(data for _, data in last.buttons)
