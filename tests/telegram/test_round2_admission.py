"""Issue 13, finding 1: one user must not stall every chat.

Before, the per-chat flood limit covered text and taps only; group commands, stickers and
edited messages each got a reply with no limit, and a group's reply waited for the group send
limit (20 a minute) in one of the 8 processing slots. Measured in the issue: 200 `/start@bot`
from one group delayed an unrelated private `/start` by more than 120 s (polling), 60 by 98 s
(webhook), 200 stickers by 5.3 s. Each test here floods from one chat, then measures the delay
of an unrelated private chat's reply (bound: 2 s) and counts the flooder's replies. Counts and
times are bounded; everything runs on 127.0.0.1.

Also here: the outgoing limiter counts what Telegram limits (messages, not edits, taps'
answers or the typing indicator), and drops a notice rather than keep it waiting.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from fake_bot_api import FakeBotApi
from telegram import Update
from telegram.error import RetryAfter
from tg_harness import TOKEN, WEBHOOK_SECRET

from bme_bot.adapters.telegram.budget import CHAT_BURST
from bme_bot.adapters.telegram.runtime import TelegramRuntime
from bme_bot.adapters.telegram.send_limiter import (
    GROUP_BURST,
    SendDropped,
    SendLimiter,
    notices,
)
from bme_bot.adapters.telegram.settings import TelegramSettings
from bme_bot.config import Secret
from bme_bot.core.engine import Engine
from bme_bot.service import Service
from bme_bot.storage.memory import MemoryStore

GROUP = -100_501
FLOODER = 8801
OTHER = 8802
BOUND = 2.0
STICKER = {
    "file_id": "s",
    "file_unique_id": "s1",
    "type": "regular",
    "width": 1,
    "height": 1,
    "is_animated": False,
    "is_video": False,
}

Started = tuple[FakeBotApi, TelegramRuntime]


@pytest.fixture()
async def start(engine: Engine) -> AsyncIterator[Callable[..., Awaitable[Started]]]:
    """A bot with the shipped limits (1 update a second per chat after a burst of 10;
    30 messages a second) against a fresh fake Bot API."""
    made: list[Started] = []

    async def factory(*, webhook: bool = False) -> Started:
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
        )
        runtime = TelegramRuntime(
            tg, Service(engine, MemoryStore()), poll_timeout=1, backoff=0.05, read_timeout=5
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


async def _other_chat_delay(fake: FakeBotApi) -> float:
    began = time.monotonic()
    fake.push(fake.text(OTHER, "/start"))
    await fake.wait_for(lambda: bool(fake.sent(OTHER)), within=15)
    return fake.sent(OTHER)[0].at - began


async def _flood_then_measure(fake: FakeBotApi, flood: list[dict[str, Any]]) -> float:
    for update in flood:
        fake.push(update)
    await asyncio.sleep(0.3)  # the flood is being handled
    return await _other_chat_delay(fake)


async def test_group_commands_are_admitted_and_do_not_stall_a_private_chat(
    start: Callable[..., Awaitable[Started]],
) -> None:
    fake, _ = await start()
    flood = [fake.text(GROUP, f"/start@{fake.username}", chat_type="group") for _ in range(200)]
    began = time.monotonic()
    delay = await _flood_then_measure(fake, flood)
    print(f"200 group commands: unrelated chat's reply after {delay:.3f} s")
    assert delay < BOUND
    # one budget for the group: its burst, and a few more as it refills (1 a second)
    replies = len(fake.sent(GROUP))
    assert 1 <= replies <= CHAT_BURST + (time.monotonic() - began) + 2
    assert replies <= GROUP_BURST  # never over the group send limit: dropped, not awaited


async def test_stickers_and_edits_are_admitted(
    start: Callable[..., Awaitable[Started]],
) -> None:
    fake, _ = await start()
    stickers = [
        fake.update(message=fake.make_message(FLOODER, sticker=STICKER)) for _ in range(100)
    ]
    edits = [
        fake.update(edited_message=fake.make_message(FLOODER, "yes", edit_date=int(time.time())))
        for _ in range(100)
    ]
    began = time.monotonic()
    delay = await _flood_then_measure(fake, stickers + edits)
    print(f"100 stickers + 100 edits: unrelated chat's reply after {delay:.3f} s")
    assert delay < BOUND
    await fake.wait_for(lambda: not fake.updates, within=10)  # all of the flood fetched
    # the burst, one flood notice, and what refilled meanwhile; not 200 replies
    assert len(fake.sent(FLOODER)) <= CHAT_BURST + 1 + (time.monotonic() - began) + 2


async def test_webhook_group_flood_does_not_stall_a_private_chat(
    start: Callable[..., Awaitable[Started]],
) -> None:
    fake, runtime = await start(webhook=True)
    app, bot = runtime.application, runtime.bot
    group = [
        Update.de_json(fake.text(GROUP, f"/start@{fake.username}", chat_type="group"), app.bot)
        for _ in range(60)
    ]
    flooding = [asyncio.ensure_future(bot.process(app, update)) for update in group]
    await asyncio.sleep(0.1)
    began = time.monotonic()
    await asyncio.wait_for(
        bot.process(app, Update.de_json(fake.text(OTHER, "/start"), app.bot)), 15
    )
    delay = time.monotonic() - began
    print(f"60 group commands (webhook): unrelated chat's reply after {delay:.3f} s")
    assert delay < BOUND
    await asyncio.wait_for(asyncio.gather(*flooding), 10)
    assert 1 <= len(fake.sent(GROUP)) <= CHAT_BURST + 3


# --- the limiter itself ---------------------------------------------------------------------


class FakeApi:
    """The callback PTB hands the limiter: counts calls, may answer with a 429 first."""

    def __init__(self, retry_after: int | None = None) -> None:
        self.calls = 0
        self.retry_after = retry_after

    async def __call__(self) -> bool:
        self.calls += 1
        if self.retry_after is not None:
            wait, self.retry_after = self.retry_after, None
            raise RetryAfter(wait)
        return True


async def _send(limiter: SendLimiter, endpoint: str, chat: int, api: FakeApi) -> Any:
    return await limiter.process_request(api, (), {}, endpoint, {"chat_id": chat}, None)


async def test_only_messages_count_towards_the_overall_limit() -> None:
    """30 answers a second, each a send and an edit (plus a tap's answer and the typing
    indicator), pass without waiting: before, both counted, capping at 15-18 a second."""
    now = [0.0]
    limiter = SendLimiter(30, clock=lambda: now[0])
    api = FakeApi()
    for chat in range(1, 31):
        await _send(limiter, "sendChatAction", chat, api)
        await _send(limiter, "sendMessage", chat, api)
        await _send(limiter, "editMessageText", chat, api)
        await limiter.process_request(api, (), {}, "answerCallbackQuery", {}, None)
    assert api.calls == 120 and limiter.waits == 0
    await _send(limiter, "sendMessage", 31, api)  # the 31st message in that second waits
    assert limiter.waits == 1


async def test_a_notice_over_a_limit_is_dropped_not_awaited() -> None:
    now = [0.0]
    limiter = SendLimiter(30, clock=lambda: now[0])
    api = FakeApi()
    with notices():
        for _ in range(GROUP_BURST):
            await _send(limiter, "sendMessage", GROUP, api)
        began = time.monotonic()
        with pytest.raises(SendDropped):
            await _send(limiter, "sendMessage", GROUP, api)
    assert time.monotonic() - began < 0.1 and limiter.waits == 0
    assert api.calls == GROUP_BURST and limiter.dropped["limit"] == 1
    now[0] += 3.0  # one message a 3 s refills in a group
    with notices():
        await _send(limiter, "sendMessage", GROUP, api)
    assert api.calls == GROUP_BURST + 1


async def test_a_429_blocks_its_own_chat_only() -> None:
    limiter = SendLimiter(30)
    with notices(), pytest.raises(SendDropped):  # a notice meets a 429: dropped
        await _send(limiter, "sendMessage", FLOODER, FakeApi(retry_after=12))
    began = time.monotonic()
    with notices(), pytest.raises(SendDropped):  # that chat is blocked for 12 s
        await _send(limiter, "sendMessage", FLOODER, FakeApi())
    other = FakeApi()
    await _send(limiter, "sendMessage", OTHER, other)  # another chat is not
    assert other.calls == 1 and time.monotonic() - began < 0.1
    retried = FakeApi(retry_after=1)  # a reply (not a notice) waits out a short 429
    await _send(limiter, "sendMessage", OTHER, retried)
    assert retried.calls == 2
