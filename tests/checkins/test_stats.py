"""Anonymous check-in counters: what an ending adds, and how `bme-bot stats` prints them."""

from __future__ import annotations

from bme_bot.checkins.base import COUNTERS, counter_name
from bme_bot.checkins.counting import ending_counters
from bme_bot.stats import StatsRow, collect_checkin_stats, format_stats_table

from .schedules import Schedules


def test_ending_counters() -> None:
    worse = ending_counters({"original": "routine", "checkin_status": "worse"}, "emergency")
    assert worse == {"checkin:answered": 1, "checkin:worse": 1, "checkin:escalated": 1}
    better = ending_counters({"original": "soon", "checkin_status": "better"}, "soon")
    assert better == {"checkin:answered": 1, "checkin:better": 1}
    same = ending_counters({"original": "self_care", "checkin_status": "same"}, "soon")
    assert same["checkin:escalated"] == 1


async def test_stats_table_lists_every_checkin_counter(schedules: Schedules) -> None:
    store = schedules.make()
    await store.add_counters({counter_name("offered"): 4, counter_name("accepted"): 3})
    await store.add_counters(
        ending_counters({"original": "soon", "checkin_status": "worse"}, "urgent")
    )
    rows = await collect_checkin_stats(store)
    assert [r.name for r in rows] == list(COUNTERS)
    counts = {r.name: r.count for r in rows}
    assert counts["offered"] == 4 and counts["escalated"] == 1 and counts["sent"] == 0
    text = format_stats_table([StatsRow("conversations", "started", 9), *rows])
    table = text[text.index("Check-ins") :].splitlines()
    assert any(line.split() == ["offered", "4"] for line in table)
    assert any(line.split() == ["escalated", "1"] for line in table)
