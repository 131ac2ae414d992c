"""What the Telegram bot says outside the flow: notices, commands, its profile texts.

Plain text (the executor escapes it); the flow's own texts come from the engine.
"""

from __future__ import annotations

from typing import Final

from bme_bot.core.callbacks import MOVED_ON
from bme_bot.core.catalogue import N_
from bme_bot.service import UNAVAILABLE_TEXT

__all__ = [
    "COMMANDS",
    "DESCRIPTION",
    "EDITED",
    "FLOOD_NOTICE",
    "MOVED_ON",
    "NON_TEXT",
    "PRIVATE_ONLY",
    "SHORT_DESCRIPTION",
    "SOMETHING_WRONG",
    "UNAVAILABLE",
    "UNAVAILABLE_RETRYING",
]

UNAVAILABLE: Final = UNAVAILABLE_TEXT
UNAVAILABLE_RETRYING: Final = N_(
    "Sorry, I can't save answers for a moment. I'll carry on by myself as soon as I can, "
    "so there is no need to send it again."
)
"""Webhook mode: Telegram delivers the update again, so the person must not resend it."""
FLOOD_NOTICE: Final = N_(
    "You're sending messages faster than I can read them. I'll answer again in a few seconds."
)
SOMETHING_WRONG: Final = N_("Sorry, something went wrong on my side. Please try again.")
EDITED: Final = N_(
    "I can't act on edited messages. Please send your answer as a new message, or tap a button."
)
PRIVATE_ONLY: Final = N_(
    "I only talk one to one, so that nothing about your health is shared in a group. "
    "Talk to me privately: {link}"
)
NON_TEXT: Final = N_(
    "Thanks, but I can't read {what}. I understand text and button taps: tap one of the "
    "buttons above, type your answer, or send /help."
)

COMMANDS: Final = (
    ("start", N_("Start the questions")),
    ("help", N_("What this bot does and how to use it")),
    ("restart", N_("Forget the answers and start over")),
    ("back", N_("Undo the last answer")),
    ("why", N_("Why this advice?")),
    ("topics", N_("Read about bone marrow edema")),
    ("region", N_("Set your region (emergency number)")),
    ("privacy", N_("What is stored, for how long, how to erase it")),
    ("forget", N_("Erase everything stored about this chat")),
    ("ask", N_("Ask a question in your own words")),
    ("language", N_("Choose your language")),
    ("checkins", N_("Show the planned check-ins")),
    ("stop", N_("Cancel all planned check-ins")),
)

DESCRIPTION: Final = N_(
    "Education about bone marrow edema and pain in the hip, knee, ankle or foot. A few questions "
    "tell you how soon to see a clinician, with the emergency number for your region. It never "
    "diagnoses. Nothing you type is stored; /privacy explains what is, /forget erases it."
)
SHORT_DESCRIPTION: Final = N_(
    "Hip, knee, ankle or foot pain? How soon to be seen, and what bone marrow edema is. "
    "Not a diagnosis."
)
