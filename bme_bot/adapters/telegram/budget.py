"""The per-chat incoming limit: a token bucket per chat, bounded in memory."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Final, Literal

CHAT_RATE: Final = 1.0
"""Updates a second a chat may send, sustained (after a burst of CHAT_BURST); 0: no limit."""
CHAT_BURST: Final = 10

Verdict = Literal["ok", "notice", "drop"]


class ChatBudget:
    """A token bucket per chat: `burst` updates at once, then `rate` a second.

    `take` says "ok", "notice" (over the limit, first time in this flood: say so once) or
    "drop" (over the limit, already told). The notice is re-armed once the bucket is full
    again. At most `max_chats` buckets are kept (the oldest are forgotten: they were full).
    """

    def __init__(
        self,
        rate: float,
        burst: int,
        clock: Callable[[], float] = time.monotonic,
        max_chats: int = 10_000,
    ) -> None:
        self.rate = rate
        self.burst = burst
        self.clock = clock
        self.max_chats = max_chats
        self._buckets: OrderedDict[int, tuple[float, float, bool]] = OrderedDict()

    def take(self, chat_id: int) -> Verdict:
        now = self.clock()
        tokens, last, told = self._buckets.pop(chat_id, (float(self.burst), now, False))
        tokens = min(float(self.burst), tokens + (now - last) * self.rate)
        if tokens >= self.burst:
            told = False
        verdict: Verdict
        if tokens >= 1.0:
            verdict, tokens = "ok", tokens - 1.0
        elif told:
            verdict = "drop"
        else:
            verdict, told = "notice", True
        self._buckets[chat_id] = (tokens, now, told)
        while len(self._buckets) > self.max_chats:
            self._buckets.popitem(last=False)
        return verdict
