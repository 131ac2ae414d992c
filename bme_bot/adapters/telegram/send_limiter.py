"""The outgoing rate limiter: Telegram's limits, counted as Telegram counts them.

Telegram's Bot FAQ ("My bot is hitting limits, how do I avoid this?",
https://core.telegram.org/bots/faq#my-bot-is-hitting-limits-how-do-i-avoid-this) says: inside
one chat, avoid more than one message a second (short bursts may pass, then 429s come); for
bulk notifications to many users, no more than about 30 messages a second; and no more than 20
messages a minute to the same group. Those are *messages*: a sendMessage (or another send that
makes a message). Editing a message, answering a button tap and the typing indicator make no
message, so they are not counted here (they still meet any 429, handled below). PTB's
AIORateLimiter counted every request naming a chat against the 30 a second, so an answer
(one send plus one edit) counted twice and the shipped 30 a second capped a replica at about
17-18 updates a second; and it made a group's notice wait, in its processing slot, for the
group's 20 a minute.

Here (PTB's `BaseRateLimiter` interface, wired in `runtime.build_application`):

- messages are counted overall (`overall_rate` a second, a second's burst), per private chat
  (1 a second after a burst of `PRIVATE_BURST`) and per group (20 a minute after a burst of 20);
- a reply that is only a notice (sent inside `notices()`: the group redirect, "I only read
  text", "edits are not read", the flood notice) never waits: when a limit or a 429 would make
  it wait, it is dropped (`SendDropped`, counted in `dropped` and logged by hashed chat);
- any other message waits its turn, and a 429 blocks only its own chat for its retry_after,
  retried a bounded number of times; every wait gives the update's processing slot back
  (`slots.waiting`), so waiting chats never hold up the others.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter, OrderedDict
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, Final

from telegram.error import RetryAfter, TelegramError
from telegram.ext import BaseRateLimiter

from bme_bot.logs import hash_chat, log_event

from .slots import waiting

log = logging.getLogger("bme_bot.telegram.send")

PRIVATE_RATE: Final = 1.0
PRIVATE_BURST: Final = 20
GROUP_RATE: Final = 20 / 60
GROUP_BURST: Final = 20
MAX_RETRY_AFTER: Final = 30.0
"""A longer 429 is not waited out: the call fails (as RetryingRequest did before)."""
RETRIES: Final = 3
MAX_CHATS: Final = 10_000
"""Per-chat buckets kept (the least recently used are forgotten: at worst one extra burst)."""

MESSAGE_METHODS: Final = frozenset({"copyMessage", "copyMessages", "forwardMessage"})

_notice: ContextVar[bool] = ContextVar("bme_bot_notice", default=False)


@contextmanager
def notices() -> Iterator[None]:
    """Mark the sends inside as notices: dropped rather than kept waiting."""
    token = _notice.set(True)
    try:
        yield
    finally:
        _notice.reset(token)


class SendDropped(TelegramError):
    """A notice was not sent because a send limit would have made it wait."""


def is_message(endpoint: str) -> bool:
    """Whether a Bot API method makes a message (what Telegram's message limits count)."""
    if endpoint in MESSAGE_METHODS:
        return True
    return endpoint.startswith("send") and endpoint != "sendChatAction"


class _Bucket:
    """A token bucket that may go below zero: a reservation for a caller already waiting."""

    __slots__ = ("at", "burst", "rate", "tokens")

    def __init__(self, rate: float, burst: float, now: float) -> None:
        self.rate, self.burst, self.tokens, self.at = rate, burst, burst, now

    def wait(self, now: float) -> float:
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
        self.at = now
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate


class SendLimiter(BaseRateLimiter[None]):
    """Telegram's message limits per chat and overall; notices dropped instead of waiting."""

    def __init__(
        self,
        overall_rate: float,
        *,
        per_chat: bool = True,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.overall_rate = overall_rate
        self.per_chat = per_chat
        self.clock = clock
        self._overall = _Bucket(overall_rate, max(1.0, overall_rate), clock())
        self._chats: OrderedDict[int | str, _Bucket] = OrderedDict()
        self._blocked: OrderedDict[int | str, float] = OrderedDict()
        self.dropped: Counter[str] = Counter()
        self.waits = 0

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release."""

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        chat = data.get("chat_id")
        chat = chat if isinstance(chat, int | str) and not isinstance(chat, bool) else None
        notice = _notice.get()
        counted = is_message(endpoint)
        for attempt in range(1, RETRIES + 2):
            wait = self._reserve(chat, counted=counted and attempt == 1, notice=notice)
            if wait is None:
                self._drop(chat, endpoint, "limit")
                raise SendDropped("a notice over the send limit was dropped")
            if wait > 0:
                self.waits += 1
                async with waiting():
                    await asyncio.sleep(wait)
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                seconds = _seconds(exc.retry_after)
                self._block(chat, seconds)
                if notice:
                    self._drop(chat, endpoint, "429")
                    raise SendDropped("a notice met a 429 and was dropped") from None
                if seconds > MAX_RETRY_AFTER or attempt > RETRIES:
                    raise
        raise AssertionError("unreachable")

    def _reserve(self, chat: int | str | None, *, counted: bool, notice: bool) -> float | None:
        """Seconds to wait before sending (a reservation is taken), or None: drop the notice."""
        now = self.clock()
        wait = max(0.0, self._blocked.get(chat, 0.0) - now) if chat is not None else 0.0
        buckets: list[_Bucket] = []
        if counted:
            if self.overall_rate > 0:
                buckets.append(self._overall)
            if self.per_chat and chat is not None:
                buckets.append(self._bucket(chat, now))
            for bucket in buckets:
                wait = max(wait, bucket.wait(now))
        if notice and wait > 0:
            return None
        for bucket in buckets:
            bucket.tokens -= 1
        return wait

    def _bucket(self, chat: int | str, now: float) -> _Bucket:
        bucket = self._chats.pop(chat, None)
        if bucket is None:
            group = isinstance(chat, str) or chat < 0  # groups and channels have negative ids
            rate, burst = (GROUP_RATE, GROUP_BURST) if group else (PRIVATE_RATE, PRIVATE_BURST)
            bucket = _Bucket(rate, burst, now)
        self._chats[chat] = bucket
        while len(self._chats) > MAX_CHATS:
            self._chats.popitem(last=False)
        return bucket

    def _block(self, chat: int | str | None, seconds: float) -> None:
        """A 429 for a chat: that chat waits (others do not); requests naming no chat retry."""
        if chat is None:
            return
        self._blocked.pop(chat, None)
        self._blocked[chat] = self.clock() + seconds
        while len(self._blocked) > MAX_CHATS:
            self._blocked.popitem(last=False)

    def _drop(self, chat: int | str | None, endpoint: str, reason: str) -> None:
        self.dropped[reason] += 1
        log_event(
            log,
            "notice_dropped",
            chat=hash_chat(chat) if isinstance(chat, int) else None,
            method=endpoint,
            reason=reason,
            dropped=sum(self.dropped.values()),
        )


def _seconds(value: object) -> float:
    if isinstance(value, int | float):
        return float(value)
    total = getattr(value, "total_seconds", None)
    return float(total()) if callable(total) else MAX_RETRY_AFTER + 1
