"""4. Verifier: `bme-bot check FLOW` on synthetic flows of 25, 50, 100 and 200 questions.

Each flow (see bench/synthflow.py) is checked the way a flow author runs it: a subprocess,
wall time from start to exit, with a content directory holding only the engine's own texts
(help, privacy), so every terminal class is also replayed through the real engine. The
abstract states and the exploration time are read from the command's own report. The growth
ratio is per doubling of the question count (2.0 = linear).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from bench.common import BME_BOT, REPO, Row, median
from bench.synthflow import generate

SIZES = (25, 50, 100, 200)
EXPLORED = re.compile(r"explored: (\d+) abstract states, (\d+) terminal classes .* in (\d+) ms")


def check_once(flow: Path, content: Path | None) -> tuple[float, int, float]:
    """(wall seconds, abstract states, exploration ms) of one `bme-bot check`."""
    command = [BME_BOT, "check", str(flow)]
    if content is not None:
        command += ["--content", str(content)]
    started = time.perf_counter()
    out = subprocess.run(command, capture_output=True, text=True, timeout=300)
    wall = time.perf_counter() - started
    if out.returncode != 0:
        raise RuntimeError(f"bme-bot check {flow} failed:\n{out.stdout}\n{out.stderr}")
    found = EXPLORED.search(out.stdout)
    if found is None:
        raise RuntimeError(f"no exploration line in:\n{out.stdout}")
    return wall, int(found.group(1)), float(found.group(3))


def run(quick: bool = False, runs: int = 3) -> list[Row]:
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="bme-bench-flows-") as tmp:
        directory = Path(tmp)
        content = directory / "content"
        content.mkdir()
        for name in ("help.md", "privacy.md"):
            shutil.copy(REPO / "content" / "en" / name, content / name)
        previous: tuple[float, int, float] | None = None
        for size in SIZES:
            flow = generate(size, directory)
            results = [check_once(flow, content) for _ in range(runs)]
            wall = median(r[0] for r in results)
            states = results[0][1]
            explore_ms = median(r[2] for r in results)
            growth = ""
            if previous is not None:
                growth = (
                    f"per doubling: wall {wall / previous[0]:.2f}x, states "
                    f"{states / previous[1]:.2f}x, exploration {explore_ms / max(previous[2], 1):.2f}x"
                )
            rows.append(
                Row(
                    "verifier",
                    f"check, synthetic {size} questions",
                    wall * 1000,
                    "ms",
                    f"{states:,} abstract states, exploring {explore_ms:.0f} ms. {growth}".strip(),
                    [r[0] * 1000 for r in results],
                    {"abstract_states": states, "explore_ms": explore_ms},
                )
            )
            previous = (wall, states, explore_ms)
    first, last = rows[0], rows[-1]
    rows.append(
        Row(
            "verifier",
            "check 25 -> 200 questions (8x)",
            last.value / first.value,
            "x",
            f"states {last.extra['abstract_states'] / first.extra['abstract_states']:.1f}x, "
            f"exploration {last.extra['explore_ms'] / max(first.extra['explore_ms'], 1):.1f}x",
        )
    )
    return rows
