"""An in-process store for tests and the console: the reference behaviour of the contract."""

from __future__ import annotations

import copy
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from bme_bot.storage.base import (
    SEEN_UPDATES_SECONDS,
    DuplicateUpdateError,
    KeyedLocks,
    StaleWriteError,
    Stored,
    StoreError,
)


class MemoryStore:
    def __init__(
        self,
        ttl_seconds: float = 30 * 86400,
        clock: Callable[[], float] = time.time,
        *,
        seen_seconds: float = SEEN_UPDATES_SECONDS,
    ):
        self._ttl = ttl_seconds
        self._seen_seconds = seen_seconds
        self._clock = clock
        self._sessions: dict[str, tuple[Stored, float]] = {}
        self._floor = 0
        """The highest version ever erased or expired: new sessions start above it."""
        self._seen: dict[int, float] = {}
        self._counters: Counter[str] = Counter()
        self._locks: KeyedLocks[str] = KeyedLocks()
        self._closed = False

    def _check_open(self) -> None:
        if self._closed:
            raise StoreError("the memory store is closed")

    def _live(self, chat: str) -> Stored | None:
        entry = self._sessions.get(chat)
        if entry is None:
            return None
        stored, saved_at = entry
        if self._clock() - saved_at > self._ttl:
            self._drop(chat)
            return None
        return stored

    def _drop(self, chat: str) -> bool:
        """Erase a chat's session, raising the floor to its version; whether one was there."""
        entry = self._sessions.pop(chat, None)
        if entry is None:
            return False
        self._floor = max(self._floor, entry[0].version)
        return True

    async def load(self, chat: str) -> Stored | None:
        self._check_open()
        stored = self._live(chat)
        return None if stored is None else Stored(copy.deepcopy(stored.data), stored.version)

    async def save(
        self,
        chat: str,
        data: dict[str, Any],
        *,
        expected_version: int,
        update_id: int | None = None,
        counters: dict[str, int] | None = None,
    ) -> int:
        self._check_open()
        if update_id is not None and await self.seen(update_id):
            raise DuplicateUpdateError(f"update {update_id} was already handled")
        current = self._live(chat)
        version = current.version if current else 0
        if version != expected_version:
            raise StaleWriteError(f"stored version {version}, expected {expected_version}")
        now = self._clock()
        new = version + 1 if current else self._floor + 1
        self._sessions[chat] = (Stored(copy.deepcopy(data), new), now)
        if update_id is not None:
            self._seen[update_id] = now
        self._counters.update(counters or {})
        return new

    async def delete(self, chat: str, *, update_id: int | None = None) -> bool:
        self._check_open()
        if update_id is not None and await self.seen(update_id):
            raise DuplicateUpdateError(f"update {update_id} was already handled")
        erased = self._drop(chat)
        if update_id is not None:
            self._seen[update_id] = self._clock()
        return erased

    @asynccontextmanager
    async def lock(self, chat: str) -> AsyncIterator[None]:
        async with self._locks.hold(chat):
            yield

    async def seen(self, update_id: int) -> bool:
        self._check_open()
        at = self._seen.get(update_id)
        return at is not None and self._clock() - at <= self._seen_seconds

    async def purge_expired(self) -> int:
        self._check_open()
        now = self._clock()
        old = [c for c, (_, t) in self._sessions.items() if now - t > self._ttl]
        for chat in old:
            self._drop(chat)
        for update_id in [u for u, t in self._seen.items() if now - t > self._seen_seconds]:
            del self._seen[update_id]
        return len(old)

    async def counters(self) -> dict[str, int]:
        self._check_open()
        return dict(self._counters)

    async def ping(self) -> None:
        """Always reachable while open; StoreError once closed, as the other stores."""
        self._check_open()

    async def close(self) -> None:
        """Keep the data (tests look at it) but refuse every later call, as the other stores."""
        self._closed = True

    def chats(self) -> list[str]:
        """The chats with a stored session (for tests: /forget must leave none)."""
        return list(self._sessions)
