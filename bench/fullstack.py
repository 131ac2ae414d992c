"""3. Full stack: the real `bme-bot telegram` process against the fake Bot API, beside PTB bots.

Two processes per run, both on 127.0.0.1: the fake Telegram with its simulated people
(bench/loadgen.py on `bme_bot.testing.fake_bot_api`, pinned to CPU 1) and the bot (pinned to
CPU 0), so the server's work is never counted as the bot's. N people each go through the whole
conversation by button taps, all at once (a closed loop), in polling and in webhook mode, with
every Bot API response held 0, 30 or 80 ms (`--api-delay-ms`: a real round trip to Telegram).

The bots (`BOTS`):
- `ptb`: the hand-written PTB bot with a ConversationHandler, one update at a time, in memory
  (bench/baseline_bot.py): the baseline of the targets.
- `ptb-pickle`: the same, durable with PicklePersistence(update_interval=1).
- `ptb-perchat`: the stronger opponent: different chats at once, each chat in order (a custom
  BaseUpdateProcessor).
- `bme`: bme-bot with its SQLite store (a fresh file per run), logging at INFO to a file, 8
  updates in flight (its default).
- `bme-reply`, `bme-pool8`: bme-bot with one performance change switched on
  (bench/bme_variant.py): taps answered in the webhook response; a Bot API pool of 8.

bme-bot runs with TELEGRAM_CHAT_RATE=0 (the people tap with no pause) and, unless
`send_rate="default"`, TELEGRAM_SEND_RATE=0: the PTB bots have no send limiter either.

The machine is shared and noisy: the bots are interleaved run by run (A, B, C, A, B, C, ...),
and before each run the 1-minute load average and the CPU share other processes used over
half a second (from /proc/stat, while this bench is idle) are recorded. Medians with ranges.

Every run is bounded: at most `seconds` of load (the throughput is then that of the updates
answered in time, and the run is marked incomplete; the median latency of a slow bot is then
that of its answered updates only, which flatters it), and `users` people.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.common import BME_BOT, REPO, Row, median, percentile

TOKEN = "123456789:" + "B" * 35
SECRET = "bench-secret-0123456789"
DELAYS_MS = (0, 30, 80)
MODES = ("polling", "webhook")


@dataclass(frozen=True)
class Bot:
    key: str
    label: str
    command: tuple[str, ...]
    env: dict[str, str] = field(default_factory=dict)
    bme: bool = False
    webhook_only: bool = False


BASELINE = (sys.executable, "-m", "bench.baseline_bot")
VARIANT = (sys.executable, "-m", "bench.bme_variant")
BOTS: dict[str, Bot] = {
    b.key: b
    for b in (
        Bot("ptb", "PTB, one at a time", BASELINE, {"BASELINE_KIND": "plain"}),
        Bot("ptb-pickle", "PTB + PicklePersistence(1 s)", BASELINE, {"BASELINE_KIND": "pickle"}),
        Bot("ptb-perchat", "PTB, chats at once", BASELINE, {"BASELINE_KIND": "perchat"}),
        Bot("bme", "bme-bot (SQLite)", (BME_BOT, "telegram"), bme=True),
        Bot(
            "bme-reply",
            "bme-bot, answer in reply",
            VARIANT,
            {"BENCH_ANSWER_IN_RESPONSE": "1"},
            bme=True,
            webhook_only=True,
        ),
        Bot("bme-pool8", "bme-bot, pool of 8", VARIANT, {"BENCH_POOL": "8"}, bme=True),
    )
}
DEFAULT_BOTS = ("ptb", "ptb-pickle", "ptb-perchat", "bme")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _pin(cpu: int):  # type: ignore[no-untyped-def]
    def pin() -> None:
        if len(os.sched_getaffinity(0)) > 1:
            os.sched_setaffinity(0, {cpu})

    return pin


def _cpu_times() -> tuple[int, int]:
    with open("/proc/stat") as stat:
        values = [int(v) for v in stat.readline().split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return sum(values) - idle, sum(values)


def noise(window: float = 0.5) -> dict[str, float]:
    """The load average and the CPU share (all cores, %) busy over `window` seconds, taken
    while this bench runs nothing: what other processes use."""
    busy0, total0 = _cpu_times()
    time.sleep(window)
    busy1, total1 = _cpu_times()
    share = 100.0 * (busy1 - busy0) / max(1, total1 - total0)
    return {"load1": os.getloadavg()[0], "other_cpu_pct": round(share, 1)}


def run_once(
    bot: Bot,
    mode: str,
    users: int,
    delay_ms: float,
    seconds: float,
    send_rate: str = "0",
    profile: Path | None = None,
) -> dict[str, Any]:
    """One bounded run; returns the load generator's result plus the noise before it. With
    `profile`, py-spy samples the bot (100 Hz, its own CPU) into that file (collapsed stacks)
    while the run lasts; the sampling costs the bot a little CPU of its own."""
    before = noise()
    with tempfile.TemporaryDirectory(prefix="bme-bench-fs-") as tmp:
        out = Path(tmp) / "result.json"
        api_port, hook_port = free_port(), free_port()
        env = {
            **os.environ,
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_BASE_URL": f"http://127.0.0.1:{api_port}/bot",
            "BME_DATA_DIR": tmp,
            "PYTHONUNBUFFERED": "1",
            **bot.env,
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
        if bot.bme:
            env["TELEGRAM_CHAT_RATE"] = "0"
            if send_rate == "default":
                env.pop("TELEGRAM_SEND_RATE", None)
            else:
                env["TELEGRAM_SEND_RATE"] = send_rate
            env.pop("TELEGRAM_UPDATES_IN_FLIGHT", None)
            env["STORE_URL"] = f"sqlite:///{tmp}/bot.sqlite3"
        server_log = open(Path(tmp) / "server.log", "w")  # noqa: SIM115
        bot_log = open(Path(tmp) / "bot.log", "w")  # noqa: SIM115
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "bench.loadgen",
                "--port",
                str(api_port),
                "--users",
                str(users),
                "--mode",
                mode,
                "--out",
                str(out),
                "--deadline",
                str(seconds),
                "--api-delay-ms",
                str(delay_ms),
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
                list(bot.command),
                stdout=bot_log,
                stderr=subprocess.STDOUT,
                env=env,
                cwd=REPO,
                preexec_fn=_pin(0),
            )
            spy = _spy(proc.pid, profile, seconds) if profile is not None else None
            server.stdin.write(f"{proc.pid}\n")
            server.stdin.close()
            server.wait(timeout=seconds + 90)
            if spy is not None:
                spy.send_signal(signal.SIGINT)
                spy.wait(timeout=30)
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
        if not out.exists():
            tail = (Path(tmp) / "bot.log").read_text()[-2000:]
            raise RuntimeError(f"no result from the fake server; bot log tail:\n{tail}")
        result: dict[str, Any] = json.loads(out.read_text())
        if not result.get("answered"):
            result["bot_log_tail"] = (Path(tmp) / "bot.log").read_text()[-3000:]
    result.update(before)
    return result


def _spy(pid: int, out: Path, seconds: float) -> subprocess.Popen[bytes]:
    py_spy = str(Path(sys.executable).parent / "py-spy")
    return subprocess.Popen(
        [
            py_spy,
            "record",
            "--pid",
            str(pid),
            "--rate",
            "100",
            "--format",
            "raw",
            "--duration",
            str(int(seconds) + 30),
            "--output",
            str(out),
            "--nonblocking",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def summarise(results: list[dict[str, Any]]) -> dict[str, Any]:
    ups = [r.get("updates_per_second", 0.0) for r in results]
    meds = [median(r["latencies_ms"]) if r.get("latencies_ms") else float("nan") for r in results]
    p99s = [percentile(r.get("latencies_ms", []), 0.99) for r in results]
    cpu = [
        1000 * r["bot_cpu_seconds"] / r["answered"] if r.get("answered") else float("nan")
        for r in results
    ]
    loads = [r["load1"] for r in results]
    others = [r["other_cpu_pct"] for r in results]
    return {
        "updates_per_second": median(ups),
        "latency_median_ms": median(meds),
        "latency_p99_ms": median(p99s),
        "bot_cpu_ms_per_update": median(cpu),
        "runs_updates_per_second": ups,
        "runs_latency_median_ms": meds,
        "runs_bot_cpu_ms_per_update": cpu,
        "runs_load1": loads,
        "runs_other_cpu_pct": others,
        "complete_runs": sum(1 for r in results if r.get("complete")),
        "runs": len(results),
        "answered": [r.get("answered") for r in results],
        "calls": results[-1].get("calls"),
        "webhook_replies": results[-1].get("webhook_replies"),
    }


def _span(values: Sequence[float], digits: int = 0) -> str:
    clean = [v for v in values if v == v]
    if not clean:
        return "n/a"
    m = median(clean)
    if len(clean) == 1:
        return f"{m:.{digits}f}"
    return f"{m:.{digits}f} [{min(clean):.{digits}f}-{max(clean):.{digits}f}]"


def markdown(cells: dict[tuple[int, str, str], dict[str, Any]], users: dict[int, int]) -> str:
    """The table for docs/PERFORMANCE.md: delay x mode x bot, ratios against `ptb`."""
    lines = [
        "| delay | mode | bot | users | updates/s median [range] | x ptb | median latency ms"
        " | x ptb | CPU ms/update [range] | load1 [range] | other CPU % | complete |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for (delay, mode, key), s in cells.items():
        base = cells.get((delay, mode, "ptb"))
        ratio = lat = ""
        if base and key != "ptb":
            ratio = f"{s['updates_per_second'] / base['updates_per_second']:.2f}x"
            lat = f"{s['latency_median_ms'] / base['latency_median_ms']:.2f}x"
        lines.append(
            f"| {delay} ms | {mode} | {BOTS[key].label} | {users[delay]} "
            f"| {_span(s['runs_updates_per_second'])} | {ratio} "
            f"| {_span(s['runs_latency_median_ms'])} | {lat} "
            f"| {_span(s['runs_bot_cpu_ms_per_update'], 2)} | {_span(s['runs_load1'], 2)} "
            f"| {_span(s['runs_other_cpu_pct'])} | {s['complete_runs']}/{s['runs']} |"
        )
    return "\n".join(lines)


def run(
    quick: bool = False,
    runs: int = 3,
    users: tuple[int, ...] | None = None,
    delays: Sequence[int] | None = None,
    bots: Sequence[str] | None = None,
    modes: Sequence[str] | None = None,
    seconds: float | None = None,
    send_rate: str = "0",
    profile: Path | None = None,
) -> list[Row]:
    """`users`: one count for every delay, or one per delay (default 100 at 0 ms, 40 with a
    delay; quick: 10). `seconds`: the bound on each run's load (default 30; quick 10)."""
    delays = tuple(delays or ((0, 30) if quick else DELAYS_MS))
    keys = [k for k in (bots or (("ptb", "bme") if quick else DEFAULT_BOTS))]
    unknown = [k for k in keys if k not in BOTS]
    if unknown:
        raise ValueError(f"unknown bot(s) {unknown}; choose from {list(BOTS)}")
    modes = tuple(modes or MODES)
    limit = seconds or (10.0 if quick else 30.0)
    if users and len(users) == len(delays):
        per_delay = dict(zip(delays, users, strict=True))
    elif users:
        per_delay = dict.fromkeys(delays, users[0])
    else:
        per_delay = {d: (10 if quick else (100 if d == 0 else 40)) for d in delays}
    collected: dict[tuple[int, str, str], list[dict[str, Any]]] = {}
    for number in range(runs):
        for delay in delays:
            for mode in modes:
                for key in keys:  # interleaved: A, B, C, then A, B, C in the next run
                    bot = BOTS[key]
                    if bot.webhook_only and mode != "webhook":
                        continue
                    spy = (
                        profile.with_name(f"{profile.name}-{delay}ms-{mode}-{key}-{number + 1}.txt")
                        if profile is not None
                        else None
                    )
                    result = run_once(bot, mode, per_delay[delay], delay, limit, send_rate, spy)
                    collected.setdefault((delay, mode, key), []).append(result)
                    print(
                        f"  run {number + 1}/{runs} {delay:>2} ms {mode:<7} {key:<12} "
                        f"{result.get('updates_per_second', 0):7.1f} upd/s "
                        f"{'complete' if result.get('complete') else 'INCOMPLETE'} "
                        f"load {result['load1']:.2f} other {result['other_cpu_pct']:.0f}%",
                        file=sys.stderr,
                        flush=True,
                    )
    cells = {cell: summarise(results) for cell, results in collected.items()}
    table = markdown(cells, per_delay)
    rows: list[Row] = []
    for (delay, mode, key), s in cells.items():
        base = cells.get((delay, mode, "ptb"))
        note = f"{s['bot_cpu_ms_per_update']:.2f} ms bot CPU/update"
        if base and key != "ptb":
            note += (
                f"; {s['updates_per_second'] / base['updates_per_second']:.2f}x ptb throughput, "
                f"median latency {s['latency_median_ms'] / base['latency_median_ms']:.2f}x"
            )
        if s["complete_runs"] < s["runs"]:
            note += f"; {s['runs'] - s['complete_runs']} run(s) cut at {limit:.0f} s"
        rows.append(
            Row(
                "fullstack",
                f"{delay} ms, {mode}, {per_delay[delay]} users, {key}: updates/s",
                s["updates_per_second"],
                "/s",
                note,
                s["runs_updates_per_second"],
                {"summary": s, "delay_ms": delay, "mode": mode, "bot": key},
            )
        )
    if rows:
        rows[0].extra["markdown"] = table
    return rows
