"""The store for several replicas: Redis through redis.asyncio, with a TTL on every chat key.

Keys (all under one prefix, `bme` by default):

    {prefix}:session:{chat}   hash {d: session JSON, v: version}; expires after the session TTL
    {prefix}:seen:{update_id} "1"; expires after 48 h (no chat id in it)
    {prefix}:lock:{chat}      the per-chat lock across replicas; expires after `lock_seconds`
    {prefix}:counters         hash of anonymous counters (no chat ids, so no TTL)
    {prefix}:version-floor    the highest session version ever erased (no chat id); expires
                              after the session TTL, refreshed by every /forget

A save is one Lua script, atomic on the server: refuse a seen update id, refuse a stale
version, write the session with its TTL, mark the update id seen, add the counters. A new
session starts above the floor, so a writer that read a version before a /forget never
matches a later one. A /forget is one script too: refuse a seen update id, delete, raise the
floor, mark the update id seen, and say whether it erased something. The lock
is a redis-py `Lock` with a timeout (a crashed holder cannot block the chat for long) and a
bounded wait; inside one process an asyncio lock queues the chat's updates first, so only one
task per process polls Redis. Every Redis failure leaves the store as `StoreError`; the
connection pool reconnects by itself on the next call once Redis is back.
"""

from __future__ import annotations

import inspect
import json
import logging
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from redis.asyncio import Redis
from redis.exceptions import LockError, RedisError

from bme_bot.storage.base import (
    SEEN_UPDATES_SECONDS,
    DuplicateUpdateError,
    KeyedLocks,
    StaleWriteError,
    Stored,
    StoreError,
)

log = logging.getLogger(__name__)

T = TypeVar("T")

SAVE_SCRIPT = """
-- KEYS: session, counters, floor[, seen]
-- ARGV: expected, data, ttl_ms, seen_ms, name, n, name, n...
if KEYS[4] and redis.call('EXISTS', KEYS[4]) == 1 then
    return {'duplicate', 0}
end
local current = tonumber(redis.call('HGET', KEYS[1], 'v') or '0')
if current ~= tonumber(ARGV[1]) then
    return {'stale', current}
end
local new = current + 1
if current == 0 then
    new = tonumber(redis.call('GET', KEYS[3]) or '0') + 1
end
redis.call('HSET', KEYS[1], 'd', ARGV[2], 'v', new)
redis.call('PEXPIRE', KEYS[1], ARGV[3])
if KEYS[4] then
    redis.call('SET', KEYS[4], '1', 'PX', ARGV[4])
end
for i = 5, #ARGV, 2 do
    redis.call('HINCRBY', KEYS[2], ARGV[i], ARGV[i + 1])
end
return {'ok', new}
"""

DELETE_SCRIPT = """
-- KEYS: session, floor[, seen]; ARGV: ttl_ms, seen_ms. Returns 1 erased, 0 nothing, -1 seen.
if KEYS[3] and redis.call('EXISTS', KEYS[3]) == 1 then
    return -1
end
local version = tonumber(redis.call('HGET', KEYS[1], 'v') or '0')
local erased = redis.call('DEL', KEYS[1])
if erased == 1 then
    local floor = tonumber(redis.call('GET', KEYS[2]) or '0')
    redis.call('SET', KEYS[2], math.max(floor, version), 'PX', ARGV[1])
end
if KEYS[3] then
    redis.call('SET', KEYS[3], '1', 'PX', ARGV[2])
end
return erased
"""


class RedisStore:
    def __init__(
        self,
        client: Redis,
        ttl_seconds: float = 30 * 86400,
        *,
        prefix: str = "bme",
        seen_seconds: float = SEEN_UPDATES_SECONDS,
        lock_seconds: float = 30.0,
        lock_wait_seconds: float = 10.0,
    ) -> None:
        self._redis = client
        self._ttl_ms = max(1, int(ttl_seconds * 1000))
        self._seen_ms = max(1, int(seen_seconds * 1000))
        self.prefix = prefix
        self._lock_seconds = lock_seconds
        self._lock_wait = lock_wait_seconds
        self._locks: KeyedLocks[str] = KeyedLocks()
        self._save = client.register_script(SAVE_SCRIPT)
        self._delete = client.register_script(DELETE_SCRIPT)
        self._closed = False
        kwargs = client.connection_pool.connection_kwargs
        self.where = f"{kwargs.get('host', '?')}:{kwargs.get('port', '?')}/{kwargs.get('db', 0)}"
        """Where the store is (host:port/db, never the password), for error messages."""

    @classmethod
    def from_url(cls, url: str, ttl_seconds: float, **options: Any) -> RedisStore:
        """Build a store with short socket timeouts so an unreachable Redis fails fast.

        Its connections are named `bme-bot:PREFIX`, so `CLIENT LIST` shows whose they are."""
        client = Redis.from_url(
            url,
            decode_responses=True,
            socket_timeout=5.0,
            socket_connect_timeout=2.0,
            health_check_interval=15,
            client_name=f"bme-bot:{options.get('prefix', 'bme')}",
        )
        return cls(client, ttl_seconds, **options)

    # --- keys ---------------------------------------------------------------------------

    def session_key(self, chat: str) -> str:
        return f"{self.prefix}:session:{chat}"

    def seen_key(self, update_id: int) -> str:
        return f"{self.prefix}:seen:{update_id}"

    def lock_key(self, chat: str) -> str:
        return f"{self.prefix}:lock:{chat}"

    @property
    def counters_key(self) -> str:
        return f"{self.prefix}:counters"

    @property
    def floor_key(self) -> str:
        return f"{self.prefix}:version-floor"

    async def _call(self, what: str, awaitable: Awaitable[T]) -> T:
        if self._closed:
            if inspect.iscoroutine(awaitable):
                awaitable.close()  # never started: no "was never awaited" warning
            raise StoreError(f"the Redis store at {self.where} is closed ({what})")
        try:
            return await awaitable
        except (RedisError, OSError) as exc:
            raise StoreError(
                f"Redis at {self.where}: {what} failed: {type(exc).__name__}: {exc}"
            ) from exc

    # --- the contract -------------------------------------------------------------------

    async def load(self, chat: str) -> Stored | None:
        fields: dict[str, str] = await self._call(
            "load",
            self._redis.hgetall(self.session_key(chat)),  # type: ignore[arg-type]
        )
        if not fields or "d" not in fields:
            return None
        return Stored.decode(fields["d"], fields.get("v", "0"))

    async def save(
        self,
        chat: str,
        data: dict[str, Any],
        *,
        expected_version: int,
        update_id: int | None = None,
        counters: dict[str, int] | None = None,
    ) -> int:
        keys = [self.session_key(chat), self.counters_key, self.floor_key]
        if update_id is not None:
            keys.append(self.seen_key(update_id))
        args: list[str | int] = [
            expected_version,
            json.dumps(data, separators=(",", ":"), sort_keys=True),
            self._ttl_ms,
            self._seen_ms,
        ]
        for name, value in sorted((counters or {}).items()):
            args += [name, int(value)]
        result = await self._call("save", self._save(keys=keys, args=args))
        status, version = str(result[0]), int(result[1])
        if status == "duplicate":
            raise DuplicateUpdateError(f"update {update_id} was already handled")
        if status == "stale":
            raise StaleWriteError(f"stored version {version}, expected {expected_version}")
        return version

    async def delete(self, chat: str, *, update_id: int | None = None) -> bool:
        keys = [self.session_key(chat), self.floor_key]
        if update_id is not None:
            keys.append(self.seen_key(update_id))
        args = [self._ttl_ms, self._seen_ms]
        result = int(await self._call("delete", self._delete(keys=keys, args=args)))
        if result < 0:
            raise DuplicateUpdateError(f"update {update_id} was already handled")
        return result == 1

    @asynccontextmanager
    async def lock(self, chat: str) -> AsyncIterator[None]:
        async with self._locks.hold(chat):
            lock = self._redis.lock(
                self.lock_key(chat),
                timeout=self._lock_seconds,
                blocking_timeout=self._lock_wait,
                sleep=0.01,
            )
            acquired = await self._call("lock", lock.acquire())
            if not acquired:
                raise StoreError(f"chat busy: lock not acquired within {self._lock_wait} s")
            try:
                yield
            finally:
                try:
                    await lock.release()
                except LockError:
                    # Held longer than lock_seconds; the version check kept the data safe.
                    log.warning("chat lock had expired before release")
                except (RedisError, OSError) as exc:
                    log.warning("chat lock not released (it expires by itself): %s", exc)

    async def seen(self, update_id: int) -> bool:
        count = await self._call("seen", self._redis.exists(self.seen_key(update_id)))
        return bool(count)

    async def purge_expired(self) -> int:
        """Redis expires keys by their TTL: nothing to do."""
        return 0

    async def counters(self) -> dict[str, int]:
        raw: dict[str, str] = await self._call(
            "counters",
            self._redis.hgetall(self.counters_key),  # type: ignore[arg-type]
        )
        return {name: int(value) for name, value in raw.items()}

    async def ping(self) -> None:
        await self._call("ping", self._redis.ping())

    async def close(self) -> None:
        """Release the connections; every later call raises StoreError (closed)."""
        self._closed = True
        try:
            await self._redis.aclose()
        except (RedisError, OSError) as exc:
            log.warning("closing Redis failed: %s", exc)

    def __repr__(self) -> str:
        return f"RedisStore(prefix={self.prefix!r})"
