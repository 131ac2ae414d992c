"""The embedded default store: one SQLite file, WAL, one transaction per step.

All SQL runs on one worker thread that owns the connection, so the event loop never blocks
on disk and the connection is never shared between threads. Each save is one
`BEGIN IMMEDIATE` transaction: check the update id is new, check the version, upsert the
session, mark the update id seen, add the counters, commit. Several processes may share the
file: `BEGIN IMMEDIATE` serialises their writers (waiting up to `busy_timeout`), and the
version check turns a lost race into `StaleWriteError`, which the service retries.

Erasure: `secure_delete` zeroes deleted content in the database pages, and after a /forget
the WAL is checkpointed and truncated so no old page image keeps the chat either. A /forget is
one `BEGIN IMMEDIATE` transaction too (refuse a seen update id, delete, raise the version
floor, mark the update id seen), so of two processes erasing one chat only one erases it.
The floor (table `store_meta`, no chat id) is the highest version ever erased or purged; a
session created afterwards starts above it, so versions never repeat for a chat.
"""

from __future__ import annotations

import asyncio
import json
import random
import sqlite3
import time
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any, TypeVar

from bme_bot.storage.base import (
    SEEN_UPDATES_SECONDS,
    DuplicateUpdateError,
    KeyedLocks,
    StaleWriteError,
    Stored,
    StoreError,
)

T = TypeVar("T")

SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
    chat TEXT PRIMARY KEY,
    data TEXT NOT NULL,
    version INTEGER NOT NULL,
    updated_at REAL NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS sessions_updated_at ON sessions (updated_at);
CREATE TABLE IF NOT EXISTS seen_updates (
    update_id INTEGER PRIMARY KEY,
    seen_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS seen_updates_seen_at ON seen_updates (seen_at);
CREATE TABLE IF NOT EXISTS counters (
    name TEXT PRIMARY KEY,
    value INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS store_meta (
    name TEXT PRIMARY KEY,
    value INTEGER NOT NULL
) WITHOUT ROWID;
"""

FLOOR = "version_floor"
"""`store_meta` row: the highest session version ever erased or purged (no chat id)."""


class SqliteStore:
    def __init__(
        self,
        path: str | Path,
        ttl_seconds: float = 30 * 86400,
        *,
        clock: Callable[[], float] = time.time,
        seen_seconds: float = SEEN_UPDATES_SECONDS,
        busy_timeout_ms: int = 5000,
    ) -> None:
        self.path = Path(path)
        self._ttl = ttl_seconds
        self._seen_seconds = seen_seconds
        self._clock = clock
        self._locks: KeyedLocks[str] = KeyedLocks()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite-store")
        self._closed = False
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._conn = self._executor.submit(self._connect, busy_timeout_ms).result()
        except (OSError, sqlite3.Error) as exc:
            self._executor.shutdown(wait=False)
            raise StoreError(f"cannot open the SQLite store at {self.path}: {exc}") from exc

    def _connect(self, busy_timeout_ms: int) -> sqlite3.Connection:
        conn = sqlite3.connect(
            self.path, timeout=busy_timeout_ms / 1000, isolation_level=None, check_same_thread=False
        )
        conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        enable_wal(conn, time.monotonic() + busy_timeout_ms / 1000)
        conn.execute("PRAGMA synchronous = NORMAL")  # durable across kill -9 in WAL mode
        conn.execute("PRAGMA secure_delete = ON")
        with transaction(conn):
            for statement in SCHEMA.split(";"):
                if statement.strip():
                    conn.execute(statement)
        return conn

    async def _run(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        if self._closed:
            raise StoreError(f"the SQLite store at {self.path} is closed")
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._executor, fn, self._conn)
        except sqlite3.Error as exc:
            raise StoreError(f"the SQLite store at {self.path} failed: {exc}") from exc

    # --- the contract -------------------------------------------------------------------

    async def load(self, chat: str) -> Stored | None:
        oldest = self._clock() - self._ttl

        def load(conn: sqlite3.Connection) -> tuple[str, int] | None:
            row = conn.execute(
                "SELECT data, version FROM sessions WHERE chat = ? AND updated_at >= ?",
                (chat, oldest),
            ).fetchone()
            return None if row is None else (str(row[0]), int(row[1]))

        row = await self._run(load)
        if row is None:
            return None
        return Stored.decode(row[0], row[1])

    async def save(
        self,
        chat: str,
        data: dict[str, Any],
        *,
        expected_version: int,
        update_id: int | None = None,
        counters: dict[str, int] | None = None,
    ) -> int:
        text = json.dumps(data, separators=(",", ":"), sort_keys=True)
        now = self._clock()
        counts = sorted((counters or {}).items())

        def save(conn: sqlite3.Connection) -> int:
            with transaction(conn):
                return self._write(conn, chat, text, expected_version, update_id, counts, now)

        return await self._run(save)

    async def delete(self, chat: str, *, update_id: int | None = None) -> bool:
        now = self._clock()

        def delete(conn: sqlite3.Connection) -> bool:
            with transaction(conn):
                if update_id is not None:
                    self._refuse_seen(conn, update_id, now)
                row = conn.execute(
                    "SELECT version FROM sessions WHERE chat = ?", (chat,)
                ).fetchone()
                if row is not None:
                    conn.execute("DELETE FROM sessions WHERE chat = ?", (chat,))
                    _raise_floor(conn, int(row[0]))
                if update_id is not None:
                    conn.execute(
                        "INSERT OR REPLACE INTO seen_updates (update_id, seen_at) VALUES (?, ?)",
                        (update_id, now),
                    )
            if row is not None:
                # Old page images of the chat may still sit in the WAL: copy back and
                # truncate. (A reader in another process can keep part of it alive a while.)
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
            return row is not None

        return await self._run(delete)

    @asynccontextmanager
    async def lock(self, chat: str) -> AsyncIterator[None]:
        async with self._locks.hold(chat):
            yield

    async def seen(self, update_id: int) -> bool:
        oldest = self._clock() - self._seen_seconds

        def seen(conn: sqlite3.Connection) -> bool:
            row = conn.execute(
                "SELECT 1 FROM seen_updates WHERE update_id = ? AND seen_at >= ?",
                (update_id, oldest),
            ).fetchone()
            return row is not None

        return await self._run(seen)

    async def purge_expired(self) -> int:
        now = self._clock()

        def purge(conn: sqlite3.Connection) -> int:
            with transaction(conn):
                oldest = now - self._ttl
                dropped, highest = conn.execute(
                    "SELECT count(*), max(version) FROM sessions WHERE updated_at < ?", (oldest,)
                ).fetchone()
                if dropped:
                    conn.execute("DELETE FROM sessions WHERE updated_at < ?", (oldest,))
                    _raise_floor(conn, int(highest))
                conn.execute(
                    "DELETE FROM seen_updates WHERE seen_at < ?", (now - self._seen_seconds,)
                )
            if dropped:
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
            return int(dropped)

        return await self._run(purge)

    async def counters(self) -> dict[str, int]:
        def counters(conn: sqlite3.Connection) -> dict[str, int]:
            rows = conn.execute("SELECT name, value FROM counters").fetchall()
            return {str(name): int(value) for name, value in rows}

        return await self._run(counters)

    async def ping(self) -> None:
        """Read a page of the file itself (a bare `SELECT 1` would not touch it)."""
        await self._run(lambda conn: conn.execute("SELECT 1 FROM counters LIMIT 1").fetchall())

    async def close(self) -> None:
        if self._closed:
            return
        try:
            await self._run(lambda conn: conn.close())
        finally:
            self._closed = True
            self._executor.shutdown(wait=True)

    def __repr__(self) -> str:
        return f"SqliteStore({str(self.path)!r})"

    def _write(
        self,
        conn: sqlite3.Connection,
        chat: str,
        text: str,
        expected_version: int,
        update_id: int | None,
        counts: list[tuple[str, int]],
        now: float,
    ) -> int:
        """The body of a save's transaction: refuse a seen update or a stale version, write."""
        if update_id is not None:
            self._refuse_seen(conn, update_id, now)
        row = conn.execute(
            "SELECT version, updated_at FROM sessions WHERE chat = ?", (chat,)
        ).fetchone()
        stored_version = int(row[0]) if row is not None else 0
        live_version = stored_version if row is not None and float(row[1]) >= now - self._ttl else 0
        if live_version != expected_version:
            raise StaleWriteError(f"stored version {live_version}, expected {expected_version}")
        # An expired row still counts upwards, and a new session starts above every version
        # erased or purged, so a writer that read an older session cannot match by accident.
        new = stored_version + 1 if row is not None else _floor(conn) + 1
        conn.execute(
            "INSERT INTO sessions (chat, data, version, updated_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (chat) DO UPDATE SET data = excluded.data, version = excluded.version, "
            "updated_at = excluded.updated_at",
            (chat, text, new, now),
        )
        if update_id is not None:
            conn.execute(
                "INSERT OR REPLACE INTO seen_updates (update_id, seen_at) VALUES (?, ?)",
                (update_id, now),
            )
        for name, value in counts:
            conn.execute(
                "INSERT INTO counters (name, value) VALUES (?, ?) "
                "ON CONFLICT (name) DO UPDATE SET value = value + excluded.value",
                (name, value),
            )
        return new

    def _refuse_seen(self, conn: sqlite3.Connection, update_id: int, now: float) -> None:
        """DuplicateUpdateError if the update id was handled within the last 48 h."""
        row = conn.execute(
            "SELECT 1 FROM seen_updates WHERE update_id = ? AND seen_at >= ?",
            (update_id, now - self._seen_seconds),
        ).fetchone()
        if row is not None:
            raise DuplicateUpdateError(f"update {update_id} was already handled")


def _floor(conn: sqlite3.Connection) -> int:
    row = conn.execute("SELECT value FROM store_meta WHERE name = ?", (FLOOR,)).fetchone()
    return 0 if row is None else int(row[0])


def _raise_floor(conn: sqlite3.Connection, version: int) -> None:
    """Inside a write transaction: the floor becomes `version` if that is higher."""
    conn.execute(
        "INSERT INTO store_meta (name, value) VALUES (?, ?) "
        "ON CONFLICT (name) DO UPDATE SET value = max(value, excluded.value)",
        (FLOOR, version),
    )


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[None]:
    """`BEGIN IMMEDIATE` ... `COMMIT`, or `ROLLBACK` if the body raises (then re-raise).

    IMMEDIATE takes the write lock at once, so another process's writer waits (busy_timeout)
    here instead of failing halfway through the body."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def enable_wal(conn: sqlite3.Connection, deadline: float) -> None:
    """Switch to WAL, retrying while another process does the same on a fresh file.

    Two processes that open a new file at once both hold a shared lock and both want the
    exclusive one; SQLite answers one of them "database is locked" at once instead of calling
    the busy handler (it would deadlock), so the wait is ours to do.
    """
    while True:
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(random.uniform(0.002, 0.02))  # noqa: S311 (jitter, not secrecy)
