"""HTTP/1.1 pool sizes against HTTP/2 for the bot's Bot API requests: the client's CPU per call.

    python -m bench.http2 [--calls 2000] [--runs 3] [--delays 0,30]

The full-stack fake (aiohttp) speaks HTTP/1.1 only, so HTTP/2 cannot be measured there. Here
one server serves both protocols alike: hypercorn (HTTP/1.1, and h2c with prior knowledge,
which is what httpx does for `http_version="2"` on an http:// URL) with a tiny ASGI Bot API
that answers every call with a sent message, holding it `delay` ms. The client is the bot's
own request class (`RetryingRequest` under a PTB `Bot`), 8 tasks at once (the bot's default
updates in flight), each making `sendMessage` calls with an inline keyboard; its CPU per call
(user + system, getrusage) is the figure. Server pinned to CPU 1, client to CPU 0, configs
interleaved run by run. Needs `pip install hypercorn h2` (not dependencies of the bot).

On a real network HTTP/2 also saves connection set-ups and TLS handshakes, which loopback
without TLS cannot show; this measures only the per-call cost in the bot's process.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import socket
import subprocess
import sys
import time
from typing import Any

from bench.common import REPO, median

TOKEN = "123456789:" + "B" * 35
CONFIGS: dict[str, dict[str, Any]] = {
    "HTTP/1.1, pool 32 (today)": {"connection_pool_size": 32, "http_version": "1.1"},
    "HTTP/1.1, pool 8": {"connection_pool_size": 8, "http_version": "1.1"},
    "HTTP/2, one connection": {"connection_pool_size": 8, "http_version": "2"},
}
KEYBOARD = {
    "inline_keyboard": [[{"text": f"Option {i}", "callback_data": f"q|x|1|o{i}"}] for i in range(3)]
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def make_app(delay: float) -> Any:
    """The ASGI Bot API: getMe, and a message for everything else."""

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        more = True
        while more:
            message = await receive()
            more = message.get("more_body", False)
        method = scope["path"].rsplit("/", 1)[-1]
        if delay:
            await asyncio.sleep(delay)
        if method == "getMe":
            result: Any = {"id": 1, "is_bot": True, "first_name": "B", "username": "b_bot"}
        else:
            result = {
                "message_id": 1,
                "date": int(time.time()),
                "chat": {"id": 5, "type": "private", "first_name": "P"},
                "text": "a question",
                "reply_markup": KEYBOARD,
            }
        body = json.dumps({"ok": True, "result": result}).encode()
        headers = [(b"content-type", b"application/json")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    return app


def serve(port: int, delay: float) -> None:
    from hypercorn.asyncio import serve as hypercorn_serve
    from hypercorn.config import Config

    config = Config()
    config.bind = [f"127.0.0.1:{port}"]
    config.accesslog = None
    config.errorlog = None
    config.keep_alive_timeout = 60
    asyncio.run(hypercorn_serve(make_app(delay), config))  # type: ignore[arg-type]


async def client(port: int, config: dict[str, Any], calls: int, tasks: int) -> dict[str, Any]:
    from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup

    from bme_bot.adapters.telegram.request import RetryingRequest

    request = RetryingRequest(read_timeout=30, pool_timeout=30, **config)
    bot = Bot(TOKEN, base_url=f"http://127.0.0.1:{port}/bot", request=request)
    markup = InlineKeyboardMarkup(
        [[InlineKeyboardButton(f"Option {i}", callback_data=f"q|x|1|o{i}")] for i in range(3)]
    )
    async with bot:
        for _ in range(20):  # warm up: connections made, code paths imported
            await bot.send_message(5, "warm", reply_markup=markup)
        each = calls // tasks

        async def worker() -> None:
            for _ in range(each):
                await bot.send_message(
                    5, "<b>a question</b>", parse_mode="HTML", reply_markup=markup
                )

        before = resource.getrusage(resource.RUSAGE_SELF)
        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(tasks)))
        wall = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    done = each * tasks
    return {"calls": done, "cpu_us_per_call": 1e6 * cpu / done, "calls_per_second": done / wall}


def _pinned(cpu: int):  # type: ignore[no-untyped-def]
    def pin() -> None:
        if len(os.sched_getaffinity(0)) > 1:
            os.sched_setaffinity(0, {cpu})

    return pin


def run_pair(name: str, delay_ms: int, calls: int) -> dict[str, Any]:
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "bench.http2", "--serve", str(port), "--delay-ms", str(delay_ms)],
        cwd=REPO,
        preexec_fn=_pinned(1),
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("the HTTP server did not start") from None
                time.sleep(0.05)
        out = subprocess.run(
            [
                sys.executable,
                "-m",
                "bench.http2",
                "--client",
                str(port),
                "--config",
                name,
                "--calls",
                str(calls),
            ],
            cwd=REPO,
            preexec_fn=_pinned(0),
            capture_output=True,
            text=True,
            timeout=300,
            check=True,
        )
        result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
        result["load1"] = os.getloadavg()[0]
        return result
    finally:
        server.terminate()
        server.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.http2")
    parser.add_argument("--serve", type=int)
    parser.add_argument("--client", type=int)
    parser.add_argument("--config")
    parser.add_argument("--delay-ms", type=int, default=0)
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--delays", default="0,30")
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.delay_ms / 1000)
        return
    if args.client:
        got = asyncio.run(client(args.client, CONFIGS[args.config], args.calls, 8))
        print(json.dumps(got))
        return
    results: dict[tuple[int, str], list[dict[str, Any]]] = {}
    delays = [int(d) for d in args.delays.split(",")]
    for number in range(args.runs):
        for delay in delays:
            for name in CONFIGS:
                got = run_pair(name, delay, args.calls)
                results.setdefault((delay, name), []).append(got)
                print(f"  run {number + 1} {delay} ms {name}: {got}", file=sys.stderr, flush=True)
    print("| delay | client | CPU µs per call, median [range] | calls/s median | load1 |")
    print("|---|---|---|---|---|")
    for (delay, name), got in results.items():
        cpu = [g["cpu_us_per_call"] for g in got]
        rate = [g["calls_per_second"] for g in got]
        loads = [g["load1"] for g in got]
        print(
            f"| {delay} ms | {name} | {median(cpu):.0f} [{min(cpu):.0f}-{max(cpu):.0f}] "
            f"| {median(rate):.0f} | {median(loads):.2f} |"
        )


if __name__ == "__main__":
    main()
