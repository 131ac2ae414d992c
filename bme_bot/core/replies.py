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
class Reply:
    """One message. `text` uses a small Markdown subset: paragraphs, `- ` bullets, **bold**,
    and [links](url). A question carries its `question` id and `turn` so that an adapter can
    bind its buttons to it."""

    kind: ReplyKind
    text: str
    options: tuple[ReplyOption, ...] = ()
    asks: str | None = None
    question: str | None = None
    turn: int | None = None
