"""The schedule in the sessions' SQLite file: table `checkins`, its own connection.

The table lives in the same file as the sessions (one file to back up, one TTL story), but
this store opens its own connection on its own worker thread, so a slow claim never waits
behind a session save in the same process, and the session store's code is untouched. Every
change is one `BEGIN IMMEDIATE` transaction: a claim selects what is ready and leases it in
the same transaction, so two processes on one file never claim the same check-in (the second
waits for the first's write lock, then sees the new lease).
"""

from __future__ import annotations

import asyncio
import builtins
import sqlite3
import time
import uuid
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

from bme_bot.checkins.base import Checkin, Claim, StoreError, validate
from bme_bot.storage.sqlite import enable_wal, transaction

T = TypeVar("T")

SCHEMA = """
CREATE TABLE IF NOT EXISTS checkins (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    chat TEXT NOT NULL,
    due_at REAL NOT NULL,
    flow TEXT NOT NULL,
    original TEXT NOT NULL,
    available_at REAL NOT NULL,
    token TEXT NOT NULL DEFAULT '',
    attempts INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS checkins_available_at ON checkins (available_at);
CREATE INDEX IF NOT EXISTS checkins_chat ON checkins (chat);
CREATE TABLE IF NOT EXISTS checkin_counters (
    name TEXT PRIMARY KEY,
    value INTEGER NOT NULL
) WITHOUT ROWID;
"""

SELECT_CHAT = (
    "SELECT id, chat, due_at, flow, original FROM checkins WHERE chat = ? ORDER BY due_at, id"
)
SELECT_READY = (
    "SELECT id, chat, due_at, flow, original, attempts FROM checkins WHERE available_at <= ? "
    "ORDER BY available_at, id LIMIT ?"
)


class SqliteCheckinStore:
    def __init__(
        self, path: str | Path, ttl_seconds: float = 30 * 86400, *, busy_timeout_ms: int = 5000
    ) -> None:
        self.path = Path(path)
        self._ttl = ttl_seconds
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite-checkins")
        self._closed = False
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._conn = self._executor.submit(self._connect, busy_timeout_ms).result()
        except (OSError, sqlite3.Error) as exc:
            self._executor.shutdown(wait=False)
            raise StoreError(f"cannot open the check-in schedule at {self.path}: {exc}") from exc

    def _connect(self, busy_timeout_ms: int) -> sqlite3.Connection:
        conn = sqlite3.connect(
            self.path, timeout=busy_timeout_ms / 1000, isolation_level=None, check_same_thread=False
        )
        conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        enable_wal(conn, time.monotonic() + busy_timeout_ms / 1000)
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA secure_delete = ON")  # a cancelled chat id is zeroed on disk
        with transaction(conn):
            for statement in SCHEMA.split(";"):
                if statement.strip():
                    conn.execute(statement)
        return conn

    async def _run(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        if self._closed:
            raise StoreError(f"the check-in schedule at {self.path} is closed")
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._executor, fn, self._conn)
        except sqlite3.Error as exc:
            raise StoreError(f"the check-in schedule at {self.path} failed: {exc}") from exc

    async def plan(self, chat: str, due_at: float, flow: str, original: str) -> Checkin:
        validate(chat, due_at, flow, original)

        def plan(conn: sqlite3.Connection) -> int:
            with transaction(conn):
                cursor = conn.execute(
                    "INSERT INTO checkins (chat, due_at, flow, original, available_at) "
                    "VALUES (?, ?, ?, ?, ?)",
                    (chat, float(due_at), flow, original, float(due_at)),
                )
                return int(cursor.lastrowid or 0)

        checkin_id = await self._run(plan)
        return Checkin(str(checkin_id), chat, float(due_at), flow, original)

    async def cancel_all(self, chat: str) -> int:
        def cancel(conn: sqlite3.Connection) -> int:
            with transaction(conn):
                count = conn.execute("DELETE FROM checkins WHERE chat = ?", (chat,)).rowcount
            if count:  # old page images of the chat id may sit in the WAL
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
            return int(count)

        return await self._run(cancel)

    async def list(self, chat: str) -> builtins.list[Checkin]:
        def select(conn: sqlite3.Connection) -> builtins.list[tuple[int, str, float, str, str]]:
            return conn.execute(SELECT_CHAT, (chat,)).fetchall()

        return [_checkin(row) for row in await self._run(select)]

    async def claim_due(self, now: float, lease_seconds: float, limit: int) -> builtins.list[Claim]:
        lease_until = now + lease_seconds

        def claim(conn: sqlite3.Connection) -> builtins.list[Claim]:
            claims: builtins.list[Claim] = []
            with transaction(conn):
                rows = conn.execute(SELECT_READY, (now, max(0, limit))).fetchall()
                for row in rows:
                    token = uuid.uuid4().hex
                    conn.execute(
                        "UPDATE checkins SET available_at = ?, token = ?, attempts = ? "
                        "WHERE id = ?",
                        (lease_until, token, int(row[5]) + 1, row[0]),
                    )
                    claims.append(Claim(_checkin(row[:5]), token, lease_until, int(row[5]) + 1))
            return claims

        return await self._run(claim)

    async def mark_sent(self, claim: Claim, counters: Mapping[str, int] | None = None) -> bool:
        counts = sorted((counters or {}).items())

        def mark(conn: sqlite3.Connection) -> bool:
            with transaction(conn):
                deleted = conn.execute(
                    "DELETE FROM checkins WHERE id = ? AND token = ?",
                    (int(claim.checkin.id), claim.token),
                ).rowcount
                if deleted:
                    _add(conn, counts)
            return bool(deleted)

        return await self._run(mark)

    async def release(self, claim: Claim, retry_at: float) -> bool:
        def release(conn: sqlite3.Connection) -> bool:
            with transaction(conn):
                changed = conn.execute(
                    "UPDATE checkins SET available_at = ?, token = '' WHERE id = ? AND token = ?",
                    (retry_at, int(claim.checkin.id), claim.token),
                ).rowcount
            return bool(changed)

        return await self._run(release)

    async def purge(self, now: float) -> int:
        def purge(conn: sqlite3.Connection) -> int:
            with transaction(conn):
                return int(
                    conn.execute(
                        "DELETE FROM checkins WHERE due_at < ?", (now - self._ttl,)
                    ).rowcount
                )

        return await self._run(purge)

    async def add_counters(self, counters: Mapping[str, int]) -> None:
        counts = sorted(counters.items())

        def add(conn: sqlite3.Connection) -> None:
            with transaction(conn):
                _add(conn, counts)

        await self._run(add)

    async def counters(self) -> dict[str, int]:
        def read(conn: sqlite3.Connection) -> dict[str, int]:
            rows = conn.execute("SELECT name, value FROM checkin_counters").fetchall()
            return {str(name): int(value) for name, value in rows}

        return await self._run(read)

    async def ping(self) -> None:
        await self._run(lambda conn: conn.execute("SELECT 1").fetchall())

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._executor, self._conn.close)
        self._executor.shutdown(wait=True)


def _checkin(row: tuple[object, ...]) -> Checkin:
    checkin_id, chat, due_at, flow, original = row[:5]
    return Checkin(str(checkin_id), str(chat), float(str(due_at)), str(flow), str(original))


def _add(conn: sqlite3.Connection, counts: builtins.list[tuple[str, int]]) -> None:
    for name, value in counts:
        conn.execute(
            "INSERT INTO checkin_counters (name, value) VALUES (?, ?) "
            "ON CONFLICT (name) DO UPDATE SET value = value + excluded.value",
            (name, int(value)),
        )
