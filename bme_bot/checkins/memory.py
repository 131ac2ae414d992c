"""The in-process schedule, for tests and the console: the same contract, lost at exit."""

from __future__ import annotations

import builtins
import itertools
import uuid
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass

from bme_bot.checkins.base import Checkin, Claim, validate


@dataclass
class _Row:
    checkin: Checkin
    available_at: float
    token: str = ""
    attempts: int = 0


class MemoryCheckinStore:
    def __init__(self, ttl_seconds: float = 30 * 86400) -> None:
        self._ttl = ttl_seconds
        self._rows: dict[str, _Row] = {}
        self._ids = itertools.count(1)
        self._counters: Counter[str] = Counter()

    async def plan(self, chat: str, due_at: float, flow: str, original: str) -> Checkin:
        validate(chat, due_at, flow, original)
        checkin = Checkin(str(next(self._ids)), chat, float(due_at), flow, original)
        self._rows[checkin.id] = _Row(checkin, checkin.due_at)
        return checkin

    async def cancel_all(self, chat: str) -> int:
        gone = [i for i, row in self._rows.items() if row.checkin.chat == chat]
        for checkin_id in gone:
            del self._rows[checkin_id]
        return len(gone)

    async def list(self, chat: str) -> builtins.list[Checkin]:
        found = [row.checkin for row in self._rows.values() if row.checkin.chat == chat]
        return sorted(found, key=lambda c: (c.due_at, int(c.id)))

    async def claim_due(self, now: float, lease_seconds: float, limit: int) -> builtins.list[Claim]:
        ready = sorted(
            (row for row in self._rows.values() if row.available_at <= now),
            key=lambda row: (row.available_at, int(row.checkin.id)),
        )[: max(0, limit)]
        claims = []
        for row in ready:
            row.token = uuid.uuid4().hex
            row.attempts += 1
            row.available_at = now + lease_seconds
            claims.append(Claim(row.checkin, row.token, row.available_at, row.attempts))
        return claims

    async def mark_sent(self, claim: Claim, counters: Mapping[str, int] | None = None) -> bool:
        row = self._rows.get(claim.checkin.id)
        if row is None or row.token != claim.token:
            return False
        del self._rows[claim.checkin.id]
        self._counters.update(dict(counters or {}))
        return True

    async def release(self, claim: Claim, retry_at: float) -> bool:
        row = self._rows.get(claim.checkin.id)
        if row is None or row.token != claim.token:
            return False
        row.token = ""
        row.available_at = retry_at
        return True

    async def purge(self, now: float) -> int:
        gone = [i for i, row in self._rows.items() if row.checkin.due_at < now - self._ttl]
        for checkin_id in gone:
            del self._rows[checkin_id]
        return len(gone)

    async def add_counters(self, counters: Mapping[str, int]) -> None:
        self._counters.update(dict(counters))

    async def counters(self) -> dict[str, int]:
        return {name: value for name, value in self._counters.items() if value}

    async def ping(self) -> None:
        return None

    async def close(self) -> None:
        return None
