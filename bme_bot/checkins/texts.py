"""Every sentence the check-in layer writes, as English msgids.

Each is marked with `N_` so `make messages` extracts it into bme_bot/locales; the layer looks
it up in the catalogue of the chat's language (`CheckinService.gettext`), then fills its
placeholders. The typed words (YES_WORDS...) are looked up too: a Spanish chat's "sí" accepts. Plain, short, no diagnosis; the flow's own texts (the check-in questions and advice) are
in flows/checkin.yaml and the reviewed content.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from bme_bot.core.catalogue import N_

Gettext = Callable[[str], str]


def identity(text: str) -> str:
    """The default lookup: English as written."""
    return text


OFFER: Final = N_("Shall I check on you in {days} days? I would only ask how it is going.")
OFFER_YES: Final = N_("Yes, in {days} days")
OFFER_ONE_DAY: Final = N_("In 1 day")
OFFER_DAYS: Final = N_("In {days} days")
OFFER_NO: Final = N_("No, thank you")
OFFER_AGAIN: Final = N_(
    "Sorry, I didn't catch that. Choose one of these, or type a number of days from 1 to 14, "
    "like this: 5 days"
)
PLANNED: Final = N_(
    "All right: I will check on you in {days} days. "
    "/checkins shows what is planned, and /stop cancels it."
)
PLANNED_ONE_DAY: Final = N_(
    "All right: I will check on you tomorrow. "
    "/checkins shows what is planned, and /stop cancels it."
)
DECLINED: Final = N_("All right, I will not write.")
SAFETY_NET: Final = N_(
    "If it gets worse or a new warning sign appears, use /start at any time; "
    "in an emergency call {emergency_number}."
)
LIST_NONE: Final = N_("No check-ins are planned.")
LIST_HEAD: Final = N_("Check-ins planned:")
LIST_ITEM: Final = N_("- {date} at about {time} ({zone})")
LIST_FOOT: Final = N_("Send /stop to cancel them.")
STOPPED: Final = N_("Done: I cancelled the check-ins. I will not write unless you ask me again.")
NOTHING_TO_STOP: Final = N_("There was nothing to cancel: no check-ins were planned.")
LATE: Final = N_("This is later than we planned, sorry.")
MISSED: Final = N_("We missed our check-in: I could not write when we planned, sorry.")
MOVED_ON: Final = N_("This question has moved on.")

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

YES_WORDS: Final = (
    N_("yes"),
    N_("y"),
    N_("ok"),
    N_("okay"),
    N_("sure"),
    N_("yes please"),
    N_("please"),
)
"""Typed words that accept the suggested day (each also looked up, for other languages)."""
NO_WORDS: Final = (N_("no"), N_("n"), N_("no thanks"), N_("no thank you"), N_("not now"))
"""Typed words that decline (each also looked up)."""
DAYS_WORDS: Final = (N_("day"), N_("days"))
"""A number typed with one of these ("5 days", "in 5 days") is a number of days."""
