"""A bot process for the multi-process tests: `python worker.py MODE STORE_URL CHAT ARG`.

deliver: ARG is JSON {"ids": [...], "barrier": DIR, "parties": N}; each id is a /start update
         of CHAT, handled 4 at a time once all N workers are ready (each leaves a file in DIR),
         re-delivered on ServiceUnavailable as Telegram would (bounded); prints one JSON
         summary line.
forget:  ARG is JSON {"ids": {chat: update id}, "barrier": DIR, "parties": N}; sends /forget
         to every chat at once (CHAT is unused) once all N workers are ready; prints one JSON
         line {chat: "erased" | "nothing" | "duplicate"}.
loop:    ARG is the first update id; handles /start updates of CHAT one after another and
         prints the saved turn after each, until killed (bounded: 60 s or 100000 updates).
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import sys
import time
from pathlib import Path

from bme_bot.bootstrap import build
from bme_bot.config import load_settings
from bme_bot.core.events import Forget, Start
from bme_bot.service import Service, ServiceUnavailable

SETTINGS = load_settings({"SESSION_TTL_DAYS": str(1 / 24)})  # sessions kept one hour


def service_on(url: str) -> Service:
    """The bot as every entry point builds it, on the store the test names."""
    return build(SETTINGS, store_url=url).service


async def deliver(url: str, chat: str, arg: str) -> None:
    spec = json.loads(arg)
    service = service_on(url)
    summary: dict[str, float] = {"handled": 0, "duplicates": 0, "unavailable": 0}
    queue: asyncio.Queue[int] = asyncio.Queue()
    for update_id in spec["ids"]:
        queue.put_nowait(update_id)

    async def webhook() -> None:
        while not queue.empty():
            update_id = queue.get_nowait()
            await asyncio.sleep(random.uniform(0.002, 0.01))  # updates arrive over time
            for _ in range(50):
                try:
                    turn = await service.handle(chat, Start(), update_id=update_id)
                except ServiceUnavailable:
                    summary["unavailable"] += 1
                    await asyncio.sleep(0.01)
                    continue
                summary["duplicates" if turn.duplicate else "handled"] += 1
                summary.setdefault("first", time.time())
                summary["last"] = time.time()
                break
            else:
                raise SystemExit(f"update {update_id} never got through")

    await asyncio.to_thread(wait_for_the_others, Path(spec["barrier"]), int(spec["parties"]))
    await asyncio.wait_for(asyncio.gather(*(webhook() for _ in range(4))), timeout=60)
    await service.store.close()
    summary["stale_retries"] = service.stale_retries
    print(json.dumps(summary), flush=True)


async def forget(url: str, _chat: str, arg: str) -> None:
    spec = json.loads(arg)
    service = service_on(url)
    said: dict[str, str] = {}

    async def one(chat: str, update_id: int) -> None:
        await asyncio.sleep(random.uniform(0, 0.005))
        for _ in range(50):
            try:
                turn = await service.handle(chat, Forget(), update_id=update_id)
            except ServiceUnavailable:
                await asyncio.sleep(0.01)
                continue
            if turn.duplicate:
                said[chat] = "duplicate"
            elif turn.replies[0].text.startswith("Everything stored about this chat"):
                said[chat] = "erased"
            else:
                said[chat] = "nothing"
            return
        raise SystemExit(f"/forget of {chat} never got through")

    await asyncio.to_thread(wait_for_the_others, Path(spec["barrier"]), int(spec["parties"]))
    await asyncio.wait_for(asyncio.gather(*(one(c, u) for c, u in spec["ids"].items())), 60)
    await service.store.close()
    print(json.dumps(said), flush=True)


def wait_for_the_others(barrier: Path, parties: int) -> None:
    """Start together, however long each process took to import and open the store."""
    (barrier / str(os.getpid())).touch()
    deadline = time.monotonic() + 60
    while len(list(barrier.iterdir())) < parties:
        if time.monotonic() > deadline:
            raise SystemExit("the other workers never got ready")
        time.sleep(0.001)


async def loop(url: str, chat: str, arg: str) -> None:
    service = service_on(url)
    deadline = time.monotonic() + 60
    update_id = int(arg)
    for _ in range(100_000):
        if time.monotonic() > deadline:
            break
        turn = await service.handle(chat, Start(), update_id=update_id)
        assert turn.session is not None
        print(turn.session.turn, flush=True)
        update_id += 1


if __name__ == "__main__":
    mode, url, chat, arg = sys.argv[1:5]
    asyncio.run({"deliver": deliver, "forget": forget, "loop": loop}[mode](url, chat, arg))
