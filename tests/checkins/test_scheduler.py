"""The scheduler loop with a fake clock and a fake `send` (a real store: memory or SQLite)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bme_bot.checkins.base import CheckinStore
from bme_bot.checkins.rules import DAY, HOUR, Lateness
from bme_bot.checkins.scheduler import Due, Scheduler, SendResult
from bme_bot.checkins.url import open_checkin_store

T0 = 2_000_000_000.0


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now


class FakeSend:
    """Records every Due it gets; answers by chat from `script` (default: sent)."""

    def __init__(self) -> None:
        self.got: list[Due] = []
        self.script: dict[str, list[SendResult | Exception]] = {}
        self.hang: set[str] = set()

    async def __call__(self, due: Due) -> SendResult:
        self.got.append(due)
        if due.checkin.chat in self.hang:
            await asyncio.sleep(3600)
        answers = self.script.get(due.checkin.chat)
        if answers:
            answer = answers.pop(0)
            if isinstance(answer, Exception):
                raise answer
            return answer
        return SendResult.sent()

    def chats(self) -> list[str]:
        return [d.checkin.chat for d in self.got]


@pytest.fixture(params=["memory", "sqlite"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[CheckinStore]:
    url = "memory://" if request.param == "memory" else f"sqlite:///{tmp_path / 'bot.sqlite3'}"
    made = open_checkin_store(url, 30 * DAY)
    try:
        yield made
    finally:
        await made.close()


def scheduler(
    store: CheckinStore, send: FakeSend, clock: Clock, max_attempts: int = 5
) -> Scheduler:
    return Scheduler(
        store, send, clock=clock, every_seconds=30, lease_seconds=120, max_attempts=max_attempts
    )


async def test_sends_what_is_due_once_and_nothing_early(store: CheckinStore) -> None:
    clock, send = Clock(), FakeSend()
    await store.plan("due", T0 - 5, "checkin", "soon")
    await store.plan("later", T0 + HOUR, "checkin", "routine")
    loop = scheduler(store, send, clock)
    tick = await loop.tick()
    assert (tick.claimed, tick.sent) == (1, 1)
    assert send.chats() == ["due"] and send.got[0].lateness is Lateness.ON_TIME
    assert (await loop.tick()).claimed == 0
    clock.now += HOUR
    assert (await loop.tick()).sent == 1
    assert send.chats() == ["due", "later"]
    assert (await store.counters())["checkin:sent"] == 2


async def test_restart_in_the_middle_loses_nothing_and_doubles_nothing(
    store: CheckinStore,
) -> None:
    """A first scheduler claims and dies (no mark_sent); a second one, after the lease."""
    clock, send = Clock(), FakeSend()
    for i in range(10):
        await store.plan(f"chat{i}", T0 - i, "checkin", "soon")
    claimed = await store.claim_due(T0, 120, 4)  # the dying replica's claims
    assert len(claimed) == 4
    survivor = scheduler(store, send, clock)
    assert (await survivor.tick()).sent == 6  # the others at once
    clock.now += 119
    assert (await survivor.tick()).claimed == 0
    clock.now += 1
    assert (await survivor.tick()).sent == 4  # re-delivered when the lease ends
    assert sorted(send.chats()) == sorted(f"chat{i}" for i in range(10))
    for claim in claimed:
        assert not await store.mark_sent(claim)  # the dead replica cannot settle them now


async def test_lateness_kinds_reach_send(store: CheckinStore) -> None:
    clock, send = Clock(), FakeSend()
    await store.plan("on-time", T0 - 10 * 60, "checkin", "soon")
    await store.plan("late", T0 - 5 * HOUR, "checkin", "soon")
    await store.plan("missed", T0 - 3 * DAY, "checkin", "soon")
    await scheduler(store, send, clock).tick()
    kinds = {d.checkin.chat: d.lateness for d in send.got}
    assert kinds == {
        "on-time": Lateness.ON_TIME,
        "late": Lateness.LATE,
        "missed": Lateness.MISSED,
    }
    counts = await store.counters()
    assert counts["checkin:sent_late"] == 1 and counts["checkin:sent_missed"] == 1


async def test_blocked_cancels_the_rest_of_that_chat_only(store: CheckinStore) -> None:
    clock, send = Clock(), FakeSend()
    await store.plan("blocker", T0, "checkin", "soon")
    await store.plan("blocker", T0 + 2 * DAY, "checkin", "soon")
    await store.plan("other", T0 + 2 * DAY, "checkin", "soon")
    send.script["blocker"] = [SendResult.blocked()]
    tick = await scheduler(store, send, clock).tick()
    assert tick.blocked == 1
    assert await store.list("blocker") == []
    assert len(await store.list("other")) == 1
    assert (await store.counters())["checkin:blocked"] == 1


async def test_failed_is_retried_after_the_lease_then_dropped(store: CheckinStore) -> None:
    clock, send = Clock(), FakeSend()
    await store.plan("flaky", T0, "checkin", "soon")
    send.script["flaky"] = [SendResult.failed(), RuntimeError("network"), SendResult.failed()]
    loop = scheduler(store, send, clock, max_attempts=3)
    for _ in range(3):
        tick = await loop.tick()
        assert tick.failed == 1
        clock.now += 60
        assert (await loop.tick()).claimed == 0  # still leased
        clock.now += 60
    tick = await loop.tick()  # the 4th claim: over max_attempts
    assert tick.dropped == 1 and len(send.got) == 3
    assert await store.list("flaky") == []
    counts = await store.counters()
    assert counts["checkin:failed"] == 3 and counts["checkin:dropped"] == 1


async def test_failed_with_retry_after_comes_back_then(store: CheckinStore) -> None:
    clock, send = Clock(), FakeSend()
    await store.plan("retry", T0, "checkin", "soon")
    send.script["retry"] = [SendResult.failed(retry_after=10)]
    loop = scheduler(store, send, clock)
    assert (await loop.tick()).failed == 1
    clock.now += 10
    assert (await loop.tick()).sent == 1


async def test_a_send_that_hangs_is_abandoned_within_half_the_lease(store: CheckinStore) -> None:
    clock, send = Clock(), FakeSend()
    await store.plan("hangs", T0, "checkin", "soon")
    send.hang.add("hangs")
    loop = Scheduler(store, send, clock=clock, lease_seconds=0.2)
    tick = await loop.tick()
    assert tick.failed == 1 and tick.sent == 0
    assert len(await store.list("hangs")) == 1  # kept for the next claim


async def test_run_is_bounded_and_stoppable_and_logs_only_hashed_chats(
    store: CheckinStore, caplog: pytest.LogCaptureFixture
) -> None:
    clock, send = Clock(), FakeSend()
    for i in range(7):
        await store.plan(f"secret-chat-{i}", T0, "checkin", "soon")
    loop = Scheduler(store, send, clock=clock, every_seconds=0.01, lease_seconds=60, batch=3)
    stop = asyncio.Event()
    caplog.set_level(logging.DEBUG)
    task = asyncio.create_task(loop.run(stop))
    for _ in range(200):
        if len(send.got) == 7:
            break
        await asyncio.sleep(0.01)
    stop.set()
    await asyncio.wait_for(task, timeout=5)
    assert sorted(send.chats()) == sorted(f"secret-chat-{i}" for i in range(7))
    logged = "\n".join(f"{r.getMessage()} {getattr(r, 'fields', '')}" for r in caplog.records)
    assert "checkin_sent" in logged
    assert "secret-chat" not in logged


def test_settings_are_checked() -> None:
    with pytest.raises(ValueError):
        Scheduler(open_checkin_store("memory://", DAY), FakeSend(), batch=0)
