"""Typed questions answered from the reviewed content (issue 14): where they are answered,
what the answer holds, red flags first, declines, the pending question kept, and the console's
`found` and `alert`."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from bme_bot.adapters.console import run_json
from bme_bot.core import lay
from bme_bot.core.engine import Engine
from bme_bot.core.events import Answer, Ask, SetRegion, Start, Text, parse_command
from bme_bot.core.replies import Reply
from bme_bot.core.retrieval import QUOTE_WORDS, make_stemmer, quote, split_sections
from bme_bot.core.session import Session
from bme_bot.core.wording import (
    ALERT_OPENING,
    ASK_HOW,
    DIAGNOSIS_DECLINE,
    DOSE_DECLINE,
    NO_GOOD_MATCH,
    OFFER_CHECK_AGAIN,
    SOURCES_LABEL,
)
from bme_bot.loading.content_loader import load_vocabulary

CONTENT = Path(__file__).resolve().parent.parent / "content" / "en"
TO_SITE = ["agree", "45"]
TO_ADVICE = ["agree", "45", "knee", "none", "1", "3", "none", "1", "1"]
"""Typed answers to self-care: an adult, knee, no warning sign, walking normally, gradual,
nothing in the background, getting better, under a week."""


def at(engine: Engine, answers: list[str]) -> Session:
    session, _ = engine.step(None, Start())
    for text in answers:
        session, _ = engine.step(session, Text(text))
    return session


def texts(replies: list[Reply]) -> str:
    return "\n\n".join(r.text for r in replies)


# --- the command --------------------------------------------------------------------------


def test_ask_command_is_parsed_with_its_text() -> None:
    assert parse_command("/ask  how long   does it take?") == Ask("how long does it take?")
    assert parse_command("/ask@BmeBot what is BME") == Ask("what is BME")
    assert parse_command("/ask") == Ask("")


def test_ask_without_text_says_how_and_keeps_the_question(engine: Engine) -> None:
    session = at(engine, TO_SITE)
    after, replies = engine.step(session, Text("/ask"))
    assert replies[0].text == ASK_HOW
    assert replies[-1].asks == "site" and after == session


def test_ask_answers_with_a_quote_title_sources_and_buttons(engine: Engine) -> None:
    session = at(engine, TO_SITE)
    after, replies = engine.step(session, Ask("how long does it take to heal?"))
    answer = replies[0]
    doc = engine.content["recovery"]
    assert answer.kind == "content" and answer.found[0].topic == "recovery"
    assert f"**{doc.title}**" in answer.text
    assert SOURCES_LABEL in answer.text and all(s in answer.text for s in doc.sources)
    assert answer.options[0].id == "topic:recovery"
    assert len(answer.options) == len(answer.found) <= 3
    assert len({o.id for o in answer.options}) == len(answer.options)
    assert replies[-1].asks == "site" and after == session  # the question is asked again


def test_the_read_all_button_opens_topics_outside_the_menu(engine: Engine) -> None:
    session = at(engine, TO_SITE)
    _, replies = engine.step(session, Ask("what is avascular necrosis?"))
    assert replies[0].options[0].id == "topic:avn"
    assert "topic:avn" not in {o.id for o in engine.words.menu_options(session)}
    after, opened = engine.step(session, Answer("topic:avn"))
    assert opened[0].kind == "content" and engine.content["avn"].title in opened[0].text
    assert opened[-1].asks == "site" and after == session


# --- what is quoted ------------------------------------------------------------------------


def test_every_quote_is_verbatim_and_short(engine: Engine) -> None:
    for topic in engine.asking.topics:
        doc = engine.content[topic]
        for section in split_sections(doc):
            for line in section.text.splitlines():
                assert line in doc.body.splitlines(), (topic, line)
            text, cut = quote(section)
            assert section.text.startswith(text)
            assert cut == (text != section.text.rstrip())
            first = section.text.split(". ", 1)[0]
            assert len(text.split()) <= max(QUOTE_WORDS, len(first.split()) + 1), (topic, text)


def test_answer_text_is_title_quote_and_sources_only(engine: Engine) -> None:
    """Nothing invented: apart from the fixed words, every line comes from the content."""
    _, replies = engine.step(at(engine, TO_SITE), Ask("what shoes should I wear?"))
    doc = engine.content[replies[0].found[0].topic]
    allowed = {f"**{doc.title}**", SOURCES_LABEL, *(f"- {s}" for s in doc.sources), ""}
    for line in replies[0].text.splitlines():
        line = line.removesuffix(" …")
        assert line in allowed or line in doc.body.splitlines(), line


# --- when nothing matches -------------------------------------------------------------------


def test_no_good_match_says_so_and_offers_the_topics(engine: Engine) -> None:
    session = at(engine, TO_SITE)
    after, replies = engine.step(session, Ask("what is the capital of France?"))
    assert replies[0].text == NO_GOOD_MATCH and not replies[0].found
    assert any(o.id.startswith("topic:") for o in replies[0].options)
    assert replies[-1].asks == "site" and after == session


# --- where free text is a question ------------------------------------------------------------


def test_a_question_mid_flow_keeps_the_pending_question(engine: Engine) -> None:
    session = at(engine, TO_SITE)
    after, replies = engine.step(session, Text("can I still go running?"))
    assert replies[0].found and replies[-1].asks == "site"
    assert after == session
    moved, _ = engine.step(after, Text("knee"))
    assert moved.facts["site"] == "knee"


def test_a_question_at_a_checklist_keeps_the_ticks(engine: Engine) -> None:
    session = at(engine, [*TO_SITE, "knee"])
    ticked, _ = engine.step(session, Answer("fever", session.state))  # not a tap: ignored
    assert ticked.state == "red_flags"
    after, replies = engine.step(session, Text("what does a bone scan show?"))
    assert replies[0].found and replies[-1].checklist
    assert after == session


def test_a_question_at_a_detour_asks_the_detour_again(engine: Engine) -> None:
    session = at(engine, TO_SITE)
    detour, _ = engine.step(session, Text("fever"))  # not an answer to site: a red flag
    assert detour.detour == "fever"
    after, replies = engine.step(detour, Text("what shoes should I wear?"))
    assert replies[0].found and replies[-1].asks == "fever"
    assert after == detour


def test_typed_answers_are_never_taken_as_questions(engine: Engine) -> None:
    session = at(engine, TO_SITE)
    moved, replies = engine.step(session, Text("my knee?"))
    assert moved.facts.get("site") == "knee"
    assert not any(r.found for r in replies)
    consent, _ = engine.step(None, Start())
    agreed, _ = engine.step(consent, Text("yes, can we start?"))
    assert agreed.facts == {"consent": "agree"}


def test_text_that_could_mean_two_answers_is_asked_again_not_answered(engine: Engine) -> None:
    session = at(engine, TO_SITE)
    question = engine.flow.questions["site"]
    text = "knee or ankle?"
    reading = engine.typed.read_single(question, text)
    assert isinstance(reading, lay.Unclear) and reading.candidates
    after, replies = engine.step(session, Text(text))
    assert replies[0].kind == "reask" and not replies[0].found and after == session


def test_mid_flow_text_that_is_not_a_question_is_asked_again(engine: Engine) -> None:
    session = at(engine, TO_SITE)
    after, replies = engine.step(session, Text("banana bread"))
    assert [r.kind for r in replies] == ["reask"] and after == session


def test_before_start_a_question_is_answered_then_the_start_offered(engine: Engine) -> None:
    session, replies = engine.step(None, Text("what is bone marrow edema?"))
    assert replies[0].found[0].topic == "what_is_bme"
    assert replies[-1].asks == "consent" and not session.history


def test_before_start_a_greeting_still_gets_the_first_question(engine: Engine) -> None:
    _, replies = engine.step(None, Text("hello"))
    assert [r.kind for r in replies] == ["question"] and replies[0].asks == "consent"


def test_after_the_advice_free_text_is_answered(engine: Engine) -> None:
    done = at(engine, TO_ADVICE)
    assert done.done
    after, replies = engine.step(done, Text("when can I start running again"))
    assert replies[0].found and after == done
    _, other = engine.step(done, Text("hello"))
    assert other[0].kind == "reask"  # not a question, no match: the menu, as before


# --- red flags first ------------------------------------------------------------------------------


def test_a_red_flag_before_start_gets_emergency_advice_then_the_start(engine: Engine) -> None:
    session, replies = engine.step(None, Text("I can't walk at all, do I need crutches?"))
    assert replies[0].alert == "emergency" and replies[0].text.startswith(ALERT_OPENING)
    assert (
        engine.content["advice_emergency"].body.replace("{emergency_number}", "112")
        in replies[0].text
    )
    assert not replies[0].found  # safety first, whatever else it asks
    assert replies[-1].asks == "weight_bearing" and session.detour == "weight_bearing"
    _, later = engine.step(session, Text("no"))  # "not sure" or "no": an emergency
    assert later[-1].kind == "disposition"


def test_a_sign_the_flow_never_asks_is_answered_even_with_an_answer(engine: Engine) -> None:
    session = at(engine, TO_SITE)
    moved, replies = engine.step(session, Text("knee, and I'm short of breath"))
    assert moved.facts["site"] == "knee"
    assert replies[0].alert == "emergency" and replies[-1].checklist


def test_the_alert_shows_the_regions_number(engine: Engine) -> None:
    session, _ = engine.step(None, Start())
    session, _ = engine.step(session, SetRegion("UK"))
    _, replies = engine.step(session, Ask("my foot is cold and pale, should I rest?"))
    assert replies[0].alert == "emergency" and "**999**" in replies[0].text


def test_an_urgent_red_flag_is_urgent_with_the_flows_guidance(engine: Engine) -> None:
    _, replies = engine.step(None, Ask("one calf is swollen and tender, can I massage it?"))
    assert replies[0].alert == "urgent"
    assert engine.content["guide_clot"].body.replace("{emergency_number}", "112") in (
        replies[0].text
    )


def test_a_red_flag_asked_mid_flow_is_asked_about_next(engine: Engine) -> None:
    session = at(engine, TO_SITE)
    after, replies = engine.step(session, Text("is it bad that it is hot and swollen?"))
    assert replies[0].alert == "urgent"
    assert after.detour == "hot_swollen" and replies[-1].asks == "hot_swollen"


def test_a_red_flag_after_the_advice_offers_the_check_again(engine: Engine) -> None:
    done = at(engine, TO_ADVICE)
    _, replies = engine.step(done, Text("now I can't put any weight on it"))
    assert replies[0].alert == "emergency"
    assert replies[-1].text == OFFER_CHECK_AGAIN
    assert [o.id for o in replies[-1].options] == ["restart"]


# --- declines ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "how much ibuprofen can I take?",
        "how many paracetamol a day is safe",
        "what dose of naproxen should I take",
        "what is the dosage for prednisolone",
        "how often can I take painkillers",
    ],
)
def test_dose_questions_go_to_a_pharmacist_or_doctor(engine: Engine, text: str) -> None:
    session = at(engine, TO_SITE)
    after, replies = engine.step(session, Ask(text))
    assert replies[0].text == DOSE_DECLINE and not any(r.found for r in replies)
    assert replies[-1].asks == "site" and after == session


@pytest.mark.parametrize(
    "text",
    [
        "do I have cancer?",
        "is it a stress fracture?",
        "could this be avascular necrosis?",
        "have I got bone marrow edema",
        "is my ankle broken?",
        "does this mean I have arthritis?",
    ],
)
def test_diagnosis_questions_are_declined_then_the_nearest_section(
    engine: Engine, text: str
) -> None:
    session, _ = engine.step(None, Start())
    _, replies = engine.step(session, Ask(text))
    assert replies[0].text == DIAGNOSIS_DECLINE
    assert "you have" not in replies[0].text.lower()
    assert replies[-1].asks == "consent"  # the offer to start the check
    assert all(r.found for r in replies[1:-1])


def test_a_question_about_a_condition_is_not_a_diagnosis_question(engine: Engine) -> None:
    _, replies = engine.step(None, Ask("is it safe to run with a stress fracture?"))
    assert replies[0].text != DIAGNOSIS_DECLINE and replies[0].found


def test_fixed_sentences_never_diagnose() -> None:
    for sentence in (NO_GOOD_MATCH, DOSE_DECLINE, DIAGNOSIS_DECLINE, ALERT_OPENING):
        assert "you have" not in sentence.lower()
        assert not any(ch.isdigit() for ch in sentence)


# --- the vocabulary ---------------------------------------------------------------------------------


def test_vocabulary_adds_red_flag_phrases_without_repeating_the_flows(engine: Engine) -> None:
    vocabulary = load_vocabulary(CONTENT)
    flow_phrases: dict[str, set[str]] = {}
    for question in engine.flow.questions.values():
        for item in question.items:
            flow_phrases.setdefault(item.fact, set()).update(item.mentions)
        for option in question.options:
            flow_phrases.setdefault(question.fact, set()).update(option.mentions)
    for flag in vocabulary.red_flags:
        assert flag.fact is None or flag.value in engine.flow.facts[flag.fact]
        assert flag.guidance is None or flag.guidance in engine.content
        repeated = set(flag.phrases) & flow_phrases.get(flag.fact or "", set())
        assert not repeated, (flag.fact, repeated)


def test_without_a_vocabulary_file_questions_still_work(engine: Engine, tmp_path: Path) -> None:
    vocabulary = load_vocabulary(tmp_path)
    bare = Engine(engine.flow, engine.content, vocabulary=vocabulary)
    assert bare.asking.index.search("avascular necrosis steroids")[0].section.topic == "avn"


# --- the console's JSON ---------------------------------------------------------------------------


def test_console_json_has_found_and_alert(engine: Engine) -> None:
    lines = io.StringIO(
        "agree\nhow long does it take to heal?\nmy calf is swollen and I'm short of breath\n"
        "what is the capital of France?\n"
    )
    out = io.StringIO()
    run_json(engine, lines, out)
    records = [json.loads(line) for line in out.getvalue().splitlines()]
    for record in records:
        assert {"text", "options", "asks", "topics", "state", "facts", "progress", "kinds"} <= set(
            record
        )
    assert [r["found"] for r in records[:2]] == [[], []]
    assert records[2]["found"][0]["topic"] == "recovery" and records[2]["alert"] is None
    assert set(records[2]["found"][0]) == {"topic", "section", "score"}
    scores = [f["score"] for f in records[2]["found"]]
    assert scores == sorted(scores, reverse=True)
    assert records[3]["alert"] == "emergency" and records[3]["found"] == []
    assert records[4]["found"] == [] and records[4]["alert"] is None


def test_stemmers_plug_in_per_locale() -> None:
    spanish, german = make_stemmer("es"), make_stemmer("de")
    assert spanish("fracturas") == spanish("fractura")
    assert german("knochens") == german("knochen")
    assert make_stemmer("xx")("running") == "running"  # no stemmer: whole words only
