"""/back in a check-in keeps the preset facts: `original` (the earlier advice) is set by the
scheduler, never by a question, so undoing an answer must not erase it (without it "better"
would end at the self-care outcome whatever the person was told before)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bme_bot.core.content import ContentLibrary
from bme_bot.core.engine import Engine
from bme_bot.core.events import Answer, Back
from bme_bot.loading.content_loader import load_content
from bme_bot.loading.flow_loader import load_flow

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def checkin() -> Engine:
    content: ContentLibrary = load_content(ROOT / "content" / "en")
    return Engine(load_flow(ROOT / "flows" / "checkin.yaml", content), content)


@pytest.mark.parametrize("original", ["soon", "routine", "self_care"])
def test_back_keeps_the_preset_and_better_ends_at_its_outcome(
    checkin: Engine, original: str
) -> None:
    assert "original" in checkin.flow.presets
    session = checkin.new_session().evolve(facts={"original": original})
    start = session.state
    answered, _ = checkin.step(session, Answer("worse"))
    assert answered.state != start and answered.facts["checkin_status"] == "worse"

    back, _ = checkin.step(answered, Back())
    assert back.state == start and not back.history
    assert back.facts == {"original": original}

    better, _ = checkin.step(back, Answer("better"))
    assert better.outcome == f"K1_{original}"
    assert better.facts == {"original": original, "checkin_status": "better"}


def test_back_over_a_red_flag_checklist_keeps_the_preset(checkin: Engine) -> None:
    """Two answers deep (the status, then the red-flag checklist), two /back: still soon."""
    session = checkin.new_session().evolve(facts={"original": "soon"})
    session, _ = checkin.step(session, Answer("worse"))
    session, _ = checkin.step(session, Answer("none"))
    assert len(session.history) == 2
    for _ in range(2):
        session, _ = checkin.step(session, Back())
        assert session.facts.get("original") == "soon"
    session, _ = checkin.step(session, Answer("better"))
    assert session.outcome == "K1_soon"
