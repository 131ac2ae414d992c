"""Golden transcripts: YAML conversations with expectations, replayed through the engine.

    name: E2 cannot bear weight
    start: {asks: consent}
    steps:
      - {input: agree, asks: age_group}
      - {input: "3", disposition: emergency, rule: E2, contains: ["112"]}

Each step's input is one console line; its expectations (asks, state, disposition, rule, done,
contains) are checked against the same turn record that `console --json` prints. Replaying
also records which routes were taken, for the coverage report of `bme-bot check`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bme_bot.adapters.console import turn_record
from bme_bot.core.engine import Engine
from bme_bot.core.events import Start, Text
from bme_bot.core.replies import Reply
from bme_bot.core.session import Session
from bme_bot.loading.errors import Issue, LoadError
from bme_bot.loading.yaml_lines import load_plain_yaml

EXPECT_KEYS = ("asks", "state", "disposition", "rule", "done", "contains")


class TranscriptError(LoadError):
    """A transcript file is malformed."""


@dataclass(frozen=True)
class Step:
    input: str
    expect: dict[str, Any]


@dataclass(frozen=True)
class Transcript:
    name: str
    path: str
    start: dict[str, Any]
    steps: tuple[Step, ...]
    region: str | None = None


@dataclass
class TranscriptResult:
    transcript: Transcript
    divergence: str | None = None
    routes: set[str] = field(default_factory=set)
    outcomes: set[str] = field(default_factory=set)
    records: list[dict[str, Any]] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return self.divergence is None


def load_transcript(path: Path | str) -> Transcript:
    path = Path(path)
    try:
        raw = load_plain_yaml(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise TranscriptError([Issue(str(path), 0, "", f"cannot read transcript: {exc}")]) from exc
    if not isinstance(raw, dict) or not isinstance(raw.get("steps"), list):
        raise TranscriptError([Issue(str(path), 1, "steps", "a transcript needs a list of steps")])
    unknown = set(raw) - {"name", "start", "steps", "region", "notes"}
    if unknown:
        raise TranscriptError([Issue(str(path), 1, ", ".join(sorted(unknown)), "unknown key")])
    steps = []
    for index, item in enumerate(raw["steps"]):
        if not isinstance(item, dict) or "input" not in item:
            raise TranscriptError(
                [Issue(str(path), 0, f"steps[{index}]", "each step needs an 'input'")]
            )
        bad = set(item) - {"input", *EXPECT_KEYS}
        if bad:
            raise TranscriptError(
                [Issue(str(path), 0, f"steps[{index}]", f"unknown keys {sorted(bad)}")]
            )
        steps.append(Step(str(item["input"]), {k: item[k] for k in EXPECT_KEYS if k in item}))
    start = raw.get("start") or {}
    return Transcript(
        str(raw.get("name", path.stem)),
        str(path),
        {k: start[k] for k in EXPECT_KEYS if k in start},
        tuple(steps),
        raw.get("region"),
    )


def load_transcripts(directory: Path | str) -> list[Transcript]:
    return [load_transcript(p) for p in sorted(Path(directory).glob("*.yaml"))]


def run_transcript(engine: Engine, transcript: Transcript) -> TranscriptResult:
    """Replay a transcript; stop at the first step whose expectations do not hold."""
    result = TranscriptResult(transcript)
    session: Session | None = None
    if transcript.region:
        session = engine.new_session(region=transcript.region)
    session, replies = engine.step(session, Start())
    if _check(result, engine, replies, session, transcript.start, "start"):
        return result
    for number, step in enumerate(transcript.steps, start=1):
        before = session
        session, replies = engine.step(session, Text(step.input))
        _record_routes(result, engine, before, session)
        where = f"step {number} (input {step.input!r})"
        if _check(result, engine, replies, session, step.expect, where):
            return result
    return result


def _record_routes(
    result: TranscriptResult, engine: Engine, before: Session, after: Session
) -> None:
    if len(after.history) == len(before.history) + 1 and after.history[:-1] == before.history:
        _, trail = engine.resolve(after.history[-1], dict(after.facts))
        result.routes.update(trail)
    if after.outcome:
        result.outcomes.add(after.outcome)


def _check(
    result: TranscriptResult,
    engine: Engine,
    replies: list[Reply],
    session: Session,
    expect: dict[str, Any],
    where: str,
) -> bool:
    """Record a divergence and return True if the turn differs from what was expected."""
    record = turn_record(engine, replies, session)
    result.records.append(record)
    problems = []
    for key in ("asks", "state", "disposition", "rule", "done"):
        if key in expect and record[key] != expect[key]:
            problems.append(f"{key}: expected {expect[key]!r}, got {record[key]!r}")
    for fragment in expect.get("contains", []):
        if str(fragment) not in record["text"]:
            problems.append(f"text does not contain {fragment!r}")
    if problems:
        result.divergence = f"{result.transcript.path}: {where}: " + "; ".join(problems)
        return True
    return False
