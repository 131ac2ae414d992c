"""The store contract through the service, on memory, SQLite and a real Redis: duplicates,
concurrent updates of one chat, /forget and the counters (see conftest.py)."""

from __future__ import annotations

import asyncio
import time

from bme_bot.core.engine import Engine
from bme_bot.core.events import Forget, Start, Text
from bme_bot.service import Service
from bme_bot.stats import collect_stats, format_stats_table
from bme_bot.storage.memory import MemoryStore

from .backends import Backend
from .flows import busy_conversation, path_to_outcome


class TestServiceOnEveryStore:
    async def test_duplicate_update_is_processed_once(
        self, backend: Backend, engine: Engine
    ) -> None:
        service = Service(engine, backend.make())
        first = await service.handle("c1", Start(), update_id=500)
        again = await service.handle("c1", Start(), update_id=500)
        assert not first.duplicate and first.replies
        # a duplicate changes nothing and carries where the chat is (to show it again)
        assert again.duplicate and again.session == first.session
        assert [r.question for r in again.replies] == [r.question for r in first.replies]
        third = await service.handle("c1", Start(), update_id=501)
        assert third.session is not None and third.session.turn == 2
        counters = await service.store.counters()
        assert counters["asked:consent"] == 1

    async def test_concurrent_updates_of_one_chat_equal_handling_them_in_order(
        self, backend: Backend, engine: Engine
    ) -> None:
        events = busy_conversation(engine)
        reference = Service(engine, MemoryStore())
        for n, event in enumerate(events):
            await reference.handle("c1", event, update_id=n)
        service = Service(engine, backend.make())
        # Every update arrives at once, several twice; a second chat runs alongside.
        deliveries = [(n, e) for n, e in enumerate(events)]
        deliveries += deliveries[::3]
        started = time.perf_counter()
        turns = await asyncio.gather(
            *(service.handle("c1", e, update_id=n) for n, e in deliveries),
            *(service.handle("c2", e, update_id=10_000 + n) for n, e in enumerate(events)),
        )
        elapsed = time.perf_counter() - started
        assert sum(not t.duplicate for t in turns[: len(deliveries)]) == len(events)
        expected = await reference.store.load("c1")
        got = await service.store.load("c1")
        other = await service.store.load("c2")
        assert expected is not None and got is not None and other is not None
        assert got.data == expected.data == other.data
        assert got.version == len(events)
        counters = await service.store.counters()
        assert counters == {k: 2 * v for k, v in (await reference.store.counters()).items()}
        assert elapsed < 20

    async def test_forget_leaves_no_row_and_no_key(self, backend: Backend, engine: Engine) -> None:
        service = Service(engine, backend.make())
        chat = "chat-forget-9d2e71"
        for n, event in enumerate(path_to_outcome(engine)):
            await service.handle(chat, event, update_id=n)
        assert await service.store.load(chat) is not None
        turn = await service.handle(chat, Text("/forget"), update_id=999)
        assert turn.session is None
        assert "erased" in turn.replies[0].text
        assert await service.store.load(chat) is None
        assert await backend.raw_mentions(chat) == []
        again = await service.handle(chat, Forget(), update_id=999)
        assert again.duplicate
        # The counters survive: they never held the chat.
        assert (await service.store.counters())["conversations_started"] == 1

    async def test_forget_confirms_erased_only_when_it_erased(
        self, backend: Backend, engine: Engine
    ) -> None:
        service = Service(engine, backend.make())
        await service.handle("c1", Start(), update_id=1)
        first = await service.handle("c1", Forget(), update_id=2)
        second = await service.handle("c1", Text("/forget"), update_id=3)
        never = await service.handle("never-stored", Forget(), update_id=4)
        assert first.replies[0].text.startswith("Everything stored about this chat")
        for turn in (second, never):
            assert turn.session is None and not turn.duplicate
            assert turn.replies[0].text.startswith("Nothing was stored about this chat")
        assert await service.store.seen(3) and await service.store.seen(4)
        assert (await service.handle("c1", Forget(), update_id=2)).duplicate

    async def test_counters_and_stats_table(self, backend: Backend, engine: Engine) -> None:
        service = Service(engine, backend.make())
        path = path_to_outcome(engine)
        for n, event in enumerate(path):
            await service.handle("c1", event, update_id=n)
        await service.handle("c2", path[0], update_id=100)
        session = (await service.handle("c1", Start(), update_id=101)).session
        assert session is not None and session.turn > 1
        final = Service(engine, MemoryStore())
        done = None
        for event in path:
            done = (await final.handle("x", event)).session
        assert done is not None and done.outcome is not None
        counters = await service.store.counters()
        assert counters["conversations_started"] == 3
        assert counters[f"outcome:{done.outcome}"] == 1
        assert counters["asked:consent"] == 3
        assert counters["answered:consent"] == 1
        assert not any("c1" in k or "c2" in k for k in counters)
        rows = await collect_stats(service.store, engine.flow)
        by = {(r.section, r.name): r for r in rows}
        outcome = engine.flow.outcomes[done.outcome]
        assert by[("conversations", "started")].count == 3
        assert by[("disposition", outcome.disposition)].count == 1
        assert by[("rule", outcome.rule)].count == 1
        assert by[("question", "consent")].dropped == 2
        table = format_stats_table(rows)
        assert "Conversations started: 3" in table
        assert outcome.rule in table and "Left here" in table
