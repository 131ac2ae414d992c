"""The loop that sends what is due: claim, call the adapter's `send`, settle the claim.

Adapter-agnostic: the Telegram adapter (or the console, or a test) gives a
`send(Due) -> SendResult` coroutine. Each tick claims at most `batch` check-ins under a lease
and settles each one by what `send` answered:

- sent: `mark_sent` deletes it and counts it (with `sent_late` / `sent_missed`);
- blocked (Telegram's 403, the person blocked the bot): every check-in of that chat is
  cancelled;
- failed (network, 5xx, a raised exception or a send that outlived its time): nothing is
  settled, so the lease runs out and the check-in is claimed again (or from `retry_after`
  seconds, when `send` says so); after `max_attempts` claims it is dropped and counted.

A send gets at most half the lease, so a slow send is abandoned (failed) before another
replica can claim the same check-in: with the lease, that is what makes it exactly once
across replicas. The loop is bounded (one batch per tick; a full batch starts the next tick
at once, so a backlog after downtime drains without waiting), stoppable through an
`asyncio.Event`, and logs only hashed chat ids.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from bme_bot.checkins.base import Checkin, CheckinStore, Claim, StoreError, counter_name
from bme_bot.checkins.rules import Lateness, lateness
from bme_bot.logs import hash_chat, log_event

log = logging.getLogger(__name__)


class SendStatus(enum.Enum):
    SENT = "sent"
    BLOCKED = "blocked"
    FAILED = "failed"


@dataclass(frozen=True)
class SendResult:
    status: SendStatus
    retry_after: float | None = None
    """For FAILED: seconds until it may be tried again (None: when the lease ends)."""

    @classmethod
    def sent(cls) -> SendResult:
        return cls(SendStatus.SENT)

    @classmethod
    def blocked(cls) -> SendResult:
        return cls(SendStatus.BLOCKED)

    @classmethod
    def failed(cls, retry_after: float | None = None) -> SendResult:
        return cls(SendStatus.FAILED, retry_after)


@dataclass(frozen=True)
class Due:
    """What `send` gets: the check-in, its claim, and which message kind fits its lateness."""

    claim: Claim
    lateness: Lateness

    @property
    def checkin(self) -> Checkin:
        return self.claim.checkin


Send = Callable[[Due], Awaitable[SendResult]]


@dataclass
class Tick:
    """What one tick did (for logs and tests)."""

    claimed: int = 0
    sent: int = 0
    blocked: int = 0
    failed: int = 0
    dropped: int = 0
    overrun: int = 0
    """Sent, but the claim was no longer current (the lease ran out first)."""
    errors: list[str] = field(default_factory=list)


class Scheduler:
    def __init__(
        self,
        store: CheckinStore,
        send: Send,
        *,
        clock: Callable[[], float] = time.time,
        every_seconds: float = 30.0,
        lease_seconds: float = 300.0,
        batch: int = 50,
        max_attempts: int = 5,
        purge_every_seconds: float = 3600.0,
    ) -> None:
        if every_seconds <= 0 or lease_seconds <= 0 or batch < 1 or max_attempts < 1:
            raise ValueError("every_seconds and lease_seconds above 0, batch and attempts >= 1")
        self.store = store
        self.send = send
        self.clock = clock
        self.every = every_seconds
        self.lease = lease_seconds
        self.batch = batch
        self.max_attempts = max_attempts
        self.purge_every = purge_every_seconds
        self._last_purge = float("-inf")

    async def tick(self) -> Tick:
        """Claim one batch and settle it. StoreError is logged and reported, not raised."""
        result = Tick()
        now = self.clock()
        try:
            claims = await self.store.claim_due(now, self.lease, self.batch)
        except StoreError as exc:
            result.errors.append(str(exc))
            log_event(log, "checkin_claim_failed", logging.WARNING, error=type(exc).__name__)
            return result
        result.claimed = len(claims)
        for claim in claims:
            try:
                await self._settle(claim, now, result)
            except StoreError as exc:  # the lease runs out and it is claimed again
                result.errors.append(str(exc))
                log_event(
                    log,
                    "checkin_settle_failed",
                    logging.WARNING,
                    chat=hash_chat(claim.checkin.chat),
                    error=type(exc).__name__,
                )
        return result

    async def _settle(self, claim: Claim, now: float, result: Tick) -> None:
        chat = hash_chat(claim.checkin.chat)
        if claim.attempt > self.max_attempts:
            if await self.store.mark_sent(claim, {counter_name("dropped"): 1}):
                result.dropped += 1
                log_event(
                    log, "checkin_dropped", logging.WARNING, chat=chat, attempts=claim.attempt
                )
            return
        due = Due(claim, lateness(claim.checkin.due_at, now))
        try:
            answer = await asyncio.wait_for(self.send(due), timeout=self.lease / 2)
        except Exception as exc:  # any failure of the adapter (or a timeout) is a failed send
            log_event(
                log, "checkin_send_raised", logging.WARNING, chat=chat, error=type(exc).__name__
            )
            answer = SendResult.failed()
        if answer.status is SendStatus.SENT:
            counters = {counter_name("sent"): 1}
            if due.lateness is Lateness.LATE:
                counters[counter_name("sent_late")] = 1
            elif due.lateness is Lateness.MISSED:
                counters[counter_name("sent_missed")] = 1
            if await self.store.mark_sent(claim, counters):
                result.sent += 1
                log_event(log, "checkin_sent", chat=chat, lateness=due.lateness.value)
            else:
                result.overrun += 1
                log_event(log, "checkin_lease_overrun", logging.WARNING, chat=chat)
        elif answer.status is SendStatus.BLOCKED:
            cancelled = await self.store.cancel_all(claim.checkin.chat)
            await self.store.add_counters({counter_name("blocked"): 1})
            result.blocked += 1
            log_event(log, "checkin_blocked", chat=chat, cancelled=cancelled)
        else:
            if answer.retry_after is not None:
                await self.store.release(claim, now + max(0.0, answer.retry_after))
            await self.store.add_counters({counter_name("failed"): 1})
            result.failed += 1
            log_event(log, "checkin_send_failed", logging.WARNING, chat=chat, attempt=claim.attempt)

    async def _purge(self) -> None:
        now = self.clock()
        if now - self._last_purge < self.purge_every:
            return
        self._last_purge = now
        try:
            purged = await self.store.purge(now)
        except StoreError as exc:
            log_event(log, "checkin_purge_failed", logging.WARNING, error=type(exc).__name__)
            return
        if purged:
            log_event(log, "checkin_purged", count=purged)

    async def run(self, stop: asyncio.Event) -> None:
        """Tick until `stop` is set; a full batch starts the next tick at once."""
        log_event(log, "checkin_scheduler_started", every=self.every, lease=self.lease)
        while not stop.is_set():
            await self._purge()
            tick = await self.tick()
            if tick.claimed >= self.batch and not tick.errors:
                await asyncio.sleep(0)  # a backlog: go on, but let other tasks run
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=self.every)
        log_event(log, "checkin_scheduler_stopped")
