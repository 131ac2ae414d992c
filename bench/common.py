"""Shared helpers: statistics, timing, the shipped engine, the long conversation, the table."""

from __future__ import annotations

import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
BME_BOT = str(BIN / "bme-bot")

PREFERRED_ANSWERS = (
    "agree",
    "adult",
    "knee",
    "gradual",
    "normal",
    "no",
    "stable",
    "1_to_6_weeks",
)
"""The simulated person's answers: the first of these that a question offers (else its first
option; a checklist gets "none"). On the shipped flow (contract version 2) this is a
conversation of 9 answers (the median to a soon, routine or self-care advice is 10)."""


def pick_answer(option_ids: Sequence[str]) -> str:
    return next((p for p in PREFERRED_ANSWERS if p in option_ids), option_ids[0])


def median(values: Iterable[float]) -> float:
    return statistics.median(list(values))


def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile (0.99 = p99)."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(1, min(len(ordered), round(fraction * len(ordered) + 0.5)))
    return ordered[rank - 1]


def timed(fn: Callable[[], Any]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def rss_bytes() -> int:
    """Resident set size of this process (Linux /proc)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def machine() -> dict[str, Any]:
    model = ""
    try:
        with open("/proc/cpuinfo") as info:
            model = next(
                (line.split(":", 1)[1].strip() for line in info if line.startswith("model name")),
                "",
            )
    except OSError:
        pass
    return {
        "cpus": os.cpu_count(),
        "cpu": model,
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def shipped_engine():  # type: ignore[no-untyped-def]
    from bme_bot.bootstrap import build_engine
    from bme_bot.config import load_settings

    return build_engine(load_settings({}))


def long_conversation(engine) -> list[tuple[Any, Any]]:  # type: ignore[no-untyped-def]
    """(session before, Answer event) for every answer of the 16-question conversation."""
    from bme_bot.core.events import Answer, Start

    session, replies = engine.step(None, Start())
    steps = []
    while replies[-1].question is not None:
        reply = replies[-1]
        event = Answer(pick_answer([o.id for o in reply.options]), reply.question, reply.turn)
        steps.append((session, event))
        session, replies = engine.step(session, event)
    return steps


@dataclass
class Row:
    """One line of the final table: a figure, its value, its unit, and what it is against."""

    section: str
    name: str
    value: float
    unit: str
    note: str = ""
    runs: list[float] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_runs(
        cls, section: str, name: str, runs: Iterable[float], unit: str, note: str = ""
    ) -> Row:
        """A figure measured in several runs: its value is their median."""
        values = list(runs)
        return cls(section, name, median(values), unit, note, values)


def fmt(value: float, unit: str) -> str:
    if value != value:  # NaN
        return "n/a"
    if unit in ("x", "ratio"):
        return f"{value:.2f}x"
    if unit == "%":
        return f"{value:.1f}%"
    if abs(value) >= 1000 or float(value).is_integer():
        return f"{value:,.0f} {unit}"
    if abs(value) >= 100:
        return f"{value:.0f} {unit}"
    if abs(value) >= 10:
        return f"{value:.1f} {unit}"
    return f"{value:.2f} {unit}"


def table(rows: Sequence[Row], *, markdown: bool = False) -> str:
    head = ("section", "figure", "median", "runs", "note")
    body = [
        (
            r.section,
            r.name,
            fmt(r.value, r.unit),
            str(len(r.runs)) if r.runs else "-",
            r.note,
        )
        for r in rows
    ]
    if markdown:
        lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        lines += ["| " + " | ".join(cells) + " |" for cells in body]
        return "\n".join(lines)
    widths = [
        max(len(h), *(len(b[i]) for b in body)) if body else len(h) for i, h in enumerate(head)
    ]
    out = ["  ".join(h.ljust(w) for h, w in zip(head, widths, strict=True))]
    out.append("  ".join("-" * w for w in widths))
    out += ["  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) for cells in body]
    return "\n".join(out)
