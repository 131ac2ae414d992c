"""The schedule in Redis, for several replicas: a sorted set by the time each check-in may be
claimed, and every change one Lua script (atomic on the server).

Keys (under the sessions' prefix, `bme` by default):

    {prefix}:checkins:ready        sorted set: check-in id -> when it may be claimed (its due
                                   time, or the end of its current lease)
    {prefix}:checkin:{id}          hash: chat, due, flow, original, token, attempts; expires
                                   the store's TTL after its due time
    {prefix}:checkins:chat:{chat}  set of the chat's check-in ids (for /checkins and /stop)
    {prefix}:checkins:seq          the last id given (no chat id)
    {prefix}:checkins:counters     hash of anonymous counters (no chat id, no TTL)

A claim moves each ready id's score to the end of its lease and writes a fresh token into
its hash, in one script: two replicas calling it at once get disjoint check-ins. `mark_sent`
deletes the check-in only if the token is still the one it was given; a claimer that died
leaves the score at its lease's end, so the next claim after that hands it out again.
Scripts touch keys they compute from the prefix, so this needs one Redis (or a primary),
not Redis Cluster. Times are the callers' clocks: replicas must agree within seconds (NTP).
"""

from __future__ import annotations

import builtins
import time
import uuid
from collections.abc import Awaitable, Mapping
from typing import Any, TypeVar

from redis.asyncio import Redis
from redis.exceptions import RedisError

from bme_bot.checkins.base import Checkin, Claim, StoreError, validate

T = TypeVar("T")

PLAN_SCRIPT = """
-- KEYS: seq, ready, chat set; ARGV: prefix, chat, due, flow, original, ttl_ms
local id = redis.call('INCR', KEYS[1])
local key = ARGV[1] .. ':checkin:' .. id
redis.call('HSET', key, 'chat', ARGV[2], 'due', ARGV[3], 'flow', ARGV[4],
           'original', ARGV[5], 'token', '', 'attempts', 0)
redis.call('PEXPIRE', key, ARGV[6])
redis.call('ZADD', KEYS[2], ARGV[3], id)
redis.call('SADD', KEYS[3], id)
if redis.call('PTTL', KEYS[3]) < tonumber(ARGV[6]) then
    redis.call('PEXPIRE', KEYS[3], ARGV[6])
end
return id
"""

CLAIM_SCRIPT = """
-- KEYS: ready; ARGV: prefix, now, lease_until, limit, token base
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[2], 'LIMIT', 0, ARGV[4])
local out = {}
for i, id in ipairs(ids) do
    local key = ARGV[1] .. ':checkin:' .. id
    if redis.call('EXISTS', key) == 0 then
        redis.call('ZREM', KEYS[1], id)
    else
        local token = ARGV[5] .. ':' .. i
        local attempts = redis.call('HINCRBY', key, 'attempts', 1)
        redis.call('HSET', key, 'token', token)
        redis.call('ZADD', KEYS[1], ARGV[3], id)
        local f = redis.call('HMGET', key, 'chat', 'due', 'flow', 'original')
        table.insert(out, {id, f[1], f[2], f[3], f[4], token, attempts})
    end
end
return out
"""

SENT_SCRIPT = """
-- KEYS: ready, check-in, chat set, counters; ARGV: id, token, name, n, name, n...
if redis.call('HGET', KEYS[2], 'token') ~= ARGV[2] then
    return 0
end
redis.call('DEL', KEYS[2])
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('SREM', KEYS[3], ARGV[1])
for i = 3, #ARGV, 2 do
    redis.call('HINCRBY', KEYS[4], ARGV[i], ARGV[i + 1])
end
return 1
"""

RELEASE_SCRIPT = """
-- KEYS: ready, check-in; ARGV: id, token, retry_at
if redis.call('HGET', KEYS[2], 'token') ~= ARGV[2] then
    return 0
end
redis.call('HSET', KEYS[2], 'token', '')
redis.call('ZADD', KEYS[1], ARGV[3], ARGV[1])
return 1
"""

CANCEL_SCRIPT = """
-- KEYS: chat set, ready; ARGV: prefix
local ids = redis.call('SMEMBERS', KEYS[1])
local count = 0
for _, id in ipairs(ids) do
    count = count + redis.call('DEL', ARGV[1] .. ':checkin:' .. id)
    redis.call('ZREM', KEYS[2], id)
end
redis.call('DEL', KEYS[1])
return count
"""

PURGE_SCRIPT = """
-- KEYS: ready; ARGV: prefix, oldest due kept
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[2])
local count = 0
for _, id in ipairs(ids) do
    local key = ARGV[1] .. ':checkin:' .. id
    local f = redis.call('HMGET', key, 'chat', 'due')
    if not f[1] then
        redis.call('ZREM', KEYS[1], id)
    elseif tonumber(f[2]) < tonumber(ARGV[2]) then
        redis.call('DEL', key)
        redis.call('ZREM', KEYS[1], id)
        redis.call('SREM', ARGV[1] .. ':checkins:chat:' .. f[1], id)
        count = count + 1
    end
end
return count
"""


class RedisCheckinStore:
    def __init__(self, client: Redis, ttl_seconds: float = 30 * 86400, *, prefix: str = "bme"):
        self._redis = client
        self._ttl = ttl_seconds
        self.prefix = prefix
        self._plan = client.register_script(PLAN_SCRIPT)
        self._claim = client.register_script(CLAIM_SCRIPT)
        self._sent = client.register_script(SENT_SCRIPT)
        self._release = client.register_script(RELEASE_SCRIPT)
        self._cancel = client.register_script(CANCEL_SCRIPT)
        self._purge = client.register_script(PURGE_SCRIPT)
        kwargs = client.connection_pool.connection_kwargs
        self.where = f"{kwargs.get('host', '?')}:{kwargs.get('port', '?')}/{kwargs.get('db', 0)}"

    @classmethod
    def from_url(cls, url: str, ttl_seconds: float, *, prefix: str = "bme") -> RedisCheckinStore:
        client = Redis.from_url(
            url,
            decode_responses=True,
            socket_timeout=5.0,
            socket_connect_timeout=2.0,
            health_check_interval=15,
            client_name=f"bme-bot:{prefix}:checkins",
        )
        return cls(client, ttl_seconds, prefix=prefix)

    # --- keys ---------------------------------------------------------------------------

    @property
    def ready_key(self) -> str:
        return f"{self.prefix}:checkins:ready"

    def checkin_key(self, checkin_id: str) -> str:
        return f"{self.prefix}:checkin:{checkin_id}"

    def chat_key(self, chat: str) -> str:
        return f"{self.prefix}:checkins:chat:{chat}"

    @property
    def counters_key(self) -> str:
        return f"{self.prefix}:checkins:counters"

    async def _call(self, what: Awaitable[T]) -> T:
        try:
            return await what
        except RedisError as exc:
            raise StoreError(
                f"the check-in schedule in Redis at {self.where} failed: {exc}"
            ) from exc

    # --- the contract -------------------------------------------------------------------

    async def plan(self, chat: str, due_at: float, flow: str, original: str) -> Checkin:
        validate(chat, due_at, flow, original)
        # Kept the TTL after its due time (measured on this machine's clock).
        ttl_ms = max(1, int((max(0.0, due_at - time.time()) + self._ttl) * 1000))
        keys = [f"{self.prefix}:checkins:seq", self.ready_key, self.chat_key(chat)]
        args: builtins.list[str | int] = [self.prefix, chat, repr(float(due_at)), flow, original]
        args.append(ttl_ms)
        checkin_id = await self._call(self._plan(keys=keys, args=args))
        return Checkin(str(checkin_id), chat, float(due_at), flow, original)

    async def cancel_all(self, chat: str) -> int:
        keys = [self.chat_key(chat), self.ready_key]
        return int(await self._call(self._cancel(keys=keys, args=[self.prefix])))

    async def list(self, chat: str) -> builtins.list[Checkin]:
        ids = await self._call(self._redis.smembers(self.chat_key(chat)))
        found: builtins.list[Checkin] = []
        for checkin_id in ids:
            key = self.checkin_key(str(checkin_id))
            fields = await self._call(self._redis.hmget(key, ["chat", "due", "flow", "original"]))
            if fields[0] is not None:
                found.append(_checkin([checkin_id, *fields]))
        return sorted(found, key=lambda c: (c.due_at, int(c.id)))

    async def claim_due(self, now: float, lease_seconds: float, limit: int) -> builtins.list[Claim]:
        lease_until = now + lease_seconds
        args: builtins.list[str | int] = [self.prefix, repr(now), repr(lease_until)]
        args += [max(0, limit), uuid.uuid4().hex]
        rows: builtins.list[Any] = await self._call(self._claim(keys=[self.ready_key], args=args))
        return [Claim(_checkin(row[:5]), str(row[5]), lease_until, int(row[6])) for row in rows]

    async def mark_sent(self, claim: Claim, counters: Mapping[str, int] | None = None) -> bool:
        checkin = claim.checkin
        keys = [
            self.ready_key,
            self.checkin_key(checkin.id),
            self.chat_key(checkin.chat),
            self.counters_key,
        ]
        args: builtins.list[str | int] = [checkin.id, claim.token]
        for name, value in sorted((counters or {}).items()):
            args += [name, int(value)]
        return bool(await self._call(self._sent(keys=keys, args=args)))

    async def release(self, claim: Claim, retry_at: float) -> bool:
        keys = [self.ready_key, self.checkin_key(claim.checkin.id)]
        args = [claim.checkin.id, claim.token, repr(float(retry_at))]
        return bool(await self._call(self._release(keys=keys, args=args)))

    async def purge(self, now: float) -> int:
        args = [self.prefix, repr(now - self._ttl)]
        return int(await self._call(self._purge(keys=[self.ready_key], args=args)))

    async def add_counters(self, counters: Mapping[str, int]) -> None:
        if not counters:
            return
        async with self._redis.pipeline(transaction=True) as pipe:
            for name, value in counters.items():
                pipe.hincrby(self.counters_key, name, int(value))
            await self._call(pipe.execute())

    async def counters(self) -> dict[str, int]:
        raw = await self._call(self._redis.hgetall(self.counters_key))
        return {str(k): int(v) for k, v in raw.items()}

    async def ping(self) -> None:
        await self._call(self._redis.ping())

    async def close(self) -> None:
        await self._redis.aclose()


def _checkin(row: builtins.list[Any]) -> Checkin:
    checkin_id, chat, due, flow, original = row[:5]
    return Checkin(str(checkin_id), str(chat), float(due), str(flow), str(original))
