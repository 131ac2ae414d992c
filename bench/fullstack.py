"""3. Full stack: the real `bme-bot telegram` process against a fake Bot API server.

Two processes per run, both on 127.0.0.1: the fake Telegram with its simulated people
(bench/fakeapi.py, pinned to CPU 1) and the bot (pinned to CPU 0), so the server's work is
never counted as the bot's. N people (100 and 1,000) each complete the whole 16-question
conversation by button taps, all at once, in polling and in webhook mode. bme-bot runs with
its SQLite store (a fresh file per run) and with Redis (database 14, key prefix `bmebench`,
deleted afterwards), logging at its default level (INFO, JSON lines to a file).

The baseline (bench/baseline_bot.py) runs the same way against the same fake server. It
processes updates one at a time, as PTB requires for a ConversationHandler: with
`concurrent_updates(True)` a tap that arrives before the handler has returned its next state is
matched against the old state, and in a trial 31 of 100 conversations stalled or answered a
question twice (`BASELINE_CONCURRENT=1` reproduces it). bme-bot handles 8 updates at once by
default; the row "1 in flight" runs it one at a time like the baseline (like for like: on
loopback a Bot API round trip costs nothing, so concurrency only adds httpcore's pool scans,
while on a real network it hides the round trips). Ratios are bme-bot / baseline within
the same `python -m bench` run: throughput above 1.0x and latency below 1.0x favour bme-bot.
Each run is bounded (60 s + 0.35 s per user); a run that does not finish is reported as
INCOMPLETE with the throughput of the updates that were answered.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench.common import BME_BOT, REPO, Row, median, percentile

TOKEN = "123456789:" + "B" * 35
SECRET = "bench-secret-0123456789"
REDIS_URL = "redis://127.0.0.1:6379/14"
REDIS_PREFIX = "bmebench_fs"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _pin(cpu: int):  # type: ignore[no-untyped-def]
    def pin() -> None:
        if len(os.sched_getaffinity(0)) > 1:
            os.sched_setaffinity(0, {cpu})

    return pin


def redis_clean() -> None:
    from redis import Redis

    client = Redis.from_url(REDIS_URL, socket_timeout=5, socket_connect_timeout=2)
    try:
        for key in client.scan_iter(match=f"{REDIS_PREFIX}:*", count=1000):
            client.delete(key)
    finally:
        client.close()


def redis_available() -> bool:
    from redis import Redis

    client = Redis.from_url(REDIS_URL, socket_timeout=2, socket_connect_timeout=1)
    try:
        return bool(client.ping())
    except Exception:
        return False
    finally:
        client.close()


def run_once(
    bot: str, mode: str, users: int, store: str = "sqlite", in_flight: int | None = None
) -> dict[str, Any]:
    """One run; `bot` is "bme", "baseline" or "baseline-concurrent"; returns the fake server's
    result. `in_flight` sets bme-bot's TELEGRAM_UPDATES_IN_FLIGHT (default: its own, 8)."""
    deadline = 60.0 + users * 0.35
    with tempfile.TemporaryDirectory(prefix="bme-bench-fs-") as tmp:
        out = Path(tmp) / "result.json"
        api_port, hook_port = free_port(), free_port()
        env = {
            **os.environ,
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_BASE_URL": f"http://127.0.0.1:{api_port}/bot",
            "BME_DATA_DIR": tmp,
            "PYTHONUNBUFFERED": "1",
        }
        for name in ("WEBHOOK_URL", "WEBHOOK_SECRET", "STORE_URL", "TELEGRAM_BOT_TOKEN_FILE"):
            env.pop(name, None)
        if mode == "webhook":
            env.update(
                WEBHOOK_URL=f"http://127.0.0.1:{hook_port}/hook",
                WEBHOOK_SECRET=SECRET,
                WEBHOOK_LISTEN="127.0.0.1",
                WEBHOOK_PORT=str(hook_port),
            )
        if bot == "bme":
            command = [BME_BOT, "telegram"]
            # Like for like: the baseline has no flood limit and no send-rate limiter, and the
            # simulated people tap with no pause. Production keeps both on (30 messages/s).
            env["TELEGRAM_CHAT_RATE"] = "0"
            env["TELEGRAM_SEND_RATE"] = "0"
            env.pop("TELEGRAM_UPDATES_IN_FLIGHT", None)
            if in_flight is not None:
                env["TELEGRAM_UPDATES_IN_FLIGHT"] = str(in_flight)
            env["STORE_URL"] = (
                f"sqlite:///{tmp}/bot.sqlite3"
                if store == "sqlite"
                else f"{REDIS_URL}?prefix={REDIS_PREFIX}"
            )
            if store == "redis":
                redis_clean()
        else:
            command = [sys.executable, "-m", "bench.baseline_bot"]
            env["BASELINE_CONCURRENT"] = "1" if bot == "baseline-concurrent" else "0"
        server_log = open(Path(tmp) / "server.log", "w")  # noqa: SIM115
        bot_log = open(Path(tmp) / "bot.log", "w")  # noqa: SIM115
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "bench.fakeapi",
                "--port",
                str(api_port),
                "--users",
                str(users),
                "--mode",
                mode,
                "--out",
                str(out),
                "--deadline",
                str(deadline),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=server_log,
            text=True,
            cwd=REPO,
            preexec_fn=_pin(1),
        )
        proc: subprocess.Popen[str] | None = None
        try:
            assert server.stdout is not None and server.stdin is not None
            ready = server.stdout.readline()
            if not ready.startswith("READY"):
                raise RuntimeError(f"fake server did not start: {ready!r}")
            proc = subprocess.Popen(
                command,
                stdout=bot_log,
                stderr=subprocess.STDOUT,
                env=env,
                cwd=REPO,
                preexec_fn=_pin(0),
            )
            server.stdin.write(f"{proc.pid}\n")
            server.stdin.close()
            server.wait(timeout=deadline + 60)
        finally:
            if proc is not None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(timeout=10)
            if server.poll() is None:
                server.kill()
                server.wait(timeout=10)
            server_log.close()
            bot_log.close()
            if bot == "bme" and store == "redis":
                redis_clean()
        if not out.exists():
            tail = (Path(tmp) / "bot.log").read_text()[-2000:]
            raise RuntimeError(f"no result from the fake server; bot log tail:\n{tail}")
        result = json.loads(out.read_text())
        if not result.get("complete"):
            log = (Path(tmp) / "bot.log").read_text()
            errors = [line for line in log.splitlines() if "Error" in line or "error" in line]
            result["bot_log_errors"] = errors[:10]
            result["first_error_context"] = log[
                max(0, log.find("ERROR") - 200) : log.find("ERROR") + 2500
            ]
            result["bot_log_tail"] = log[-3000:]
        return result


def summarise(results: list[dict[str, Any]]) -> dict[str, Any]:
    ups = [r["updates_per_second"] for r in results]
    meds = [median(r["latencies_ms"]) for r in results]
    p99s = [percentile(r["latencies_ms"], 0.99) for r in results]
    cpu = [1000 * r["bot_cpu_seconds"] / r["updates"] for r in results]
    return {
        "updates_per_second": median(ups),
        "latency_median_ms": median(meds),
        "latency_p99_ms": median(p99s),
        "bot_cpu_ms_per_update": median(cpu),
        "runs_updates_per_second": ups,
        "runs_latency_median_ms": meds,
        "runs_latency_p99_ms": p99s,
        "complete": all(r.get("complete") for r in results),
        "updates": results[0].get("updates"),
        "server_cpu_share": median(r["server_cpu_seconds"] / r["seconds"] for r in results),
    }


def run(quick: bool = False, runs: int = 3, users: tuple[int, ...] | None = None) -> list[Row]:
    sizes = users or ((100,) if quick else (100, 1000))
    stores = ["sqlite"] + (["redis"] if not quick and redis_available() else [])
    rows: list[Row] = []
    for mode in ("polling", "webhook"):
        for n in sizes:
            configs: list[tuple[str, str, str, int | None]] = [("baseline", "", "baseline", None)]
            configs += [("bme", s, f"bme-bot {s}", None) for s in stores]
            # Like for like: one update at a time, as the baseline's ConversationHandler works.
            configs.append(("bme", "sqlite", "bme-bot sqlite, 1 in flight", 1))
            summaries: dict[str, dict[str, Any]] = {}
            # Interleave the configurations run by run, so drift hits them all alike.
            collected: dict[str, list[dict[str, Any]]] = {label: [] for *_, label, _ in configs}
            for _ in range(runs):
                for bot, store, label, in_flight in configs:
                    result = run_once(bot, mode, n, store or "sqlite", in_flight)
                    if not result.get("complete"):
                        print(
                            f"  warning: {label} {mode} {n} users did not complete: "
                            f"{result.get('completed')}/{n}; {result.get('error', '')}",
                            file=sys.stderr,
                        )
                    collected[label].append(result)
            for label, results in collected.items():
                summaries[label] = summarise(results)
            base = summaries["baseline"]
            for _bot, _store, label, _in_flight in configs:
                s = summaries[label]
                note = f"{s['bot_cpu_ms_per_update']:.2f} ms bot CPU/update"
                if label.startswith("bme-bot"):
                    note += (
                        f"; {s['updates_per_second'] / base['updates_per_second']:.2f}x baseline "
                        f"throughput, median latency {s['latency_median_ms'] / base['latency_median_ms']:.2f}x"
                    )
                if not s["complete"]:
                    note += "; INCOMPLETE"
                name = f"{mode}, {n:,} users, {label}"
                rows.append(
                    Row(
                        "fullstack",
                        f"{name}: updates/s",
                        s["updates_per_second"],
                        "/s",
                        note,
                        s["runs_updates_per_second"],
                        {"summary": s},
                    )
                )
                rows.append(
                    Row(
                        "fullstack",
                        f"{name}: latency median / p99",
                        s["latency_median_ms"],
                        "ms",
                        f"p99 {s['latency_p99_ms']:.0f} ms",
                        s["runs_latency_median_ms"],
                    )
                )
    return rows
