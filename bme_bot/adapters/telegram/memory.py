"""What the adapter remembers between updates, bounded, and allowed to be lost at any time.

Nothing here is conversation state (that lives in the service's store): the last question
message sent to each chat, so that a later answer can take its buttons off, and the update
ids already told "unavailable", so that a re-delivery is not told twice.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Final

from bme_bot.core.replies import ChecklistItem

MAX_REMEMBERED: Final = 10_000


@dataclass(frozen=True)
class Asked:
    """The last question message sent to a chat: enough to take its buttons off later.

    `message_id` is None in a plan, before the message is sent; the executor fills it in."""

    message_id: int | None
    question: str
    turn: int
    html: str
    asks: str | None = None
    labels: dict[str, str] = field(default_factory=dict)
    items: tuple[ChecklistItem, ...] = ()
    """A checklist's items, with the marks last shown."""


class AskedMemory:
    """The last question asked per chat, for at most `limit` chats (the oldest forgotten)."""

    def __init__(self, limit: int = MAX_REMEMBERED) -> None:
        self.limit = limit
        self._asked: OrderedDict[int, Asked] = OrderedDict()

    def get(self, chat_id: int) -> Asked | None:
        return self._asked.get(chat_id)

    def put(self, chat_id: int, asked: Asked) -> None:
        self._asked[chat_id] = asked
        self._asked.move_to_end(chat_id)
        while len(self._asked) > self.limit:
            self._asked.popitem(last=False)

    def forget(self, chat_id: int) -> None:
        self._asked.pop(chat_id, None)

    def __len__(self) -> int:
        return len(self._asked)


class SeenIds:
    """A bounded set of ids: `add` says whether the id was already there."""

    def __init__(self, limit: int = MAX_REMEMBERED) -> None:
        self.limit = limit
        self._ids: OrderedDict[int, None] = OrderedDict()

    def add(self, key: int) -> bool:
        if key in self._ids:
            return True
        self._ids[key] = None
        while len(self._ids) > self.limit:
            self._ids.popitem(last=False)
        return False
