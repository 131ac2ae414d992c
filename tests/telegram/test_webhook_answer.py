"""A button tap over the webhook is answered in the HTTP response, not with a request.

Real HTTP POSTs to the bot's webhook server (127.0.0.1) and the fake Bot API: the fake must
receive no answerCallbackQuery, and the 200's JSON body must carry it for Telegram to perform.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from aiohttp import ClientSession
from tg_harness import WEBHOOK_SECRET, BotEnv, Factory, question_buttons

CHAT = 8101
HEADER = "X-Telegram-Bot-Api-Secret-Token"


@pytest.fixture()
async def hook(make_env: Factory) -> BotEnv:
    env = await make_env(webhook=True)
    assert env.runtime.webhook is not None
    env.runtime.webhook.answer_in_response = True
    return env


def url(env: BotEnv) -> str:
    assert env.runtime.webhook is not None
    return f"http://127.0.0.1:{env.runtime.webhook.port}/hook"


async def post(env: BotEnv, body: Any) -> httpx.Response:
    headers = {"Content-Type": "application/json", HEADER: WEBHOOK_SECRET}
    async with httpx.AsyncClient(timeout=10) as client:
        return await client.post(url(env), content=json.dumps(body).encode(), headers=headers)


def option(buttons: list[tuple[str, str]], option_id: str) -> str:
    return next(data for _, data in buttons if data.endswith(f"|{option_id}"))


async def test_a_tap_is_answered_in_the_response_body(hook: BotEnv) -> None:
    fake = hook.fake
    assert (await post(hook, fake.text(CHAT, "/start"))).status_code == 200
    message_id, question = fake.last_message(CHAT)
    tap = fake.tap(CHAT, message_id, option(question.buttons, "agree"))
    sends_before = len(fake.sent(CHAT))

    response = await post(hook, tap)

    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    assert response.json() == {
        "method": "answerCallbackQuery",
        "callback_query_id": tap["callback_query"]["id"],
    }
    assert fake.of("answerCallbackQuery") == []
    # the rest of the tap still happened, by requests: the edit and the next question
    assert fake.of("editMessageText", CHAT)
    assert len(fake.sent(CHAT)) == sends_before + 1
    _, age = fake.last_message(CHAT)
    assert question_buttons(age.buttons)[0][1] == "age_group"


async def test_a_stale_tap_carries_its_text_in_the_body(hook: BotEnv) -> None:
    fake = hook.fake
    await post(hook, fake.text(CHAT, "/start"))
    message_id, question = fake.last_message(CHAT)
    agree = option(question.buttons, "agree")
    assert (await post(hook, fake.tap(CHAT, message_id, agree))).status_code == 200

    again = await post(hook, fake.tap(CHAT, message_id, agree))

    assert again.status_code == 200
    assert again.json()["text"] == "This question has moved on."
    assert fake.of("answerCallbackQuery") == []


async def test_the_fake_performs_the_reply_like_telegram(hook: BotEnv) -> None:
    fake = hook.fake
    async with ClientSession() as http:
        assert await fake.deliver(fake.text(CHAT, "/start"), http, url(hook)) == 200
        message_id, question = fake.last_message(CHAT)
        tap = fake.tap(CHAT, message_id, option(question.buttons, "agree"))
        assert await fake.deliver(tap, http, url(hook)) == 200
    assert [(c.method, c.params["callback_query_id"]) for c in fake.replies] == [
        ("answerCallbackQuery", tap["callback_query"]["id"])
    ]
    assert fake.of("answerCallbackQuery") == []


async def test_typed_text_gets_a_plain_ok(hook: BotEnv) -> None:
    response = await post(hook, hook.fake.text(CHAT, "/start"))
    assert response.status_code == 200
    assert response.text == "ok\n"


async def test_a_503_answers_the_tap_with_a_request(hook: BotEnv) -> None:
    fake = hook.fake
    await post(hook, fake.text(CHAT, "/start"))
    message_id, question = fake.last_message(CHAT)
    hook.store.down = True

    response = await post(hook, fake.tap(CHAT, message_id, option(question.buttons, "agree")))

    assert response.status_code == 503
    assert len(fake.of("answerCallbackQuery")) == 1  # Telegram reads no body with a 503


async def test_on_by_default_and_when_turned_off_the_tap_is_a_request(
    make_env: Factory,
) -> None:
    env = await make_env(webhook=True)
    assert env.runtime.webhook is not None
    assert env.runtime.webhook.answer_in_response  # WEBHOOK_ANSWER_IN_REPLY defaults to 1
    env.runtime.webhook.answer_in_response = False  # WEBHOOK_ANSWER_IN_REPLY=0
    fake = env.fake
    await post(env, fake.text(CHAT, "/start"))
    message_id, question = fake.last_message(CHAT)
    response = await post(env, fake.tap(CHAT, message_id, option(question.buttons, "agree")))
    assert response.status_code == 200
    assert response.text == "ok\n"
    assert len(fake.of("answerCallbackQuery")) == 1


def test_the_setting_turns_it_off_and_refuses_other_values() -> None:
    from bme_bot.adapters.telegram.settings import load_telegram_settings
    from bme_bot.config import ConfigError

    token = "123456789:" + "A" * 35
    assert load_telegram_settings({"TELEGRAM_BOT_TOKEN": token}).webhook_answer_in_reply
    off = {"TELEGRAM_BOT_TOKEN": token, "WEBHOOK_ANSWER_IN_REPLY": "0"}
    assert not load_telegram_settings(off).webhook_answer_in_reply
    with pytest.raises(ConfigError, match="WEBHOOK_ANSWER_IN_REPLY"):
        load_telegram_settings({**off, "WEBHOOK_ANSWER_IN_REPLY": "yes"})
