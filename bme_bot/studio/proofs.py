"""The result of `bme-bot check` for the page: the exact text `check` prints, and the same
facts as data the page can click (each property with its counterexample, path counts and
lengths per disposition, the transitions and outcomes the golden transcripts reach, the lint).

The data comes from the functions `check` itself calls (`explore`, `prove_unsure`,
`run_transcript`, `lint_content`); the text from the command itself.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bme_bot.checking import ENGINE_CONTENT, issue_lines
from bme_bot.core.content import ContentLibrary
from bme_bot.core.engine import Engine
from bme_bot.core.flow import Flow
from bme_bot.core.unsure_proof import describe as describe_unsure
from bme_bot.core.unsure_proof import prove_unsure
from bme_bot.core.verifier import Answers, explore
from bme_bot.loading.content_loader import lint_content, load_content
from bme_bot.loading.errors import LoadError
from bme_bot.loading.flow_loader import content_ids_used, load_flow
from bme_bot.transcripts import load_transcripts, run_transcript

CHECK_TIMEOUT = 600.0
"""Seconds `bme-bot check` may take; the shipped flow takes a few."""


@dataclass(frozen=True)
class CheckInputs:
    """What `bme-bot check` is given (a flow or folder, or none for the shipped flows, and
    optionally content and transcripts) and the flow the page shows."""

    target: Path | None
    flows: tuple[Path, ...]
    selected: Path
    content: Path | None
    transcripts: Path | None

    def arguments(self) -> list[str]:
        args = [str(self.target)] if self.target is not None else []
        if self.content:
            args += ["--content", str(self.content)]
        if self.transcripts:
            args += ["--transcripts", str(self.transcripts)]
        return args

    def command(self) -> str:
        return " ".join(["bme-bot check", *self.arguments()])


def run_proofs(inputs: CheckInputs) -> dict[str, Any]:
    """Everything the proofs panel shows, as JSON-ready data (slow: seconds on a big flow).

    The text is `bme-bot check` itself, run as a command beside this process's own pass over
    the same files, so the page shows exactly what the command prints and a second core
    shortens the wait."""
    command = [sys.executable, "-m", "bme_bot", "check", *inputs.arguments()]
    with subprocess.Popen(  # noqa: S603 - our own interpreter and CLI, arguments as a list
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    ) as check:
        data = _facts(inputs)
        text, _ = check.communicate(timeout=CHECK_TIMEOUT)
    data.update({"ok": check.returncode == 0, "text": text, "command": inputs.command()})
    data["flows"] = len(inputs.flows)
    return data


def _facts(inputs: CheckInputs) -> dict[str, Any]:
    data: dict[str, Any] = {}
    content: ContentLibrary | None = None
    try:
        content = load_content(inputs.content) if inputs.content else None
        flow = load_flow(inputs.selected, content)
    except LoadError as exc:
        data["load_errors"] = issue_lines(exc.issues)
        return data
    engine = Engine(flow, content) if content is not None else None
    data.update(_properties(flow, engine))
    if engine is not None and inputs.transcripts is not None and inputs.transcripts.is_dir():
        data["coverage"] = _coverage(engine, inputs.transcripts)
    if content is not None:
        data["lint"] = _lint(inputs, dict(content))
    return data


def _answers(answers: Answers) -> list[list[str]]:
    return [[fact, value] for fact, value in answers]


def _properties(flow: Flow, engine: Engine | None) -> dict[str, Any]:
    result = explore(flow, resolve=engine.resolve if engine else None)
    violated = {v.invariant: v for v in reversed(result.violations)}
    properties: list[dict[str, Any]] = []
    for invariant in flow.invariants:
        v = violated.get(invariant.id)
        properties.append(
            {
                "id": invariant.id,
                "description": invariant.description,
                "proved": v is None,
                "line": invariant.line,
                "detail": ""
                if v is None
                else f"reached {v.outcome} ({v.disposition}), needs at least {v.at_least}",
                "counterexample": None if v is None else _answers(v.answers),
            }
        )
    sound = not result.problems and not result.truncated
    properties.append(
        {
            "id": "P6",
            "description": "structure: every path ends at an outcome, no path asks a fact twice",
            "proved": sound,
            "line": 0,
            "detail": "; ".join(f"{p.kind} at {p.state}: {p.detail}" for p in result.problems[:5]),
            "counterexample": _answers(result.problems[0].answers) if result.problems else None,
        }
    )
    if flow.unsure:
        proof = prove_unsure(flow)
        first = proof.violations[0] if proof.violations else None
        properties.append(
            {
                "id": "P11",
                "description": f"'not sure' is never safer ({len(flow.unsure)} facts)",
                "proved": not proof.violations and not proof.truncated,
                "line": 0,
                "detail": describe_unsure(first) if first else "",
                "counterexample": _answers(first.answers) if first else None,
            }
        )
    by_disposition = [
        {
            "disposition": name,
            "paths": sum(lengths.values()),
            "shortest": min(lengths),
            "median": _median(lengths),
            "longest": max(lengths),
        }
        for name, lengths in sorted(result.questions_by_disposition.items())
    ]
    return {
        "properties": properties,
        "paths": {
            "total": result.concrete_paths,
            "classes": result.terminal_cubes,
            "by_disposition": by_disposition,
        },
        "unreached_outcomes": sorted(set(flow.outcomes) - result.outcomes_reached),
        "routes_explored": sorted(result.routes_taken),
    }


def _median(lengths: Any) -> int:
    half, seen = sum(lengths.values()) / 2, 0
    for length in sorted(lengths):
        seen += lengths[length]
        if seen >= half:
            return int(length)
    return 0


def _coverage(engine: Engine, directory: Path) -> dict[str, Any]:
    try:
        transcripts = load_transcripts(directory)
    except LoadError as exc:
        return {"errors": issue_lines(exc.issues)}
    routes: set[str] = set()
    outcomes: set[str] = set()
    diverging = []
    for transcript in transcripts:
        result = run_transcript(engine, transcript)
        routes |= result.routes
        outcomes |= result.outcomes
        if result.divergence:
            diverging.append(result.divergence)
    all_routes = sorted({r.id for r in engine.flow.all_routes()})
    return {
        "transcripts": len(transcripts),
        "diverging": diverging,
        "routes": sorted(routes & set(all_routes)),
        "routes_never": [r for r in all_routes if r not in routes],
        "outcomes": sorted(outcomes),
        "outcomes_never": sorted(set(engine.flow.outcomes) - outcomes),
    }


def _lint(inputs: CheckInputs, docs: dict[str, Any]) -> dict[str, Any]:
    used: set[str] = set(ENGINE_CONTENT)
    for path in inputs.flows:
        try:
            used |= content_ids_used(load_flow(path, docs))
        except LoadError:
            used = set(docs)  # as `check` does: a flow that did not load uses nothing
            break
    issues, reports = lint_content(docs, used)
    return {
        "issues": [str(i) for i in issues],
        "files": [
            {"id": r.id, "words": r.words, "sentence": r.average_sentence_words}
            for r in sorted(reports, key=lambda r: r.id)
        ],
    }
