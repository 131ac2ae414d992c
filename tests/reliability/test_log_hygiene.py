"""Log hygiene: whole conversations at LOG_LEVEL=DEBUG through the real adapter, in polling and
in webhook mode, including the error paths (store down, Bot API 5xx and 403, failed edits, a
handler crash, forged taps, edits, photos, groups, refused webhook requests). Every log line is
scanned for the token, the webhook secret, raw chat ids, user names and canary text the person
typed: none may appear. (The process tests in test_crashes.py scan their stderr the same way.)
"""

from __future__ import annotations

import json
import logging

import httpx

from bme_bot.core.engine import Engine

from .figures import record
from .hygiene import scan_logs, structured_share
from .tgkit import (
    SECRET_HEADER,
    WEBHOOK_SECRET,
    AttackApi,
    Bot,
    button,
    last_question,
    running_bot,
)

PERSON = 7_391_846_251
OTHER = 7_391_846_252
BLOCKED = 7_391_846_253
GROUP = -1_001_987_654_321
TYPED = [
    "Kanari-typed-Qx7 my knee hurts since Tuesday",
    "Kanari-caption-Wv2",
    "Kanari-edit-Hb5",
    "Kanari-group-Jm3",
    "Kanari-callback-Pz4",
    "Kanari-webhook-Lr6",
    "Kanari-exception-Tk9",
]


async def full_conversation(bot: Bot, chat: int) -> None:
    """Every kind of step a person can take, typed and tapped, with canaries on the way."""
    fake = bot.fake
    await bot.send(fake.text(chat, "/start"))
    await bot.send(fake.text(chat, TYPED[0]))
    message_id, call = last_question(fake, chat)
    await bot.send(fake.tap(chat, message_id, button(call, "agree")))
    await bot.send(fake.text(chat, "30"))
    await bot.send(fake.text(chat, "/back"))
    await bot.send(fake.text(chat, "18 to 54"))
    await bot.send(fake.text(chat, "knee"))
    checklist_id, checklist = last_question(fake, chat)  # the warning signs
    for _ in range(3):  # ticked, not sure, blank again: each tap edits the message
        await bot.send(fake.tap(chat, checklist_id, button(checklist, "fever")))
    await bot.send(fake.tap(chat, checklist_id, button(checklist, "none")))
    for text in ("normally", "gradually", "none", "better", "1"):
        await bot.send(fake.text(chat, text))
    advice = await bot.session(chat)
    assert advice is not None and advice.get("outcome"), advice  # the whole way, to the advice
    for text in ("/why", "/topics", "/region UK", "/privacy", "/help"):
        await bot.send(fake.text(chat, text))
    await bot.send(fake.tap(chat, message_id, f"q|consent|1|{TYPED[4]}"))  # stale and foreign
    await bot.send(fake.tap(chat, message_id, f"m|topic:{TYPED[4]}"))
    await bot.send(fake.tap(chat, message_id, "q|consent|²|agree"))  # a handler crash today
    await bot.send(
        fake.update(edited_message={**fake.make_message(chat, TYPED[2]), "edit_date": 1})
    )
    photo = [{"file_id": "p", "file_unique_id": "u", "width": 1, "height": 1}]
    await bot.send(
        fake.update(message=fake.make_message(chat, None, photo=photo, caption=TYPED[1]))
    )
    await bot.send(fake.text(chat, "/restart"))
    await bot.send(fake.text(chat, "/forget"))


async def error_paths(bot: Bot) -> None:
    fake, store = bot.fake, bot.store
    # The store is down for a moment.
    await bot.send(fake.text(OTHER, "/start"))
    store.down = True
    await bot.send(fake.text(OTHER, "agree"))
    store.down = False
    # The Bot API fails with 5xx (retried), then refuses a chat that blocked the bot (403),
    # then cannot edit a message (400).
    fake.fail("sendMessage", 502, times=2)
    await bot.send(fake.text(OTHER, "agree"))
    fake.fail("sendMessage", 403, description="Forbidden: bot was blocked by the user")
    await bot.send(fake.text(BLOCKED, "/start"))
    fake.fail("editMessageText", 400, description="Bad Request: message can't be edited")
    await bot.send(fake.text(OTHER, "30"))  # an answer: the question's buttons are edited away
    # A bug: an exception whose message carries what the person typed.
    store.explode = f"cannot parse {TYPED[6]}"
    await bot.send(fake.text(OTHER, TYPED[6]))
    store.explode = None
    # A group.
    await bot.send(fake.text(GROUP, f"@bme_test_bot {TYPED[3]}", chat_type="supergroup"))


async def test_debug_logs_hold_no_secret_id_or_text_in_polling_mode(engine: Engine) -> None:
    async with running_bot(engine, api=AttackApi()) as bot:
        assert logging.getLogger("bme_bot").isEnabledFor(logging.DEBUG), "DEBUG is not on"
        await full_conversation(bot, PERSON)
        await error_paths(bot)
        text = bot.logs.getvalue()
    chats = [PERSON, OTHER, BLOCKED, GROUP]
    problems = scan_logs(text, chat_ids=chats, typed=TYPED)
    structured, total = structured_share(text)
    record(
        "log-hygiene:polling",
        runs=1,
        lines=total,
        structured=structured,
        problems=len(problems),
    )
    assert total > 30, "too few log lines"
    assert '"handler_error"' in text and '"service_unavailable"' in text
    assert '"bot_api_retry"' in text and '"chat_inactive"' in text
    assert not problems, problems[:5]


async def test_debug_logs_hold_no_secret_id_or_text_in_webhook_mode(engine: Engine) -> None:
    async with running_bot(engine, webhook=True, api=AttackApi()) as bot:
        fake = bot.fake
        url = f"http://127.0.0.1:{bot.port}/hook"
        headers = {"Content-Type": "application/json", SECRET_HEADER: WEBHOOK_SECRET}
        async with httpx.AsyncClient(timeout=10) as client:
            for body in (
                fake.text(PERSON, "/start"),
                fake.text(PERSON, TYPED[0]),
                fake.text(PERSON, "agree"),
                fake.text(PERSON, "/why"),
            ):
                response = await client.post(url, content=json.dumps(body), headers=headers)
                assert response.status_code == 200
            canary = json.dumps(fake.text(PERSON, TYPED[5]))
            for status, extra in (
                (403, {SECRET_HEADER: "wrong"}),
                (400, {}),
            ):
                content = canary if status == 403 else canary[:-5]
                response = await client.post(url, content=content, headers={**headers, **extra})
                assert response.status_code == status
            bot.store.down = True
            response = await client.post(
                url, content=json.dumps(fake.text(PERSON, "2")), headers=headers
            )
            assert response.status_code == 503
            bot.store.down = False
        text = bot.logs.getvalue()
    problems = scan_logs(text, chat_ids=[PERSON], typed=TYPED)
    structured, total = structured_share(text)
    record(
        "log-hygiene:webhook", runs=1, lines=total, structured=structured, problems=len(problems)
    )
    assert '"webhook_forbidden"' in text and '"webhook_bad_request"' in text
    assert not problems, problems[:5]
