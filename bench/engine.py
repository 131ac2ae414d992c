"""1. Engine step: one answer -> replies, through the core alone and through the Service.

Every timing is of one call (`perf_counter_ns` around it, about 0.1 us of overhead), over the
whole 16-question conversation, so the median and p99 mix every kind of question, the routers
and the final advice. The Service figures use the memory store with update ids, as the
adapters call it. Growth: the same Service steps with 0, 10,000 and 100,000 other sessions
already stored. `trigger` is `transitions` alone: the `answer` event fired on a light model.
"""

from __future__ import annotations

import asyncio
import gc
import time
from typing import Any

from bench.common import Row, long_conversation, median, percentile, shipped_engine


def _core_run(engine: Any, steps: list[tuple[Any, Any]], rounds: int) -> list[float]:
    timings: list[float] = []
    clock = time.perf_counter_ns
    step = engine.step
    for _ in range(rounds):
        for session, event in steps:
            started = clock()
            step(session, event)
            timings.append((clock() - started) / 1000)
    return timings


def _trigger_run(engine: Any, steps: list[tuple[Any, Any]], rounds: int) -> tuple[list, list]:
    from bme_bot.core.engine import _Cursor

    cases = []
    for session, event in steps:
        facts = {**session.facts, engine.flow.questions[session.state].fact: event.option_id}
        cases.append((session.state, facts))
    answer = engine._machine.events["answer"]
    clock = time.perf_counter_ns
    triggers: list[float] = []
    resolves: list[float] = []
    for _ in range(rounds):
        for state, facts in cases:
            cursor = _Cursor(state, facts)
            started = clock()
            answer.trigger(cursor)
            triggers.append((clock() - started) / 1000)
            started = clock()
            engine.resolve(state, facts)
            resolves.append((clock() - started) / 1000)
    return triggers, resolves


async def _service_run(
    engine: Any, store: Any, rounds: int, first_update: int, prefix: str
) -> list[float]:
    from bench.common import pick_answer
    from bme_bot.core.events import Answer, Start
    from bme_bot.service import Service

    service = Service(engine, store)
    clock = time.perf_counter_ns
    timings: list[float] = []
    update = first_update
    for n in range(rounds):
        chat = f"{prefix}{n}"
        update += 1
        turn = await service.handle(chat, Start(), update_id=update)
        reply = turn.replies[-1]
        while reply.question is not None:
            event = Answer(pick_answer([o.id for o in reply.options]), reply.question, reply.turn)
            update += 1
            started = clock()
            turn = await service.handle(chat, event, update_id=update)
            timings.append((clock() - started) / 1000)
            reply = turn.replies[-1]
    return timings


async def _fill(store: Any, engine: Any, count: int) -> None:
    """Store `count` sessions of other chats: finished 16-question conversations."""
    steps = long_conversation(engine)
    session, event = steps[-1]
    done, _ = engine.step(session, event)
    data = done.to_dict()
    for n in range(count):
        await store.save(f"other:{n}", data, expected_version=0)


def run(quick: bool = False, runs: int = 3) -> list[Row]:
    from transitions import Machine

    from bme_bot.storage.memory import MemoryStore

    engine = shipped_engine()
    steps = long_conversation(engine)
    rounds = 150 if quick else 600
    rows: list[Row] = []

    core_medians, core_p99s = [], []
    for _ in range(runs):
        timings = _core_run(engine, steps, rounds)
        core_medians.append(median(timings))
        core_p99s.append(percentile(timings, 0.99))
    rows.append(Row.from_runs("engine", "core step median", core_medians, "us", "target <= 50 us"))
    rows.append(Row.from_runs("engine", "core step p99", core_p99s, "us", ""))

    trig_medians, resolve_medians = [], []
    for _ in range(runs):
        triggers, resolves = _trigger_run(engine, steps, rounds)
        trig_medians.append(median(triggers))
        resolve_medians.append(median(resolves))
    rows.append(
        Row.from_runs(
            "engine",
            "transitions trigger alone",
            trig_medians,
            "us",
            "answer event on a light model",
        )
    )
    rows.append(
        Row.from_runs(
            "engine", "Engine.resolve", resolve_medians, "us", "trigger + routers to the next state"
        )
    )
    rows.append(
        Row(
            "engine",
            "core step / trigger",
            median(core_medians) / median(trig_medians),
            "x",
            "what the step adds around transitions",
        )
    )

    service_rounds = 60 if quick else 250
    sizes = (0, 10_000) if quick else (0, 10_000, 100_000)
    by_size: dict[int, tuple[list[float], list[float]]] = {}
    update_base = 0
    for size in sizes:
        meds, p99s = [], []
        for _ in range(runs):
            store = MemoryStore()
            asyncio.run(_fill(store, engine, size))
            gc.collect()
            timings = asyncio.run(_service_run(engine, store, service_rounds, update_base, "c"))
            update_base += 10**6
            meds.append(median(timings))
            p99s.append(percentile(timings, 0.99))
            del store
        by_size[size] = (meds, p99s)
    base_meds, base_p99s = by_size[0]
    rows.append(Row.from_runs("engine", "service step median (memory store)", base_meds, "us", ""))
    rows.append(Row.from_runs("engine", "service step p99 (memory store)", base_p99s, "us", ""))
    for size in sizes[1:]:
        meds, p99s = by_size[size]
        rows.append(
            Row.from_runs(
                "engine",
                f"service step median, {size:,} sessions stored",
                meds,
                "us",
                f"{median(meds) / median(base_meds):.2f}x the empty store",
            )
        )
    machines = sum(1 for o in gc.get_objects() if isinstance(o, Machine))
    attached = len(engine._machine.models)
    rows.append(
        Row(
            "engine",
            "transitions Machines in the process",
            machines,
            "",
            f"after all the conversations above; {attached} models attached",
        )
    )
    return rows
