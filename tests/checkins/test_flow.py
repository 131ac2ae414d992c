"""The check-in flow: preset facts in the language, its invariants and the follow-up proof.

The shipped check-in must pass `check` next to the triage flow; a deliberately wrong copy
(tests/fixtures/checkin_wrong.yaml) must fail with counterexamples, so the proof can fail.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from bme_bot.checking import run_check
from bme_bot.core.content import ContentLibrary
from bme_bot.core.engine import Engine
from bme_bot.core.events import Answer, Toggle
from bme_bot.core.flow import DISPOSITIONS, urgency
from bme_bot.core.verifier import explore
from bme_bot.loading.content_loader import load_content
from bme_bot.loading.errors import LoadError
from bme_bot.loading.flow_loader import load_flow, parse_flow

ROOT = Path(__file__).resolve().parents[2]
FLOWS = ROOT / "flows"
CONTENT = ROOT / "content" / "en"
WRONG = ROOT / "tests" / "fixtures" / "checkin_wrong.yaml"


@pytest.fixture(scope="module")
def content() -> ContentLibrary:
    return load_content(CONTENT)


def check(paths: list[Path]) -> tuple[int, str]:
    out = io.StringIO()
    code = run_check(paths, CONTENT, None, out)
    return code, out.getvalue()


def test_shipped_flows_both_proved() -> None:
    code, text = check(sorted(FLOWS.glob("*.yaml")))
    assert code == 0, text
    for line in (
        "flow checkin v1",
        "proved W1:",
        "proved W2:",
        "proved W3:",
        "proved R1:",
        "proved F1:",
        "proved bme_triage P8 here",
        "proved bme_triage P12 here",
        "flow bme_triage v2",
        "proved P10:",
    ):
        assert line in text, line


def test_wrong_checkin_fails_with_counterexamples() -> None:
    code, text = check([FLOWS / "bme_triage.yaml", WRONG])
    assert code == 1
    lines = text.splitlines()

    def failure(prefix: str) -> list[str]:
        at = next(i for i, line in enumerate(lines) if line.startswith(f"FAIL {prefix}"))
        return lines[at : at + 3]

    worse = failure("W2 violated")
    assert "counterexample: original=routine -> checkin_status=worse" in worse[1]
    calf = failure("P12 violated")
    assert "calf_swelling=yes" in calf[1]
    less = failure("F1 violated")
    assert "reached" not in less[0] and "U10 (soon" in less[0]
    assert any(f"calf_swelling={v}" in less[1] for v in ("yes", "unsure")), less
    assert less[2].strip().startswith("bme_triage: consent=agree")
    assert failure("bme_triage P12 violated in checkin_wrong")
    assert "proved F1" not in text


def test_every_original_and_status_is_explored_and_worse_never_lower(
    content: ContentLibrary,
) -> None:
    """The invariants say it; this reads the classes directly, as a second opinion."""
    flow = load_flow(FLOWS / "checkin.yaml", content)
    result = explore(flow)
    seen: set[tuple[str, str]] = set()
    for terminal in result.terminals:
        outcome = flow.outcomes[terminal.state]
        for original in terminal.cube["original"]:
            for status in terminal.cube["checkin_status"]:
                seen.add((original, status))
                if status in ("worse", "same"):
                    assert urgency(outcome.disposition) >= urgency(original), terminal
    assert seen == {
        (o, s) for o in ("soon", "routine", "self_care") for s in flow.facts["checkin_status"]
    }
    offered = {o.id for o in flow.outcomes.values() if o.offer_checkin}
    assert offered == {"K1_soon", "K1_routine", "K1_self_care"}
    assert {o.disposition for o in flow.outcomes.values()} <= set(DISPOSITIONS)


def test_engine_runs_a_checkin_to_emergency(content: ContentLibrary) -> None:
    """The engine runs the check-in with the preset set the way a scheduler would set it."""
    flow = load_flow(FLOWS / "checkin.yaml", content)
    engine = Engine(flow, content)
    session = engine.new_session().evolve(facts={"original": "self_care"})
    assert engine.is_current(session)
    for event in (Answer("new_sign"), Toggle("cold_pale_numb"), Answer("done")):
        session, replies = engine.step(session, event)
    assert session.outcome == "E5"
    assert flow.outcomes["E5"].disposition == "emergency"
    assert any(r.kind == "disposition" for r in replies)


MINI = """
id: mini
version: "1"
start: q
facts:
  original: {values: [soon, routine], preset: PRESET}
  status: [better, worse]
questions:
  q:
    fact: QFACT
    text: "How is it?"
    options:
      - {id: better, label: "Better"}
      - {id: worse, label: "Worse"}
    next:
      - {when: {status: worse}, goto: worse}
      - {when: {original: soon}, goto: keep_soon}
      - goto: keep_routine
outcomes:
  worse: {rule: W, disposition: urgent, reason: "Worse."}
  keep_soon: {rule: K, disposition: soon, reason: "Same.", offer_checkin: OFFER}
  keep_routine: {rule: K, disposition: routine, reason: "Same."}
invariants:
  - {id: I1, description: "soon stays soon", when: {original: soon}, at_least: soon}
"""


def mini(preset: str = "true", qfact: str = "status", offer: str = "true") -> str:
    return MINI.replace("PRESET", preset).replace("QFACT", qfact).replace("OFFER", offer)


def test_preset_fact_is_explored_with_every_value() -> None:
    flow = parse_flow(mini())
    assert flow.presets == ("original",)
    assert flow.outcomes["keep_soon"].offer_checkin
    assert not flow.outcomes["keep_routine"].offer_checkin
    result = explore(flow)
    assert result.outcomes_reached == {"worse", "keep_soon", "keep_routine"}
    assert not result.violations
    assert result.concrete_paths == 4  # 2 originals x 2 answers


def test_invariant_on_a_preset_fails_with_it_in_the_counterexample() -> None:
    text = (
        mini()
        .replace("goto: keep_soon}", "goto: keep_routine}")
        .replace(
            '  keep_soon: {rule: K, disposition: soon, reason: "Same.", offer_checkin: true}\n', ""
        )
    )
    flow = parse_flow(text)
    result = explore(flow)
    assert result.violations
    assert result.violations[0].answers[0] == ("original", "soon")


def test_a_fact_without_preset_is_not_set() -> None:
    """Without `preset: true` nothing sets `original`: the route on it never holds."""
    flow = parse_flow(mini(preset="false"))
    assert flow.presets == ()
    assert "keep_soon" not in explore(flow).outcomes_reached


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            mini(qfact="original")
            .replace("{id: better, label", "{id: soon, label")
            .replace("{id: worse, label", "{id: routine, label"),
            "a preset fact",
        ),
        (mini(preset='"yes"'), "expected true or false"),
        (mini(offer="1"), "expected true or false"),
        (
            mini().replace(
                "original: {values: [soon, routine], preset: true}",
                "original: {values: [soon, routine, unsure], unsure_counts_as: soon, preset: true}",
            ),
            "preset fact is never answered",
        ),
    ],
)
def test_loader_refuses_bad_presets(text: str, message: str) -> None:
    with pytest.raises(LoadError) as caught:
        parse_flow(text)
    assert any(message in str(issue) for issue in caught.value.issues), caught.value.issues


def test_the_app_still_runs_the_triage_flow_with_two_flows_shipped() -> None:
    """flows/ holds both files; the bot's main flow is picked by id (BME_FLOW)."""
    from bme_bot.bootstrap import build_engine
    from bme_bot.config import load_settings

    settings = load_settings({})
    shipped = {p.name for p in settings.flows_dir.glob("*.yaml")}
    assert {"bme_triage.yaml", "checkin.yaml"} <= shipped
    assert build_engine(settings).flow.id == "bme_triage"
