"""The Telegram planner without python-telegram-bot: plain facts in, plain actions out."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from bme_bot.adapters.telegram.actions import (
    AnswerQuery,
    EditKeyboard,
    EditMessage,
    ForgetAsked,
    Handled,
    Incoming,
    Note,
    Notify,
    Remember,
    SendChunks,
    ShowTyping,
)
from bme_bot.adapters.telegram.memory import Asked, AskedMemory, SeenIds
from bme_bot.adapters.telegram.planner import (
    checklist_of,
    plan_flood,
    plan_tap,
    plan_turn,
    plan_unavailable,
)
from bme_bot.adapters.telegram.rendering import (
    MAX_MESSAGE,
    answered,
    keyboard,
    render_reply,
)
from bme_bot.adapters.telegram.texts import FLOOD_NOTICE, UNAVAILABLE, UNAVAILABLE_RETRYING
from bme_bot.core.callbacks import (
    MAX_CALLBACK_BYTES,
    MOVED_ON,
    question_payload,
    toggle_payload,
)
from bme_bot.core.events import Answer, Start, Text, Toggle
from bme_bot.core.replies import ChecklistItem, Reply, ReplyOption
from bme_bot.core.session import Session

ROOT = Path(__file__).resolve().parents[2]
LINK = "https://t.me/bme_test_bot?start=go"

SITE = Reply(
    "question",
    "Where is the pain?",
    (ReplyOption("hip", "Hip"), ReplyOption("knee", "Knee")),
    asks="site",
    question="site",
    turn=3,
    progress=(2, 12),
)
CHECK_OPTIONS = (ReplyOption("none", "None of these"), ReplyOption("done", "Done"))


def checklist(*marks: str, turn: int = 5) -> Reply:
    items = (
        ChecklistItem("fever", "A fever", marks[0] if marks else ""),
        ChecklistItem("calf_swelling", "Calf swelling", marks[1] if len(marks) > 1 else ""),
    )
    return Reply(
        "question",
        "Do any of these apply now? Tick all that do.",
        CHECK_OPTIONS,
        question="red_flags",
        turn=turn,
        checklist=items,
        progress=(4, 10),
    )


def session(
    state: str,
    turn: int,
    facts: dict[str, str],
    history: tuple[str, ...],
    outcome: str | None = None,
) -> Session:
    return Session("demo", "1", state, facts, history, turn, outcome=outcome)


def asked_for(reply: Reply, message_id: int) -> Asked:
    assert reply.question is not None and reply.turn is not None
    return Asked(
        message_id,
        reply.question,
        reply.turn,
        render_reply(reply)[-1],
        reply.asks,
        {o.id: o.label for o in reply.options},
        reply.checklist,
    )


def tap(event: Answer | Toggle, message_id: int, reply: Reply, data: str) -> Incoming:
    return Incoming(
        "callback",
        event,
        message_id=message_id,
        data=data,
        keyboard=keyboard(reply),
        message_html=render_reply(reply)[-1],
    )


def test_the_planner_imports_no_python_telegram_bot() -> None:
    code = (
        "import sys, bme_bot.adapters.telegram.planner, bme_bot.adapters.telegram.actions\n"
        "assert not [m for m in sys.modules if m.split('.')[0] == 'telegram'], 'PTB imported'\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_a_question_is_sent_with_its_buttons_and_remembered() -> None:
    actions = plan_turn(
        [SITE], session("site", 3, {}, ("a", "b")), Incoming("command", Start()), None
    )
    assert [type(a) for a in actions] == [SendChunks, Remember, Handled]
    send, remember, handled = actions
    assert isinstance(send, SendChunks) and isinstance(remember, Remember)
    assert send.chunks == ("<i>Question 3 of at most 12</i>\n\nWhere is the pain?",)
    assert send.keyboard == (
        (("Hip", question_payload("site", 3, "hip")),),
        (("Knee", question_payload("site", 3, "knee")),),
    )
    assert remember.asked == Asked(
        None, "site", 3, send.chunks[-1], "site", {"hip": "Hip", "knee": "Knee"}
    )
    assert handled == Handled(("question",))


def test_a_tapped_answer_reaching_a_disposition_records_the_choice() -> None:
    advice = Reply("disposition", "**Go to the emergency department now.**\n\n" + "Why. " * 200)
    asked = asked_for(SITE, 7)
    after = session("E2", 4, {"site": "knee"}, ("a", "b", "site"), outcome="E2")
    incoming = tap(Answer("knee", "site", 3), 7, SITE, question_payload("site", 3, "knee"))
    actions = plan_turn([advice], after, incoming, asked)
    assert actions[0] == AnswerQuery()
    assert actions[1] == EditMessage(7, answered(asked.html, "Knee"))
    assert actions[2] == ForgetAsked()
    assert actions[3] == ShowTyping()  # long advice: a typing indicator first
    send = actions[4]
    assert isinstance(send, SendChunks) and send.chunks[0].startswith("<b>Go to")
    assert actions[5:] == [Handled(("disposition",))]
    assert not any(isinstance(a, Remember) for a in actions)  # no question is waiting


def test_a_stale_tap_changes_nothing_and_says_so() -> None:
    old = tap(Answer("hip", "site", 2), 6, SITE, question_payload("site", 2, "hip"))
    stale = [Reply("stale", "This question has moved on.")]
    now = session("site", 3, {}, ("a", "b"))
    assert plan_turn(stale, now, old, asked_for(SITE, 7)) == [
        Note("callback_stale"),
        AnswerQuery(MOVED_ON),
    ]


def test_forged_and_foreign_taps_never_reach_the_engine() -> None:
    for data in ("garbage", "m|evil", "q|site|x|hip", "t||3|fever", "t|q|3|", "x" * 70, ""):
        assert plan_tap(data, private=True, link=LINK) == [
            Note("callback_forged"),
            AnswerQuery(MOVED_ON),
        ], data
    assert plan_tap("m|why", private=True, link=LINK) == Answer("why")
    assert plan_tap("m|topic:bme", private=True, link=LINK) == Answer("topic:bme")
    assert plan_tap("q|site|3|hip", private=True, link=LINK) == Answer("hip", "site", 3)
    assert plan_tap("t|red_flags|5|fever", private=True, link=LINK) == Toggle(
        "fever", "red_flags", 5
    )
    group = plan_tap("q|site|3|hip", private=False, link=LINK)
    assert isinstance(group, list) and len(group) == 1
    assert isinstance(group[0], AnswerQuery) and LINK in (group[0].text or "")


def test_a_typed_answer_takes_the_buttons_off_the_last_question() -> None:
    asked = asked_for(SITE, 7)
    nxt = Reply("question", "Fever?", (ReplyOption("yes", "Yes"),), "fever", "fever", 4)
    after = session("fever", 4, {"site": "knee"}, ("a", "b", "site"))
    actions = plan_turn([nxt], after, Incoming("text", Text("my knee")), asked)
    assert actions[:2] == [ForgetAsked(), EditMessage(7, answered(asked.html, "Knee"))]
    assert "✅ <b>Knee</b>" in answered(asked.html, "Knee")
    assert isinstance(actions[2], SendChunks) and isinstance(actions[3], Remember)
    # /back instead: the old question loses its buttons but shows no choice
    back = session("site", 4, {}, ("a", "b"))
    undone = plan_turn([SITE], back, Incoming("command", Text("/back")), asked)
    assert undone[:2] == [ForgetAsked(), EditMessage(7, asked.html)]


def test_not_understood_keeps_the_question_open() -> None:
    reask = Reply("reask", "Sorry, I didn't catch that.", SITE.options, "site", "site", 3)
    now = session("site", 3, {}, ("a", "b"))
    actions = plan_turn([reask], now, Incoming("text", Text("purple")), asked_for(SITE, 7))
    assert not any(isinstance(a, (EditMessage, ForgetAsked)) for a in actions)


def test_long_content_is_split_in_chunks_with_the_keyboard_on_the_last() -> None:
    text = "\n\n".join(f"**Part {i}** " + "word & <more> " * 60 for i in range(30))
    topic = Reply("content", text, (ReplyOption("topics", "More topics"),))
    actions = plan_turn([topic], None, Incoming("command", Text("/topics")), None)
    assert actions[0] == ForgetAsked()  # no session (e.g. after /forget): nothing is waiting
    assert actions[1] == ShowTyping()
    send = actions[2]
    assert isinstance(send, SendChunks) and len(send.chunks) > 1
    assert all(len(c) <= MAX_MESSAGE for c in send.chunks)
    assert sum(c.count("<b>Part") for c in send.chunks) == 30
    assert send.keyboard == ((("More topics", "m|topics"),),)


def test_duplicates_unavailable_and_floods() -> None:
    incoming = tap(Answer("hip", "site", 3), 7, SITE, question_payload("site", 3, "hip"))
    assert plan_turn([], None, incoming, None, duplicate=True) == [
        Note("update_duplicate"),
        AnswerQuery(),
    ]
    assert plan_unavailable(tap=True, redelivered=False, told=False) == [
        AnswerQuery(UNAVAILABLE),
        Notify(UNAVAILABLE),
    ]
    assert plan_unavailable(tap=False, redelivered=True, told=False) == [
        Notify(UNAVAILABLE_RETRYING)
    ]
    assert plan_unavailable(tap=True, redelivered=True, told=True) == []
    assert plan_flood("notice", tap=True) == [AnswerQuery(), Notify(FLOOD_NOTICE)]
    assert plan_flood("drop", tap=False) == []


# --- checklists ---------------------------------------------------------------------------


def test_a_checklist_is_one_message_with_a_toggle_per_item_then_none_and_done() -> None:
    reply = checklist("yes", "unsure")
    rows = keyboard(reply)
    assert rows == (
        (("✓ A fever", toggle_payload("red_flags", 5, "fever")),),
        (("? Calf swelling", toggle_payload("red_flags", 5, "calf_swelling")),),
        (
            ("None of these", question_payload("red_flags", 5, "none")),
            ("Done", question_payload("red_flags", 5, "done")),
        ),
    )
    assert keyboard(checklist())[0][0][0] == "▫️ A fever"
    assert checklist_of(rows) == reply.checklist  # the marks read back from the buttons
    actions = plan_turn([reply], None, Incoming("text", Text("x")), None)
    sends = [a for a in actions if isinstance(a, SendChunks)]
    assert len(sends) == 1 and sends[0].chunks[0].startswith("<i>Question 5 of at most 10</i>")


def test_checklist_payloads_stay_within_64_bytes_with_long_ids() -> None:
    fact = "f" * 40
    question = "q" * 13
    long_one = Reply(
        "question",
        "Tick",
        CHECK_OPTIONS,
        question=question,
        turn=9_999_999,
        checklist=(ChecklistItem(fact, "Fits"), ChecklistItem(fact + "x" * 20, "Too long")),
    )
    rows = keyboard(long_one)
    datas = [data for row in rows for _, data in row]
    assert all(len(d.encode()) <= MAX_CALLBACK_BYTES for d in datas)
    assert len(toggle_payload(question, 9_999_999, fact).encode()) == 64  # the longest that fits
    assert [label for row in rows for label, _ in row] == ["▫️ Fits", "None of these", "Done"]


def test_a_toggle_edits_the_keyboard_in_place_and_sends_nothing() -> None:
    shown = checklist()
    asked = asked_for(shown, 9)
    toggled = checklist("yes")
    data = toggle_payload("red_flags", 5, "fever")
    incoming = tap(Toggle("fever", "red_flags", 5), 9, shown, data)
    pending = session("red_flags", 5, {}, ("a",))
    actions = plan_turn([toggled], pending, incoming, asked)
    assert actions == [
        AnswerQuery(),
        EditKeyboard(9, keyboard(toggled)),
        Remember(Asked(9, "red_flags", 5, asked.html, None, asked.labels, toggled.checklist)),
        Handled(("toggle",)),
    ]
    # the bot restarted meanwhile (nothing remembered): the tapped message is still edited
    assert plan_turn([toggled], pending, incoming, None) == [
        AnswerQuery(),
        EditKeyboard(9, keyboard(toggled)),
        Handled(("toggle",)),
    ]


def test_stale_forged_toggles_and_a_double_done_change_nothing() -> None:
    shown = checklist()
    stale = [Reply("stale", "This question has moved on.")]
    now = session("red_flags", 6, {}, ("a",))
    for event, data in (
        (Toggle("fever", "red_flags", 4), toggle_payload("red_flags", 4, "fever")),  # older turn
        (Toggle("pizza", "red_flags", 5), toggle_payload("red_flags", 5, "pizza")),  # no such item
        (Answer("done", "red_flags", 5), question_payload("red_flags", 5, "done")),  # second Done
    ):
        assert plan_turn(stale, now, tap(event, 9, shown, data), None) == [
            Note("callback_stale"),
            AnswerQuery(MOVED_ON),
        ]


def test_done_takes_the_buttons_off_and_shows_what_was_ticked() -> None:
    shown = checklist("yes", "unsure")
    asked = asked_for(shown, 9)
    nxt = Reply("question", "Next?", (ReplyOption("a", "A"),), "next", "next", 6)
    after = session("next", 6, {"fever": "yes", "calf_swelling": "unsure"}, ("a", "red_flags"))
    done = tap(Answer("done", "red_flags", 5), 9, shown, question_payload("red_flags", 5, "done"))
    actions = plan_turn([nxt], after, done, asked)
    record = EditMessage(9, answered(asked.html, "✓ A fever, ? Calf swelling", mark=""))
    assert actions[:3] == [AnswerQuery(), record, ForgetAsked()]
    assert "<b>✓ A fever, ? Calf swelling</b>" in record.html and "Done" not in record.html
    # the same when the bot forgot what it asked: read from the tapped message's buttons
    assert plan_turn([nxt], after, done, None)[:2] == [AnswerQuery(), record]
    # None of these
    nothing = session("next", 6, {"fever": "no", "calf_swelling": "no"}, ("a", "red_flags"))
    none = tap(Answer("none", "red_flags", 5), 9, shown, question_payload("red_flags", 5, "none"))
    none_record = plan_turn([nxt], nothing, none, asked)[1]
    assert none_record == EditMessage(9, answered(asked.html, "None of these"))


def test_a_typed_checklist_answer_records_it_on_the_checklist_message() -> None:
    asked = asked_for(checklist(), 9)
    nxt = Reply("question", "Next?", (ReplyOption("a", "A"),), "next", "next", 6)
    after = session("next", 6, {"fever": "no", "calf_swelling": "yes"}, ("a", "red_flags"))
    actions = plan_turn([nxt], after, Incoming("text", Text("2")), asked)
    assert actions[:2] == [
        ForgetAsked(),
        EditMessage(9, answered(asked.html, "✓ Calf swelling", mark="")),
    ]


def test_the_memories_are_bounded() -> None:
    memory = AskedMemory(limit=2)
    for chat in (1, 2, 3):
        memory.put(chat, Asked(chat, "q", 1, "html"))
    assert len(memory) == 2 and memory.get(1) is None and memory.get(3) is not None
    memory.forget(3)
    assert memory.get(3) is None
    seen = SeenIds(limit=2)
    assert [seen.add(n) for n in (1, 1, 2, 3, 1)] == [False, True, False, False, False]
