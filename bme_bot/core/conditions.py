"""The flow's small condition language: data, not code.

A condition is a tree of `Eq`, `In`, `Answered`, `All`, `AnyOf` and `Not` nodes over the
flow's facts. The same tree is evaluated three ways: compiled to a plain callable for the
engine (what `transitions` calls), evaluated directly, and split symbolically over sets of
possible answers for the verifier. Nothing is ever `eval`-ed or looked up by name.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache

Facts = Mapping[str, str]
Predicate = Callable[[Facts], bool]


@dataclass(frozen=True)
class Eq:
    fact: str
    value: str


@dataclass(frozen=True)
class In:
    fact: str
    values: frozenset[str]


@dataclass(frozen=True)
class Answered:
    fact: str


@dataclass(frozen=True)
class All:
    parts: tuple[Condition, ...]


@dataclass(frozen=True)
class AnyOf:
    parts: tuple[Condition, ...]


@dataclass(frozen=True)
class Not:
    part: Condition


Condition = Eq | In | Answered | All | AnyOf | Not

ALWAYS: Condition = All(())


def evaluate(cond: Condition, facts: Facts) -> bool:
    """Evaluate a condition against concrete answers (an unanswered fact equals nothing)."""
    match cond:
        case Eq(fact, value):
            return facts.get(fact) == value
        case In(fact, values):
            return facts.get(fact) in values
        case Answered(fact):
            return fact in facts
        case All(parts):
            return all(evaluate(p, facts) for p in parts)
        case AnyOf(parts):
            return any(evaluate(p, facts) for p in parts)
        case Not(part):
            return not evaluate(part, facts)
    raise TypeError(f"not a condition: {cond!r}")


def compile_condition(cond: Condition) -> Predicate:
    """Turn a condition tree into nested closures: no interpretation on the hot path."""
    match cond:
        case Eq(fact, value):
            return lambda facts: facts.get(fact) == value
        case In(fact, values):
            return lambda facts: facts.get(fact) in values
        case Answered(fact):
            return lambda facts: fact in facts
        case All(()):
            return lambda facts: True
        case All(parts):
            compiled = tuple(compile_condition(p) for p in parts)
            return lambda facts: all(c(facts) for c in compiled)
        case AnyOf(parts):
            compiled = tuple(compile_condition(p) for p in parts)
            return lambda facts: any(c(facts) for c in compiled)
        case Not(part):
            inner = compile_condition(part)
            return lambda facts: not inner(facts)
    raise TypeError(f"not a condition: {cond!r}")


@lru_cache(maxsize=1024)
def compiled(cond: Condition) -> Predicate:
    """The compiled form of a condition, built once (conditions are immutable values)."""
    return compile_condition(cond)


def facts_of(cond: Condition) -> frozenset[str]:
    """The facts a condition reads."""
    match cond:
        case Eq(fact, _) | In(fact, _) | Answered(fact):
            return frozenset({fact})
        case All(parts) | AnyOf(parts):
            return frozenset().union(*(facts_of(p) for p in parts))
        case Not(part):
            return facts_of(part)
    raise TypeError(f"not a condition: {cond!r}")


def describe(cond: Condition) -> str:
    """A compact human-readable rendering, used in diagrams and counterexamples."""
    match cond:
        case Eq(fact, value):
            return f"{fact}={value}"
        case In(fact, values):
            return f"{fact} in {{{', '.join(sorted(values))}}}"
        case Answered(fact):
            return f"answered({fact})"
        case All(()):
            return "always"
        case All(parts):
            return " and ".join(_wrap(p) for p in parts)
        case AnyOf(parts):
            return " or ".join(_wrap(p) for p in parts)
        case Not(part):
            return f"not {_wrap(part)}"
    raise TypeError(f"not a condition: {cond!r}")


def _wrap(cond: Condition) -> str:
    text = describe(cond)
    return f"({text})" if isinstance(cond, All | AnyOf) and len(cond.parts) > 1 else text


# --- symbolic evaluation over cubes -------------------------------------------------------
#
# A cube maps each answered fact to the set of values it may still have; facts absent from
# the cube are unanswered. A set of cubes stands for every concrete answer combination inside
# them. `split` divides a cube exactly into the parts where a condition holds and where it
# does not; the parts are disjoint, so counting concrete paths stays exact.

Cube = Mapping[str, frozenset[str]]


def split(cube: Cube, cond: Condition) -> tuple[list[Cube], list[Cube]]:
    """Partition `cube` into (cubes where cond holds, cubes where it does not)."""
    match cond:
        case Eq(fact, value):
            return _split_values(cube, fact, frozenset({value}))
        case In(fact, values):
            return _split_values(cube, fact, values)
        case Answered(fact):
            return ([cube], []) if fact in cube else ([], [cube])
        case All(parts):
            holds: list[Cube] = [cube]
            fails: list[Cube] = []
            for part in parts:
                next_holds: list[Cube] = []
                for piece in holds:
                    yes, no = split(piece, part)
                    next_holds.extend(yes)
                    fails.extend(no)
                holds = next_holds
            return holds, fails
        case AnyOf(parts):
            matched: list[Cube] = []
            rest: list[Cube] = [cube]
            for part in parts:
                next_rest: list[Cube] = []
                for piece in rest:
                    yes, no = split(piece, part)
                    matched.extend(yes)
                    next_rest.extend(no)
                rest = next_rest
            return matched, rest
        case Not(part):
            yes, no = split(cube, part)
            return no, yes
    raise TypeError(f"not a condition: {cond!r}")


def _split_values(cube: Cube, fact: str, values: frozenset[str]) -> tuple[list[Cube], list[Cube]]:
    possible = cube.get(fact)
    if possible is None:
        return [], [cube]
    inside = possible & values
    outside = possible - values
    holds: list[Cube] = [{**cube, fact: inside}] if inside else []
    fails: list[Cube] = [{**cube, fact: outside}] if outside else []
    return holds, fails
