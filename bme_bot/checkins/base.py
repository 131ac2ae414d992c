"""The check-in schedule's contract, shared by the memory, SQLite and Redis stores.

A check-in holds four values and nothing else about the person: the chat id, the due time
(seconds since the epoch, UTC), the flow to run and the original disposition. Each store adds
only its own bookkeeping: an id, when it may next be claimed, the current claim's token and
how many times it was claimed.

Claiming is what makes several replicas safe. `claim_due` atomically takes up to `limit`
check-ins whose time has come (due, or a claim whose lease ran out) and leases them for
`lease_seconds`: no other claimer gets them until the lease ends. The claimer sends, then
`mark_sent` deletes the check-in, but only if its claim is still the current one. A claimer
that dies before `mark_sent` leaves the lease to run out, and the next `claim_due` after
that hands the check-in out again (re-delivery). So each check-in is sent once as long as a
send takes less than the lease; a claimer that overruns its lease may send it a second time
(`mark_sent` then returns False and the caller logs it).

Counters (offered, accepted, sent, ...) are anonymous totals kept beside the schedule: names
only, never a chat id.
"""

from __future__ import annotations

import builtins
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from bme_bot.storage.base import StoreError

CHECKIN_DISPOSITIONS = ("soon", "routine", "self_care")
"""The dispositions a check-in may follow (the issue offers one only after these)."""

COUNTERS = (
    "offered",
    "accepted",
    "declined",
    "sent",
    "sent_late",
    "sent_missed",
    "blocked",
    "failed",
    "dropped",
    "answered",
    "better",
    "same",
    "worse",
    "new_sign",
    "escalated",
)
"""The anonymous check-in counters, in the order `bme-bot stats` prints them."""


def counter_name(name: str) -> str:
    """`checkin:NAME`: the stored counter's name; ValueError for a name not in COUNTERS."""
    if name not in COUNTERS:
        raise ValueError(f"unknown check-in counter {name!r}")
    return f"checkin:{name}"


@dataclass(frozen=True)
class Checkin:
    """One planned check-in: the four values stored, and the store's id for it."""

    id: str
    chat: str
    due_at: float
    flow: str
    original: str


@dataclass(frozen=True)
class Claim:
    """A check-in leased to one claimer until `lease_until`; `token` names this claim, and
    `attempt` counts the claims so far (1 on the first)."""

    checkin: Checkin
    token: str
    lease_until: float
    attempt: int


def validate(chat: str, due_at: float, flow: str, original: str) -> None:
    """Refuse what a store must never hold: ValueError naming the field."""
    if not chat or len(chat) > 64:
        raise ValueError("a check-in needs a chat id of 1 to 64 characters")
    if not due_at == due_at or due_at in (float("inf"), float("-inf")):  # NaN or infinite
        raise ValueError("a check-in's due time must be a finite number")
    if not flow or len(flow) > 40:
        raise ValueError("a check-in needs a flow id of 1 to 40 characters")
    if original not in CHECKIN_DISPOSITIONS:
        raise ValueError(f"original must be one of {', '.join(CHECKIN_DISPOSITIONS)}")


class CheckinStore(Protocol):
    """The durable schedule. Every method may raise StoreError (store unreachable)."""

    async def plan(self, chat: str, due_at: float, flow: str, original: str) -> Checkin:
        """Add a check-in (a chat may have several); returns it with its id."""
        ...

    async def cancel_all(self, chat: str) -> int:
        """Delete every check-in of the chat (/stop, /forget, a 403); how many there were."""
        ...

    async def list(self, chat: str) -> builtins.list[Checkin]:
        """The chat's check-ins, soonest first (/checkins)."""
        ...

    async def claim_due(self, now: float, lease_seconds: float, limit: int) -> builtins.list[Claim]:
        """Lease up to `limit` check-ins whose time has come (due at or before `now`, or
        whose earlier lease ended), earliest first; atomic across processes."""
        ...

    async def mark_sent(self, claim: Claim, counters: Mapping[str, int] | None = None) -> bool:
        """Delete the check-in if `claim` is still its current claim, and add `counters`, in
        one step; False (and nothing changed) if the lease ran out and it was claimed again
        or cancelled."""
        ...

    async def release(self, claim: Claim, retry_at: float) -> bool:
        """Give a claimed check-in back, to be claimed again from `retry_at`; False if the
        claim is no longer current."""
        ...

    async def purge(self, now: float) -> int:
        """Delete check-ins due more than the store's TTL before `now` (never sent, never
        cancelled: nobody should get them any more); how many."""
        ...

    async def add_counters(self, counters: Mapping[str, int]) -> None:
        """Add to the anonymous counters (names from `counter_name`)."""
        ...

    async def counters(self) -> dict[str, int]:
        """Every check-in counter by its stored name."""
        ...

    async def ping(self) -> None:
        """Raise StoreError if the store cannot be reached."""
        ...

    async def close(self) -> None: ...


__all__ = [
    "CHECKIN_DISPOSITIONS",
    "COUNTERS",
    "Checkin",
    "CheckinStore",
    "Claim",
    "StoreError",
    "counter_name",
    "validate",
]
