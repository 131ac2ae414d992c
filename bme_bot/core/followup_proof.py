"""A follow-up flow (a check-in) against the flow it follows (the triage flow), over every path.

Two properties, both proved on the terminal classes the verifier explores:

- **Never less urgent than the followed flow.** For every concrete check-in conversation,
  take the facts both flows declare (the red flags, walking, ...) and every conversation of the
  followed flow whose answers agree with them (its other facts, such as the age or the place,
  are free; a fact one of the two did not ask agrees with anything). The check-in must end at
  least as urgent as the *least* urgent of those. So a red flag reported at a check-in is
  never worth less than the same red flag reported in the triage flow, whatever the triage
  flow would have asked besides. Concrete check-in conversations are enumerated (a check-in
  is small: 1,824 on the shipped one), the followed flow's classes are projected onto the
  shared facts once, and each conversation stops at the first agreeing class that is not more
  urgent, so the check stays in milliseconds.
- **The followed flow's invariants, where they apply.** Each of its invariants is evaluated on
  the check-in's classes (a fact the check-in never asks matches no value, as everywhere);
  one that can hold on no check-in class is reported as not applying.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass

from bme_bot.core.conditions import Cube, split
from bme_bot.core.flow import NO_DISPOSITION, Flow, Invariant, urgency
from bme_bot.core.verifier import Answers, Exploration, Terminal, example_answers

Projection = tuple[tuple[str, frozenset[str]], ...]


@dataclass(frozen=True)
class LessUrgent:
    """A check-in conversation that ends below every agreeing conversation of the followed
    flow: `answers` reach `outcome`; `followed_answers` is the least urgent agreeing one."""

    answers: Answers
    outcome: str
    disposition: str
    followed_outcome: str
    followed_disposition: str
    followed_answers: Answers


@dataclass(frozen=True)
class InvariantResult:
    invariant: Invariant
    applies: bool
    violation: tuple[Terminal, Answers] | None


@dataclass
class FollowupReport:
    shared: tuple[str, ...]
    conversations: int
    """(check-in class, assignment of the shared facts) pairs compared."""
    less_urgent: list[LessUrgent]
    invariants: list[InvariantResult]
    no_match: int
    """Check-in conversations that no followed conversation agrees with (nothing to compare)."""


def prove_followup(
    follower: Flow, follower_run: Exploration, followed: Flow, followed_run: Exploration
) -> FollowupReport:
    """Both properties; `*_run` are complete explorations of each flow (with terminals)."""
    shared = tuple(f for f in follower.facts if f in followed.facts and f not in follower.presets)
    projected = _projections(followed, followed_run, shared)
    report = FollowupReport(shared, 0, [], [], 0)
    seen_less: set[str] = set()
    for terminal in follower_run.terminals:
        outcome = follower.outcomes[terminal.state]
        rank = urgency(outcome.disposition)
        for concrete in _concrete(terminal.cube, shared):
            report.conversations += 1
            least = _least_agreeing(projected, concrete)
            if least is None:
                report.no_match += 1
                continue
            least_rank, least_terminal = least
            if least_rank <= rank or terminal.state in seen_less:
                continue
            seen_less.add(terminal.state)
            fixed = {**terminal.cube, **{f: frozenset({v}) for f, v in concrete.items()}}
            report.less_urgent.append(
                LessUrgent(
                    example_answers(follower, fixed, terminal.path),
                    outcome.id,
                    outcome.disposition,
                    least_terminal.state,
                    followed.outcomes[least_terminal.state].disposition,
                    _agreeing_example(followed, least_terminal, concrete),
                )
            )
    for invariant in followed.invariants:
        report.invariants.append(_invariant_on(follower, follower_run, invariant))
    return report


def _projections(
    flow: Flow, run: Exploration, shared: tuple[str, ...]
) -> list[tuple[int, Projection, Terminal]]:
    """The followed flow's classes that give advice, projected onto the shared facts, least
    urgent first, one per (urgency, projection). An ending without advice (declined) is left
    out: it answered nothing, so it would agree with everything and prove nothing."""
    found: dict[tuple[int, Projection], Terminal] = {}
    for terminal in run.terminals:
        disposition = flow.outcomes[terminal.state].disposition
        if disposition == NO_DISPOSITION:
            continue  # the person declined and answered nothing: no advice to compare with
        rank = urgency(disposition)
        projection = tuple((f, terminal.cube[f]) for f in shared if f in terminal.cube)
        found.setdefault((rank, projection), terminal)
    return sorted(
        ((rank, projection, terminal) for (rank, projection), terminal in found.items()),
        key=lambda item: item[0],
    )


def _least_agreeing(
    projected: list[tuple[int, Projection, Terminal]], concrete: dict[str, str]
) -> tuple[int, Terminal] | None:
    """The least urgent followed class that agrees with `concrete` on the facts both asked."""
    for rank, projection, terminal in projected:
        if all(f not in concrete or concrete[f] in values for f, values in projection):
            return rank, terminal
    return None


def _concrete(cube: Cube, shared: tuple[str, ...]) -> Iterator[dict[str, str]]:
    """Every assignment of the shared facts this class answered."""
    facts = [f for f in shared if f in cube]
    for values in itertools.product(*(sorted(cube[f]) for f in facts)):
        yield dict(zip(facts, values, strict=True))


def _agreeing_example(flow: Flow, terminal: Terminal, concrete: dict[str, str]) -> Answers:
    fixed = dict(terminal.cube)
    for fact, value in concrete.items():
        if fact in fixed:
            fixed[fact] = frozenset({value})
    return example_answers(flow, fixed, terminal.path)


def _invariant_on(flow: Flow, run: Exploration, invariant: Invariant) -> InvariantResult:
    applies = False
    for terminal in run.terminals:
        holding, _ = split(terminal.cube, invariant.when)
        if not holding:
            continue
        applies = True
        outcome = flow.outcomes[terminal.state]
        if urgency(outcome.disposition) < urgency(invariant.at_least):
            answers = example_answers(flow, holding[0], terminal.path)
            return InvariantResult(invariant, True, (terminal, answers))
    return InvariantResult(invariant, applies, None)
