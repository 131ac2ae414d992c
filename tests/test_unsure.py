""" "Not sure": counted as the careful answer by every condition, kept as said, proved safe."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bme_bot.core.engine import Engine
from bme_bot.core.events import Answer, Start, Toggle, Why
from bme_bot.core.session import Session
from bme_bot.core.unsure_proof import prove_unsure
from bme_bot.loading.errors import FlowError
from bme_bot.loading.flow_loader import load_flow, parse_flow

FIXTURES = Path(__file__).parent / "fixtures"
ROOT = Path(__file__).resolve().parent.parent


def test_wrong_cautious_value_fails_check_with_a_counterexample() -> None:
    run = subprocess.run(
        [sys.executable, "-m", "bme_bot", "check", str(FIXTURES / "unsure_wrong_flow.yaml")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=ROOT,
    )
    assert run.returncode == 1, run.stdout
    assert "FAIL P11 violated: fever=unsure (counted as no)" in run.stdout
    assert "fever=yes with the same other answers reaches the more urgent" in run.stdout
    assert "counterexample: consent=agree -> walk=" in run.stdout


def test_right_cautious_value_is_proved() -> None:
    proof = prove_unsure(load_flow(FIXTURES / "flows_doc_example.yaml"))
    assert proof.violations == [] and not proof.truncated and proof.nodes > 0
    wrong = prove_unsure(load_flow(FIXTURES / "unsure_wrong_flow.yaml"))
    assert [v.fact for v in wrong.violations] == ["fever"]


def test_shipped_flow_proves_p11_and_reports_the_mixed_fact(engine: Engine) -> None:
    proof = prove_unsure(engine.flow)
    assert proof.violations == [] and not proof.truncated
    # known_bme_mri: "yes" is the careful answer on most paths, but the table sends a resolved
    # pain with a known edema to self-care (C3) and one without to the soon fallback (S0).
    assert {m.fact for m in proof.mixed} <= {"known_bme_mri"}


@pytest.mark.parametrize(
    ("facts", "message"),
    [
        ('fever: ["yes", "no", "unsure"]', "must say what it counts as"),
        ('fever: {values: ["yes", "no"], unsure_counts_as: "yes"}', "must say what it counts as"),
        ('fever: {values: ["yes", "no", "unsure"], unsure_counts_as: "maybe"}', "another value"),
    ],
)
def test_loader_refuses_an_unsure_declaration_that_does_not_add_up(
    facts: str, message: str
) -> None:
    text = (FIXTURES / "flows_doc_example.yaml").read_text(encoding="utf-8")
    bad = text.replace('fever: {values: ["yes", "no", "unsure"], unsure_counts_as: "yes"}', facts)
    assert bad != text
    with pytest.raises(FlowError) as error:
        parse_flow(bad, "flow.yaml")
    assert message in str(error.value)


def test_conditions_may_not_name_unsure() -> None:
    text = (FIXTURES / "flows_doc_example.yaml").read_text(encoding="utf-8")
    bad = text.replace('{id: U3, when: {fever: "yes"}', "{id: U3, when: {fever: unsure}")
    assert bad != text
    with pytest.raises(FlowError, match="conditions see 'unsure' as 'yes'"):
        parse_flow(bad, "flow.yaml")


def finish_with(engine: Engine, marks: dict[str, int]) -> Session:
    """An adult with a knee injury, walking normally, ticking the red flags in `marks`."""
    session, _ = engine.step(None, Start())
    for answer in ("agree", "adult", "knee"):
        session, _ = engine.step(session, Answer(answer))
    for fact, taps in marks.items():
        for _ in range(taps):
            session, _ = engine.step(session, Toggle(fact, "red_flags", session.turn))
    session, _ = engine.step(session, Answer("done", "red_flags", session.turn))
    session, _ = engine.step(session, Answer("normal"))
    return session


def test_unsure_is_kept_counted_and_explained_once(engine: Engine) -> None:
    session = finish_with(engine, {"fever": 2})  # two taps: "not sure"
    assert session.facts["fever"] == "unsure"
    assert session.state == "high_risk", "not sure about a fever asks what a fever would"
    session, _ = engine.step(session, Answer("none", "high_risk", session.turn))
    session, replies = engine.step(session, Answer("sudden_no_injury"))
    assert session.done and engine.flow.outcomes[session.outcome or ""].rule == "U3"
    text = replies[-1].text
    assert text.count("You were not sure about") == 1
    assert "measure your temperature" in text.lower()
    _, why = engine.step(session, Why())
    assert "not sure (counted as yes)" in why[0].text


def test_unsure_and_yes_reach_the_same_advice(engine: Engine) -> None:
    unsure = finish_with(engine, {"calf_swelling": 2})
    sure = finish_with(engine, {"calf_swelling": 1})
    assert (unsure.state, unsure.facts["calf_swelling"]) == (sure.state, "unsure")
