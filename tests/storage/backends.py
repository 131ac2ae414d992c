"""Backends for the one contract test class: memory, SQLite (tmp_path) and a real Redis.

Redis is the shared server on 127.0.0.1:6379; every test gets its own key prefix and deletes
its keys afterwards. If Redis is not reachable the Redis cases fail under CI=true (the gate
must not silently lose them) and are skipped otherwise.
"""

from __future__ import annotations

import asyncio
import os
import socket
import sqlite3
import uuid
from pathlib import Path
from typing import Any

import pytest
from redis.asyncio import Redis

from bme_bot.storage.memory import MemoryStore
from bme_bot.storage.redis import RedisStore
from bme_bot.storage.sqlite import SqliteStore

REDIS_HOST = "127.0.0.1"
REDIS_PORT = 6379
REDIS_URL = f"redis://{REDIS_HOST}:{REDIS_PORT}/0"


def redis_reachable(port: int = REDIS_PORT) -> bool:
    try:
        with socket.create_connection((REDIS_HOST, port), timeout=0.5):
            return True
    except OSError:
        return False


def require_redis() -> None:
    if redis_reachable():
        return
    message = f"Redis is not reachable on {REDIS_HOST}:{REDIS_PORT}"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{message}: CI must run the Redis store tests (start redis-server)")
    pytest.skip(f"{message} (set CI=true to make this a failure)")


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


class Backend:
    """Builds stores of one kind and lets a test look at what they hold, byte for byte."""

    def __init__(self, kind: str, tmp_path: Path) -> None:
        self.kind = kind
        self.tmp_path = tmp_path
        self.clock = FakeClock()
        self.prefix = f"bmetest-{uuid.uuid4().hex[:12]}"
        self.db_path = tmp_path / "store" / "bot.sqlite3"
        self.stores: list[Any] = []
        self.raw: Redis | None = None

    @property
    def url(self) -> str:
        if self.kind == "sqlite":
            return f"sqlite:///{self.db_path}"
        if self.kind == "redis":
            return f"{REDIS_URL}?prefix={self.prefix}"
        return "memory://"

    def make(self, ttl_seconds: float = 3600, seen_seconds: float = 48 * 3600) -> Any:
        store: Any
        if self.kind == "memory":
            store = MemoryStore(ttl_seconds, self.clock, seen_seconds=seen_seconds)
        elif self.kind == "sqlite":
            store = SqliteStore(
                self.db_path, ttl_seconds, clock=self.clock, seen_seconds=seen_seconds
            )
        else:
            store = RedisStore.from_url(
                REDIS_URL, ttl_seconds, prefix=self.prefix, seen_seconds=seen_seconds
            )
        self.stores.append(store)
        return store

    async def advance(self, seconds: float) -> None:
        """Let time pass: the fake clock for memory and SQLite, real time for Redis TTLs."""
        if self.kind == "redis":
            await asyncio.sleep(seconds)
        else:
            self.clock.now += seconds

    async def raw_mentions(self, needle: str) -> list[str]:
        """Every place the raw store still holds `needle` (a chat id): rows, keys, bytes."""
        found: list[str] = []
        if self.kind == "memory":
            for store in self.stores:
                found += [c for c in store.chats() if needle in c]
        elif self.kind == "sqlite":
            with sqlite3.connect(self.db_path) as conn:
                for table, column in (("sessions", "chat"), ("counters", "name")):
                    rows = conn.execute(
                        f"SELECT {column} FROM {table} WHERE instr({column}, ?) > 0", (needle,)
                    ).fetchall()
                    found += [f"{table}: {r[0]}" for r in rows]
            conn.close()
            for path in self.db_path.parent.iterdir():
                if needle.encode() in path.read_bytes():
                    found.append(f"bytes of {path.name}")
        else:
            assert self.raw is not None
            async for key in self.raw.scan_iter(match=f"{self.prefix}:*"):
                if needle in key:
                    found.append(f"key {key}")
                kind = await self.raw.type(key)
                if kind == "hash":
                    fields = await self.raw.hgetall(key)
                    if any(needle in f or needle in v for f, v in fields.items()):
                        found.append(f"hash {key}")
                elif kind == "string" and needle in (await self.raw.get(key) or ""):
                    found.append(f"value {key}")
        return found

    async def clients_named(self, name: str) -> int:
        """How many connections the Redis server has open under this client name."""
        assert self.raw is not None
        return sum(1 for client in await self.raw.client_list() if client.get("name") == name)

    async def keys(self) -> list[str]:
        assert self.raw is not None
        return [k async for k in self.raw.scan_iter(match=f"{self.prefix}:*")]

    async def cleanup(self) -> None:
        for store in self.stores:
            await store.close()
        if self.raw is not None:
            keys = await self.keys()
            if keys:
                await self.raw.delete(*keys)
            await self.raw.aclose()
