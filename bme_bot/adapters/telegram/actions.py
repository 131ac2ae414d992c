"""The planner's vocabulary: the facts of an incoming update and the actions to perform.

Plain data, no python-telegram-bot: the executor (`handlers.TelegramBot`) performs each action
with the Bot API, in order.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from bme_bot.core.events import Event

from .memory import Asked
from .rendering import Keyboard

Kind = Literal["text", "command", "callback"]


@dataclass(frozen=True)
class Incoming:
    """The facts of one update that the plan depends on.

    For a button tap: the message the button was on (`message_id`, its text as HTML, its
    keyboard) and the button's `data`; the tapped button's label is read from the keyboard."""

    kind: Kind
    event: Event
    message_id: int | None = None
    data: str = ""
    keyboard: Keyboard = ()
    message_html: str | None = None

    @property
    def tap(self) -> bool:
        return self.kind == "callback"

    @property
    def label(self) -> str | None:
        """The label of the tapped button, if the keyboard still shows it."""
        for row in self.keyboard:
            for label, data in row:
                if data == self.data:
                    return label
        return None


# --- actions ------------------------------------------------------------------------------


@dataclass(frozen=True)
class AnswerQuery:
    """Answer the button tap (stops the client's spinner); `text` shows as a short toast."""

    text: str | None = None


@dataclass(frozen=True)
class EditMessage:
    """Replace a message's text; its keyboard becomes `keyboard` (empty: buttons gone)."""

    message_id: int
    html: str
    keyboard: Keyboard = ()


@dataclass(frozen=True)
class EditKeyboard:
    """Replace only a message's buttons (editMessageReplyMarkup)."""

    message_id: int
    keyboard: Keyboard


@dataclass(frozen=True)
class ShowTyping:
    """A typing indicator before a long reply."""


@dataclass(frozen=True)
class SendChunks:
    """Send HTML messages in order; the keyboard goes on the last one."""

    chunks: tuple[str, ...]
    keyboard: Keyboard = ()


@dataclass(frozen=True)
class Notify:
    """A fixed notice in plain text, not a conversation step: a failure to send it is only
    logged."""

    text: str


@dataclass(frozen=True)
class Remember:
    """Record what was last asked; `asked.message_id` None: the message sent just before."""

    asked: Asked


@dataclass(frozen=True)
class ForgetAsked:
    """Nothing is waiting for an answer any more."""


@dataclass(frozen=True)
class Note:
    """A log event about the update (never its text): `callback_stale`, `update_duplicate`..."""

    event: str


@dataclass(frozen=True)
class Handled:
    """The update was handled: the executor logs the reply kinds with the time taken."""

    replies: tuple[str, ...]


Action = (
    AnswerQuery
    | EditMessage
    | EditKeyboard
    | ShowTyping
    | SendChunks
    | Notify
    | Remember
    | ForgetAsked
    | Note
    | Handled
)
