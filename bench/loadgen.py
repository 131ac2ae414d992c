"""Simulated people on the shared fake Bot API, run as its own process for the full-stack bench.

    python -m bench.loadgen --port P --users N --mode polling|webhook --out result.json
                            [--api-delay-ms 30] [--deadline 30]

The Bot API itself is `bme_bot.testing.fake_bot_api.FakeBotApi` (the tests' fake); this module
only adds the people. Once the bot is ready (its first getUpdates, or its setWebhook), N people
start at once; each sends /start, then taps a button of every question the bot sends (a
callback query built from the inline keyboard it received, the answer chosen by
`bench.common.pick_answer`) until a message comes whose keyboard has no question button left
(the advice). No think time: a closed loop. `--api-delay-ms` holds every Bot API response
that long, as a real round trip to Telegram would.

Latency of an update: from the moment it is queued here (given to getUpdates, or queued for a
webhook POST) to the first sendMessage the bot makes to that chat afterwards. In webhook mode
updates are POSTed like Telegram does: at most 40 connections at once, the secret header set,
and a method returned in the response body is performed (and counted in `replies`).

The first line on stdout is `READY <port>`; the bot's pid is read from stdin (its CPU time is
sampled from /proc at the start and end of the load). Everything is bounded: the load stops at
`--deadline` seconds whatever happens, and the result says whether all finished.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import resource
import sys
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import ClientSession, ClientTimeout, TCPConnector

from bench.common import pick_answer
from bme_bot.testing.fake_bot_api import FakeBotApi

CLK_TCK = os.sysconf("SC_CLK_TCK")
TOKEN = "123456789:" + "B" * 35
FIRST_CHAT = 10_000


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, from /proc/PID/stat."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLK_TCK
    except (OSError, IndexError, ValueError):
        return float("nan")


@dataclass
class Person:
    chat_id: int
    pending_since: float | None = None
    taps: int = 0
    done: bool = False
    latencies: list[float] = field(default_factory=list)


class People(FakeBotApi):
    """The fake Bot API with N people tapping through the conversation."""

    def __init__(self, users: int, mode: str, api_delay: float, max_connections: int = 40):
        super().__init__(TOKEN, username="bench_bot", api_delay=api_delay, long_poll_cap=10.0)
        self.mode = mode
        self.people = {FIRST_CHAT + i: Person(FIRST_CHAT + i) for i in range(users)}
        self.hook_queue: deque[dict[str, Any]] = deque()
        self.hook_ready = asyncio.Event()
        self.ready = asyncio.Event()
        self.all_done = asyncio.Event()
        self.finished = 0
        self.updates_sent = 0
        self.replies_sent = 0
        self.webhook_statuses: Counter[int] = Counter()
        self.max_connections = max_connections
        self.ended_at = 0.0
        self.errors: list[str] = []

    def _queue(self, person: Person, update: dict[str, Any]) -> None:
        person.pending_since = time.perf_counter()
        self.updates_sent += 1
        if self.mode == "webhook":
            self.hook_queue.append(update)
            self.hook_ready.set()
        else:
            self.push(update)

    def start_person(self, person: Person) -> None:
        self._queue(person, self.text(person.chat_id, "/start"))

    def on_sent(self, chat_id: int, message: dict[str, Any]) -> None:
        person = self.people.get(chat_id)
        if person is None:
            return
        now = time.perf_counter()
        self.replies_sent += 1
        if person.pending_since is not None:
            person.latencies.append(now - person.pending_since)
            person.pending_since = None
        markup = message.get("reply_markup")
        if not markup or person.done:
            return
        buttons = [b for row in markup.get("inline_keyboard", []) for b in row]
        questions = [b for b in buttons if str(b.get("callback_data", "")).startswith("q|")]
        if not questions:
            person.done = True
            self.finished += 1
            if self.finished == len(self.people):
                self.ended_at = now
                self.all_done.set()
            return
        by_option = {str(b["callback_data"]).rsplit("|", 1)[1]: b for b in questions}
        chosen = by_option[pick_answer(list(by_option))]
        person.taps += 1
        self._queue(person, self.tap(chat_id, message["message_id"], chosen["callback_data"]))

    async def _api_getUpdates(self, params: dict[str, Any]) -> Any:
        self.ready.set()
        return await super()._api_getUpdates(params)

    async def _api_setWebhook(self, params: dict[str, Any]) -> Any:
        self.ready.set()
        return await super()._api_setWebhook(params)

    async def deliver_all(self) -> None:
        """Telegram's side of a webhook: up to `max_connections` POSTs at once."""
        connector = TCPConnector(limit=self.max_connections)
        async with ClientSession(connector=connector, timeout=ClientTimeout(total=60)) as http:

            async def worker() -> None:
                while not self.all_done.is_set():
                    if not self.hook_queue:
                        self.hook_ready.clear()
                        with contextlib.suppress(TimeoutError):
                            await asyncio.wait_for(self.hook_ready.wait(), 0.5)
                        continue
                    update = self.hook_queue.popleft()
                    try:
                        self.webhook_statuses[await self.deliver(update, http)] += 1
                    except Exception as exc:
                        if len(self.errors) < 20:
                            self.errors.append(f"webhook POST: {type(exc).__name__}: {exc}")

            workers = [asyncio.create_task(worker()) for _ in range(self.max_connections)]
            try:
                await asyncio.gather(*workers)
            finally:
                for task in workers:
                    task.cancel()

    async def run(self, port: int, deadline: float, ready_timeout: float) -> dict[str, Any]:
        await self.start(port)
        print(f"READY {self.port}", flush=True)
        loop = asyncio.get_running_loop()
        pid_line = await loop.run_in_executor(None, sys.stdin.readline)
        bot_pid = int(pid_line.strip() or 0)
        result: dict[str, Any] = {
            "users": len(self.people),
            "mode": self.mode,
            "api_delay_ms": self.api_delay * 1000,
        }
        try:
            await asyncio.wait_for(self.ready.wait(), ready_timeout)
            await asyncio.sleep(0.3)
            calls_before = len(self.calls)
            cpu_before = cpu_seconds(bot_pid)
            own_before = resource.getrusage(resource.RUSAGE_SELF)
            delivery = asyncio.create_task(self.deliver_all()) if self.mode == "webhook" else None
            started = time.perf_counter()
            for person in self.people.values():
                self.start_person(person)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.all_done.wait(), deadline)
            end = self.ended_at or time.perf_counter()
            cpu_after = cpu_seconds(bot_pid)
            own_after = resource.getrusage(resource.RUSAGE_SELF)
            self.all_done.set()
            if delivery is not None:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(delivery, 5)
            latencies = sorted(x for p in self.people.values() for x in p.latencies)
            elapsed = end - started
            calls = Counter(c.method for c in self.calls[calls_before:])
            result.update(
                completed=self.finished,
                complete=self.finished == len(self.people),
                updates=self.updates_sent,
                replies=self.replies_sent,
                seconds=elapsed,
                answered=len(latencies),
                updates_per_second=len(latencies) / elapsed if elapsed > 0 else 0.0,
                latencies_ms=[round(x * 1000, 3) for x in latencies],
                taps_per_person=sorted({p.taps for p in self.people.values()}),
                bot_cpu_seconds=cpu_after - cpu_before,
                server_cpu_seconds=(own_after.ru_utime + own_after.ru_stime)
                - (own_before.ru_utime + own_before.ru_stime),
                calls=dict(calls),
                webhook_replies=dict(Counter(c.method for c in self.replies)),
                webhook_statuses={str(k): v for k, v in self.webhook_statuses.items()},
                errors=self.errors,
            )
        except TimeoutError:
            result.update(complete=False, error="the bot never became ready")
        await self.stop()
        return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--users", type=int, required=True)
    parser.add_argument("--mode", choices=("polling", "webhook"), required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--deadline", type=float, default=300.0)
    parser.add_argument("--ready-timeout", type=float, default=30.0)
    parser.add_argument(
        "--api-delay-ms", type=float, default=0.0, help="hold every Bot API response this long"
    )
    args = parser.parse_args()

    async def go() -> dict[str, Any]:
        people = People(args.users, args.mode, args.api_delay_ms / 1000)
        return await people.run(args.port, args.deadline, args.ready_timeout)

    Path(args.out).write_text(json.dumps(asyncio.run(go())))


if __name__ == "__main__":
    main()
