"""A fake Telegram Bot API server with simulated people, run as its own process.

    python -m bench.fakeapi --port P --users N --mode polling|webhook --out result.json

It serves the Bot API methods a bot needs (getMe, getUpdates, setWebhook, sendMessage,
editMessageText, answerCallbackQuery, sendChatAction, ...) on 127.0.0.1. Once the bot is
ready (its first getUpdates, or its setWebhook), N simulated people start at once; each sends
/start, then taps a button of every question the bot sends (a callback query built from the
inline keyboard it received, the answer chosen by `bench.common.pick_answer`) until a message
comes whose keyboard has no question button left (the advice). No think time: a closed loop.

Latency of an update: from the moment it is queued here (given to getUpdates, or queued for a
webhook POST) to the first sendMessage the bot makes to that chat afterwards. In webhook mode
updates are POSTed like Telegram does: at most 40 connections at once, the secret header set.

The first line on stdout is `READY <port>`; the bot's pid is read from stdin (its CPU time
is sampled from /proc at the start and end of the load). Everything is bounded: the run
stops at `--deadline` seconds whatever happens, and the result says whether all finished.
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
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import ClientSession, ClientTimeout, TCPConnector, web

from bench.common import pick_answer

BOT_USER = {"id": 1, "is_bot": True, "first_name": "Bench", "username": "bench_bot"}
CLK_TCK = os.sysconf("SC_CLK_TCK")


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
    pending_update: int | None = None
    next_message_id: int = 1
    taps: int = 0
    done: bool = False
    latencies: list[float] = field(default_factory=list)


class FakeTelegram:
    def __init__(self, users: int, mode: str, deadline: float, max_connections: int = 40) -> None:
        self.mode = mode
        self.deadline = deadline
        self.people = {10_000 + i: Person(10_000 + i) for i in range(users)}
        self.queue: deque[dict[str, Any]] = deque()
        self.new_update = asyncio.Event()
        self.next_update_id = 1
        self.ready = asyncio.Event()
        self.all_done = asyncio.Event()
        self.finished = 0
        self.updates_sent = 0
        self.replies = 0
        self.calls: dict[str, int] = {}
        self.webhook_url: str | None = None
        self.webhook_secret = ""
        self.webhook_statuses: dict[int, int] = {}
        self.max_connections = max_connections
        self.started_at = 0.0
        self.ended_at = 0.0
        self.errors: list[str] = []

    # --- updates -----------------------------------------------------------------------

    def _queue(self, person: Person, update: dict[str, Any]) -> None:
        update["update_id"] = self.next_update_id
        self.next_update_id += 1
        person.pending_since = time.perf_counter()
        person.pending_update = update["update_id"]
        self.updates_sent += 1
        self.queue.append(update)
        self.new_update.set()

    def _chat(self, person: Person) -> dict[str, Any]:
        return {"id": person.chat_id, "type": "private", "first_name": f"P{person.chat_id}"}

    def _user(self, person: Person) -> dict[str, Any]:
        return {"id": person.chat_id, "is_bot": False, "first_name": f"P{person.chat_id}"}

    def start_person(self, person: Person) -> None:
        message_id = person.next_message_id
        person.next_message_id += 1
        self._queue(
            person,
            {
                "message": {
                    "message_id": message_id,
                    "date": int(time.time()),
                    "chat": self._chat(person),
                    "from": self._user(person),
                    "text": "/start",
                    "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
                }
            },
        )

    def on_message_sent(self, person: Person, message: dict[str, Any]) -> None:
        now = time.perf_counter()
        self.replies += 1
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
        self._queue(
            person,
            {
                "callback_query": {
                    "id": f"cb{self.next_update_id}",
                    "from": self._user(person),
                    "chat_instance": f"ci{person.chat_id}",
                    "data": chosen["callback_data"],
                    "message": message,
                }
            },
        )

    # --- the Bot API -------------------------------------------------------------------

    async def api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        self.calls[method] = self.calls.get(method, 0) + 1
        params: dict[str, Any] = {}
        if request.can_read_body:
            if request.content_type == "application/json":
                params = await request.json()
            else:
                params = dict(await request.post())
        handler = getattr(self, f"m_{method}", None)
        result: Any = True
        if handler is not None:
            result = await handler(params)
        return web.json_response({"ok": True, "result": result})

    async def m_getMe(self, params: dict[str, Any]) -> Any:
        return {
            **BOT_USER,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    async def m_getUpdates(self, params: dict[str, Any]) -> Any:
        if self.mode == "polling":
            self.ready.set()
        offset = int(params.get("offset") or 0)
        limit = int(params.get("limit") or 100)
        wait = min(float(params.get("timeout") or 0), 30.0)
        while self.queue and self.queue[0]["update_id"] < offset:
            self.queue.popleft()
        if not self.queue and wait > 0:
            self.new_update.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.new_update.wait(), wait)
            while self.queue and self.queue[0]["update_id"] < offset:
                self.queue.popleft()
        return [self.queue[i] for i in range(min(limit, len(self.queue)))]

    async def m_setWebhook(self, params: dict[str, Any]) -> Any:
        self.webhook_url = str(params["url"])
        self.webhook_secret = str(params.get("secret_token") or "")
        self.ready.set()
        return True

    async def m_deleteWebhook(self, params: dict[str, Any]) -> Any:
        return True

    def _message(self, person: Person, params: dict[str, Any]) -> dict[str, Any]:
        message_id = person.next_message_id
        person.next_message_id += 1
        message: dict[str, Any] = {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": self._chat(person),
            "from": BOT_USER,
            "text": str(params.get("text", "")),
        }
        markup = params.get("reply_markup")
        if isinstance(markup, str) and markup:
            markup = json.loads(markup)
        if markup:
            message["reply_markup"] = markup
        return message

    async def m_sendMessage(self, params: dict[str, Any]) -> Any:
        person = self.people.get(int(params["chat_id"]))
        if person is None:
            return self._message(Person(int(params["chat_id"])), params)
        message = self._message(person, params)
        self.on_message_sent(person, message)
        return message

    async def m_editMessageText(self, params: dict[str, Any]) -> Any:
        person = self.people.get(int(params.get("chat_id") or 0))
        if person is None:
            return True
        message = self._message(person, params)
        message["message_id"] = int(params.get("message_id") or 0)
        return message

    # --- webhook delivery ---------------------------------------------------------------

    async def deliver(self) -> None:
        assert self.webhook_url is not None
        headers = {"X-Telegram-Bot-Api-Secret-Token": self.webhook_secret}
        connector = TCPConnector(limit=self.max_connections)
        async with ClientSession(connector=connector, timeout=ClientTimeout(total=60)) as http:

            async def worker() -> None:
                while not self.all_done.is_set():
                    if not self.queue:
                        self.new_update.clear()
                        with contextlib.suppress(TimeoutError):
                            await asyncio.wait_for(self.new_update.wait(), 0.5)
                        continue
                    update = self.queue.popleft()
                    try:
                        async with http.post(self.webhook_url, json=update, headers=headers) as r:
                            await r.read()
                            self.webhook_statuses[r.status] = (
                                self.webhook_statuses.get(r.status, 0) + 1
                            )
                    except Exception as exc:
                        if len(self.errors) < 20:
                            self.errors.append(f"webhook POST: {type(exc).__name__}: {exc}")

            workers = [asyncio.create_task(worker()) for _ in range(self.max_connections)]
            try:
                await asyncio.gather(*workers)
            finally:
                for task in workers:
                    task.cancel()

    # --- the run ------------------------------------------------------------------------

    async def run(self, port: int, ready_timeout: float) -> dict[str, Any]:
        app = web.Application(client_max_size=10_000_000)
        app.router.add_route("*", "/bot{token}/{method}", self.api)
        runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", port)
        await site.start()
        print(f"READY {port}", flush=True)
        loop = asyncio.get_running_loop()
        pid_line = await loop.run_in_executor(None, sys.stdin.readline)
        bot_pid = int(pid_line.strip() or 0)
        result: dict[str, Any] = {"users": len(self.people), "mode": self.mode}
        try:
            await asyncio.wait_for(self.ready.wait(), ready_timeout)
            await asyncio.sleep(0.2)
            cpu_before = cpu_seconds(bot_pid)
            own_before = resource.getrusage(resource.RUSAGE_SELF)
            delivery = asyncio.create_task(self.deliver()) if self.mode == "webhook" else None
            self.started_at = time.perf_counter()
            for person in self.people.values():
                self.start_person(person)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.all_done.wait(), self.deadline)
            end = self.ended_at or time.perf_counter()
            cpu_after = cpu_seconds(bot_pid)
            own_after = resource.getrusage(resource.RUSAGE_SELF)
            self.all_done.set()
            if delivery is not None:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(delivery, 5)
            latencies = sorted(x for p in self.people.values() for x in p.latencies)
            elapsed = end - self.started_at
            result.update(
                completed=self.finished,
                complete=self.finished == len(self.people),
                updates=self.updates_sent,
                replies=self.replies,
                seconds=elapsed,
                answered=len(latencies),
                updates_per_second=len(latencies) / elapsed if elapsed > 0 else 0.0,
                latencies_ms=[round(x * 1000, 3) for x in latencies],
                taps_per_person=sorted({p.taps for p in self.people.values()}),
                bot_cpu_seconds=cpu_after - cpu_before,
                server_cpu_seconds=(own_after.ru_utime + own_after.ru_stime)
                - (own_before.ru_utime + own_before.ru_stime),
                calls=self.calls,
                webhook_statuses={str(k): v for k, v in self.webhook_statuses.items()},
                errors=self.errors,
            )
        except TimeoutError:
            result.update(complete=False, error="the bot never became ready", calls=self.calls)
        await runner.cleanup()
        return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--users", type=int, required=True)
    parser.add_argument("--mode", choices=("polling", "webhook"), required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--deadline", type=float, default=300.0)
    parser.add_argument("--ready-timeout", type=float, default=30.0)
    args = parser.parse_args()
    fake = FakeTelegram(args.users, args.mode, args.deadline)
    result = asyncio.run(fake.run(args.port, args.ready_timeout))
    Path(args.out).write_text(json.dumps(result))


if __name__ == "__main__":
    main()
