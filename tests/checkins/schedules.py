"""The check-in schedule on memory, SQLite (tmp_path) and the Redis on 127.0.0.1:6379.

Redis: every schedule gets its own key prefix (`bmetest-checkins-...`) and only keys under
it are deleted afterwards; nothing else on the server is touched.
"""

from __future__ import annotations

import os
import socket
import sqlite3
import uuid
from pathlib import Path
from typing import Any

import pytest
from redis.asyncio import Redis

from bme_bot.checkins.base import CheckinStore
from bme_bot.checkins.url import open_checkin_store

REDIS_HOST = "127.0.0.1"
REDIS_PORT = 6379
REDIS_URL = f"redis://{REDIS_HOST}:{REDIS_PORT}/0"


def require_redis() -> None:
    """Skip without Redis; fail under CI=true, where the gate must not lose these cases."""
    try:
        with socket.create_connection((REDIS_HOST, REDIS_PORT), timeout=0.5):
            return
    except OSError:
        pass
    message = f"Redis is not reachable on {REDIS_HOST}:{REDIS_PORT}"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{message}: CI must run the Redis schedule tests (start redis-server)")
    pytest.skip(f"{message} (set CI=true to make this a failure)")


class Schedules:
    """Builds schedules of one kind, all on one store (one file, one prefix)."""

    def __init__(self, kind: str, tmp_path: Path) -> None:
        self.kind = kind
        self.prefix = f"bmetest-checkins-{uuid.uuid4().hex[:12]}"
        self.db_path = tmp_path / "store" / "bot.sqlite3"
        self.made: list[CheckinStore] = []
        self.raw: Redis | None = None
        if kind == "redis":
            require_redis()
            self.raw = Redis.from_url(REDIS_URL, decode_responses=True)

    @property
    def url(self) -> str:
        if self.kind == "sqlite":
            return f"sqlite:///{self.db_path}"
        if self.kind == "redis":
            return f"{REDIS_URL}?prefix={self.prefix}"
        return "memory://"

    def make(self, ttl_seconds: float = 7 * 86400) -> CheckinStore:
        store = open_checkin_store(self.url, ttl_seconds)
        self.made.append(store)
        return store

    async def raw_mentions(self, needle: str) -> list[str]:
        """Every place the store's raw data still holds `needle` (a chat id)."""
        found: list[str] = []
        if self.kind == "sqlite":
            with sqlite3.connect(self.db_path) as conn:
                rows = conn.execute(
                    "SELECT id FROM checkins WHERE instr(chat, ?) > 0", (needle,)
                ).fetchall()
            conn.close()
            found += [f"row {r[0]}" for r in rows]
        elif self.kind == "redis":
            assert self.raw is not None
            async for key in self.raw.scan_iter(match=f"{self.prefix}:*"):
                if needle in key:
                    found.append(f"key {key}")
                if await self.raw.type(key) == "hash":
                    fields: dict[str, Any] = await self.raw.hgetall(key)
                    if any(needle in str(v) for v in fields.values()):
                        found.append(f"hash {key}")
        return found

    async def keys(self) -> list[str]:
        assert self.raw is not None
        return [k async for k in self.raw.scan_iter(match=f"{self.prefix}:*")]

    async def cleanup(self) -> None:
        for store in self.made:
            await store.close()
        if self.raw is not None:
            keys = await self.keys()
            if keys:
                await self.raw.delete(*keys)
            await self.raw.aclose()
