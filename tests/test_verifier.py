"""The verifier proves the shipped flow and catches an unsafe one with a counterexample."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from bme_bot.core.engine import Engine
from bme_bot.core.verifier import explore, format_answers, replay
from bme_bot.loading.flow_loader import load_flow

FIXTURES = Path(__file__).parent / "fixtures"


def test_unsafe_fixture_is_caught_with_the_right_counterexample() -> None:
    flow = load_flow(FIXTURES / "unsafe_flow.yaml")
    result = explore(flow)
    assert [v.invariant for v in result.violations] == ["P1"]
    violation = result.violations[0]
    assert violation.outcome == "fine" and violation.disposition == "self_care"
    assert format_answers(violation.answers) == "fever=yes -> red_hot_swollen=yes"


def test_check_command_fails_on_the_unsafe_fixture() -> None:
    run = subprocess.run(
        [sys.executable, "-m", "bme_bot", "check", str(FIXTURES / "unsafe_flow.yaml")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert run.returncode == 1, run.stdout + run.stderr
    assert "FAIL P1 violated" in run.stdout
    assert "counterexample: fever=yes -> red_hot_swollen=yes" in run.stdout


def test_check_command_proves_the_shipped_flow_and_content() -> None:
    run = subprocess.run(
        [sys.executable, "-m", "bme_bot", "check"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    for invariant in ("P1", "P2", "P3", "P4", "P5", "P6", "P7", "P8", "P9", "P10", "P11", "P12"):
        assert f"proved {invariant}" in run.stdout
    assert "outcomes covered 31/31" in run.stdout
    assert "transitions covered 69/69 (100%)" in run.stdout
    assert "OK: all checks passed" in run.stdout


def test_shipped_flow_exploration_is_exhaustive_and_agrees_with_the_engine(engine: Engine) -> None:
    result = explore(engine.flow, resolve=engine.resolve, replay_both_ends=True)
    assert not result.violations and not result.problems and not result.truncated
    assert result.outcomes_reached == set(engine.flow.outcomes)
    assert result.routes_taken == {r.id for r in engine.flow.all_routes()}
    assert result.replayed == 2 * result.terminal_cubes


def test_concrete_path_count_matches_brute_force(demo_engine: Engine) -> None:
    """Enumerate every concrete conversation of the demo flow and compare with the cubes."""
    flow = demo_engine.flow
    paths = 0

    def walk(state: str, facts: dict[str, str]) -> None:
        nonlocal paths
        if state in flow.outcomes:
            paths += 1
            return
        question = flow.questions[state]
        for option in question.options:
            new = {**facts, question.fact: option.id}
            walk(demo_engine.resolve(state, new)[0], new)

    walk(flow.start, {})
    assert explore(flow).concrete_paths == paths == 5


def test_replay_follows_the_engine(engine: Engine) -> None:
    answers = (
        ("consent", "agree"),
        ("age_group", "adult"),
        ("site", "knee"),
        ("fever", "no"),
        ("hot_swollen", "unsure"),
        ("cold_pale_numb", "no"),
        ("calf_swelling", "no"),
        ("weight_bearing", "limp"),
    )
    assert replay(engine.flow, engine.resolve, answers) == "high_risk"
    assert replay(engine.flow, engine.resolve, (*answers[:4], ("hot_swollen", "no"))) == (
        "red_flags"
    ), "a checklist takes all its items or none"


def test_diagram_is_drawn_from_the_flow() -> None:
    run = subprocess.run(
        [sys.executable, "-m", "bme_bot", "diagram"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert run.returncode == 0
    assert run.stdout.startswith("flowchart TD")
    assert (
        'any_answer -.->|"weight_bearing=unable or deformity_or_crack=deformity"| E2' in run.stdout
    )
    assert "decide{decide}" in run.stdout


def test_skipping_unaffected_short_circuits_changes_nothing(engine: Engine) -> None:
    """The verifier splits a short-circuit only on answers to facts it reads; the same flow
    with every short-circuit copied into every question's routes must explore identically."""
    from dataclasses import replace

    flow = engine.flow
    inlined = replace(
        flow,
        short_circuits=(),
        questions={
            qid: replace(q, routes=flow.short_circuits + q.routes)
            for qid, q in flow.questions.items()
        },
    )
    fast, naive = explore(flow), explore(inlined)
    assert fast.concrete_paths == naive.concrete_paths == 1_261_048
    assert fast.questions_per_path == naive.questions_per_path
    assert fast.questions_by_disposition == naive.questions_by_disposition
    assert fast.outcomes_reached == naive.outcomes_reached
    assert fast.routes_taken == naive.routes_taken
    assert fast.violations == naive.violations == []
