"""Clinical vignettes written by hand from the clinical contract, independently of the flow.

Each is answered turn by turn from its facts, as a person would: a single question gets the
fact's value, a checklist gets the items that are yes or not sure. The disposition must match,
and an emergency triaged lower is reported as under-triage (the worst failure a triage bot can
make). The number of answers per conversation is measured against the contract's targets.
"""

from __future__ import annotations

import statistics
from pathlib import Path
from typing import Any

import pytest
import yaml

from bme_bot.core.engine import Engine
from bme_bot.core.events import Answer, Start, Toggle
from bme_bot.core.flow import UNSURE, urgency
from bme_bot.core.replies import CHECKLIST_DONE
from bme_bot.core.session import Session

VIGNETTES: list[dict[str, Any]] = yaml.safe_load(
    (Path(__file__).parent / "vignettes.yaml").read_text(encoding="utf-8")
)


def converse(engine: Engine, facts: dict[str, str]) -> tuple[Session, int]:
    """Answer every question the engine asks from the vignette's facts; count the answers."""
    session, _ = engine.step(None, Start())
    answers = 0
    for _ in range(len(engine.flow.questions) + 2):
        if session.done:
            break
        question = engine.flow.questions[session.state]
        if question.is_checklist:
            for item in question.visible_items(session.facts):
                value = facts[item.fact]
                taps = {"yes": 1, UNSURE: 2}.get(value, 0)
                for _ in range(taps):
                    session, _ = engine.step(session, Toggle(item.fact, question.id, session.turn))
            session, _ = engine.step(session, Answer(CHECKLIST_DONE, question.id, session.turn))
        else:
            assert question.fact in facts, f"vignette does not say {question.fact}"
            session, _ = engine.step(session, Answer(facts[question.fact]))
        answers += 1
    assert session.done
    return session, answers


def test_vignettes_cover_every_site_age_and_disposition() -> None:
    assert len(VIGNETTES) >= 80
    assert {v["facts"]["site"] for v in VIGNETTES} >= {"hip", "knee", "ankle", "foot", "other"}
    assert {v["facts"]["age_group"] for v in VIGNETTES} == {"child", "adult", "older_adult"}
    assert {v["expected"] for v in VIGNETTES} == {
        "emergency",
        "urgent",
        "soon",
        "routine",
        "self_care",
    }


@pytest.mark.parametrize("vignette", VIGNETTES, ids=[v["id"] for v in VIGNETTES])
def test_vignette(engine: Engine, vignette: dict[str, Any]) -> None:
    session, _ = converse(engine, vignette["facts"])
    outcome = engine.flow.outcomes[session.outcome or ""]
    expected = vignette["expected"]
    if expected == "emergency":
        assert outcome.disposition == "emergency", (
            f"UNDER-TRIAGE of an emergency: {vignette['id']} reached {outcome.rule}"
        )
    assert urgency(outcome.disposition) >= urgency(expected), "under-triage"
    assert outcome.disposition == expected
    assert outcome.rule == vignette["rule"]


def test_taps_meet_the_targets(engine: Engine) -> None:
    """Median answers: at most 10 to soon, routine or self-care; at most 6 to emergency."""
    calm: list[int] = []
    emergency: list[int] = []
    for vignette in VIGNETTES:
        session, answers = converse(engine, vignette["facts"])
        disposition = engine.flow.outcomes[session.outcome or ""].disposition
        if disposition in ("soon", "routine", "self_care"):
            calm.append(answers)
        elif disposition == "emergency":
            emergency.append(answers)
    print(
        f"\nanswers to soon/routine/self-care: median {statistics.median(calm)} "
        f"(min {min(calm)}, max {max(calm)}, n={len(calm)}); to emergency: median "
        f"{statistics.median(emergency)} (min {min(emergency)}, max {max(emergency)}, "
        f"n={len(emergency)})"
    )
    assert statistics.median(calm) <= 10
    assert statistics.median(emergency) <= 6
