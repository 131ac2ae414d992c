"""Golden transcripts: YAML conversations with expectations, replayed through the engine.

    name: E2 cannot bear weight
    start: {asks: consent}
    steps:
      - {input: agree, asks: age_group}
      - {input: "3", disposition: emergency, rule: E2, contains: ["112"]}

Each step's input is one console line; its expectations (asks, state, disposition, rule, done,
contains, facts, progress) are checked against the same turn record that `console --json`
prints. `asks` is a list of facts for a checklist; `facts` must equal the answers as given
(`unsure` kept); `progress` is `[answered, at_most]` or `{answered: n, at_most: m}`. Replaying
also records which routes were taken, for the coverage report of `bme-bot check`.
`bme-bot console --record FILE` writes this format (`transcript_text`, `save_transcript`).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bme_bot.adapters.console import console_event, turn_record
from bme_bot.core.engine import Engine
from bme_bot.core.events import Start
from bme_bot.core.replies import Reply
from bme_bot.core.session import Session
from bme_bot.loading.errors import Issue, LoadError
from bme_bot.loading.yaml_lines import load_plain_yaml

EXPECT_KEYS = ("asks", "state", "disposition", "rule", "done", "contains", "facts", "progress")
COMPARED_KEYS = ("asks", "state", "disposition", "rule", "done")
"""Expectations compared for equality with the turn record as they are written."""


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
    lang: str | None = None
    """The language the conversation starts in (`lang: es`); None is the default locale."""


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
    unknown = set(raw) - {"name", "start", "steps", "region", "lang", "notes"}
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
        where = f"steps[{index}]"
        steps.append(Step(str(item["input"]), _expectations(item, str(path), where)))
    start = raw.get("start") or {}
    if not isinstance(start, dict):
        raise TranscriptError([Issue(str(path), 0, "start", "start must be a mapping")])
    return Transcript(
        str(raw.get("name", path.stem)),
        str(path),
        _expectations(start, str(path), "start"),
        tuple(steps),
        raw.get("region"),
        None if raw.get("lang") is None else str(raw["lang"]),
    )


def _expectations(item: dict[str, Any], path: str, where: str) -> dict[str, Any]:
    """The expectations of one turn, with `facts` and `progress` checked and normalised."""
    expect = {k: item[k] for k in EXPECT_KEYS if k in item}
    if "facts" in expect:
        facts = expect["facts"]
        if not isinstance(facts, dict) or not all(
            isinstance(v, str) and isinstance(k, str) for k, v in facts.items()
        ):
            raise TranscriptError(
                [
                    Issue(
                        path,
                        0,
                        f"{where}.facts",
                        'facts must map fact names to values (quote "yes" and "no")',
                    )
                ]
            )
    if "progress" in expect:
        expect["progress"] = _progress(expect["progress"], path, where)
    return expect


def _progress(value: Any, path: str, where: str) -> dict[str, int]:
    if isinstance(value, dict) and set(value) == {"answered", "at_most"}:
        pair = [value["answered"], value["at_most"]]
    elif isinstance(value, list):
        pair = value
    else:
        pair = []
    if len(pair) != 2 or not all(isinstance(n, int) and not isinstance(n, bool) for n in pair):
        raise TranscriptError(
            [
                Issue(
                    path,
                    0,
                    f"{where}.progress",
                    "progress is [answered, at_most] or {answered: n, at_most: m}",
                )
            ]
        )
    return {"answered": pair[0], "at_most": pair[1]}


def load_transcripts(directory: Path | str) -> list[Transcript]:
    return [load_transcript(p) for p in sorted(Path(directory).glob("*.yaml"))]


def run_transcript(engine: Engine, transcript: Transcript) -> TranscriptResult:
    """Replay a transcript; stop at the first step whose expectations do not hold."""
    result = TranscriptResult(transcript)
    session: Session | None = None
    if transcript.lang and engine.for_locale(transcript.lang).locale != transcript.lang:
        result.divergence = f"start: locale {transcript.lang!r} is not shipped"
        return result
    if transcript.region:
        session = engine.for_locale(transcript.lang).new_session(region=transcript.region)
    session, replies = engine.step(session, Start(), locale=transcript.lang)
    if _check(result, engine, replies, session, transcript.start, "start"):
        return result
    for number, step in enumerate(transcript.steps, start=1):
        before = session
        session, replies = engine.step(session, console_event(step.input))
        _record_routes(result, engine, before, session)
        where = f"step {number} (input {step.input!r})"
        if _check(result, engine, replies, session, step.expect, where):
            return result
    return result


def _record_routes(
    result: TranscriptResult, engine: Engine, before: Session, after: Session
) -> None:
    if after.history != before.history:
        result.routes.update(after.trail)  # the engine records the routes each answer took
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
    for key in COMPARED_KEYS:
        if key in expect and record[key] != expect[key]:
            problems.append(f"{key}: expected {expect[key]!r}, got {record[key]!r}")
    if "facts" in expect and record["facts"] != expect["facts"]:
        problems.append("facts: " + _facts_difference(expect["facts"], record["facts"]))
    if "progress" in expect and record["progress"] != expect["progress"]:
        want, got = expect["progress"], record["progress"]
        problems.append(
            f"progress: expected {want['answered']} of at most {want['at_most']}, "
            f"got {got['answered']} of at most {got['at_most']}"
        )
    for fragment in expect.get("contains", []):
        if str(fragment) not in record["text"]:
            problems.append(f"text does not contain {fragment!r}")
    if problems:
        result.divergence = f"{result.transcript.path}: {where}: " + "; ".join(problems)
        return True
    return False


def _facts_difference(expected: dict[str, str], got: dict[str, str]) -> str:
    """Name only the facts that differ: 'fever expected 'yes', got 'unsure'; site missing'."""
    parts = []
    for fact in sorted(set(expected) | set(got)):
        if fact not in got:
            parts.append(f"{fact} expected {expected[fact]!r}, missing")
        elif fact not in expected:
            parts.append(f"{fact} not expected, got {got[fact]!r}")
        elif expected[fact] != got[fact]:
            parts.append(f"{fact} expected {expected[fact]!r}, got {got[fact]!r}")
    return "; ".join(parts)


def _turn_expectations(record: dict[str, Any]) -> dict[str, Any]:
    """What a recorded turn should keep producing: where it stands, the facts, the progress."""
    expect: dict[str, Any] = {}
    if record["asks"] is not None:
        expect["asks"] = record["asks"]
    if record["done"]:
        expect["disposition"] = record["disposition"]
        expect["rule"] = record["rule"]
    expect["done"] = record["done"]
    expect["facts"] = dict(record["facts"])
    progress = record["progress"]
    expect["progress"] = [progress["answered"], progress["at_most"]]
    return expect


def transcript_text(
    name: str,
    start: dict[str, Any],
    steps: Sequence[tuple[str, dict[str, Any]]],
    *,
    region: str | None = None,
    locale: str | None = None,
) -> str:
    """A recorded conversation as a golden transcript: each input with what its turn produced."""
    data: dict[str, Any] = {"name": name}
    if locale:
        data["lang"] = locale
    if region:
        data["region"] = region
    data["start"] = _turn_expectations(start)
    data["steps"] = [{"input": line, **_turn_expectations(record)} for line, record in steps]
    header = (
        "# Recorded with `bme-bot console --record`: check each expectation before you commit.\n"
    )
    return header + yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)


def save_transcript(path: Path, text: str, *, force: bool = False) -> None:
    """Write atomically: a reader sees the old file or the whole new one, never half.

    Without `force` an existing file is never replaced, even one created meanwhile (the
    temporary file is linked into place, which fails if the name is taken)."""
    directory = path.parent if str(path.parent) else Path(".")
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        if force:
            os.replace(temporary, path)
        else:
            os.link(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)
