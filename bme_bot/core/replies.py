"""What the engine says back, as plain data the adapters render (buttons, numbers, JSON)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ReplyKind = Literal["question", "disposition", "content", "info", "reask", "stale"]


@dataclass(frozen=True)
class ReplyOption:
    id: str
    label: str


@dataclass(frozen=True)
class ChecklistItem:
    """One tickable item of a checklist question: a yes/no fact and its current mark.

    `mark` is what the person has ticked so far ("" blank, "yes", "unsure"); nothing is
    answered until they press Done (or None of these)."""

    fact: str
    label: str
    mark: str = ""


CHECKLIST_DONE = "done"
"""Option id of a checklist's Done button: submit the marks as they stand."""
CHECKLIST_NONE = "none"
"""Option id of a checklist's "None of these" button: every item is answered no."""


@dataclass(frozen=True)
class Found:
    """A content section that answers a typed question: its topic (content id), its heading,
    and its BM25 score."""

    topic: str
    section: str
    score: float


@dataclass(frozen=True)
class Reply:
    """One message. `text` uses a small Markdown subset: paragraphs, `- ` bullets, **bold**,
    and [links](url). A question carries its `question` id and `turn` so that an adapter can
    bind its buttons to it; a checklist also carries its items and their marks."""

    kind: ReplyKind
    text: str
    options: tuple[ReplyOption, ...] = ()
    asks: str | None = None
    question: str | None = None
    turn: int | None = None
    checklist: tuple[ChecklistItem, ...] = ()
    """Non-empty for a checklist question: the items shown, with their marks. `options`
    then holds the None-of-these and Done buttons, and `asks` is None."""
    progress: tuple[int, int] | None = None
    """For a question: (answers given so far, at most how many answers in all)."""
    found: tuple[Found, ...] = ()
    """For the answer to a typed question: the sections found, best first (the first is
    quoted; the others are offered as buttons)."""
    alert: str | None = None
    """For the answer to a red flag found in typed text: "emergency" or "urgent"."""
