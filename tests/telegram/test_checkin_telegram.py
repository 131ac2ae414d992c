"""End to end in Telegram (the real PTB stack against the fake Bot API): the offer's buttons
plan a check-in, the scheduler loop beside the bot sends it when due (fake clock), "worse"
with a red flag ends at the emergency advice, and a 403 cancels the rest of that chat's
check-ins. Bounded: every wait has a deadline of a few seconds."""

from __future__ import annotations

import asyncio
import io
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from telegram import Update
from telegram.ext import TypeHandler
from tg_harness import TOKEN, question_buttons

from bme_bot.adapters.telegram.checkin_sender import CheckinLoop
from bme_bot.adapters.telegram.runtime import TelegramRuntime
from bme_bot.adapters.telegram.settings import TelegramSettings
from bme_bot.bootstrap import build_engine
from bme_bot.checkins.conversation import CheckinService
from bme_bot.checkins.memory import MemoryCheckinStore
from bme_bot.config import Secret, load_settings
from bme_bot.core.engine import Engine
from bme_bot.logs import setup_logging, teardown_logging
from bme_bot.service import Service
from bme_bot.storage.memory import MemoryStore
from bme_bot.testing.fake_bot_api import FakeBotApi

SELF_CARE_PATH = (
    "/start",
    "Start",
    "Under 18",
    "4",
    "none",
    "Yes, walking normally",
    "1",
    "Neither",
    "none",
    "2",
    "Getting better",
)
"""Vignette V55 (tests/transcripts/v55_c1.yaml): ends at self_care."""


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


@dataclass
class CheckinBot:
    fake: FakeBotApi
    runtime: TelegramRuntime
    service: CheckinService
    checkins: MemoryCheckinStore
    clock: Clock
    loop: CheckinLoop
    done: set[int]

    async def send(self, update: dict[str, Any]) -> None:
        """Push an update and wait (bounded) until every handler has run for it."""
        update_id = self.fake.push(update)
        await self.fake.wait_for(lambda: update_id in self.done, within=5)


@pytest.fixture(scope="module")
def followup() -> Engine:
    settings = load_settings({})
    return build_engine(settings, flow_path=settings.flows_dir / "checkin.yaml")


@pytest.fixture()
async def bot(engine: Engine, followup: Engine) -> AsyncIterator[CheckinBot]:
    logs = io.StringIO()
    setup_logging("DEBUG", [TOKEN], stream=logs)
    fake = FakeBotApi(TOKEN)
    base_url = await fake.start()
    tg = TelegramSettings(token=Secret(TOKEN), api_base_url=base_url, chat_rate=0)
    clock = Clock()
    checkins = MemoryCheckinStore()
    service = CheckinService(Service(engine, MemoryStore()), followup, checkins, clock=clock)
    runtime = TelegramRuntime(tg, service, poll_timeout=1, backoff=0.05, read_timeout=5)
    done: set[int] = set()

    async def mark(update: Update, context: Any) -> None:
        done.add(update.update_id)

    runtime.application.add_handler(TypeHandler(Update, mark), group=99)
    await runtime.start()
    loop = CheckinLoop(
        service, runtime.application.bot, runtime.bot.executor, every_seconds=0.05, clock=clock
    )
    loop.start()
    try:
        yield CheckinBot(fake, runtime, service, checkins, clock, loop, done)
    finally:
        began = time.monotonic()
        await loop.stop()
        await runtime.stop()
        assert time.monotonic() - began < 10, "stopping took too long"
        await fake.stop()
        teardown_logging()
    assert TOKEN not in logs.getvalue()


async def test_a_checkin_is_sent_when_due_and_escalates_to_emergency(bot: CheckinBot) -> None:
    fake, chat = bot.fake, 4401
    for line in SELF_CARE_PATH:
        await bot.send(fake.text(chat, line))
    offer_id, offer = fake.last_message(chat)
    assert "check on you in 3 days" in offer.text
    buttons = {opt: (label, q, turn) for label, q, turn, opt in question_buttons(offer.buttons)}
    assert {"yes", "no", "7"} <= set(buttons) and buttons["yes"][1] == "checkin"
    _, question, turn = buttons["yes"]
    await bot.send(fake.tap(chat, offer_id, f"q|{question}|{turn}|yes"))
    await fake.wait_for(lambda: "I will check on you in 3 days" in fake.sent(chat)[-1].text)
    (planned,) = await bot.checkins.list(f"tg:{chat}")
    sent_before = len(fake.sent(chat))
    # Not due yet: nothing is sent.
    bot.clock.now = planned.due_at - 60
    await _pause_ticks(bot)
    assert len(fake.sent(chat)) == sent_before
    # Due: the check-in's first question, with its buttons.
    bot.clock.now = planned.due_at
    await fake.wait_for(lambda: len(fake.sent(chat)) > sent_before, within=5)
    checkin_id, checkin = fake.last_message(chat)
    assert "How is the pain now" in checkin.text
    status = {opt: (q, t) for _, q, t, opt in question_buttons(checkin.buttons)}
    assert set(status) == {"better", "same", "worse", "new_sign"}
    q, t = status["worse"]
    await bot.send(fake.tap(chat, checkin_id, f"q|{q}|{t}|worse"))
    await bot.send(fake.text(chat, "cold and numb"))
    final = fake.sent(chat)[-1].text
    assert "112" in final
    stored = await bot.service.store.load(f"tg:{chat}:checkin")
    assert stored is not None and stored.data["outcome"] == "E5"
    assert bot.service.checkin_engine.flow.outcomes["E5"].disposition == "emergency"
    counters = await bot.checkins.counters()
    assert counters["checkin:sent"] == 1 and counters["checkin:escalated"] == 1
    assert await bot.checkins.list(f"tg:{chat}") == []


async def _pause_ticks(bot: CheckinBot, ticks: int = 4) -> None:
    """Let the loop tick a few times (it ticks every 0.05 s): bounded, no assertion on time."""
    await asyncio.sleep(0.05 * ticks)


async def test_a_403_cancels_the_rest_of_that_chats_checkins(bot: CheckinBot) -> None:
    fake, chat = bot.fake, 4402
    key = f"tg:{chat}"
    now = bot.clock.now
    for days in (0, 2, 5):
        await bot.checkins.plan(key, now + days * 86400, "checkin", "routine")
    await bot.checkins.plan("tg:4403", now + 86400, "checkin", "soon")
    fake.fail("sendMessage", 403, description="Forbidden: bot was blocked by the user")
    await fake.wait_for(lambda: bool(fake.of("sendMessage", chat, ok=False)), within=5)
    for _ in range(100):  # bounded: the tick that got the 403 settles it at once
        if (await bot.checkins.counters()).get("checkin:blocked") == 1:
            break
        await asyncio.sleep(0.05)
    assert (await bot.checkins.counters()).get("checkin:blocked") == 1
    assert await bot.checkins.list(key) == []
    assert len(await bot.checkins.list("tg:4403")) == 1  # another chat's stays
    assert fake.sent(chat) == []
