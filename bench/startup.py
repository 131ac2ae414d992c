"""5. Start-up: `bme-bot console --json` to its first JSON line, and `bme-bot check`.

Both are subprocesses timed from spawn: the console to the first line on its stdout (the
first question, as a script sees it), `check` (the shipped flow, content and golden
transcripts, as `make test` runs it) to its exit. `python -c pass` is timed the same way as
the floor any Python command pays on this machine.
"""

from __future__ import annotations

import subprocess
import sys
import time

from bench.common import BME_BOT, REPO, Row, median


def first_line_seconds(command: list[str]) -> float:
    started = time.perf_counter()
    proc = subprocess.Popen(
        command,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        cwd=REPO,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        elapsed = time.perf_counter() - started
        if not line.startswith("{"):
            raise RuntimeError(f"unexpected first line: {line!r}")
    finally:
        if proc.stdin is not None:
            proc.stdin.close()
        proc.wait(timeout=30)
    return elapsed


def exit_seconds(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, capture_output=True, check=True, timeout=120, cwd=REPO)
    return time.perf_counter() - started


def run(quick: bool = False, runs: int = 3) -> list[Row]:
    repeats = max(runs, 5 if quick else 10)
    floor = [exit_seconds([sys.executable, "-c", "pass"]) * 1000 for _ in range(repeats)]
    console = [first_line_seconds([BME_BOT, "console", "--json"]) * 1000 for _ in range(repeats)]
    check = [exit_seconds([BME_BOT, "check"]) * 1000 for _ in range(max(runs, 3 if quick else 5))]
    return [
        Row.from_runs(
            "startup",
            "console --json to first JSON line",
            console,
            "ms",
            f"target < 300 ms; python -c pass takes {median(floor):.0f} ms",
        ),
        Row.from_runs(
            "startup", "check, shipped flow (wall)", check, "ms", "target well under 1 s"
        ),
    ]
