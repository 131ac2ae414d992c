"""Every sentence the check-in layer writes, as English msgids.

The layer looks each one up through the `gettext`-style callable it is given (the identity by
default), then fills its placeholders, so a catalogue can translate them without touching the
code. Plain, short, no diagnosis; the flow's own texts (the check-in questions and advice) are
in flows/checkin.yaml and the reviewed content.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

Gettext = Callable[[str], str]


def identity(text: str) -> str:
    """The default lookup: English as written."""
    return text


OFFER: Final = "Shall I check on you in {days} days? I would only ask how it is going."
OFFER_YES: Final = "Yes, in {days} days"
OFFER_ONE_DAY: Final = "In 1 day"
OFFER_DAYS: Final = "In {days} days"
OFFER_NO: Final = "No, thank you"
OFFER_AGAIN: Final = (
    "Sorry, I didn't catch that. Choose one of these, or type a number of days from 1 to 14, "
    "like this: 5 days"
)
PLANNED: Final = (
    "All right: I will check on you in {days} days. "
    "/checkins shows what is planned, and /stop cancels it."
)
PLANNED_ONE_DAY: Final = (
    "All right: I will check on you tomorrow. "
    "/checkins shows what is planned, and /stop cancels it."
)
DECLINED: Final = "All right, I will not write."
SAFETY_NET: Final = (
    "If it gets worse or a new warning sign appears, use /start at any time; "
    "in an emergency call {emergency_number}."
)
LIST_NONE: Final = "No check-ins are planned."
LIST_HEAD: Final = "Check-ins planned:"
LIST_ITEM: Final = "- {date} at about {time} ({zone})"
LIST_FOOT: Final = "Send /stop to cancel them."
STOPPED: Final = "Done: I cancelled the check-ins. I will not write unless you ask me again."
NOTHING_TO_STOP: Final = "There was nothing to cancel: no check-ins were planned."
LATE: Final = "This is later than we planned, sorry."
MISSED: Final = "We missed our check-in: I could not write when we planned, sorry."
MOVED_ON: Final = "This question has moved on."

ALL: Final = (
    OFFER,
    OFFER_YES,
    OFFER_ONE_DAY,
    OFFER_DAYS,
    OFFER_NO,
    OFFER_AGAIN,
    PLANNED,
    PLANNED_ONE_DAY,
    DECLINED,
    SAFETY_NET,
    LIST_NONE,
    LIST_HEAD,
    LIST_ITEM,
    LIST_FOOT,
    STOPPED,
    NOTHING_TO_STOP,
    LATE,
    MISSED,
    MOVED_ON,
)
"""Every msgid, for the catalogue helper's extraction and a test that they all look up."""

YES_WORDS: Final = ("yes", "y", "ok", "okay", "sure", "yes please", "please")
"""Typed words that accept the suggested day (each also looked up, for other languages)."""
NO_WORDS: Final = ("no", "n", "no thanks", "no thank you", "not now")
"""Typed words that decline (each also looked up)."""
DAYS_WORDS: Final = ("day", "days")
"""A number typed with one of these ("5 days", "in 5 days") is a number of days."""
