"""The condition language: evaluation, compilation and symbolic splitting agree."""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from bme_bot.core.conditions import (
    All,
    Answered,
    AnyOf,
    Condition,
    Eq,
    In,
    Not,
    compile_condition,
    describe,
    evaluate,
    facts_of,
    split,
)

FACTS = {"a": ("x", "y", "z"), "b": ("yes", "no")}

leaf = st.one_of(
    st.builds(Eq, st.sampled_from(list(FACTS)), st.sampled_from(["x", "y", "yes"])),
    st.builds(
        In,
        st.sampled_from(list(FACTS)),
        st.frozensets(st.sampled_from(["x", "y", "z", "yes", "no"]), max_size=3),
    ),
    st.builds(Answered, st.sampled_from(list(FACTS))),
)
conditions = st.recursive(
    leaf,
    lambda inner: st.one_of(
        st.builds(lambda p: All(tuple(p)), st.lists(inner, max_size=3)),
        st.builds(lambda p: AnyOf(tuple(p)), st.lists(inner, max_size=3)),
        st.builds(Not, inner),
    ),
    max_leaves=8,
)


def all_assignments() -> list[dict[str, str]]:
    options = [[None, *values] for values in FACTS.values()]
    result = []
    for combo in itertools.product(*options):
        result.append({k: v for k, v in zip(FACTS, combo, strict=True) if v is not None})
    return result


@given(conditions)
@settings(max_examples=300, deadline=None)
def test_compiled_and_evaluated_agree(cond: Condition) -> None:
    compiled = compile_condition(cond)
    for facts in all_assignments():
        assert compiled(facts) == evaluate(cond, facts)


@given(conditions)
@settings(max_examples=300, deadline=None)
def test_split_is_an_exact_partition(cond: Condition) -> None:
    cube = {"a": frozenset(FACTS["a"]), "b": frozenset(FACTS["b"])}
    holds, fails = split(cube, cond)

    def members(cubes: list) -> list[tuple[str, str]]:
        out = []
        for c in cubes:
            out.extend(itertools.product(sorted(c["a"]), sorted(c["b"])))
        return out

    yes, no = members(holds), members(fails)
    assert len(yes) == len(set(yes)) and len(no) == len(set(no)), "pieces overlap"
    assert set(yes).isdisjoint(no)
    assert len(yes) + len(no) == len(FACTS["a"]) * len(FACTS["b"])
    for a, b in yes:
        assert evaluate(cond, {"a": a, "b": b})
    for a, b in no:
        assert not evaluate(cond, {"a": a, "b": b})


def test_unanswered_fact_matches_nothing() -> None:
    assert not evaluate(Eq("a", "x"), {})
    assert evaluate(Not(Answered("a")), {})
    assert split({}, Eq("a", "x")) == ([], [{}])


def test_facts_of_and_describe() -> None:
    cond = AnyOf((Eq("a", "x"), All((In("b", frozenset({"yes"})), Not(Answered("a"))))))
    assert facts_of(cond) == {"a", "b"}
    assert describe(cond) == "a=x or (b in {yes} and not answered(a))"
