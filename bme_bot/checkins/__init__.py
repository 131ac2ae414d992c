"""Follow-up check-ins: the durable schedule, its rules and the loop that sends what is due.

Nothing here knows Telegram or the engine: a check-in is four values (chat, due time, flow,
original disposition), the stores keep them (memory, SQLite, Redis), `rules` decides when and
with which kind of message, and `Scheduler` claims what is due and calls a `send` the adapter
gives it. See docs/CHECKINS.md.
"""

from bme_bot.checkins.base import (
    Checkin,
    CheckinStore,
    Claim,
    counter_name,
)
from bme_bot.checkins.rules import Lateness, due_time, lateness, suggested_days
from bme_bot.checkins.scheduler import Due, Scheduler, SendResult
from bme_bot.checkins.url import open_checkin_store

__all__ = [
    "Checkin",
    "CheckinStore",
    "Claim",
    "Due",
    "Lateness",
    "Scheduler",
    "SendResult",
    "counter_name",
    "due_time",
    "lateness",
    "open_checkin_store",
    "suggested_days",
]
