"""A replica for the multi-process tests: `python worker.py MODE STORE_URL ARG`.

send:  ARG is JSON {"out": FILE, "barrier": DIR, "parties": N, "expect": M, "lease": S}:
       waits until N workers are ready, then runs the real Scheduler, whose send appends
       "ID ATTEMPT" to FILE; stops when the schedule has had nothing to claim for a while
       after M sends in all workers' files, or after 20 s. Prints one JSON summary line.
claim: ARG is JSON {"count": K, "lease": S}: claims K check-ins with a lease of S seconds,
       prints their ids as one JSON line, then sleeps (to be killed with -9 before sending).
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import sys
import time
from pathlib import Path

from bme_bot.checkins.scheduler import Due, Scheduler, SendResult
from bme_bot.checkins.url import open_checkin_store

DEADLINE = 20.0


def ready(barrier: Path) -> int:
    return len(list(barrier.iterdir()))


def append(out: Path, line: str) -> None:
    """One line per send, on disk before the send counts (a kill -9 loses nothing written)."""
    with out.open("a") as handle:
        handle.write(line)
        handle.flush()
        os.fsync(handle.fileno())


def lines_in(directory: Path) -> int:
    return sum(len(p.read_text().splitlines()) for p in directory.glob("sent-*.txt"))


async def send_mode(url: str, spec: dict[str, object]) -> None:
    out = Path(str(spec["out"]))
    barrier = Path(str(spec["barrier"]))
    store = open_checkin_store(url, 86400)
    started = time.monotonic()
    (barrier / str(os.getpid())).touch()
    while ready(barrier) < int(str(spec["parties"])):
        if time.monotonic() - started > DEADLINE:
            raise SystemExit("barrier timeout")
        await asyncio.sleep(0.005)
    sent = 0

    async def send(due: Due) -> SendResult:
        nonlocal sent
        await asyncio.sleep(random.uniform(0.0005, 0.003))  # a Telegram round trip, shortened
        append(out, f"{due.checkin.id} {due.claim.attempt}\n")
        sent += 1
        return SendResult.sent()

    lease = float(str(spec["lease"]))
    loop = Scheduler(store, send, every_seconds=0.02, lease_seconds=lease, batch=10)
    began = time.monotonic()
    idle = 0
    expect = int(str(spec["expect"]))
    while time.monotonic() - began < DEADLINE:
        tick = await loop.tick()
        idle = idle + 1 if tick.claimed == 0 else 0
        if idle >= 10 and lines_in(out.parent) >= expect:
            break
        await asyncio.sleep(0.02 if tick.claimed == 0 else 0)
    await store.close()
    print(json.dumps({"sent": sent, "seconds": round(time.monotonic() - began, 3)}), flush=True)


async def claim_mode(url: str, spec: dict[str, object]) -> None:
    store = open_checkin_store(url, 86400)
    claims = await store.claim_due(time.time(), float(str(spec["lease"])), int(str(spec["count"])))
    print(json.dumps([c.checkin.id for c in claims]), flush=True)
    await asyncio.sleep(60)  # killed before it ever sends


def main() -> None:
    mode, url, arg = sys.argv[1:4]
    spec = json.loads(arg)
    asyncio.run(send_mode(url, spec) if mode == "send" else claim_mode(url, spec))


if __name__ == "__main__":
    main()
