"""Faults in process: the Bot API failing (5xx, 429, dropped connections, lost responses) for
a while, and the store disappearing and coming back (a switchable store, and a private
redis-server killed with -9 and restarted from its append-only file).

After each: the conversation continues where it was, every answer is applied exactly once, and
no message is sent twice except where a response was lost after delivery (at-least-once
sending, counted).
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from bme_bot.core.engine import Engine
from bme_bot.service import UNAVAILABLE_TEXT
from bme_bot.storage.redis import RedisStore

from .figures import record
from .tgkit import (
    SECRET_HEADER,
    WEBHOOK_SECRET,
    Bot,
    advice_messages,
    duplicate_questions,
    free_port,
    question_of,
    running_bot,
)

CHAT = 52_880_013
E2_HISTORY = ["consent", "age_group", "site", "red_flags", "weight_bearing"]
E2_FACTS = {
    "consent": "agree",
    "age_group": "adult",
    "site": "knee",
    "fever": "no",
    "hot_swollen": "no",
    "cold_pale_numb": "no",
    "calf_swelling": "no",
    "weight_bearing": "unable",
}
"""Typed: agree, 30 (an adult), 2 (knee), none (no warning sign), 3 (cannot take 4 steps)."""


async def wait_question(bot: Bot, chat: int, question: str, within: float) -> float:
    """Wait until the question is sent to the chat; return how long it took."""
    began = time.monotonic()
    await bot.fake.wait_for(
        lambda: any((question_of(c) or ("",))[0] == question for c in bot.fake.sent(chat)),
        within=within,
    )
    return time.monotonic() - began


def assert_e2_exactly(session: dict[str, Any] | None) -> None:
    assert session is not None
    assert session["history"] == E2_HISTORY, session["history"]
    assert session["facts"] == E2_FACTS, session["facts"]
    assert session.get("outcome") == "E2"


FAULTS = {
    # name: (mode, methods failing (empty: all, getUpdates too), seconds). The request retries
    # (backoff 0.2 s doubling, 5 attempts: about 3 s, production 0.5 s: about 7.5 s) outlast
    # each outage; an update fetched just as it begins has its reply retried across it.
    "5xx-sends": (502, ("sendMessage", "editMessageText"), 0.4),
    "429-sends": (429, ("sendMessage", "editMessageText"), 0.4),
    "dropped-sends": ("drop", ("sendMessage", "editMessageText"), 0.4),
    "5xx-everything": (503, (), 1.5),
    "429-everything": (429, (), 1.5),
    "dropped-everything": ("drop", (), 1.5),
}


@pytest.mark.parametrize("fault", list(FAULTS))
async def test_bot_api_faults_lose_nothing(engine: Engine, fault: str) -> None:
    mode, methods, seconds = FAULTS[fault]
    async with running_bot(engine, backoff=0.2) as bot:
        fake = bot.fake
        for text in ("/start", "agree", "30"):
            await bot.send(fake.text(CHAT, text))
        await wait_question(bot, CHAT, "site", within=5)
        fake.outage(seconds, mode, methods, retry_after=1)
        fake.push(fake.text(CHAT, "2"))  # knee, during the outage
        took = await wait_question(bot, CHAT, "red_flags", within=seconds + 10)
        for text in ("none", "3"):
            await bot.send(fake.text(CHAT, text), within=10)
        assert_e2_exactly(await bot.session(CHAT))
        failed = sum(fake.failed.values())
        assert failed > 0, "the outage did not hit anything"
        assert duplicate_questions(fake, CHAT) == []
        assert all(n == 1 for n in bot.store.saved_updates.values()), bot.store.saved_updates
        assert len(advice_messages(fake, CHAT, engine.flow.outcomes["E2"])) == 1
        record(
            f"faults:bot-api:{fault}",
            runs=1,
            failed_calls=failed,
            recovered_in_s=round(took, 2),
            answers_lost=0,
            duplicates=0,
        )


async def test_responses_lost_after_delivery_are_at_least_once(engine: Engine) -> None:
    """The message reached Telegram but the answer was lost: the retry sends it again. Counted:
    at most one duplicate per lost response, and the answers are still applied once."""
    async with running_bot(engine) as bot:
        fake = bot.fake
        for text in ("/start", "agree", "30"):
            await bot.send(fake.text(CHAT, text))
        fake.outage(0.15, "lost", ("sendMessage",))
        fake.push(fake.text(CHAT, "2"))
        await wait_question(bot, CHAT, "red_flags", within=10)
        for text in ("none", "3"):
            await bot.send(fake.text(CHAT, text))
        assert_e2_exactly(await bot.session(CHAT))
        lost = fake.failed["sendMessage:lost"]
        duplicates = duplicate_questions(fake, CHAT)
        assert lost >= 1 and len(duplicates) <= lost
        record("faults:bot-api:lost-responses", runs=1, lost=lost, duplicates=len(duplicates))


async def test_outage_longer_than_the_retry_budget_keeps_the_answer(engine: Engine) -> None:
    """sendMessage down longer than the retries last: the reply to the answer given then is
    lost, but the answer is saved, and the person's next message brings the question back."""
    async with running_bot(engine) as bot:
        fake = bot.fake
        for text in ("/start", "agree", "30"):
            await bot.send(fake.text(CHAT, text))
        fake.outage(2.5, 503, ("sendMessage", "editMessageText"))
        await bot.send(fake.text(CHAT, "2"), within=10)  # knee: saved, reply lost
        session = await bot.session(CHAT)
        assert session is not None and session["state"] == "red_flags"
        await asyncio.sleep(max(0.0, fake.windows[-1].end - time.monotonic()))
        await bot.send(fake.text(CHAT, "hello?"))  # the person, waiting, writes again
        assert question_of(fake.sent(CHAT)[-1]) == ("red_flags", session["turn"])
        for text in ("none", "3"):
            await bot.send(fake.text(CHAT, text))
        assert_e2_exactly(await bot.session(CHAT))
        record("faults:bot-api:longer-than-retries", runs=1, answers_lost=0, replies_lost=1)


# --- the store -----------------------------------------------------------------------------


async def test_store_down_in_polling_mode_says_so_and_keeps_the_place(engine: Engine) -> None:
    async with running_bot(engine) as bot:
        fake, store = bot.fake, bot.store
        for text in ("/start", "agree", "30"):
            await bot.send(fake.text(CHAT, text))
        before = await bot.session(CHAT)
        store.down = True
        for _ in range(3):  # the person tries three times while it is down
            await bot.send(fake.text(CHAT, "2"))
        notices = [c for c in fake.sent(CHAT) if c.text == UNAVAILABLE_TEXT]
        assert len(notices) == 3
        store.down = False
        assert (await bot.session(CHAT)) == before  # nothing half-saved
        for text in ("2", "none", "3"):  # as the notice asked: again
            await bot.send(fake.text(CHAT, text))
        assert_e2_exactly(await bot.session(CHAT))
        assert duplicate_questions(fake, CHAT) == []
        record("faults:store:polling-down", runs=1, refused=3, answers_lost=0)


async def post_update(bot: Bot, update: dict[str, Any]) -> int:
    async with httpx.AsyncClient(timeout=10) as client:
        try:
            response = await client.post(
                f"http://127.0.0.1:{bot.port}/hook",
                content=json.dumps(update).encode(),
                headers={"Content-Type": "application/json", SECRET_HEADER: WEBHOOK_SECRET},
            )
        except httpx.TransportError:
            return 0
    return response.status_code


async def redeliver(bot: Bot, update: dict[str, Any], within: float = 20.0) -> int:
    """What Telegram does: post again until 200 (bounded). Returns the number of posts."""
    deadline = time.monotonic() + within
    for attempt in range(1, 1000):
        if await post_update(bot, update) == 200:
            return attempt
        assert time.monotonic() < deadline, "the update never got through"
        await asyncio.sleep(0.1)
    raise AssertionError("unreachable")


def redis_available() -> None:
    if shutil.which("redis-server") is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("redis-server is not installed")
        pytest.skip("redis-server is not installed")


class PrivateRedis:
    """A redis-server of our own on a free port, with an append-only file: kill -9 and restart
    lose nothing written. Never the shared instance on 6379."""

    def __init__(self, directory: Path) -> None:
        self.port = free_port()
        self.dir = directory
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--dir",
                str(self.dir),
                "--save",
                "",
                "--appendonly",
                "yes",
                "--appendfsync",
                "always",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                out = subprocess.run(
                    ["redis-cli", "-p", str(self.port), "ping"],
                    capture_output=True,
                    timeout=2,
                    check=False,
                )
                if b"PONG" in out.stdout:
                    return
            except (OSError, subprocess.TimeoutExpired):
                pass
            time.sleep(0.05)
        raise AssertionError("private redis-server did not start")

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.kill()
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)


@pytest.fixture()
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    redis_available()
    server = PrivateRedis(tmp_path)
    try:
        yield server
    finally:
        server.stop()


async def test_redis_killed_and_restarted_under_the_webhook(
    engine: Engine, private_redis: PrivateRedis
) -> None:
    """kill -9 of Redis mid-conversation: 503s, Telegram re-delivers, Redis comes back from its
    append-only file, and the conversation continues where it was, each answer once."""
    private_redis.start()
    store = RedisStore.from_url(
        f"redis://127.0.0.1:{private_redis.port}/0", 3600, prefix=f"bmerel-{uuid.uuid4().hex[:8]}"
    )
    async with running_bot(engine, webhook=True, store=store) as bot:
        fake = bot.fake
        for text in ("/start", "agree", "30"):
            assert await redeliver(bot, fake.text(CHAT, text)) == 1
        before = await bot.session(CHAT)
        private_redis.kill()
        update = fake.text(CHAT, "2")  # knee, while Redis is gone
        statuses = [await post_update(bot, update) for _ in range(3)]
        assert statuses == [503, 503, 503]
        private_redis.start()
        began = time.monotonic()
        posts = await redeliver(bot, update)
        recovered = time.monotonic() - began
        assert (await bot.session(CHAT)) is not None
        for text in ("none", "3"):
            await redeliver(bot, fake.text(CHAT, text))
        after = await bot.session(CHAT)
        assert before is not None and after is not None
        assert after["history"][: len(before["history"])] == before["history"]
        assert_e2_exactly(after)
        assert duplicate_questions(fake, CHAT) == []
        notices = [c for c in fake.sent(CHAT) if c.text == UNAVAILABLE_TEXT]
        record(
            "faults:store:redis-kill-9",
            runs=1,
            refused_503=3 + posts - 1,
            recovered_in_s=round(recovered, 2),
            answers_lost=0,
            unavailable_notices=len(notices),
        )
    await store.close()


async def test_webhook_outage_notice_does_not_lead_to_a_second_answer(engine: Engine) -> None:
    async with running_bot(engine, webhook=True) as bot:
        fake, store = bot.fake, bot.store
        for text in ("/start", "agree", "30", "2"):
            assert await redeliver(bot, fake.text(CHAT, text)) == 1
        session = await bot.session(CHAT)
        assert session is not None and session["state"] == "red_flags"
        store.down = True
        sent_before = len(fake.sent(CHAT))
        first = fake.text(CHAT, "no")  # no fever
        assert await post_update(bot, first) == 503
        assert await post_update(bot, first) == 503  # Telegram re-delivers: a second notice?
        notices = [c.text for c in fake.sent(CHAT)[sent_before:]]
        resend = None
        if any("try again" in n.lower() for n in notices):
            # The person does as told and sends "no" again; Telegram keeps both for later.
            resend = fake.text(CHAT, "no")
            assert await post_update(bot, resend) == 503
        store.down = False
        await redeliver(bot, first)
        if resend is not None:
            await redeliver(bot, resend)
        after = await bot.session(CHAT)
        assert after is not None
        record(
            "faults:store:webhook-notice",
            notices=len(notices),
            walking_answered_unseen=int("weight_bearing" in after["facts"]),
            outcome=str(after.get("outcome")),
        )
        # "no" to fever only: the walking question was never shown, so never answered.
        assert after["state"] == "weight_bearing", after
        assert len(notices) == 1, notices
