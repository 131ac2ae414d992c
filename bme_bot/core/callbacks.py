"""Compact button payloads, bound to the question and turn they belong to.

Telegram limits callback_data to 64 bytes. A question button carries `q|QUESTION|TURN|OPTION`,
so a tap on a button from an earlier turn is recognised as stale instead of answering the
current question; a checklist item's toggle carries `t|QUESTION|TURN|FACT`; menu buttons
carry `m|OPTION`. The loader refuses a flow whose payloads
could exceed the limit.

The menu vocabulary (`MENU_KINDS`, `MENU_WORDS`) lives here, once, for the engine that acts on
menu answers and the adapters that tell a menu payload we could have sent from a forged one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from bme_bot.core.events import (
    Answer,
    Event,
    Restart,
    SetRegion,
    ShowTopic,
    Toggle,
    Topics,
    Why,
)

MOVED_ON: Final = "This question has moved on."
"""What a stale, forged or foreign button tap is answered with: nothing changes."""
MENU_VALUED: Final[dict[str, Callable[[str], Event]]] = {"topic": ShowTopic, "region": SetRegion}
"""Menu options with a value: `topic:<content id>`, `region:<code>`."""
MENU_SINGLE: Final[dict[str, Event]] = {"why": Why(), "restart": Restart(), "topics": Topics()}
"""Menu options that are a single word."""
MENU_KINDS: Final = tuple(MENU_VALUED)
MENU_WORDS: Final = tuple(MENU_SINGLE)


def menu_event(option_id: str) -> Event | None:
    """The event a menu button stands for (menus share the answer channel with questions)."""
    kind, _, value = option_id.partition(":")
    if kind in MENU_VALUED and value:
        return MENU_VALUED[kind](value)
    return MENU_SINGLE.get(option_id)


MAX_CALLBACK_BYTES: Final = 64
MAX_TURN_DIGITS: Final = 7
"""Payload lengths are checked with a turn of this many digits (ten million turns)."""


def question_payload(question_id: str, turn: int, option_id: str) -> str:
    return f"q|{question_id}|{turn}|{option_id}"


def toggle_payload(question_id: str, turn: int, fact: str) -> str:
    return f"t|{question_id}|{turn}|{fact}"


def menu_payload(option_id: str) -> str:
    return f"m|{option_id}"


def is_menu_answer(answer: Answer) -> bool:
    """A menu payload we could have sent: topics, regions, why, restart (else it is forged)."""
    kind, _, value = answer.option_id.partition(":")
    return (kind in MENU_KINDS and bool(value)) or answer.option_id in MENU_WORDS


def longest_question_payload(question_id: str, option_id: str) -> int:
    return len(question_payload(question_id, 10**MAX_TURN_DIGITS - 1, option_id).encode())


def parse_payload(data: str) -> Answer | Toggle | None:
    """Read a payload back; None for anything that is not ours (forged or foreign)."""
    if len(data.encode()) > MAX_CALLBACK_BYTES:
        return None
    parts = data.split("|")
    if (
        len(parts) == 4
        and parts[0] == "t"
        and parts[2].isascii()
        and parts[2].isdigit()
        and parts[1]
        and parts[3]
    ):
        return Toggle(parts[3], question=parts[1], turn=int(parts[2]))
    if (
        len(parts) == 4
        and parts[0] == "q"
        and parts[2].isascii()
        and parts[2].isdigit()
        and parts[1]
        and parts[3]
    ):
        return Answer(parts[3], question=parts[1], turn=int(parts[2]))
    if len(parts) == 2 and parts[0] == "m" and parts[1]:
        return Answer(parts[1])
    return None
