"""The engine: answers, free text, back, restart, why, topics, region, stale buttons,
version changes; and that it never mutates the session it is given."""

from __future__ import annotations

import json

from bme_bot.core.engine import Engine
from bme_bot.core.events import (
    Answer,
    Back,
    Forget,
    Help,
    Privacy,
    Restart,
    SetRegion,
    ShowTopic,
    Start,
    Text,
    Topics,
    Why,
)
from bme_bot.core.session import Session


def start(engine: Engine) -> Session:
    session, replies = engine.step(None, Start())
    assert replies[-1].kind == "question"
    return session


def test_short_circuit_stops_asking(demo_engine: Engine) -> None:
    session = start(demo_engine)
    session, replies = demo_engine.step(session, Answer("unable"))
    assert session.done and session.outcome == "now"
    assert replies[-1].kind == "disposition"
    assert "Call 112 if worse." in replies[-1].text
    assert len(session.history) == 1


def test_router_decides(demo_engine: Engine) -> None:
    session = start(demo_engine)
    for answer in ("normal", "no", "bad"):
        session, _ = demo_engine.step(session, Answer(answer))
    assert session.outcome == "see" and session.route == "R_bad"


def test_free_text_matches_labels_synonyms_numbers_accents(demo_engine: Engine) -> None:
    session = start(demo_engine)
    s1, _ = demo_engine.step(session, Text("  YES! "))
    assert s1.facts == {"walk": "normal"}
    s2, _ = demo_engine.step(session, Text("SI"))
    assert s2.facts == {"walk": "normal"}
    s3, _ = demo_engine.step(session, Text("2"))
    assert s3.outcome == "now"


def test_unknown_text_is_a_kind_reask_that_changes_nothing(demo_engine: Engine) -> None:
    session = start(demo_engine)
    after, replies = demo_engine.step(session, Text("banana"))
    assert after == session
    assert replies[-1].kind == "reask"
    assert "didn't catch" in replies[-1].text and "1. Yes" in replies[-1].text
    assert replies[-1].asks == "walk"


def test_back_undoes_the_last_answer_and_the_outcome(demo_engine: Engine) -> None:
    session = start(demo_engine)
    session, _ = demo_engine.step(session, Answer("normal"))
    session, _ = demo_engine.step(session, Answer("yes"))
    session, _ = demo_engine.step(session, Answer("mild"))
    assert session.outcome == "hot"
    session, replies = demo_engine.step(session, Back())
    assert not session.done and session.state == "pain" and "pain" not in session.facts
    assert replies[-1].asks == "pain"
    session, replies = demo_engine.step(session, Back())
    session, replies = demo_engine.step(session, Back())
    session, replies = demo_engine.step(session, Back())
    assert session.state == "walk" and session.facts == {}
    assert "nothing to undo" in replies[0].text


def test_restart_clears_answers_but_keeps_region(demo_engine: Engine) -> None:
    session = start(demo_engine)
    session, _ = demo_engine.step(session, SetRegion("uk"))
    session, _ = demo_engine.step(session, Answer("normal"))
    session, replies = demo_engine.step(session, Restart())
    assert session.facts == {} and session.state == "walk" and session.region == "UK"
    assert replies[-1].asks == "walk"


def test_why_names_rule_reason_and_only_the_answers_that_mattered(demo_engine: Engine) -> None:
    session = start(demo_engine)
    for answer in ("normal", "yes", "mild"):
        session, _ = demo_engine.step(session, Answer(answer))
    _, replies = demo_engine.step(session, Why())
    text = replies[0].text
    assert "rule U3" in text and "Fever." in text
    assert "- Fever: **Yes**" in text
    assert "Pain" not in text and "Walking" not in text


def test_why_before_an_outcome_says_so_and_reasks(demo_engine: Engine) -> None:
    session = start(demo_engine)
    _, replies = demo_engine.step(session, Why())
    assert "no advice yet" in replies[0].text and replies[-1].asks == "walk"


def test_stale_and_bound_buttons(demo_engine: Engine) -> None:
    session = start(demo_engine)
    turn = session.turn
    moved, _ = demo_engine.step(session, Answer("normal", question="walk", turn=turn))
    assert moved.state == "fever"
    again, replies = demo_engine.step(moved, Answer("unable", question="walk", turn=turn))
    assert again == moved and replies[0].kind == "stale"
    forged, replies = demo_engine.step(moved, Answer("maybe", question="fever", turn=moved.turn))
    assert forged == moved and replies[0].kind == "reask"


def test_region_changes_the_emergency_number(demo_engine: Engine) -> None:
    session = start(demo_engine)
    session, replies = demo_engine.step(session, SetRegion("US"))
    assert "911" in replies[0].text
    session, replies = demo_engine.step(session, Answer("unable"))
    assert (
        "Call 911 if worse." in replies[-1].text and "(United States): **911**" in replies[-1].text
    )
    _, replies = demo_engine.step(session, SetRegion("Atlantis"))
    assert "don't know that region" in replies[0].text
    assert any(o.id == "region:AU" for o in replies[0].options)


def test_topics_menu_and_content(demo_engine: Engine) -> None:
    session = start(demo_engine)
    for answer in ("normal", "no", "mild"):
        session, replies = demo_engine.step(session, Answer(answer))
    ids = [o.id for o in replies[-1].options]
    assert ids == ["topic:about", "why", "restart"]
    after, replies = demo_engine.step(session, Answer("topic:about"))
    assert after == session and "About text." in replies[0].text
    _, replies = demo_engine.step(session, Text("1"))
    assert "About text." in replies[0].text
    _, replies = demo_engine.step(session, Topics())
    assert replies[0].options[0].id == "topic:about"
    _, replies = demo_engine.step(session, ShowTopic("nope"))
    assert replies[0].kind == "reask"


def test_help_privacy_forget(demo_engine: Engine) -> None:
    session = start(demo_engine)
    session, _ = demo_engine.step(session, Answer("normal"))
    _, replies = demo_engine.step(session, Help())
    assert "Help text." in replies[0].text and replies[-1].asks == "fever"
    _, replies = demo_engine.step(session, Privacy())
    assert "Privacy text." in replies[0].text
    fresh, replies = demo_engine.step(session, Forget())
    assert fresh.facts == {} and "erased" in replies[0].text


def test_typed_commands(demo_engine: Engine) -> None:
    session = start(demo_engine)
    session, _ = demo_engine.step(session, Answer("normal"))
    back, _ = demo_engine.step(session, Text("/back"))
    assert back.state == "walk"
    region, replies = demo_engine.step(session, Text("/region@SomeBot NZ"))
    assert region.region == "NZ" and "111" in replies[0].text


def test_other_flow_version_restarts_politely(demo_engine: Engine) -> None:
    old = Session(
        "demo", "1", "pain", facts={"walk": "normal", "fever": "no"}, history=("walk", "fever")
    )
    session, replies = demo_engine.step(old, Answer("bad"))
    assert session.flow_version == "2" and session.facts == {} and session.state == "walk"
    assert "updated" in replies[0].text
    unknown_state = Session("demo", "2", "gone_question")
    session, _ = demo_engine.step(unknown_state, Text("yes"))
    assert session.state == "walk"


def test_step_never_mutates_its_input(demo_engine: Engine) -> None:
    session = start(demo_engine)
    session, _ = demo_engine.step(session, Answer("normal"))
    snapshot = json.dumps(session.to_dict(), sort_keys=True)
    for event in (Answer("yes"), Back(), Restart(), Text("x"), Why(), SetRegion("UK"), Forget()):
        demo_engine.step(session, event)
    assert json.dumps(session.to_dict(), sort_keys=True) == snapshot


def test_session_round_trips_through_json(demo_engine: Engine) -> None:
    session = start(demo_engine)
    for answer in ("normal", "yes", "bad"):
        session, _ = demo_engine.step(session, Answer(answer))
    data = json.loads(json.dumps(session.to_dict()))
    assert Session.from_dict(data) == session


def test_shipped_flow_session_stays_small(engine: Engine) -> None:
    session = start(engine)
    while not session.done:
        question = engine.flow.questions[session.state]
        choice = "agree" if question.fact == "consent" else "none"
        if not question.is_checklist and question.fact != "consent":
            choice = question.options[-1].id
        session, _ = engine.step(session, Answer(choice))
    assert len(json.dumps(session.to_dict())) < 2048
