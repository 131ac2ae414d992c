"""Several OS processes on one schedule: each check-in sent exactly once, and re-sent once by
the survivor when a replica is killed with -9 after claiming (SQLite file and Redis)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from bme_bot.checkins.url import open_checkin_store

from .schedules import Schedules

WORKER = Path(__file__).with_name("worker.py")
ROOT = Path(__file__).resolve().parents[2]
KINDS = ["sqlite", pytest.param("redis", marks=pytest.mark.redis)]


def spawn(mode: str, url: str, spec: dict[str, object]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(WORKER), mode, url, json.dumps(spec)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


@pytest.fixture(params=KINDS)
def shared(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Schedules]:
    made = Schedules(request.param, tmp_path)
    yield made
    import asyncio

    asyncio.run(made.cleanup())


async def plan(url: str, count: int) -> set[str]:
    store = open_checkin_store(url, 86400)
    due = time.time() - 60
    ids = {
        (await store.plan(f"chat-{i}", due + i * 0.001, "checkin", "soon")).id for i in range(count)
    }
    await store.close()
    return ids


def sends(directory: Path) -> Counter[str]:
    got: Counter[str] = Counter()
    for path in directory.glob("sent-*.txt"):
        for line in path.read_text().splitlines():
            got[line.split()[0]] += 1
    return got


@pytest.mark.slow
async def test_two_processes_send_each_checkin_exactly_once(
    shared: Schedules, tmp_path: Path
) -> None:
    count = 500  # as issue 15 asks
    planned = await plan(shared.url, count)
    out = tmp_path / "out"
    barrier = tmp_path / "ready"
    out.mkdir()
    barrier.mkdir()
    started = time.monotonic()
    procs = [
        spawn(
            "send",
            shared.url,
            {
                "out": str(out / f"sent-{n}.txt"),
                "barrier": str(barrier),
                "parties": 2,
                "expect": count,
                "lease": 10,
            },
        )
        for n in range(2)
    ]
    summaries = []
    for proc in procs:
        stdout, stderr = proc.communicate(timeout=30)
        assert proc.returncode == 0, stderr
        summaries.append(json.loads(stdout.splitlines()[-1]))
    elapsed = time.monotonic() - started
    got = sends(out)
    assert set(got) == planned
    assert all(n == 1 for n in got.values()), [i for i, n in got.items() if n > 1]
    assert sum(s["sent"] for s in summaries) == count
    assert all(s["sent"] > 0 for s in summaries), summaries  # both replicas really worked
    assert elapsed < 20, elapsed
    print(
        f"{shared.kind}: {count} check-ins, 2 processes, sent {[s['sent'] for s in summaries]}, "
        f"{elapsed:.2f} s"
    )


@pytest.mark.slow
async def test_kill_9_after_claiming_is_resent_once_by_the_other(
    shared: Schedules, tmp_path: Path
) -> None:
    count, claimed_by_victim, lease = 30, 10, 2.0
    planned = await plan(shared.url, count)
    victim = spawn("claim", shared.url, {"count": claimed_by_victim, "lease": lease})
    assert victim.stdout is not None
    line = victim.stdout.readline()
    victim_ids = set(json.loads(line))
    assert len(victim_ids) == claimed_by_victim
    os.kill(victim.pid, signal.SIGKILL)
    victim.wait(timeout=5)
    assert victim.returncode == -signal.SIGKILL
    out = tmp_path / "out"
    barrier = tmp_path / "ready"
    out.mkdir()
    barrier.mkdir()
    started = time.monotonic()
    survivor = spawn(
        "send",
        shared.url,
        {
            "out": str(out / "sent-0.txt"),
            "barrier": str(barrier),
            "parties": 1,
            "expect": count,
            "lease": 10,
        },
    )
    _, stderr = survivor.communicate(timeout=30)
    assert survivor.returncode == 0, stderr
    elapsed = time.monotonic() - started
    got = sends(out)
    assert set(got) == planned and all(n == 1 for n in got.values())
    attempts = {
        line.split()[0]: int(line.split()[1])
        for line in (out / "sent-0.txt").read_text().splitlines()
    }
    assert {i for i, a in attempts.items() if a == 2} == victim_ids  # re-delivered after lease
    assert elapsed < 20, elapsed
