"""Property 11: "not sure" is never safer than a real answer, proved over every path.

For each fact that may be answered `unsure`, and each other value `v` of it, two runs of the
flow are explored side by side over one shared cube of answers: run A answers the fact
`unsure`, run B answers `v`, and every other answer is the same in both (a fact that only one
run asks is free in the other). Whatever A reaches must be at least as urgent as what B
reaches. Because conditions read `unsure` as the declared cautious value, "not sure" equals
that answer by construction; what is proved here is that the declared value is the careful
one. It fails when another answer is never less urgent and sometimes more urgent (the
declaration names the less careful answer: a counterexample is printed). Where the table
itself makes neither answer always the more careful (each is more urgent on some paths), the
classes where "not sure" is the less urgent are counted and reported, not hidden.
"""

from __future__ import annotations

from dataclasses import dataclass

from bme_bot.core.conditions import Cube, split
from bme_bot.core.flow import UNSURE, Flow, urgency
from bme_bot.core.verifier import Answers, preset_cube


@dataclass(frozen=True)
class UnsureViolation:
    fact: str
    counted_as: str
    other: str
    outcome_unsure: str
    outcome_other: str
    answers: Answers


@dataclass(frozen=True)
class MixedFact:
    """Neither answer is always the more careful: reported with one example each way."""

    fact: str
    other: str
    safer_classes: int
    example: UnsureViolation


@dataclass(frozen=True)
class _Run:
    state: str
    asked: tuple[str, ...]  # facts this run asked, in order
    routers: frozenset[str] = frozenset()
    at_question: bool = False  # the question at `state` was asked: route onwards


@dataclass(frozen=True)
class _Pair:
    cube: Cube  # shared answers, without the fact under test
    runs: tuple[_Run, _Run]
    forked: bool = False  # until the fact is asked, both runs are one and the same


@dataclass
class UnsureReport:
    violations: list[UnsureViolation]
    mixed: list[MixedFact]
    nodes: int
    truncated: bool


def prove_unsure(flow: Flow, max_nodes: int = 2_000_000) -> UnsureReport:
    """Check every unsure fact against every other value of it."""
    report = UnsureReport([], [], 0, False)
    for fact, counted_as in flow.unsure.items():
        for other in flow.values(fact):
            if other in (UNSURE, counted_as):
                continue
            safer, careful, example, explored = _compare(
                flow, fact, (UNSURE, other), max_nodes - report.nodes
            )
            report.nodes += explored
            if report.nodes >= max_nodes:
                report.truncated = True
                return report
            if example is not None and careful == 0:
                report.violations.append(example)
            elif example is not None:
                report.mixed.append(MixedFact(fact, other, safer, example))
    return report


def _compare(
    flow: Flow, fact: str, values: tuple[str, str], max_nodes: int
) -> tuple[int, int, UnsureViolation | None, int]:
    """(classes where unsure is less urgent, classes where it is more, an example, nodes)."""
    start = _Run(flow.start, flow.presets)  # preset facts: "asked" before the first question
    stack = [_Pair(preset_cube(flow), (start, start))]
    explored = safer = careful = 0
    example: UnsureViolation | None = None
    while stack and explored < max_nodes:
        pair = stack.pop()
        explored += 1
        if not pair.forked:
            run = pair.runs[0]
            if run.state in flow.outcomes:
                continue  # the fact was never asked: both answers end here alike
            for cube, moved in _advance(flow, fact, values[0], pair.cube, run):
                stack.append(_Pair(cube, (moved, moved), forked=fact in moved.asked))
            continue
        side = 0 if pair.runs[0].state not in flow.outcomes else 1
        run = pair.runs[side]
        if run.state in flow.outcomes:
            difference = _difference(flow, pair)
            careful += difference > 0
            if difference < 0:
                safer += 1
                example = example or _example(flow, fact, values, pair)
            continue
        for cube, moved in _advance(flow, fact, values[side], pair.cube, run):
            runs = (moved, pair.runs[1]) if side == 0 else (pair.runs[0], moved)
            stack.append(_Pair(cube, runs, forked=True))
    return safer, careful, example, explored


def _difference(flow: Flow, pair: _Pair) -> int:
    """How much more urgent the "not sure" run ended than the other run."""
    unsure_run, other_run = pair.runs
    return urgency(flow.outcomes[unsure_run.state].disposition) - urgency(
        flow.outcomes[other_run.state].disposition
    )


def _example(flow: Flow, fact: str, values: tuple[str, str], pair: _Pair) -> UnsureViolation:
    unsure_run, other_run = pair.runs
    reached = flow.outcomes[unsure_run.state]
    other = flow.outcomes[other_run.state]
    answers = tuple(
        (f, values[0] if f == fact else min(pair.cube[f], key=list(flow.values(f)).index))
        for f in unsure_run.asked
    )
    return UnsureViolation(fact, flow.unsure[fact], values[1], reached.id, other.id, answers)


def _view(cube: Cube, run: _Run, fact: str, value: str) -> dict[str, frozenset[str]]:
    """What one run has answered: its own facts from the shared cube, and its fixed value."""
    view = {f: cube[f] for f in run.asked if f != fact}
    if fact in run.asked:
        view[fact] = frozenset({value})
    return view


def _merge(cube: Cube, piece: Cube, fact: str) -> Cube:
    return {**cube, **{f: v for f, v in piece.items() if f != fact}}


def _advance(flow: Flow, fact: str, value: str, cube: Cube, run: _Run) -> list[tuple[Cube, _Run]]:
    """One step of one run: ask the question at its state, or take a route."""
    question = flow.questions.get(run.state)
    if question is not None and not run.at_question:
        view = _view(cube, run, fact, value)
        shown_sets: list[tuple[tuple[str, ...], Cube]] = [((), view)]
        if question.is_checklist:
            shown_sets = []
            pieces: list[tuple[tuple[str, ...], Cube]] = [((), view)]
            for item in question.items:
                if item.fact in view:
                    continue
                grown: list[tuple[tuple[str, ...], Cube]] = []
                for shown, piece in pieces:
                    holds, fails = split(piece, item.when)
                    grown += [((*shown, item.fact), p) for p in holds]
                    grown += [(shown, p) for p in fails]
                pieces = grown
            shown_sets = pieces
        elif question.fact not in run.asked:
            shown_sets = [((question.fact,), view)]
        out: list[tuple[Cube, _Run]] = []
        for shown, piece in shown_sets:
            merged = dict(_merge(cube, piece, fact))
            for asked in shown:
                if asked != fact and asked not in merged:
                    merged[asked] = frozenset(flow.values(asked))
            out.append(
                (merged, _Run(run.state, (*run.asked, *shown), frozenset(), at_question=True))
            )
        return out
    if question is None and run.state in run.routers:
        return []
    routers = run.routers | {run.state} if question is None else frozenset()
    out = []
    rest: list[Cube] = [_view(cube, run, fact, value)]
    for route in flow.routes_of(run.state):
        next_rest: list[Cube] = []
        for piece in rest:
            holds, fails = split(piece, route.when)
            next_rest.extend(fails)
            out += [
                (_merge(cube, matched, fact), _Run(route.target, run.asked, routers))
                for matched in holds
            ]
        rest = next_rest
        if not rest:
            break
    return out


def describe(violation: UnsureViolation) -> str:
    return (
        f"{violation.fact}=unsure (counted as {violation.counted_as}) reaches "
        f"{violation.outcome_unsure}, but {violation.fact}={violation.other} with the same "
        f"other answers reaches the more urgent {violation.outcome_other}"
    )
