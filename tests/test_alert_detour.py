"""Red flags typed in free text at the first question (issue 14's alert detour), the cases the
service fuzzer found: "not sure" is never asked again, and an emergency that replaced an
answer typed early keeps that answer in the history, so /back brings it back to waiting."""

from __future__ import annotations

from bme_bot.core.engine import Engine
from bme_bot.core.events import Answer, Back, Text
from bme_bot.core.flow import UNSURE


def phrase(engine: Engine, fact: str) -> str:
    """A red-flag phrase of the flow's own `mentions` for `fact`."""
    for question in engine.flow.questions.values():
        for item in question.items:
            if item.fact == fact and item.mentions:
                return item.mentions[0]
        for option in question.options:
            if question.fact == fact and option.mentions:
                return option.mentions[0]
    raise AssertionError(f"no mention for {fact}")


def test_a_red_flag_typed_at_the_first_question_is_asked_next(engine: Engine) -> None:
    session = engine.new_session()
    moved, _ = engine.step(session, Text(phrase(engine, "cold_pale_numb")))
    assert moved.detour == "cold_pale_numb" and moved.state == engine.flow.start


def test_unsure_is_not_asked_again(engine: Engine) -> None:
    session = engine.new_session()
    session, _ = engine.step(session, Text(phrase(engine, "fever")))
    assert session.detour == "fever"
    session, _ = engine.step(session, Answer(UNSURE))
    assert session.early == {"fever": UNSURE} and session.detour is None
    again, _ = engine.step(session, Text(phrase(engine, "fever")))
    assert again.detour is None and again.early == {"fever": UNSURE}


def test_emergency_replacing_an_early_no_is_undone_by_back(engine: Engine) -> None:
    start = engine.new_session()
    session, _ = engine.step(start, Text(phrase(engine, "cold_pale_numb")))
    session, _ = engine.step(session, Answer("no"))
    assert session.early == {"cold_pale_numb": "no"}
    session, _ = engine.step(session, Text(phrase(engine, "cold_pale_numb")))
    assert session.detour == "cold_pale_numb"  # typed as present now: asked again
    done, _ = engine.step(session, Answer("yes"))
    assert done.done and engine.flow.outcomes[done.outcome or ""].disposition == "emergency"
    assert done.history[-1] == f"!cold_pale_numb@{start.state}~no"
    back, _ = engine.step(done, Back())
    assert back.facts == {} and back.early == {"cold_pale_numb": "no"}


def test_back_over_an_emergency_puts_other_early_answers_back_to_waiting(
    engine: Engine,
) -> None:
    session = engine.new_session()
    session, _ = engine.step(session, Text(phrase(engine, "fever")))
    session, _ = engine.step(session, Answer("no"))
    session, _ = engine.step(session, Text(phrase(engine, "cold_pale_numb")))
    done, _ = engine.step(session, Answer("yes"))
    assert done.done and done.facts == {"fever": "no", "cold_pale_numb": "yes"}
    back, _ = engine.step(done, Back())
    assert back.facts == {} and back.early == {"fever": "no"}
    assert back.history == session.history
