"""End to end: a checklist question in Telegram (the real PTB stack against the fake Bot API).

One message with a toggle button per item and None of these / Done; a tap on an item edits the
buttons in place and sends nothing; stale, forged and doubled taps change nothing; Done takes
the buttons off and shows what was ticked.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fake_bot_api import Call, FakeBotApi
from tg_harness import BotEnv

from bme_bot.core.callbacks import MAX_CALLBACK_BYTES, MOVED_ON
from bme_bot.core.content import ContentDoc
from bme_bot.core.engine import Engine
from bme_bot.loading.flow_loader import load_flow

FLOW = Path(__file__).resolve().parent / "fixtures" / "checklist_flow.yaml"
CHAT = 9101
QUESTION = "red_flag_checklist"
FEVER = "A fever, or feeling hot and shivery"
WARM = "The painful area is warm and swollen"


def _doc(cid: str, body: str) -> ContentDoc:
    return ContentDoc(cid, cid.title(), body, ("test source",), "2026-11-21")


@pytest.fixture()
def engine() -> Engine:
    """The checklist fixture flow (overrides the shipped flow for this module's bots)."""
    content = {
        "about": _doc("about", "About text."),
        "net": _doc("net", "Call {emergency_number} if worse."),
        "help": _doc("help", "Help text."),
        "privacy": _doc("privacy", "Privacy text."),
    }
    return Engine(load_flow(FLOW, content), content)


def rows(fake: FakeBotApi, chat: int, message_id: int) -> list[list[tuple[str, str]]]:
    """The buttons a message shows now, row by row."""
    markup = fake.messages[(chat, message_id)].get("reply_markup") or {}
    return [
        [(b["text"], b["callback_data"]) for b in row] for row in markup.get("inline_keyboard", [])
    ]


def toggle(fake: FakeBotApi, chat: int, message_id: int, label_end: str) -> tuple[str, str]:
    """(label, data) of the item button whose label ends with `label_end`."""
    return next(
        (label, data)
        for row in rows(fake, chat, message_id)
        for label, data in row
        if data.startswith("t|") and label.endswith(label_end)
    )


def option(fake: FakeBotApi, chat: int, message_id: int, option_id: str) -> str:
    return next(
        data
        for row in rows(fake, chat, message_id)
        for _, data in row
        if data.startswith("q|") and data.endswith(f"|{option_id}")
    )


async def open_checklist(env: BotEnv, chat: int) -> tuple[int, Call]:
    """/start, answer the first question: the checklist is the last message."""
    fake = env.fake
    await env.send(fake.text(chat, "/start"))
    walk_id, walk = fake.last_message(chat)
    normal = next(d for _, d in walk.buttons if d.endswith("|normal"))
    await env.send(fake.tap(chat, walk_id, normal))
    message_id, call = fake.last_message(chat)
    assert f"|{QUESTION}|" in call.buttons[0][1], call.buttons
    return message_id, call


def after(fake: FakeBotApi, mark: int) -> list[Call]:
    return [c for c in fake.calls[mark:] if c.method != "getUpdates"]


async def test_a_checklist_is_one_message_with_toggles_then_none_and_done(env: BotEnv) -> None:
    fake = env.fake
    message_id, call = await open_checklist(env, CHAT)
    assert "Do any of these apply now?" in call.text
    assert call.text.startswith("<i>Question 2 of at most")  # the progress line on top
    shown = rows(fake, CHAT, message_id)
    assert [len(row) for row in shown] == [1, 1, 2]
    assert [label for label, _ in shown[-1]] == ["None of these", "Done"]
    assert all(row[0][1].startswith(f"t|{QUESTION}|") for row in shown[:2])
    assert {row[0][0] for row in shown[:2]} == {f"▫️ {FEVER}", f"▫️ {WARM}"}
    datas = [data for row in shown for _, data in row]
    assert all(len(d.encode()) <= MAX_CALLBACK_BYTES for d in datas)
    # the longest item payload, with a turn of 7 digits, still fits
    longest = max((d for d in datas if d.startswith("t|")), key=len).split("|")
    assert len("|".join([longest[0], longest[1], "9999999", longest[3]]).encode()) <= 64


async def test_toggles_edit_the_buttons_in_place_and_done_records_the_ticks(env: BotEnv) -> None:
    fake = env.fake
    message_id, _ = await open_checklist(env, CHAT)
    sent_before = len(fake.sent(CHAT))
    for expected in (f"✓ {FEVER}", f"? {FEVER}"):  # blank -> yes -> not sure
        mark = len(fake.calls)
        _, data = toggle(fake, CHAT, message_id, FEVER)
        await env.send(fake.tap(CHAT, message_id, data))
        calls = after(fake, mark)
        assert [c.method for c in calls] == ["answerCallbackQuery", "editMessageReplyMarkup"]
        assert calls[0].params.get("text") is None
        assert int(calls[1].params["message_id"]) == message_id
        assert toggle(fake, CHAT, message_id, FEVER)[0] == expected
    assert len(fake.sent(CHAT)) == sent_before  # no new message for a tick
    session = await env.session(CHAT)
    assert session is not None and session["pending"] == {"fever": "unsure"}
    # Done: the buttons go, the record shows what was ticked, the next question is asked
    await env.send(fake.tap(CHAT, message_id, option(fake, CHAT, message_id, "done")))
    edit = fake.of("editMessageText", CHAT)[-1]
    assert int(edit.params["message_id"]) == message_id and "reply_markup" not in edit.params
    assert f"? {FEVER}" in edit.text and WARM not in edit.text
    assert not rows(fake, CHAT, message_id)
    _, nxt = fake.last_message(CHAT)
    assert "How bad is the pain?" in nxt.text
    session = await env.session(CHAT)
    assert session is not None
    assert session["facts"]["fever"] == "unsure"
    assert session["facts"]["painful_area_warm_and_swollen_now"] == "no"


async def test_stale_forged_and_double_done_taps_change_nothing(env: BotEnv) -> None:
    fake = env.fake
    message_id, _ = await open_checklist(env, CHAT)
    _, data = toggle(fake, CHAT, message_id, FEVER)
    _, question, turn, fact = data.split("|")
    await env.send(fake.tap(CHAT, message_id, data))  # fever ticked
    before = await env.session(CHAT)
    shown = rows(fake, CHAT, message_id)
    mark = len(fake.calls)
    for bad in (
        f"t|{question}|{int(turn) - 1}|{fact}",  # a toggle from an older turn
        f"t|{question}|{turn}|pizza",  # not an item of this checklist
        f"t|{question}|x|{fact}",  # not our payload shape
        f"t|other_question|{turn}|{fact}",
        "t|" + "x" * 70,
    ):
        await env.send(fake.tap(CHAT, message_id, bad))
    calls = after(fake, mark)
    assert [c.method for c in calls] == ["answerCallbackQuery"] * 5
    assert all(c.params.get("text") == MOVED_ON for c in calls)
    assert (await env.session(CHAT)) == before
    assert rows(fake, CHAT, message_id) == shown
    # Done twice: the second arrives after the turn moved on
    done = option(fake, CHAT, message_id, "done")
    await env.send(fake.tap(CHAT, message_id, done))
    answered = await env.session(CHAT)
    assert answered is not None and answered["facts"]["fever"] == "yes"
    mark = len(fake.calls)
    await env.send(fake.tap(CHAT, message_id, done))
    calls = after(fake, mark)
    assert [(c.method, c.params.get("text")) for c in calls] == [("answerCallbackQuery", MOVED_ON)]
    assert (await env.session(CHAT)) == answered


async def test_none_of_these_records_none(env: BotEnv) -> None:
    fake = env.fake
    message_id, _ = await open_checklist(env, CHAT)
    await env.send(fake.tap(CHAT, message_id, option(fake, CHAT, message_id, "none")))
    edit = fake.of("editMessageText", CHAT)[-1]
    assert int(edit.params["message_id"]) == message_id
    assert edit.text.endswith("✅ <b>None of these</b>") and "reply_markup" not in edit.params
    session = await env.session(CHAT)
    assert session is not None
    assert session["facts"]["fever"] == "no"
    assert session["facts"]["painful_area_warm_and_swollen_now"] == "no"


async def test_two_ticks_reaching_an_emergency(env: BotEnv) -> None:
    fake = env.fake
    message_id, _ = await open_checklist(env, CHAT)
    for label in (FEVER, WARM):
        await env.send(fake.tap(CHAT, message_id, toggle(fake, CHAT, message_id, label)[1]))
    await env.send(fake.tap(CHAT, message_id, option(fake, CHAT, message_id, "done")))
    edit = fake.of("editMessageText", CHAT)[-1]
    assert f"✓ {FEVER}, ✓ {WARM}" in edit.text
    session = await env.session(CHAT)
    assert session is not None and session["outcome"] == "now_hot"
