"""Issue 13, finding 3: under polling, one chat's wait must not delay another chat.

Before, the poller handled a batch with `asyncio.gather` and fetched the next one only after
the whole batch was done: a 429 with retry_after 12 s for one chat delayed an unrelated chat
by 23.8 s, and a Redis "chat busy" lock wait held the batch 10 s per update. Each test makes
chat A wait, then measures how long an unrelated chat B waits for its reply (bound: 2 s), and
bounds its own time (about 15 s at most, the fake Bot API and the bot on 127.0.0.1)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import pytest
from fake_bot_api import FakeBotApi
from tg_harness import TOKEN

from bme_bot.adapters.telegram.runtime import TelegramRuntime
from bme_bot.adapters.telegram.settings import TelegramSettings
from bme_bot.config import Secret
from bme_bot.core.engine import Engine
from bme_bot.service import Service
from bme_bot.storage.base import StoreError
from bme_bot.storage.memory import MemoryStore

SLOW_CHAT = 8701
OTHER_CHAT = 8702
BOUND = 2.0
"""The most an unrelated chat may wait for its reply (issue 13)."""
LOCK_WAIT = 10.0
"""The Redis store's default wait for a chat lock held elsewhere ("chat busy")."""


class BusyStore(MemoryStore):
    """A memory store where one chat's lock is held by another process: taking it waits
    (`LOCK_WAIT`, as the Redis store does) and then fails with "chat busy"."""

    def __init__(self, busy: str | None = None) -> None:
        super().__init__()
        self.busy = busy
        self.waiting = asyncio.Event()
        self.released = asyncio.Event()

    @asynccontextmanager
    async def lock(self, chat: str) -> AsyncIterator[None]:
        if chat == self.busy:
            self.waiting.set()
            try:
                await asyncio.wait_for(self.released.wait(), LOCK_WAIT)
            except TimeoutError:
                raise StoreError(f"chat busy: lock not acquired within {LOCK_WAIT} s") from None
        async with super().lock(chat):
            yield


Started = tuple[FakeBotApi, TelegramRuntime]


@pytest.fixture()
async def start(engine: Engine) -> AsyncIterator[Callable[[MemoryStore], Awaitable[Started]]]:
    made: list[Started] = []

    async def factory(store: MemoryStore) -> Started:
        fake = FakeBotApi(TOKEN)
        base_url = await fake.start()
        # One update in flight: a waiting chat must give its slot back for the other to pass.
        tg = TelegramSettings(
            token=Secret(TOKEN), api_base_url=base_url, chat_rate=0, updates_in_flight=1
        )
        runtime = TelegramRuntime(
            tg, Service(engine, store), poll_timeout=1, backoff=0.05, read_timeout=5
        )
        await runtime.start()
        made.append((fake, runtime))
        return fake, runtime

    yield factory
    for fake, runtime in made:
        began = time.monotonic()
        await runtime.stop()
        assert time.monotonic() - began < 10, "stopping took too long"
        await fake.stop()


async def _reply_delay(fake: FakeBotApi, chat_id: int, within: float) -> float:
    """Push /start for a chat; seconds until its first reply went out (bounded)."""
    began = time.monotonic()
    fake.push(fake.text(chat_id, "/start"))
    await fake.wait_for(lambda: bool(fake.sent(chat_id)), within=within)
    return fake.sent(chat_id)[0].at - began


async def test_a_429_for_one_chat_does_not_delay_another(
    start: Callable[[MemoryStore], Awaitable[Started]],
) -> None:
    began = time.monotonic()
    fake, _ = await start(MemoryStore())
    fake.fail("sendMessage", 429, retry_after=12)  # the next sendMessage: chat A's reply
    fake.push(fake.text(SLOW_CHAT, "/start"))
    await fake.wait_for(lambda: bool(fake.of("sendMessage", SLOW_CHAT, ok=False)))
    delay = await _reply_delay(fake, OTHER_CHAT, within=15)
    print(f"429: unrelated chat's reply after {delay:.3f} s")
    assert delay < BOUND
    assert not fake.sent(SLOW_CHAT)  # chat A is still waiting out its retry_after
    assert time.monotonic() - began < 30


async def test_a_lock_wait_for_one_chat_does_not_delay_another(
    start: Callable[[MemoryStore], Awaitable[Started]],
) -> None:
    began = time.monotonic()
    store = BusyStore(busy=f"tg:{SLOW_CHAT}")
    fake, _ = await start(store)
    slow = fake.push(fake.text(SLOW_CHAT, "/start"))
    await asyncio.wait_for(store.waiting.wait(), 5)
    polls = len(fake.of("getUpdates"))
    delay = await _reply_delay(fake, OTHER_CHAT, within=15)
    print(f"lock wait: unrelated chat's reply after {delay:.3f} s")
    assert delay < BOUND
    # while chat A's update is unfinished, no getUpdates confirms it (a crash re-delivers it)
    offsets = [int(c.params.get("offset") or 0) for c in fake.of("getUpdates")[polls:]]
    assert offsets and max(offsets) <= slow
    store.released.set()  # the other process lets go: chat A is answered, in order
    await fake.wait_for(lambda: bool(fake.sent(SLOW_CHAT)), within=5)
    assert time.monotonic() - began < 30
