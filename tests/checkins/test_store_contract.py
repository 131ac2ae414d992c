"""The schedule's contract, on memory, SQLite and Redis alike (tests/checkins/conftest.py)."""

from __future__ import annotations

import pytest

from bme_bot.checkins.base import counter_name

from .schedules import Schedules

T0 = 2_000_000_000.0  # a fixed "now" (2033): the stores take the time from the caller
LEASE = 60.0


async def test_plan_and_list_per_chat_soonest_first(schedules: Schedules) -> None:
    store = schedules.make()
    late = await store.plan("chat-a", T0 + 300, "checkin", "soon")
    early = await store.plan("chat-a", T0 + 100, "checkin", "routine")
    other = await store.plan("chat-b", T0 + 50, "checkin", "self_care")
    assert len({late.id, early.id, other.id}) == 3
    listed = await store.list("chat-a")
    assert listed == [early, late]
    assert (listed[0].chat, listed[0].due_at, listed[0].flow, listed[0].original) == (
        "chat-a",
        T0 + 100,
        "checkin",
        "routine",
    )
    assert await store.list("chat-b") == [other]
    assert await store.list("nobody") == []


@pytest.mark.parametrize(
    ("chat", "due", "flow", "original"),
    [
        ("", T0, "checkin", "soon"),
        ("c", float("nan"), "checkin", "soon"),
        ("c", T0, "", "soon"),
        ("c", T0, "checkin", "emergency"),
    ],
)
async def test_plan_refuses_bad_values(
    schedules: Schedules, chat: str, due: float, flow: str, original: str
) -> None:
    store = schedules.make()
    with pytest.raises(ValueError):
        await store.plan(chat, due, flow, original)


async def test_claim_takes_only_what_is_due_earliest_first_up_to_the_limit(
    schedules: Schedules,
) -> None:
    store = schedules.make()
    due = [await store.plan(f"c{i}", T0 - 10 * i, "checkin", "soon") for i in range(5)]
    await store.plan("future", T0 + 1, "checkin", "soon")
    first = await store.claim_due(T0, LEASE, 3)
    assert [c.checkin for c in first] == [due[4], due[3], due[2]]
    assert all(c.attempt == 1 and c.lease_until == T0 + LEASE for c in first)
    rest = await store.claim_due(T0, LEASE, 10)
    assert [c.checkin for c in rest] == [due[1], due[0]]
    assert await store.claim_due(T0 + 0.5, LEASE, 10) == []  # all leased, the next not due


async def test_a_lease_that_runs_out_is_claimed_again_and_the_old_claim_is_void(
    schedules: Schedules,
) -> None:
    store = schedules.make()
    planned = await store.plan("chat", T0, "checkin", "soon")
    (first,) = await store.claim_due(T0, LEASE, 10)
    assert await store.claim_due(T0 + LEASE - 0.5, LEASE, 10) == []
    (second,) = await store.claim_due(T0 + LEASE, LEASE, 10)  # the claimer died: re-delivered
    assert second.checkin == planned and second.attempt == 2 and second.token != first.token
    assert not await store.mark_sent(first)  # too late: someone else holds it now
    assert await store.mark_sent(second, {counter_name("sent"): 1})
    assert not await store.mark_sent(second)
    assert await store.list("chat") == []
    assert await store.claim_due(T0 + 10 * LEASE, LEASE, 10) == []
    assert (await store.counters()).get("checkin:sent") == 1


async def test_release_gives_it_back_from_the_retry_time(schedules: Schedules) -> None:
    store = schedules.make()
    await store.plan("chat", T0, "checkin", "routine")
    (claim,) = await store.claim_due(T0, LEASE, 10)
    assert await store.release(claim, T0 + 5)
    assert not await store.release(claim, T0 + 5)  # the claim is no longer current
    assert await store.claim_due(T0 + 4, LEASE, 10) == []
    (again,) = await store.claim_due(T0 + 5, LEASE, 10)
    assert again.attempt == 2


async def test_cancel_all_removes_every_checkin_of_the_chat_and_only_those(
    schedules: Schedules,
) -> None:
    store = schedules.make()
    for days in (1, 2, 3):
        await store.plan("chat-forget-me", T0 + days, "checkin", "soon")
    kept = await store.plan("chat-keep", T0 + 1, "checkin", "soon")
    (claimed,) = await store.claim_due(T0 + 1.5, LEASE, 1)  # one of them is being sent
    assert await store.cancel_all("chat-forget-me") == 3
    assert await store.cancel_all("chat-forget-me") == 0
    assert await store.list("chat-forget-me") == []
    if claimed.checkin.chat == "chat-forget-me":
        assert not await store.mark_sent(claimed)
    assert await store.list("chat-keep") == [kept]
    assert await schedules.raw_mentions("chat-forget-me") == []


async def test_purge_deletes_only_checkins_older_than_the_ttl(schedules: Schedules) -> None:
    store = schedules.make(ttl_seconds=1000)
    old = await store.plan("chat", T0 - 2000, "checkin", "soon")
    recent = await store.plan("chat", T0 - 500, "checkin", "soon")
    assert await store.purge(T0) == 1
    assert await store.list("chat") == [recent]
    assert old not in await store.list("chat")
    assert [c.checkin for c in await store.claim_due(T0, LEASE, 10)] == [recent]


async def test_counters_add_up_and_hold_no_chat_id(schedules: Schedules) -> None:
    store = schedules.make()
    await store.add_counters({counter_name("offered"): 2, counter_name("accepted"): 1})
    await store.add_counters({counter_name("offered"): 1})
    counts = await store.counters()
    assert counts["checkin:offered"] == 3 and counts["checkin:accepted"] == 1
    with pytest.raises(ValueError):
        counter_name("chat-123")


async def test_two_schedules_on_one_store_share_it(schedules: Schedules) -> None:
    if schedules.kind == "memory":
        pytest.skip("a memory schedule lives in one process: nothing to share")
    one, two = schedules.make(), schedules.make()
    planned = await one.plan("chat", T0, "checkin", "soon")
    assert await two.list("chat") == [planned]
    (claim,) = await two.claim_due(T0, LEASE, 10)
    assert await one.claim_due(T0, LEASE, 10) == []
    assert await one.mark_sent(claim)
    assert await two.list("chat") == []


async def test_stores_only_the_four_values(schedules: Schedules) -> None:
    """Privacy: the chat id, due time, flow and original disposition, plus bookkeeping."""
    store = schedules.make()
    await store.plan("chat-privacy", T0, "checkin", "self_care")
    if schedules.kind == "sqlite":
        import sqlite3

        with sqlite3.connect(schedules.db_path) as conn:
            columns = [r[1] for r in conn.execute("PRAGMA table_info(checkins)")]
        conn.close()
        assert columns == [
            "id",
            "chat",
            "due_at",
            "flow",
            "original",
            "available_at",
            "token",
            "attempts",
        ]
    elif schedules.kind == "redis":
        assert schedules.raw is not None
        (key,) = [k for k in await schedules.keys() if ":checkin:" in k]
        fields = await schedules.raw.hgetall(key)
        assert sorted(fields) == ["attempts", "chat", "due", "flow", "original", "token"]
        assert await schedules.raw.pttl(key) > 0  # expires by itself
    assert len(await schedules.raw_mentions("chat-privacy")) >= (schedules.kind != "memory")
