"""The bad input corpus through the console process and through the Telegram adapter.

Each case must get a kind reply and change nothing it should not: at a question, at another
question and after the advice. Through Telegram every message must also be valid Telegram HTML
(parse_mode HTML, only the tags Telegram knows, balanced, escaped), and no input is echoed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

from bme_bot.core.engine import Engine

from .corpus import CONTAINS_AN_ANSWER, DECORATED, GARBAGE, SIGNED_NUMBERS
from .figures import record
from .tgkit import ROOT, AttackApi, Bot, html_problems, last_question, question_of, running_bot

PATH_TO_E2 = ["agree", "18 to 54", "2", "none", "3"]
"""Typed answers to an emergency outcome: consent, 18-54, knee, no warning sign, cannot walk."""
SORRY = "Sorry, I didn't catch that"


def console_json(lines: list[str], **env: str) -> subprocess.CompletedProcess[bytes]:
    data = "".join(f"{line}\n" for line in lines).encode("utf-8", "surrogateescape")
    return subprocess.run(
        [sys.executable, "-m", "bme_bot", "console", "--json"],
        input=data,
        capture_output=True,
        timeout=60,
        check=False,
        cwd=ROOT,
        env={**os.environ, **env},
    )


def records_of(run: subprocess.CompletedProcess[bytes]) -> list[dict[str, Any]]:
    assert run.returncode == 0, run.stderr.decode(errors="replace")[-2000:]
    return [json.loads(line) for line in run.stdout.decode().splitlines()]


def echoed(case: str, text: str) -> bool:
    """Whether a case's own text (when it is distinctive) appears in a reply."""
    probe = case.strip()
    return len(probe) >= 4 and probe in text


STOPS: tuple[tuple[str, list[str]], ...] = (
    ("consent", []),
    ("site", PATH_TO_E2[:2]),
    ("red_flags", PATH_TO_E2[:3]),
    ("E2", PATH_TO_E2),
)
"""Where the corpus is sent: a question, another question, a checklist, after the advice
(each with the typed answers that lead there). Not the age question, which reads numbers in
any text as ages."""


def test_console_corpus_changes_nothing_and_is_answered_kindly() -> None:
    cases = list(GARBAGE.items())
    lines = [text for _, text in cases]
    script: list[str] = []
    positions: list[tuple[str, int]] = []
    for state, answers in STOPS:
        script += answers[len(script) - len(lines) * len(positions) :]
        positions.append((state, len(script) + 1))
        script += lines
    records = records_of(console_json(script))
    assert len(records) == len(script) + 1  # one at start, then exactly one per line
    held = 0
    for state, first in positions:
        assert records[first - 1]["state"] == state
        for offset, (name, text) in enumerate(cases):
            got = records[first + offset]
            assert got["kinds"] == ["reask"], (state, name, got["kinds"])
            assert got["state"] == state, (state, name)
            assert SORRY in got["text"], (state, name)
            assert got["options"], (state, name)  # what can be chosen is shown again
            assert not echoed(text, got["text"]), (state, name)
            held += 1
    assert records[-1]["done"] and records[-1]["disposition"] == "emergency"
    record("bad-input:console", cases=held, held=held)


def test_console_decorated_answers_are_understood() -> None:
    script: list[str] = []
    for text, _ in DECORATED.values():
        script += [text, "/back"]
    records = records_of(console_json(script))
    assert len(records) == len(script) + 1
    for index, (name, (_, option)) in enumerate(DECORATED.items()):
        got = records[1 + 2 * index]
        wanted = "age_group" if option == "agree" else "D0"
        assert got["state"] == wanted, (name, got["state"], got["kinds"])
        assert records[2 + 2 * index]["state"] == "consent"
    record("bad-input:console-decorated", cases=len(DECORATED), held=len(DECORATED))


def test_console_text_holding_an_answer_word_is_read_as_that_answer() -> None:
    script: list[str] = []
    for text in CONTAINS_AN_ANSWER.values():
        script += [text, "/back"]
    records = records_of(console_json(script))
    for index, name in enumerate(CONTAINS_AN_ANSWER):
        assert records[1 + 2 * index]["state"] == "age_group", name
        assert records[2 + 2 * index]["state"] == "consent", name


def test_console_signed_numbers_are_out_of_range() -> None:
    lines = list(SIGNED_NUMBERS.values())
    records = records_of(console_json(lines))
    for name, got in zip(SIGNED_NUMBERS, records[1:], strict=True):
        assert got["kinds"] == ["reask"] and got["state"] == "consent", name


def test_console_invalid_utf8_under_a_strict_locale() -> None:
    """Under en_US.UTF-8 (emulated by PYTHONIOENCODING, as only C locales exist here)."""
    run = console_json(["\udcff\udcfe bytes", "agree"], PYTHONIOENCODING="utf-8:strict")
    records = records_of(run)
    assert len(records) == 3 and records[1]["kinds"] == ["reask"]
    assert records[2]["state"] == "age_group"


# --- Telegram -------------------------------------------------------------------------------

CHAT = 73_019_554


async def reach(bot: Bot, chat: int, answers: list[str]) -> None:
    await bot.send(bot.fake.text(chat, "/start"))
    for answer in answers:
        await bot.send(bot.fake.text(chat, answer))


async def assert_unchanged_and_kind(
    bot: Bot, chat: int, name: str, update: dict[str, Any], expect: str
) -> None:
    """Deliver one bad update: one kind message (or a callback answer), nothing else."""
    fake = bot.fake
    before = await bot.session(chat)
    calls_before = len(fake.calls)
    await bot.send(update)
    new = fake.calls[calls_before:]
    assert (await bot.session(chat)) == before, name
    sends = [c for c in new if c.method == "sendMessage"]
    edits = [c for c in new if c.method == "editMessageText"]
    assert not edits, name
    if expect == "callback":
        assert not sends, (name, [c.text[:60] for c in sends])
        answers = [c for c in new if c.method == "answerCallbackQuery"]
        assert len(answers) == 1 and "moved on" in answers[0].params.get("text", ""), name
        return
    assert len(sends) == 1, (name, [c.method for c in new])
    assert expect in sends[0].text, (name, sends[0].text[:120])
    text = str(update.get("message", {}).get("text", ""))
    assert not echoed(text, sends[0].text), name


async def test_telegram_corpus_changes_nothing_and_html_is_escaped(engine: Engine) -> None:
    cases = {k: v for k, v in GARBAGE.items() if k != "empty"}  # Telegram never sends ""
    cases["newlines"] = "line one\nline two\n\n<b>three</b>"
    cases["long-10000-newlines"] = ("x\n" * 5_000)[:10_000]
    async with running_bot(engine) as bot:
        fake = bot.fake
        tried = 0
        for where, answers in STOPS:
            await reach(bot, CHAT, answers)
            session = await bot.session(CHAT)
            assert session is not None and session["state"] == where
            for name, text in cases.items():
                await assert_unchanged_and_kind(bot, CHAT, name, fake.text(CHAT, text), SORRY)
                tried += 1
        # Not text at all: a photo, a sticker, an edited message.
        for name, extra, expect in (
            (
                "photo",
                {"photo": [{"file_id": "p", "file_unique_id": "u", "width": 1, "height": 1}]},
                "can't read photos",
            ),
            (
                "sticker",
                {
                    "sticker": {
                        "file_id": "s",
                        "file_unique_id": "v",
                        "type": "regular",
                        "width": 1,
                        "height": 1,
                        "is_animated": False,
                        "is_video": False,
                    }
                },
                "can't read stickers",
            ),
        ):
            update = fake.update(message=fake.make_message(CHAT, None, **extra))
            await assert_unchanged_and_kind(bot, CHAT, name, update, expect)
            tried += 1
        edited = fake.update(edited_message={**fake.make_message(CHAT, "yes"), "edit_date": 1})
        await assert_unchanged_and_kind(bot, CHAT, "edited", edited, "edited messages")
        tried += 1
        # Every message the bot sent, in this whole run, is valid Telegram HTML.
        messages = [c for c in fake.calls if c.method in ("sendMessage", "editMessageText")]
        for call in messages:
            assert call.params.get("parse_mode") == "HTML", call.params
            assert not html_problems(call.text), (html_problems(call.text), call.text[:200])
            for text in cases.values():
                if "<" in text or "&" in text:
                    assert text not in call.text
        record("bad-input:telegram", cases=tried, held=tried, messages_checked=len(messages))


FOREIGN_CALLBACKS = {
    "empty": "",
    "garbage": "hello",
    "too-long": "q|consent|1|" + "a" * 80,
    "wrong-prefix": "x|consent|1|agree",
    "five-parts": "q|consent|1|agree|extra",
    "no-turn": "q|consent||agree",
    "negative-turn": "q|consent|-1|agree",
    "letters-turn": "q|consent|one|agree",
    "unknown-question": "q|nope|2|agree",
    "old-turn": "q|consent|0|agree",
    "future-turn": "q|consent|99999|agree",
    "menu-unknown": "m|agree",
    "menu-empty": "m|",
    "menu-forget": "m|forget",
    "html": "<b>x</b>",
    "nul": "q|consent\x00|1|agree",
    "toggle-on-a-single-question": "t|consent|1|fever",
    "toggle-unknown-fact": "t|consent|1|nope",
    "toggle-other-question": "t|red_flags|1|fever",
    "toggle-old-turn": "t|consent|0|fever",
    "done-on-a-single-question-old-turn": "q|consent|0|done",
}


async def test_telegram_callback_data_that_is_not_ours(engine: Engine) -> None:
    async with running_bot(engine) as bot:
        fake = bot.fake
        await reach(bot, CHAT, [])
        message_id, call = last_question(fake, CHAT)
        assert question_of(call) == ("consent", 1)
        for name, data in FOREIGN_CALLBACKS.items():
            update = fake.tap(CHAT, message_id, data)
            await assert_unchanged_and_kind(bot, CHAT, name, update, "callback")
        # The current question's payload with an option it does not have: re-asked.
        update = fake.tap(CHAT, message_id, "q|consent|1|maybe")
        await assert_unchanged_and_kind(bot, CHAT, "unknown-option", update, SORRY)
        # Menu buttons that are ours but point nowhere: a kind reply, nothing changes.
        for name, data in (
            ("topic-unknown", "m|topic:../../etc"),
            ("region-unknown", "m|region:ZZ"),
        ):
            before = await bot.session(CHAT)
            await bot.send(fake.tap(CHAT, message_id, data))
            assert (await bot.session(CHAT)) == before, name
        tried = len(FOREIGN_CALLBACKS) + 3
        record("bad-input:callbacks", cases=tried, held=tried)


async def test_telegram_callback_with_a_unicode_digit_turn(engine: Engine) -> None:
    async with running_bot(engine) as bot:
        fake = bot.fake
        await reach(bot, CHAT, [])
        message_id, _ = last_question(fake, CHAT)
        update = fake.tap(CHAT, message_id, "q|consent|²|agree")
        await assert_unchanged_and_kind(bot, CHAT, "superscript-turn", update, "callback")


async def test_telegram_group_chats_get_no_triage(engine: Engine) -> None:
    """Bad input of another kind: the corpus sent in a group. Nothing stored, no triage."""
    group = -100_555_000_111
    api = AttackApi()
    async with running_bot(engine, api=api) as bot:
        for text in ["/start", "1", *list(GARBAGE.values())[:10]]:
            await bot.send(api.text(group, text or "x", chat_type="supergroup"))
        assert (await bot.session(group)) is None
        assert all(question_of(c) is None for c in api.sent(group))
        record("bad-input:groups", cases=12, held=12)
