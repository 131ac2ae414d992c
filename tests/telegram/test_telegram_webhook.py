"""End to end in webhook mode: real HTTP POSTs to the bot's webhook server on 127.0.0.1."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from tg_harness import WEBHOOK_SECRET, BotEnv, Factory, question_buttons

CHAT = 8001
HEADER = "X-Telegram-Bot-Api-Secret-Token"


@pytest.fixture()
async def hook(make_env: Factory) -> BotEnv:
    return await make_env(webhook=True)


def url(env: BotEnv, path: str = "/hook") -> str:
    assert env.runtime.webhook is not None
    return f"http://127.0.0.1:{env.runtime.webhook.port}{path}"


async def post(
    env: BotEnv,
    body: Any,
    *,
    secret: str | None = WEBHOOK_SECRET,
    path: str = "/hook",
    raw: bytes | None = None,
) -> httpx.Response:
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers[HEADER] = secret
    content = raw if raw is not None else json.dumps(body).encode()
    async with httpx.AsyncClient(timeout=10) as client:
        return await client.post(url(env, path), content=content, headers=headers)


async def test_set_webhook_with_the_secret_and_no_polling(hook: BotEnv) -> None:
    fake = hook.fake
    call = fake.of("setWebhook")[0]
    assert call.params["url"] == "https://bot.example.org/hook"
    assert call.params["secret_token"] == WEBHOOK_SECRET
    assert "callback_query" in call.params["allowed_updates"]
    assert not fake.of("getUpdates")
    assert fake.of("setMyCommands")
    async with httpx.AsyncClient() as client:
        health = await client.get(url(hook, "/healthz"))
    assert health.status_code == 200


async def test_conversation_over_the_webhook(hook: BotEnv) -> None:
    fake = hook.fake
    response = await post(hook, fake.text(CHAT, "/start"))
    assert response.status_code == 200
    # processed before the answer: the reply is already sent
    message_id, question = fake.last_message(CHAT)
    assert question_buttons(question.buttons)[0][1] == "consent"
    agree = next(d for _, d in question.buttons if d.endswith("|agree"))
    tapped = await post(hook, fake.tap(CHAT, message_id, agree))
    assert tapped.status_code == 200
    # the tap is answered in the webhook's reply (WEBHOOK_ANSWER_IN_REPLY, on by default)
    assert tapped.json()["method"] == "answerCallbackQuery"
    assert not fake.of("answerCallbackQuery")
    assert fake.of("editMessageText", CHAT)
    _, age = fake.last_message(CHAT)
    assert question_buttons(age.buttons)[0][1] == "age_group"
    # a stale tap over the webhook: 200, moved on, nothing changes
    before = await hook.session(CHAT)
    stale = await post(hook, fake.tap(CHAT, message_id, agree))
    assert stale.status_code == 200
    assert stale.json()["text"] == "This question has moved on."
    assert (await hook.session(CHAT)) == before
    # Telegram delivering the same update twice: handled once
    update = fake.text(CHAT, "2")
    assert (await post(hook, update)).status_code == 200
    sent = len(fake.sent(CHAT))
    assert (await post(hook, update)).status_code == 200
    assert len(fake.sent(CHAT)) == sent


@pytest.mark.parametrize("secret", [None, "", "wrong", WEBHOOK_SECRET + "x", WEBHOOK_SECRET[:-1]])
async def test_missing_or_wrong_secret_is_403_and_not_processed(
    hook: BotEnv, secret: str | None
) -> None:
    fake = hook.fake
    canary = "Canary-body-8812"
    response = await post(hook, fake.text(CHAT, canary), secret=secret)
    assert response.status_code == 403
    assert not fake.sent(CHAT)
    assert (await hook.session(CHAT)) is None
    assert canary not in hook.logs.getvalue()
    assert '"webhook_forbidden"' in hook.logs.getvalue()


async def test_bad_requests(hook: BotEnv) -> None:
    fake = hook.fake
    assert (await post(hook, None, raw=b"{not json")).status_code == 400
    assert (await post(hook, [1, 2])).status_code == 400
    assert (await post(hook, {"no": "update_id"})).status_code == 400
    too_big = fake.text(CHAT, "x" * (70 * 1024))
    assert (await post(hook, too_big)).status_code == 413
    assert (await post(hook, fake.text(CHAT, "/start"), path="/other")).status_code == 404
    async with httpx.AsyncClient() as client:
        assert (await client.get(url(hook))).status_code == 405
    assert not fake.sent(CHAT)


async def test_unavailable_store_is_503_so_telegram_retries(hook: BotEnv) -> None:
    fake = hook.fake
    update = fake.text(CHAT, "/start")
    hook.store.down = True
    response = await post(hook, update)
    assert response.status_code == 503
    assert "no need to send it again" in fake.sent(CHAT)[-1].text  # Telegram re-delivers
    hook.store.down = False
    response = await post(hook, update)  # Telegram's re-delivery
    assert response.status_code == 200
    assert question_buttons(fake.sent(CHAT)[-1].buttons)


async def test_non_text_and_groups_over_the_webhook(hook: BotEnv) -> None:
    fake = hook.fake
    location = fake.make_message(CHAT, None, location={"latitude": 1.0, "longitude": 2.0})
    assert (await post(hook, fake.update(message=location))).status_code == 200
    assert "locations" in fake.sent(CHAT)[-1].text
    assert (await post(hook, fake.text(-300, "/start", chat_type="group"))).status_code == 200
    assert "t.me/bme_test_bot?start=go" in fake.sent(-300)[-1].text


async def test_process_reports_handled_duplicate_or_unavailable(hook: BotEnv) -> None:
    """The outcome the webhook maps to 200 or 503, straight from `TelegramBot.process`."""
    from telegram import Update

    from bme_bot.adapters.telegram.handlers import Outcome

    fake, app, bot = hook.fake, hook.runtime.application, hook.runtime.bot
    update = fake.text(CHAT, "/start")
    assert await bot.process(app, Update.de_json(update, app.bot)) is Outcome.HANDLED
    assert await bot.process(app, Update.de_json(update, app.bot)) is Outcome.DUPLICATE
    hook.store.down = True
    help_update = Update.de_json(fake.text(CHAT, "/help"), app.bot)
    assert await bot.process(app, help_update) is Outcome.UNAVAILABLE
    told = len(fake.sent(CHAT))
    assert await bot.process(app, help_update) is Outcome.UNAVAILABLE  # re-delivered
    assert len(fake.sent(CHAT)) == told  # told once per update
    hook.store.down = False
    assert await bot.process(app, help_update) is Outcome.HANDLED
