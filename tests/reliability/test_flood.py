"""Floods: one chat sending 100 messages a second, many chats at once.

What must hold (Telegram's limits: about 30 messages a second overall, about one a second per
chat with short bursts; see docs/RELIABILITY.md):

- the flooding chat is slowed: only a few of its messages reach the service, it gets one
  polite notice, and what the bot sends it stays near one message a second;
- another chat's conversation meanwhile proceeds at normal speed (every reply within 1 s);
- many chats at once: everything sent stays within 30 a second overall.

The limits are specified in docs/RELIABILITY.md; the figures these tests record show what the
adapter does.
"""

from __future__ import annotations

import asyncio
import time

import bme_bot.adapters.telegram.handlers as handlers
from bme_bot.adapters.telegram.rendering import escape
from bme_bot.core.engine import Engine

from .figures import record
from .tgkit import HAS_CHAT_LIMITS, question_of, running_bot

FLOODER = 40_000_001
NORMAL = 40_000_002
FLOOD_RATE = 100
FLOOD_SECONDS = 2.0
CHAT_RATE = float(getattr(handlers, "CHAT_RATE", 1.0))
CHAT_BURST = int(getattr(handlers, "CHAT_BURST", 10))
"""The adapter's defaults once it has them (the specification's until then)."""


def excess(times: list[float], rate: float, burst: int) -> float:
    """How far a series of send times goes over `burst` at once plus `rate` a second, in
    messages, over its worst window (0 or less: within the limit)."""
    times = sorted(times)
    worst = float("-inf")
    for i in range(len(times)):
        for j in range(i, len(times)):
            worst = max(worst, (j - i + 1) - burst - rate * (times[j] - times[i]))
    return worst if times else 0.0


async def test_a_flooding_chat_is_slowed_while_another_proceeds(engine: Engine) -> None:
    async with running_bot(engine, chat_limits=True) as bot:
        fake = bot.fake
        latencies: list[float] = []

        async def flood() -> None:
            began = time.monotonic()
            for n in range(int(FLOOD_RATE * FLOOD_SECONDS)):
                fake.push(fake.text(FLOODER, f"spam {n}"))
                await asyncio.sleep(max(0.0, began + (n + 1) / FLOOD_RATE - time.monotonic()))

        async def converse() -> None:
            for text in ["/start", "agree", "30", "2", "none", "3"]:  # to E2: cannot walk
                sent_before = len(fake.sent(NORMAL))
                pushed = time.monotonic()
                update_id = fake.push(fake.text(NORMAL, text))
                await bot.processed(update_id, within=10)
                await fake.wait_for(lambda n=sent_before: len(fake.sent(NORMAL)) > n, within=10)
                latencies.append(time.monotonic() - pushed)
                await asyncio.sleep(0.3)

        flooding = asyncio.create_task(flood())
        await asyncio.sleep(0.2)  # the flood is under way
        await converse()
        await flooding
        await asyncio.sleep(1.5)  # let the tail of the flood drain
        to_flooder = [c for c in fake.sent(FLOODER)]
        reached_service = bot.store.saves_by_chat[f"tg:{FLOODER}"]
        session = await bot.session(NORMAL)
        record(
            "flood:one-chat",
            flooded=int(FLOOD_RATE * FLOOD_SECONDS),
            reached_service=reached_service,
            replies_to_flooder=len(to_flooder),
            flooder_send_excess=round(
                excess([c.at for c in to_flooder], CHAT_RATE, CHAT_BURST + 2), 1
            ),
            normal_chat_worst_latency_s=round(max(latencies), 3),
        )
        assert HAS_CHAT_LIMITS, "TelegramSettings.chat_rate / chat_burst"
        # The other chat went on at normal speed, and got where it was going.
        assert session is not None and session["outcome"] == "E2"
        assert max(latencies) < 1.0, latencies
        # The flooder was slowed: a burst, then about one a second, and one notice.
        allowed = CHAT_BURST + CHAT_RATE * (FLOOD_SECONDS + 2) + 2
        assert reached_service <= allowed, f"{reached_service} of the flood reached the service"
        notice = getattr(handlers, "FLOOD_NOTICE", None)
        assert notice, "handlers.FLOOD_NOTICE: the polite notice"
        notices = [c for c in to_flooder if c.text == escape(notice)]
        assert len(notices) == 1, len(notices)
        assert excess([c.at for c in to_flooder], CHAT_RATE, CHAT_BURST + 2) <= 0


async def test_many_chats_at_once_stay_within_30_messages_a_second(engine: Engine) -> None:
    chats = [41_000_000 + n for n in range(90)]
    async with running_bot(engine, chat_limits=True) as bot:  # the shipped send limits
        fake = bot.fake
        began = time.monotonic()
        for chat in chats:
            fake.push(fake.text(chat, "/start"))
        await fake.wait_for(lambda: all(fake.sent(c) for c in chats), within=15)
        took = time.monotonic() - began
        times = [c.at for c in fake.calls if c.method in ("sendMessage", "editMessageText")]
        over = excess(times, 30, 30)
        record(
            "flood:many-chats",
            chats=len(chats),
            messages=len(times),
            seconds=round(took, 2),
            excess_over_30_per_s=round(over, 1),
        )
        assert all(question_of(fake.sent(c)[0]) == ("consent", 1) for c in chats)
        assert over <= 5, f"{over:.0f} messages over 30 a second"  # 5: arrival jitter
