"""Exhaustive verification of a flow: every path, not a sample.

The explorer walks the flow symbolically. Instead of one branch per concrete answer, it carries
a *cube* (each answered fact mapped to the set of values it may still have) and splits cubes
only where a route condition tells values apart. Every reachable (state, answers) combination
lies in exactly one explored cube, so a property that holds for every terminal cube holds for
every concrete conversation, while the work grows with the number of distinct routes taken
rather than with the product of all answers.

Each terminal cube is also replayed concretely through the real engine (its first and last
values), which ties the proof to the `transitions` machine that serves users.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from bme_bot.core.conditions import Cube, split
from bme_bot.core.flow import Flow, Question, urgency

Answers = tuple[tuple[str, str], ...]
"""A concrete conversation: (fact, value) pairs in the order they were asked."""

Resolver = Callable[[str, dict[str, str]], tuple[str, list[str]]]


@dataclass(frozen=True)
class PathProblem:
    kind: str  # "asked_twice" | "no_way_out" | "router_loop" | "engine_disagrees"
    state: str
    detail: str
    answers: Answers


@dataclass(frozen=True)
class Violation:
    invariant: str
    description: str
    outcome: str
    disposition: str
    at_least: str
    answers: Answers


@dataclass(frozen=True)
class Terminal:
    """One explored class that ended: the outcome, the answers' cube, the questions asked."""

    state: str
    cube: Cube
    path: tuple[str, ...]


@dataclass
class Exploration:
    abstract_states: int = 0
    terminal_cubes: int = 0
    concrete_paths: int = 0
    questions_per_path: Counter[int] = field(default_factory=Counter)
    questions_by_disposition: dict[str, Counter[int]] = field(default_factory=dict)
    outcomes_reached: set[str] = field(default_factory=set)
    routes_taken: set[str] = field(default_factory=set)
    problems: list[PathProblem] = field(default_factory=list)
    violations: list[Violation] = field(default_factory=list)
    replayed: int = 0
    seconds: float = 0.0
    truncated: bool = False
    replay_memo: dict[Answers, str] = field(default_factory=dict, repr=False)
    terminals: list[Terminal] = field(default_factory=list, repr=False)
    """Every terminal class (a follow-up flow is compared with the flow it follows)."""

    def percentile(self, fraction: float) -> int:
        """Questions asked at the given fraction of all concrete paths (0.5 = median)."""
        target = fraction * self.concrete_paths
        seen = 0
        for length in sorted(self.questions_per_path):
            seen += self.questions_per_path[length]
            if seen >= target:
                return length
        return 0


@dataclass(frozen=True)
class _Node:
    state: str
    cube: Cube
    path: tuple[str, ...]  # questions asked, in order
    routers: frozenset[str]  # routers entered since the last question
    asked: bool = False  # a checklist whose items are already in the cube: route onwards


def preset_cube(flow: Flow) -> Cube:
    """Where every path starts: each preset fact may hold any of its values."""
    return {fact: frozenset(flow.facts[fact]) for fact in flow.presets}


def _checklist_pieces(question: Question, cube: Cube) -> list[tuple[tuple[str, ...], Cube]]:
    """Split a cube by which checklist items are shown: (facts shown, the part of the cube)."""
    pieces: list[tuple[tuple[str, ...], Cube]] = [((), cube)]
    for item in question.items:
        if item.fact in cube:
            continue
        next_pieces: list[tuple[tuple[str, ...], Cube]] = []
        for shown, piece in pieces:
            holds, fails = split(piece, item.when)
            next_pieces += [((*shown, item.fact), part) for part in holds]
            next_pieces += [(shown, part) for part in fails]
        pieces = next_pieces
    return pieces


def explore(
    flow: Flow,
    *,
    resolve: Resolver | None = None,
    max_nodes: int = 2_000_000,
    replay_both_ends: bool = False,
) -> Exploration:
    """Explore every path of `flow`; check invariants, structure and (optionally) the engine.

    With `resolve`, one concrete answer sequence per terminal cube (two with
    `replay_both_ends`) is replayed through the engine and must end at the same outcome.
    """
    started = time.perf_counter()
    result = Exploration()
    stack = [_Node(flow.start, preset_cube(flow), (), frozenset())]
    while stack:
        node = stack.pop()
        result.abstract_states += 1
        if result.abstract_states > max_nodes:
            result.truncated = True
            break
        if node.state in flow.outcomes:
            _finish(flow, node, result, resolve, (min, max) if replay_both_ends else (min,))
            continue
        cube, path, routers = node.cube, node.path, node.routers
        if (
            not node.asked
            and node.state in flow.questions
            and flow.questions[node.state].is_checklist
        ):
            for shown, piece in _checklist_pieces(flow.questions[node.state], cube):
                if not shown:
                    result.problems.append(
                        PathProblem(
                            "empty_checklist",
                            node.state,
                            f"checklist {node.state!r} has no item to show on this path",
                            _example(flow, piece, path),
                        )
                    )
                    continue
                asked = {**piece, **{fact: frozenset(flow.values(fact)) for fact in shown}}
                stack.append(_Node(node.state, asked, (*path, node.state), frozenset(), True))
            continue
        if node.state in flow.questions and not node.asked:
            question = flow.questions[node.state]
            if question.fact in cube:
                result.problems.append(
                    PathProblem(
                        "asked_twice",
                        node.state,
                        f"fact {question.fact!r} is asked again by {node.state!r}",
                        _example(flow, cube, path),
                    )
                )
                continue
            cube = {**cube, question.fact: frozenset(o.id for o in question.options)}
            path = (*path, node.state)
            routers = frozenset()
        elif node.state not in flow.questions:  # a router (an asked checklist routes on)
            if node.state in routers:
                result.problems.append(
                    PathProblem(
                        "router_loop",
                        node.state,
                        "routers lead back here without asking anything",
                        _example(flow, cube, path),
                    )
                )
                continue
            routers = routers | {node.state}
        rest: list[Cube] = [cube]
        for route in flow.routes_of(node.state):
            next_rest: list[Cube] = []
            for piece in rest:
                holds, fails = split(piece, route.when)
                next_rest.extend(fails)
                for matched in holds:
                    result.routes_taken.add(route.id)
                    stack.append(_Node(route.target, matched, path, routers))
            rest = next_rest
            if not rest:
                break
        for piece in rest:
            result.problems.append(
                PathProblem(
                    "no_way_out",
                    node.state,
                    f"no route out of {node.state!r} matches these answers",
                    _example(flow, piece, path),
                )
            )
    result.seconds = time.perf_counter() - started
    return result


def _finish(
    flow: Flow,
    node: _Node,
    result: Exploration,
    resolve: Resolver | None,
    picks: tuple[Callable[[list[int]], int], ...],
) -> None:
    outcome = flow.outcomes[node.state]
    result.terminal_cubes += 1
    result.terminals.append(Terminal(node.state, node.cube, node.path))
    result.outcomes_reached.add(outcome.id)
    count = 1
    for fact in node.cube:
        count *= len(node.cube[fact])
    result.concrete_paths += count
    result.questions_per_path[len(node.path)] += count
    by_disposition = result.questions_by_disposition.setdefault(outcome.disposition, Counter())
    by_disposition[len(node.path)] += count
    for invariant in flow.invariants:
        if urgency(outcome.disposition) >= urgency(invariant.at_least):
            continue
        violating, _ = split(node.cube, invariant.when)
        if violating:
            result.violations.append(
                Violation(
                    invariant.id,
                    invariant.description,
                    outcome.id,
                    outcome.disposition,
                    invariant.at_least,
                    _example(flow, violating[0], node.path),
                )
            )
    if resolve is not None:
        for pick in picks:
            answers = _example(flow, node.cube, node.path, pick)
            reached = replay(flow, resolve, answers, result.replay_memo)
            result.replayed += 1
            if reached != node.state:
                result.problems.append(
                    PathProblem(
                        "engine_disagrees",
                        node.state,
                        f"the engine ends at {reached!r} where the verifier ends at {node.state!r}",
                        answers,
                    )
                )


def _example(
    flow: Flow,
    cube: Cube,
    path: tuple[str, ...],
    pick: Callable[[list[int]], int] = min,
) -> Answers:
    """A concrete answer sequence inside a cube, following the path's question order (a
    checklist gives one answer per item shown, in item order)."""
    answers: list[tuple[str, str]] = []
    for fact in flow.presets:  # set before the first question: shown first
        order = list(flow.facts[fact])
        allowed = [order.index(v) for v in cube.get(fact, frozenset()) if v in order]
        if allowed:
            answers.append((fact, order[pick(allowed)]))
    for question_id in path:
        for fact in flow.questions[question_id].facts:
            order = list(flow.values(fact))
            allowed = [order.index(v) for v in cube.get(fact, frozenset()) if v in order]
            if allowed and fact not in dict(answers):
                answers.append((fact, order[pick(allowed)]))
    return tuple(answers)


def example_answers(flow: Flow, cube: Cube, path: tuple[str, ...]) -> Answers:
    """A concrete conversation inside a class: presets first, then the path's questions."""
    return _example(flow, cube, path)


def replay(
    flow: Flow, resolve: Resolver, answers: Answers, memo: dict[Answers, str] | None = None
) -> str:
    """Feed concrete answers to the engine's resolver; return the state reached.

    Preset facts lead the answers (see `_example`): they are set before the first question.

    A checklist takes the answers for the items it shows on that path. The engine is pure,
    so the state after a prefix of answers is always the same: `memo` keeps it across
    replays of one exploration (19,106 resolve calls become 2,990 on the shipped flow)."""
    state = flow.start
    facts: dict[str, str] = {}
    index = 0
    while index < len(answers) and answers[index][0] in flow.presets:
        facts[answers[index][0]] = answers[index][1]
        index += 1
    while index < len(answers):
        question = flow.questions.get(state)
        if question is None:
            return state
        wanted = (
            [i.fact for i in question.visible_items(facts)]
            if question.is_checklist
            else [question.fact]
        )
        given = answers[index : index + len(wanted)]
        if [fact for fact, _ in given] != wanted:
            return state
        facts.update(given)
        index += len(wanted)
        prefix = answers[:index]
        known = memo.get(prefix) if memo is not None else None
        if known is None:
            known, _ = resolve(state, facts)
            if memo is not None:
                memo[prefix] = known
        state = known
    return state


def format_answers(answers: Answers) -> str:
    return " -> ".join(f"{fact}={value}" for fact, value in answers) or "(no answers)"
