"""Typed questions end to end through Telegram (issue 14): `/ask` mid-conversation and free
text after the advice, through the real PTB Application against the fake Bot API. The
adapter renders the answer with its existing reply kinds and menu buttons."""

from __future__ import annotations

from tg_harness import BotEnv, question_buttons

from bme_bot.core.wording import DOSE_DECLINE

CHAT = 7101


async def test_ask_mid_conversation_answers_then_asks_the_question_again(env: BotEnv) -> None:
    fake = env.fake
    await env.send(fake.text(CHAT, "/start"))
    await env.send(fake.text(CHAT, "ok"))
    before = len(fake.sent(CHAT))
    await env.send(fake.text(CHAT, "/ask how long does it take to heal?"))
    answer, question = fake.sent(CHAT)[before:]
    assert "<b>How long does recovery take?</b>" in answer.text
    assert "Bone heals slowly." in answer.text and "Sources:" in answer.text
    assert ("Read all: How long does recovery take?", "m|topic:recovery") in answer.buttons
    assert question_buttons(question.buttons)[0][1] == "age_group"
    # the "read all" button opens the whole topic, and the question comes back again
    message_id = next(
        mid
        for (cid, mid), message in fake.messages.items()
        if cid == CHAT and "Bone heals slowly." in str(message.get("text", ""))
    )
    await env.send(fake.tap(CHAT, message_id, "m|topic:recovery"))
    opened = fake.sent(CHAT)[before + 2 :]
    assert "What helps the bone heal" in opened[0].text
    assert question_buttons(opened[-1].buttons)[0][1] == "age_group"
    session = await env.session(CHAT)
    assert session is not None and session["state"] == "age_group"


async def test_free_text_after_the_advice_is_answered(env: BotEnv) -> None:
    fake = env.fake
    await env.send(fake.text(CHAT, "/start"))
    for text in ("ok", "45", "knee", "none", "1", "3", "none", "1", "1"):
        await env.send(fake.text(CHAT, text))
    session = await env.session(CHAT)
    assert session is not None and session.get("outcome") is not None
    before = len(fake.sent(CHAT))
    await env.send(fake.text(CHAT, "what shoes should I wear"))
    (answer,) = fake.sent(CHAT)[before:]
    assert "<b>Footwear and offloading</b>" in answer.text
    assert any(data == "m|topic:footwear" for _, data in answer.buttons)
    await env.send(fake.text(CHAT, "how much ibuprofen can I take?"))
    assert DOSE_DECLINE in fake.sent(CHAT)[before + 1].text
