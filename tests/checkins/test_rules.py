"""Scheduling rules: days, quiet hours in the frame, lateness (hypothesis over times)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bme_bot.checkins.rules import (
    DAY,
    HOUR,
    MISSED_AFTER,
    REGION_FRAME_MINUTES,
    Lateness,
    check_days,
    due_time,
    frame_minutes,
    hour_in_frame,
    is_quiet,
    lateness,
    suggested_days,
)

MIDNIGHT = 1_800_000_000.0 - (1_800_000_000.0 % DAY)  # a UTC midnight
times = st.floats(min_value=1_600_000_000, max_value=2_100_000_000)
frames = st.sampled_from(sorted(set(REGION_FRAME_MINUTES.values())))
day_counts = st.integers(min_value=1, max_value=14)


def test_suggested_days() -> None:
    assert [suggested_days(d) for d in ("self_care", "routine", "soon")] == [3, 7, 2]
    with pytest.raises(ValueError):
        suggested_days("urgent")


@pytest.mark.parametrize("days", [0, 15, -1, True, 2.5])
def test_days_outside_1_to_14_are_refused(days: object) -> None:
    with pytest.raises(ValueError):
        check_days(days)  # type: ignore[arg-type]


@given(times, day_counts, frames)
def test_never_due_in_quiet_hours(finished: float, days: int, frame: int) -> None:
    due = due_time(finished, days, frame)
    assert not is_quiet(due, frame)
    hour = hour_in_frame(due, frame)
    assert 8 <= hour < 22


@given(times, day_counts, frames)
def test_daytime_finish_keeps_its_hour_exactly(finished: float, days: int, frame: int) -> None:
    due = due_time(finished, days, frame)
    if not is_quiet(finished, frame):
        assert due == finished + days * DAY
    else:  # moved to the 08:00 that ends that night, never earlier than the plain due time
        assert hour_in_frame(due, frame) == pytest.approx(8.0, abs=1e-6)
        plain = finished + days * DAY
        assert plain < due <= plain + 10 * HOUR


@pytest.mark.parametrize(
    ("finish_hour", "frame", "due_hour", "extra_days"),
    [
        (14.5, 0, 14.5, 0),  # daytime: the same hour
        (23.5, 0, 8.0, 1),  # late evening: 08:00 the next morning
        (3.0, 0, 8.0, 0),  # small hours: 08:00 that morning
        (22.0, 0, 8.0, 1),  # 22:00 itself is quiet
        (8.0, 0, 8.0, 0),  # 08:00 itself is not
        (21.5, 60, 7.0, 1),  # 21:30 UTC is 22:30 EU: 08:00 EU next day = 07:00 UTC
        (6.5, 60, 7.0, 0),  # 06:30 UTC is 07:30 EU: moves to 08:00 EU = 07:00 UTC
    ],
)
def test_quiet_hour_examples(
    finish_hour: float, frame: int, due_hour: float, extra_days: int
) -> None:
    finished = MIDNIGHT + finish_hour * HOUR
    due = due_time(finished, 3, frame)
    assert due == MIDNIGHT + (3 + extra_days) * DAY + due_hour * HOUR


def test_frames_of_regions() -> None:
    assert frame_minutes("EU") == 60 and frame_minutes("us") == -300
    assert frame_minutes(None) == 0 and frame_minutes("XX") == 0


@given(times, st.floats(min_value=-DAY, max_value=10 * DAY))
def test_lateness_is_monotonic_in_the_delay(due: float, delay: float) -> None:
    kind = lateness(due, due + delay)
    order = [Lateness.ON_TIME, Lateness.LATE, Lateness.MISSED]
    assert order.index(kind) <= order.index(lateness(due, due + delay + HOUR))
    if delay <= 0:
        assert kind is Lateness.ON_TIME
    if delay > MISSED_AFTER:
        assert kind is Lateness.MISSED


def test_lateness_edges() -> None:
    assert lateness(MIDNIGHT, MIDNIGHT + HOUR) is Lateness.ON_TIME
    assert lateness(MIDNIGHT, MIDNIGHT + HOUR + 1) is Lateness.LATE
    assert lateness(MIDNIGHT, MIDNIGHT + 2 * DAY) is Lateness.LATE
    assert lateness(MIDNIGHT, MIDNIGHT + 2 * DAY + 1) is Lateness.MISSED
