"""One contract, three backends: memory, SQLite and a real Redis (see conftest.py)."""

from __future__ import annotations

import asyncio
import socket
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from redis.asyncio import Redis

from bme_bot.core.engine import Engine
from bme_bot.core.events import Start
from bme_bot.service import Service
from bme_bot.storage.base import DuplicateUpdateError, StaleWriteError, StoreError, run_purger
from bme_bot.storage.redis import RedisStore

from .backends import REDIS_URL, Backend, require_redis

SESSION = {"flow": "f", "v": "1", "state": "q1", "facts": {"a": "b"}, "history": [], "turn": 1}


class TestStoreContract:
    async def test_load_nothing_then_save_and_load(self, backend: Backend) -> None:
        store = backend.make()
        assert await store.load("c1") is None
        assert await store.save("c1", SESSION, expected_version=0) == 1
        loaded = await store.load("c1")
        assert loaded is not None
        assert loaded.data == SESSION
        assert loaded.version == 1
        assert await store.save("c1", {**SESSION, "turn": 2}, expected_version=1) == 2
        loaded = await store.load("c1")
        assert loaded is not None and loaded.data["turn"] == 2 and loaded.version == 2
        assert await store.load("other") is None

    async def test_loaded_data_is_a_copy(self, backend: Backend) -> None:
        store = backend.make()
        await store.save("c1", SESSION, expected_version=0)
        loaded = await store.load("c1")
        assert loaded is not None
        loaded.data["facts"]["a"] = "changed"
        again = await store.load("c1")
        assert again is not None and again.data["facts"] == {"a": "b"}

    async def test_stale_version_is_refused_and_writes_nothing(self, backend: Backend) -> None:
        store = backend.make()
        await store.save("c1", SESSION, expected_version=0)
        await store.save("c1", {**SESSION, "turn": 2}, expected_version=1)
        for stale in (0, 1, 5):
            with pytest.raises(StaleWriteError):
                await store.save(
                    "c1",
                    {**SESSION, "turn": 99},
                    expected_version=stale,
                    update_id=stale + 100,
                    counters={"x": 1},
                )
        loaded = await store.load("c1")
        assert loaded is not None and loaded.data["turn"] == 2 and loaded.version == 2
        assert not await store.seen(100)
        assert "x" not in await store.counters()

    async def test_update_id_is_marked_with_the_save_and_refused_twice(
        self, backend: Backend
    ) -> None:
        store = backend.make()
        assert not await store.seen(7)
        await store.save("c1", SESSION, expected_version=0, update_id=7, counters={"n": 1})
        assert await store.seen(7)
        with pytest.raises(DuplicateUpdateError):
            await store.save("c1", SESSION, expected_version=1, update_id=7, counters={"n": 1})
        loaded = await store.load("c1")
        assert loaded is not None and loaded.version == 1
        assert (await store.counters())["n"] == 1
        # Update ids need not rise: an older id that was never seen is new.
        await store.save("c1", SESSION, expected_version=1, update_id=3)
        assert await store.seen(3)

    async def test_delete_erases_the_chat(self, backend: Backend) -> None:
        store = backend.make()
        chat = "chat-erase-4f1c9a"
        await store.save(chat, SESSION, expected_version=0, update_id=1, counters={"n": 1})
        await store.save("keep-me", SESSION, expected_version=0)
        await store.delete(chat, update_id=2)
        assert await store.load(chat) is None
        assert await store.seen(2)
        assert await backend.raw_mentions(chat) == []
        assert await store.load("keep-me") is not None
        await store.delete("never-stored")  # erasing nothing is fine
        # A new conversation after the erasure starts from nothing.
        await store.save(chat, SESSION, expected_version=0)

    async def test_delete_reports_whether_it_erased(self, backend: Backend) -> None:
        """/forget confirms "erased" only when this very call erased something: the check and
        the delete are one step in the store, so two processes cannot both confirm."""
        store = backend.make()
        await store.save("c1", SESSION, expected_version=0)
        assert await store.delete("c1", update_id=5) is True
        assert await store.delete("c1", update_id=6) is False
        assert await store.delete("never-stored") is False
        assert await store.seen(5) and await store.seen(6)
        # The same update delivered again is refused before it erases anything.
        await store.save("c1", SESSION, expected_version=0)
        with pytest.raises(DuplicateUpdateError):
            await store.delete("c1", update_id=5)
        assert await store.load("c1") is not None

    async def test_a_stale_save_after_delete_is_refused(self, backend: Backend) -> None:
        """A writer that read version N before a /forget must not save over whatever comes
        after it, even once a new conversation has reached its own N-th step."""
        store = backend.make()
        await store.save("c1", SESSION, expected_version=0)
        read = await store.save("c1", {**SESSION, "turn": 2}, expected_version=1)
        assert await store.delete("c1") is True
        with pytest.raises(StaleWriteError):
            await store.save("c1", {**SESSION, "turn": 99}, expected_version=read)
        version = await store.save("c1", {**SESSION, "turn": 1}, expected_version=0)
        for step in range(2, 5):
            assert version > read  # versions of the new conversation never repeat old ones
            for stale in range(1, read + 1):
                with pytest.raises(StaleWriteError):
                    await store.save("c1", {**SESSION, "turn": 99}, expected_version=stale)
            version = await store.save("c1", {**SESSION, "turn": step}, expected_version=version)
        loaded = await store.load("c1")
        assert loaded is not None and loaded.data["turn"] == 4 and loaded.version == version
        # Other chats keep counting from where they are.
        assert await store.save("c2", SESSION, expected_version=0) >= 1

    async def test_sessions_expire_after_the_ttl(self, backend: Backend) -> None:
        store = backend.make(ttl_seconds=0.4)
        await store.save("old-chat-5e8a", SESSION, expected_version=0)
        await backend.advance(0.2)
        assert await store.load("old-chat-5e8a") is not None
        await backend.advance(0.5)
        assert await store.load("old-chat-5e8a") is None
        await store.purge_expired()
        assert await backend.raw_mentions("old-chat-5e8a") == []
        # An expired chat starts again as new.
        assert await store.save("old-chat-5e8a", SESSION, expected_version=0) >= 1

    # Not Redis: it drops an expired key by itself, with nothing to go by (docs/STORES.md).
    @pytest.mark.parametrize("backend", ["memory", "sqlite"], indirect=True)
    async def test_versions_after_an_expired_session_is_purged_stay_above(
        self, backend: Backend
    ) -> None:
        """The purge erases too: a session started after it never reuses a purged version."""
        store = backend.make(ttl_seconds=10)
        await store.save("c1", SESSION, expected_version=0)
        read = await store.save("c1", SESSION, expected_version=1)
        await backend.advance(20)
        assert await store.purge_expired() == 1
        assert await store.load("c1") is None
        version = await store.save("c1", SESSION, expected_version=0)
        assert version > read
        with pytest.raises(StaleWriteError):
            await store.save("c1", SESSION, expected_version=read)

    async def test_seen_update_ids_expire(self, backend: Backend) -> None:
        store = backend.make(seen_seconds=0.4)
        await store.save("c1", SESSION, expected_version=0, update_id=11)
        assert await store.seen(11)
        await backend.advance(0.7)
        assert not await store.seen(11)
        await store.purge_expired()

    async def test_counters_add_up_and_hold_no_chat(self, backend: Backend) -> None:
        store = backend.make()
        await store.save("c1", SESSION, expected_version=0, counters={"a": 1, "b": 2})
        await store.save("c2", SESSION, expected_version=0, counters={"a": 1})
        assert await store.counters() == {"a": 2, "b": 2}

    async def test_lock_runs_one_holder_at_a_time_per_chat(self, backend: Backend) -> None:
        store = backend.make()
        inside: list[str] = []
        peak = {"c1": 0, "c2": 0}
        active = {"c1": 0, "c2": 0}

        async def hold(chat: str, n: int) -> None:
            async with store.lock(chat):
                active[chat] += 1
                peak[chat] = max(peak[chat], active[chat])
                inside.append(f"{chat}:{n}")
                await asyncio.sleep(0.002)
                active[chat] -= 1

        await asyncio.gather(*(hold(c, n) for n in range(10) for c in ("c1", "c2")))
        assert peak == {"c1": 1, "c2": 1}
        assert [x for x in inside if x.startswith("c1")] == [f"c1:{n}" for n in range(10)]

    async def test_ping_and_close(self, backend: Backend) -> None:
        """ping answers while the store is open and refuses once it is closed; close releases
        what the store held (the SQLite WAL file, the Redis connection) and may come twice."""
        store = backend.make()
        await store.save("c1", SESSION, expected_version=0)
        assert await store.ping() is None
        if backend.kind == "sqlite":
            wal = backend.db_path.with_name(backend.db_path.name + "-wal")
            assert wal.exists()  # held open while the store is
        if backend.kind == "redis":
            assert await backend.clients_named(f"bme-bot:{backend.prefix}") == 1
        await store.close()
        for call in (store.ping(), store.load("c1"), store.seen(1)):
            with pytest.raises(StoreError, match="closed"):
                await call
        with pytest.raises(StoreError, match="closed"):
            await store.save("c1", SESSION, expected_version=1)
        await store.close()  # a second close is harmless
        if backend.kind == "sqlite":
            assert not wal.exists()  # the last connection closed: checkpointed and removed
            with sqlite3.connect(backend.db_path) as conn:  # and what was saved is on disk
                assert conn.execute("SELECT count(*) FROM sessions").fetchone() == (1,)
            conn.close()
        if backend.kind == "redis":
            assert await backend.clients_named(f"bme-bot:{backend.prefix}") == 0

    async def test_ping_fails_when_the_store_cannot_be_reached(self) -> None:
        """A ping that does nothing would pass the test above while open; this one needs it
        to reach the server: nobody listens on the port."""
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        store = RedisStore.from_url(f"redis://127.0.0.1:{port}/0", 60)
        try:
            with pytest.raises(StoreError, match=f"127.0.0.1:{port}"):
                await store.ping()
        finally:
            await store.close()

    async def test_purger_task_runs_until_stopped(self, backend: Backend) -> None:
        store = backend.make(ttl_seconds=0.2)
        await store.save("old-chat-5e8a", SESSION, expected_version=0)
        await backend.advance(0.4)
        stop = asyncio.Event()
        task = asyncio.create_task(run_purger(store, 0.01, stop))
        await asyncio.sleep(0.05)
        stop.set()
        await asyncio.wait_for(task, 2)
        assert await store.load("old-chat-5e8a") is None
        assert await backend.raw_mentions("old-chat-5e8a") == []


async def test_sqlite_purge_drops_old_rows_and_update_ids(backend_sqlite: Any) -> None:
    backend = backend_sqlite
    store = backend.make(ttl_seconds=100, seen_seconds=50)
    await store.save("old-chat-5e8a", SESSION, expected_version=0, update_id=1)
    backend.clock.now += 60
    await store.save("new", SESSION, expected_version=0, update_id=2)
    backend.clock.now += 60
    assert await store.purge_expired() == 1
    with sqlite3.connect(backend.db_path) as conn:
        chats = [r[0] for r in conn.execute("SELECT chat FROM sessions")]
        seen = [r[0] for r in conn.execute("SELECT update_id FROM seen_updates")]
    conn.close()
    assert chats == ["new"]
    assert seen == []  # both past 50 s


@pytest.fixture()
async def backend_sqlite(tmp_path: Any) -> Any:
    backend = Backend("sqlite", tmp_path)
    yield backend
    await backend.cleanup()


@pytest.mark.redis
async def test_redis_keys_all_carry_a_ttl(engine: Engine, tmp_path: Any) -> None:
    require_redis()
    backend = Backend("redis", tmp_path)
    backend.raw = Redis.from_url(REDIS_URL, decode_responses=True)
    try:
        service = Service(engine, backend.make(ttl_seconds=3600))
        await service.handle("c1", Start(), update_id=1)
        store = service.store
        assert 0 < await backend.raw.pttl(f"{backend.prefix}:session:c1") <= 3600 * 1000
        seen_ttl = await backend.raw.pttl(f"{backend.prefix}:seen:1")
        assert 47 * 3600 * 1000 < seen_ttl <= 48 * 3600 * 1000
        async with store.lock("c1"):
            assert 0 < await backend.raw.pttl(f"{backend.prefix}:lock:c1") <= 30_000
        for key in await backend.keys():
            if key != f"{backend.prefix}:counters":
                assert await backend.raw.pttl(key) > 0, key
    finally:
        await backend.cleanup()


@pytest.mark.parametrize(
    ("kind", "blob"),
    [
        ("sqlite", "{not json"),
        ("sqlite", "[1, 2]"),
        pytest.param("redis", "{not json", marks=pytest.mark.redis),
        pytest.param("redis", '"a string"', marks=pytest.mark.redis),
    ],
)
async def test_a_damaged_stored_session_is_a_store_error(
    kind: str, blob: str, tmp_path: Path
) -> None:
    """Bytes that are not a JSON object come out of `load` as StoreError, in both backends."""
    from bme_bot.storage.base import StoreError

    if kind == "redis":
        require_redis()
    backend = Backend(kind, tmp_path)
    try:
        store = backend.make()
        await store.save("c1", SESSION, expected_version=0)
        if kind == "sqlite":
            with sqlite3.connect(backend.db_path) as conn:
                conn.execute("UPDATE sessions SET data = ? WHERE chat = ?", (blob, "c1"))
            conn.close()
        else:
            backend.raw = Redis.from_url(REDIS_URL, decode_responses=True)
            await backend.raw.hset(store.session_key("c1"), "d", blob)
        with pytest.raises(StoreError, match="stored session is not"):
            await store.load("c1")
    finally:
        await backend.cleanup()
