"""The store interface every backend implements (memory, SQLite, Redis).

A store keeps, per chat key, the session as a JSON-able dict with a version number; remembers
which update ids were handled; offers a per-chat lock; erases a chat on request; and keeps
anonymous counters (never chat ids).

The per-chat lock only orders the work; correctness never rests on it alone. Every save carries
the version it read (`expected_version`) and the update id it handles, and the backend checks
both in the same transaction that writes: a stale writer gets `StaleWriteError`, a second
delivery of an update already saved gets `DuplicateUpdateError`. So even if a lock expires or
two processes share an SQLite file without a common lock, no step is lost or applied twice.

Versions never repeat for a chat, across an erasure too: erasing (a /forget or the purge of an
expired session) raises a store-wide floor, an epoch holding no chat id, and a new session
starts above it. So a writer that read version N before a /forget cannot match the version N
of the conversation that follows, and `delete` itself checks and erases in one transaction.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Hashable
from contextlib import AbstractAsyncContextManager, asynccontextmanager, suppress
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from bme_bot.errors import BmeBotError

K = TypeVar("K", bound=Hashable)

log = logging.getLogger(__name__)

SEEN_UPDATES_SECONDS = 48 * 3600
"""How long handled update ids are remembered (Telegram re-delivers for up to 24 h)."""


class StoreError(BmeBotError):
    """The store failed; the user gets 'temporarily unavailable', webhook answers 5xx."""

    kind = "store error"


class StaleWriteError(StoreError):
    """Another writer saved a newer version first; this step must not overwrite it."""


class DuplicateUpdateError(StaleWriteError):
    """The update id was already handled by another writer: drop this step, it happened."""


@dataclass(frozen=True)
class Stored:
    data: dict[str, Any]
    version: int

    @classmethod
    def decode(cls, text: str | bytes, version: int | str) -> Stored:
        """Read a session as a backend stored it; StoreError if it is not a JSON object."""
        try:
            data = json.loads(text)
            number = int(version)
        except ValueError as exc:
            raise StoreError(f"stored session is not readable: {exc}") from exc
        if not isinstance(data, dict):
            raise StoreError("stored session is not a JSON object")
        return cls(data, number)


class Store(Protocol):
    async def load(self, chat: str) -> Stored | None:
        """The chat's saved session, or None (also when it has expired)."""

    async def save(
        self,
        chat: str,
        data: dict[str, Any],
        *,
        expected_version: int,
        update_id: int | None = None,
        counters: dict[str, int] | None = None,
    ) -> int:
        """Save atomically with the update id marked seen and counters added.

        Raises DuplicateUpdateError if `update_id` was already marked seen, StaleWriteError
        if the stored version is not `expected_version` (0 = none), StoreError on a failure.
        Nothing is written when it raises. Returns the new version.
        """

    async def delete(self, chat: str, *, update_id: int | None = None) -> bool:
        """Erase everything stored about a chat and mark `update_id` seen, atomically.

        Returns whether this call erased a session (False: nothing was stored, perhaps because
        another process erased it first). Raises DuplicateUpdateError, erasing nothing, if
        `update_id` was already marked seen. Versions saved later stay above the erased one.
        """

    def lock(self, chat: str) -> AbstractAsyncContextManager[None]:
        """Hold while handling one update of a chat: updates of a chat run one at a time."""

    async def seen(self, update_id: int) -> bool:
        """Whether this update id was already handled (remembered at least 24 h)."""

    async def purge_expired(self) -> int:
        """Drop sessions past their time to live and old update ids; returns sessions dropped."""

    async def counters(self) -> dict[str, int]:
        """The anonymous counters."""

    async def ping(self) -> None:
        """Raise StoreError if the store cannot be reached."""

    async def close(self) -> None:
        """Release connections and files."""


class KeyedLocks(Generic[K]):
    """One asyncio lock per key, dropped when nobody holds or waits for it (no growth)."""

    def __init__(self) -> None:
        self._locks: dict[K, tuple[asyncio.Lock, int]] = {}

    @asynccontextmanager
    async def hold(self, key: K) -> AsyncIterator[None]:
        lock, users = self._locks.get(key, (None, 0))
        if lock is None:
            lock = asyncio.Lock()
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users <= 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)

    def __len__(self) -> int:
        return len(self._locks)


async def run_purger(store: Store, every_seconds: float, stop: asyncio.Event) -> None:
    """Purge expired sessions every `every_seconds` until `stop` is set; never raises StoreError.

    Start it as a task next to the bot: `asyncio.create_task(run_purger(store, 3600, stop))`.
    """
    while not stop.is_set():
        try:
            dropped = await store.purge_expired()
            if dropped:
                log.info("purged %d expired sessions", dropped)
        except StoreError as exc:
            log.warning("purge failed, will retry: %s", exc)
        with suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=every_seconds)
