"""2. Memory per stored session: memory store, SQLite, Redis; process RSS with many sessions.

Every session stored is a finished 16-question conversation (the largest kind: 16 facts, 16
questions of history, the outcome), each under its own chat key. The memory store is measured
with tracemalloc (bytes allocated per session, keys and bookkeeping included); SQLite by the
database file's size (pages in use, after a checkpoint) per session; Redis by `MEMORY USAGE`
of a session key and by the server's `used_memory` growth per session, in a dedicated
database (14) under the key prefix `bmebench`, deleted afterwards. RSS is measured in a fresh
subprocess per count so that earlier runs leave nothing behind.

Handled update ids are remembered 48 h beside the sessions (to drop Telegram's re-deliveries);
their cost is reported per update, separately.
"""

from __future__ import annotations

import asyncio
import gc
import json
import subprocess
import sys
import tempfile
import tracemalloc
from pathlib import Path
from typing import Any

from bench.common import Row, long_conversation, median, rss_bytes, shipped_engine

REDIS_URL = "redis://127.0.0.1:6379/14"
REDIS_PREFIX = "bmebench"


def finished_session(engine: Any) -> dict[str, Any]:
    session, event = long_conversation(engine)[-1]
    done, _ = engine.step(session, event)
    return done.to_dict()


async def _fill(store: Any, data: dict[str, Any], count: int, start: int = 0) -> None:
    for n in range(start, start + count):
        await store.save(f"tg:{100_000_000 + n}", data, expected_version=0)


def memory_store_bytes(data: dict[str, Any], count: int) -> tuple[float, float]:
    """(bytes per session, bytes per remembered update id) in the memory store."""
    from bme_bot.storage.memory import MemoryStore

    async def seen(store: Any, n: int) -> None:
        for update in range(n):
            store._seen[10**9 + update] = 1.0  # what save(update_id=...) records

    store = MemoryStore()
    asyncio.run(_fill(store, data, 10))  # warm up the dict growth and the event loop
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    asyncio.run(_fill(store, data, count, start=10))
    gc.collect()
    per_session = (tracemalloc.get_traced_memory()[0] - before) / count
    before = tracemalloc.get_traced_memory()[0]
    asyncio.run(seen(store, count))
    per_update = (tracemalloc.get_traced_memory()[0] - before) / count
    tracemalloc.stop()
    return per_session, per_update


def sqlite_bytes(data: dict[str, Any], count: int) -> tuple[float, float]:
    """(file bytes per session, file bytes per remembered update id)."""
    from bme_bot.storage.sqlite import SqliteStore

    with tempfile.TemporaryDirectory(prefix="bme-bench-") as tmp:
        path = Path(tmp) / "bench.sqlite3"

        async def fill() -> tuple[int, int, int]:
            store = SqliteStore(path)

            def used(conn: Any) -> int:
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
                pages = conn.execute("PRAGMA page_count").fetchone()[0]
                free = conn.execute("PRAGMA freelist_count").fetchone()[0]
                size = conn.execute("PRAGMA page_size").fetchone()[0]
                return int((pages - free) * size)

            try:
                empty = await store._run(used)
                await _fill(store, data, count)
                with_sessions = await store._run(used)

                def mark(conn: Any) -> None:
                    conn.execute("BEGIN")
                    conn.executemany(
                        "INSERT INTO seen_updates (update_id, seen_at) VALUES (?, ?)",
                        ((10**9 + n, 1.7e9 + n) for n in range(count)),
                    )
                    conn.execute("COMMIT")

                await store._run(mark)
                with_seen = await store._run(used)
            finally:
                await store.close()
            return empty, with_sessions, with_seen

        empty, with_sessions, with_seen = asyncio.run(fill())
    return (with_sessions - empty) / count, (with_seen - with_sessions) / count


def redis_bytes(data: dict[str, Any], count: int) -> tuple[float, float, float] | None:
    """(MEMORY USAGE per session key, used_memory growth per session, per update id)."""
    from redis import Redis

    from bme_bot.storage.redis import RedisStore

    client = Redis.from_url(REDIS_URL, socket_timeout=5, socket_connect_timeout=2)
    try:
        client.ping()
    except Exception:
        return None

    def clean() -> None:
        for key in client.scan_iter(match=f"{REDIS_PREFIX}:*", count=1000):
            client.delete(key)

    try:
        clean()
        before = int(client.info("memory")["used_memory"])

        async def fill() -> None:
            store = RedisStore.from_url(REDIS_URL, 30 * 86400, prefix=REDIS_PREFIX)
            try:
                await _fill(store, data, count)
            finally:
                await store.close()

        asyncio.run(fill())
        after = int(client.info("memory")["used_memory"])
        keys = [
            f"{REDIS_PREFIX}:session:tg:{100_000_000 + n}" for n in range(0, count, count // 200)
        ]
        usage = median(float(client.memory_usage(k, samples=0) or 0) for k in keys)
        pipe = client.pipeline(transaction=False)
        for n in range(count):
            pipe.set(f"{REDIS_PREFIX}:seen:{10**9 + n}", "1", px=48 * 3600 * 1000)
        pipe.execute()
        seen = int(client.info("memory")["used_memory"])
        return usage, (after - before) / count, (seen - after) / count
    finally:
        clean()
        client.close()


def rss_child(count: int) -> None:
    """In a fresh process: RSS after building the engine, then after storing `count` sessions."""
    from bme_bot.storage.memory import MemoryStore

    engine = shipped_engine()
    data = finished_session(engine)
    store = MemoryStore()
    asyncio.run(_fill(store, data, 1))
    gc.collect()
    base = rss_bytes()
    asyncio.run(_fill(store, data, count, start=1))
    gc.collect()
    print(json.dumps({"base": base, "after": rss_bytes()}))


def rss_with(count: int) -> dict[str, int]:
    out = subprocess.run(
        [sys.executable, "-m", "bench.memory", str(count)],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def run(quick: bool = False, runs: int = 3) -> list[Row]:
    engine = shipped_engine()
    data = finished_session(engine)
    size = len(json.dumps(data, separators=(",", ":"), sort_keys=True))
    count = 5_000 if quick else 20_000
    rows: list[Row] = []

    mem = [memory_store_bytes(data, count) for _ in range(runs)]
    per_session = [m[0] for m in mem]
    rows.append(
        Row.from_runs(
            "memory",
            "memory store, bytes per session",
            per_session,
            "B",
            f"target <= 2 KB; finished session, its JSON is {size} B",
        )
    )
    rows.append(
        Row.from_runs(
            "memory",
            "memory store, bytes per handled update id",
            [m[1] for m in mem],
            "B",
            "kept 48 h; about 17 per conversation",
        )
    )

    sql_count = 2_000 if quick else 10_000
    sql = [sqlite_bytes(data, sql_count) for _ in range(runs)]
    rows.append(
        Row.from_runs(
            "memory",
            "SQLite, file bytes per session",
            [s[0] for s in sql],
            "B",
            "pages in use, WAL checkpointed",
        )
    )
    rows.append(
        Row.from_runs(
            "memory", "SQLite, file bytes per handled update id", [s[1] for s in sql], "B", ""
        )
    )

    red = [redis_bytes(data, sql_count) for _ in range(runs)]
    if any(r is None for r in red):
        rows.append(
            Row("memory", "Redis, bytes per session", float("nan"), "B", "Redis not reachable")
        )
    else:
        got = [r for r in red if r is not None]
        rows.append(
            Row.from_runs(
                "memory", "Redis, MEMORY USAGE per session key", [r[0] for r in got], "B", ""
            )
        )
        rows.append(
            Row.from_runs(
                "memory",
                "Redis, used_memory growth per session",
                [r[1] for r in got],
                "B",
                "key, value, expiry bookkeeping",
            )
        )
        rows.append(
            Row.from_runs(
                "memory", "Redis, used_memory growth per update id", [r[2] for r in got], "B", ""
            )
        )

    counts = (10_000,) if quick else (10_000, 100_000)
    for n in counts:
        results = [rss_with(n) for _ in range(runs)]
        after = [r["after"] / 2**20 for r in results]
        base = [r["base"] / 2**20 for r in results]
        per = [(r["after"] - r["base"]) / n for r in results]
        rows.append(
            Row.from_runs(
                "memory",
                f"process RSS, {n:,} sessions (memory store)",
                after,
                "MiB",
                f"{median(base):.1f} MiB with none; {median(per):,.0f} B RSS per session",
            )
        )
    return rows


if __name__ == "__main__":
    rss_child(int(sys.argv[1]))
