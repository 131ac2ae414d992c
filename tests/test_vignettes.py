"""Clinical vignettes written by hand from TRIAGE.md, independently of the flow.

Each is answered question by question from its facts; the disposition must match, and an
emergency triaged lower is reported as under-triage (the worst failure a triage bot can make).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from bme_bot.core.engine import Engine
from bme_bot.core.events import Answer, Start
from bme_bot.core.flow import urgency

VIGNETTES: list[dict[str, Any]] = yaml.safe_load(
    (Path(__file__).parent / "vignettes.yaml").read_text(encoding="utf-8")
)


def test_vignettes_cover_every_site_age_and_disposition() -> None:
    assert len(VIGNETTES) >= 30
    assert {v["facts"]["site"] for v in VIGNETTES} >= {"hip", "knee", "ankle", "foot"}
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
    session, _ = engine.step(None, Start())
    for _ in range(len(engine.flow.questions) + 1):
        if session.done:
            break
        question = engine.flow.questions[session.state]
        assert question.fact in vignette["facts"], f"vignette does not say {question.fact}"
        session, _ = engine.step(session, Answer(vignette["facts"][question.fact]))
    assert session.done
    outcome = engine.flow.outcomes[session.outcome or ""]
    expected = vignette["expected"]
    if expected == "emergency":
        assert outcome.disposition == "emergency", (
            f"UNDER-TRIAGE of an emergency: {vignette['id']} reached {outcome.rule}"
        )
    assert urgency(outcome.disposition) >= urgency(expected), "under-triage"
    assert outcome.disposition == expected
    assert outcome.rule == vignette["rule"]
