"""Checklists, red flags typed before they are asked, progress and the acting advice."""

from __future__ import annotations

from bme_bot.core.advice import filter_safety_net
from bme_bot.core.engine import Engine
from bme_bot.core.events import Answer, Back, Start, Text, Toggle, Why
from bme_bot.core.session import Session


def to_red_flags(engine: Engine, site: str = "knee") -> Session:
    session, _ = engine.step(None, Start())
    for answer in ("agree", "adult", site):
        session, _ = engine.step(session, Answer(answer))
    assert session.state == "red_flags"
    return session


def test_checklist_reply_lists_the_items_with_marks_and_two_buttons(engine: Engine) -> None:
    session = to_red_flags(engine)
    session, replies = engine.step(session, Toggle("fever", "red_flags", session.turn))
    reply = replies[-1]
    assert [i.fact for i in reply.checklist] == [
        "fever",
        "hot_swollen",
        "cold_pale_numb",
        "calf_swelling",
    ]
    assert [i.mark for i in reply.checklist] == ["yes", "", "", ""]
    assert [o.id for o in reply.options] == ["none", "done"]
    assert reply.asks is None and reply.question == "red_flags" and reply.turn == session.turn


def test_toggle_cycles_blank_yes_unsure_blank_without_answering(engine: Engine) -> None:
    session = to_red_flags(engine)
    marks = []
    for _ in range(3):
        session, replies = engine.step(session, Toggle("calf_swelling", "red_flags", session.turn))
        marks.append(replies[-1].checklist[3].mark)
    assert marks == ["yes", "unsure", ""]
    assert session.state == "red_flags" and "calf_swelling" not in session.facts


def test_stale_forged_and_double_done_change_nothing(engine: Engine) -> None:
    session = to_red_flags(engine)
    turn = session.turn
    for event in (
        Toggle("fever", "red_flags", turn - 1),  # an older message
        Toggle("diabetes", "red_flags", turn),  # not an item shown here
        Toggle("fever", "site", turn),  # another question
    ):
        after, replies = engine.step(session, event)
        assert after == session and [r.kind for r in replies] == ["stale"], event
    done, _ = engine.step(session, Answer("done", "red_flags", turn))
    assert done.state == "weight_bearing"
    again, replies = engine.step(done, Answer("done", "red_flags", turn))
    assert again == done and [r.kind for r in replies] == ["stale"]


def test_none_with_ticks_asks_instead_of_dropping_them(engine: Engine) -> None:
    session = to_red_flags(engine)
    session, _ = engine.step(session, Toggle("hot_swollen", "red_flags", session.turn))
    after, replies = engine.step(session, Answer("none", "red_flags", session.turn))
    assert after == session and replies[-1].kind == "reask"
    assert "You ticked" in replies[-1].text


def test_emergency_fires_the_moment_the_checklist_is_answered(engine: Engine) -> None:
    session = to_red_flags(engine)
    session, _ = engine.step(session, Text("3"))  # cold, pale or numb
    assert session.done and engine.flow.outcomes[session.outcome or ""].rule == "E5"
    assert session.facts["cold_pale_numb"] == "yes" and session.facts["fever"] == "no"


def test_typed_checklist_with_not_sure_and_back_undoes_every_item(engine: Engine) -> None:
    session = to_red_flags(engine)
    session, _ = engine.step(session, Text("fever? 4"))
    assert {k: session.facts[k] for k in ("fever", "hot_swollen", "calf_swelling")} == {
        "fever": "unsure",
        "hot_swollen": "no",
        "calf_swelling": "yes",
    }
    back, _ = engine.step(session, Back())
    assert back.state == "red_flags" and not {"fever", "calf_swelling"} & set(back.facts)


def test_a_red_flag_typed_early_is_asked_next_and_can_end_at_once(engine: Engine) -> None:
    session, _ = engine.step(None, Start())
    for answer in ("agree", "adult"):
        session, _ = engine.step(session, Answer(answer))
    session, replies = engine.step(session, Text("my ankle, I can't put weight on it"))
    assert session.facts["site"] == "ankle" and session.detour == "weight_bearing"
    assert replies[-1].asks == "weight_bearing"
    assert replies[-1].question == "!weight_bearing"
    ended, replies = engine.step(session, Answer("unable", "!weight_bearing", session.turn))
    assert ended.done and engine.flow.outcomes[ended.outcome or ""].rule == "E2"
    undone, _ = engine.step(ended, Back())
    assert undone.state == "red_flags" and "weight_bearing" not in undone.facts


def test_an_early_answer_is_used_when_the_flow_reaches_it(engine: Engine) -> None:
    session, _ = engine.step(None, Start())
    for answer in ("agree", "adult"):
        session, _ = engine.step(session, Answer(answer))
    session, _ = engine.step(session, Text("knee, and I cannot walk"))
    session, replies = engine.step(session, Text("limping"))
    assert session.state == "red_flags" and session.early == {"weight_bearing": "limp"}
    assert "back to where we were" in replies[0].text
    session, _ = engine.step(session, Text("none"))
    assert session.state == "onset" and session.facts["weight_bearing"] == "limp"
    assert session.history[-2:] == ("red_flags", "weight_bearing")


def test_progress_counts_answers_and_never_grows(engine: Engine) -> None:
    session, replies = engine.step(None, Start())
    seen = [replies[-1].progress]
    for answer in ("agree", "adult", "ankle"):
        session, replies = engine.step(session, Answer(answer))
        seen.append(replies[-1].progress)
    session, replies = engine.step(session, Answer("none", "red_flags", session.turn))
    seen.append(replies[-1].progress)
    assert [p[0] for p in seen if p] == [0, 1, 2, 3, 4]
    bounds = [p[1] for p in seen if p]
    assert bounds == sorted(bounds, reverse=True) and bounds[0] >= 9
    assert engine.progress(session)[1] <= bounds[0]


def test_why_before_the_advice_says_what_the_question_screens_for(engine: Engine) -> None:
    session = to_red_flags(engine)
    _, replies = engine.step(session, Why())
    assert "infection" in replies[0].text and "no advice yet" not in replies[0].text


def test_disposition_opens_with_the_action_then_why_and_ends_not_a_diagnosis(
    engine: Engine,
) -> None:
    session = to_red_flags(engine)
    session, replies = engine.step(session, Text("2"))  # warm and swollen
    session, _ = engine.step(session, Answer("normal"))
    session, _ = engine.step(session, Answer("none", "high_risk", session.turn))
    session, replies = engine.step(session, Answer("gradual"))
    assert engine.flow.outcomes[session.outcome or ""].rule == "U2"
    text = replies[-1].text
    first = text.split("\n\n")[0]
    assert "today" in first.lower() and "112" in text
    assert text.index("**Why:**") > len(first)
    assert "not a diagnosis" in text.split("\n\n")[-1]
    assert "tomorrow" not in text.lower()
    # The warm, swollen joint was reported: the safety net does not list it as a later sign.
    assert "painful area becomes warm and swollen" not in text


def test_safety_net_drops_reported_signs_and_empty_headings(engine: Engine) -> None:
    body = "**At once if:**\n\n- {fever} A fever.\n\n**Same day if:**\n\n- {night_pain} Night.\n- Other."
    kept = filter_safety_net(body, engine.flow, {"fever": "unsure", "night_pain": "no"})
    assert "A fever" not in kept and "At once" not in kept
    assert "- Night." in kept and "- Other." in kept and "{" not in kept


def test_declining_gives_no_disposition_but_the_signs_and_the_number(engine: Engine) -> None:
    session, _ = engine.step(None, Start())
    session, replies = engine.step(session, Answer("decline"))
    outcome = engine.flow.outcomes[session.outcome or ""]
    assert outcome.disposition == "none"
    assert "112" in replies[-1].text and "/start" in replies[-1].text


def test_a_red_flag_answered_no_and_typed_later_is_asked_again(engine: Engine) -> None:
    session = to_red_flags(engine)
    session, _ = engine.step(session, Text("none"))
    session, _ = engine.step(session, Text("normal"))
    session, _ = engine.step(session, Text("my foot is cold and numb now"))
    assert session.detour == "cold_pale_numb" and session.state == "onset"
    ended, _ = engine.step(session, Text("yes"))
    assert engine.flow.outcomes[ended.outcome or ""].rule == "E5"
    undone, _ = engine.step(ended, Back())
    assert (undone.state, undone.facts["cold_pale_numb"]) == ("onset", "no")
    same, replies = engine.step(session, Text("no"))
    assert "as you said before" in replies[0].text
    assert (same.state, same.facts, same.history) == (
        session.state,
        session.facts,
        session.history,
    )


def test_a_changed_non_emergency_red_flag_goes_back_to_its_question(engine: Engine) -> None:
    session = to_red_flags(engine)
    for text in ("none", "normal", "gradually"):
        session, _ = engine.step(session, Text(text))
    session, _ = engine.step(session, Text("and now my calf is swollen"))
    session, replies = engine.step(session, Text("yes"))
    assert session.state == "red_flags" and session.pending == {"calf_swelling": "yes"}
    assert [i.mark for i in replies[-1].checklist if i.fact == "calf_swelling"] == ["yes"]
    assert "weight_bearing" not in session.facts and "calf_swelling" not in session.facts
    # Typing another item keeps the tick that is already on the message.
    session, _ = engine.step(session, Text("1?"))
    assert session.facts["calf_swelling"] == "yes" and session.facts["fever"] == "unsure"
