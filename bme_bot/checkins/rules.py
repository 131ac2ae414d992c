"""When a check-in is due, and which message a late one gets: pure functions, no clock.

**Days.** Suggested per original disposition: self_care 3, routine 7, soon 2 ("did you
manage to be seen?"). The person may pick any whole number of days from 1 to 14.

**The frame and quiet hours.** Telegram tells us no time zone. The *frame* is a fixed offset
from UTC, in minutes, that stands for the person's clock: the caller passes the standard
offset of the person's region when it is known (`REGION_FRAME_MINUTES`; daylight saving is
ignored), else 0 (UTC). "Hour of day in the frame" of an instant `t` (seconds since the epoch)
is `((t + offset * 60) mod 86400) / 3600`.

- A check-in is due `days` whole days after the moment the person finished the conversation,
  so it falls at the same time of day, in every frame, as that moment.
- It is never due in the quiet hours, 22:00 (inclusive) to 08:00 (exclusive) in the frame: a
  time in [22:00, 24:00) moves to 08:00 of the next day of the frame, one in [00:00, 08:00) to
  08:00 of the same day. Nothing else moves. So a person who finished at 23:30 hears from us
  at 08:00, `days` days later plus the night.

**Lateness.** Measured from the due time to the moment of sending: up to `LATE_AFTER` (one
hour, well above the scheduler's tick and lease) the message is on time; up to
`MISSED_AFTER` (2 days) it is sent once with a line saying it is late; beyond that the
shorter "we missed our check-in" message replaces it. The texts are the adapter's.
"""

from __future__ import annotations

import enum
import math
from typing import Final

from bme_bot.checkins.base import CHECKIN_DISPOSITIONS

SUGGESTED_DAYS: Final = {"self_care": 3, "routine": 7, "soon": 2}
MIN_DAYS: Final = 1
MAX_DAYS: Final = 14
QUIET_FROM_HOUR: Final = 22
QUIET_UNTIL_HOUR: Final = 8
DAY: Final = 86400.0
HOUR: Final = 3600.0
LATE_AFTER: Final = HOUR
MISSED_AFTER: Final = 2 * DAY

REGION_FRAME_MINUTES: Final = {
    "EU": 60,
    "UK": 0,
    "IE": 0,
    "US": -300,
    "CA": -300,
    "AU": 600,
    "NZ": 720,
    "IN": 330,
    "ZA": 120,
    "OTHER": 0,
}
"""A region's standard offset from UTC (the eastern US and Canada, the eastern Australia):
a guess of the person's clock, used only to keep check-ins out of the night."""


class Lateness(enum.Enum):
    ON_TIME = "on_time"
    LATE = "late"
    MISSED = "missed"


def suggested_days(original: str) -> int:
    """The days offered first after a disposition; ValueError for one that gets no offer."""
    if original not in CHECKIN_DISPOSITIONS:
        raise ValueError(f"no check-in is offered after {original!r}")
    return SUGGESTED_DAYS[original]


def check_days(days: int) -> int:
    """`days` if it is a whole number from 1 to 14, else ValueError."""
    if isinstance(days, bool) or not isinstance(days, int) or not MIN_DAYS <= days <= MAX_DAYS:
        raise ValueError(f"a check-in is 1 to 14 days away, got {days!r}")
    return days


def frame_minutes(region: str | None) -> int:
    """The frame of a region code (0, UTC, when unknown)."""
    return REGION_FRAME_MINUTES.get((region or "").upper(), 0)


def hour_in_frame(when: float, frame: int = 0) -> float:
    """The hour of day (0 <= h < 24) of an instant in the frame."""
    return ((when + frame * 60) % DAY) / HOUR


def is_quiet(when: float, frame: int = 0) -> bool:
    hour = hour_in_frame(when, frame)
    return hour >= QUIET_FROM_HOUR or hour < QUIET_UNTIL_HOUR


def next_allowed(when: float, frame: int = 0) -> float:
    """`when` itself outside the quiet hours, else the 08:00 of the frame that ends them."""
    if not is_quiet(when, frame):
        return when
    shifted = when + frame * 60
    midnight = math.floor(shifted / DAY) * DAY
    morning = midnight + QUIET_UNTIL_HOUR * HOUR
    if shifted >= morning:  # 22:00-24:00: the next morning
        morning += DAY
    return morning - frame * 60


def due_time(finished_at: float, days: int, frame: int = 0) -> float:
    """When to check in: `days` days after `finished_at`, out of the frame's quiet hours."""
    if not math.isfinite(finished_at):
        raise ValueError("finished_at must be a finite time")
    return next_allowed(finished_at + check_days(days) * DAY, frame)


def lateness(due_at: float, now: float) -> Lateness:
    """How late a check-in is when sent at `now` (early counts as on time)."""
    late_by = now - due_at
    if late_by <= LATE_AFTER:
        return Lateness.ON_TIME
    if late_by <= MISSED_AFTER:
        return Lateness.LATE
    return Lateness.MISSED
