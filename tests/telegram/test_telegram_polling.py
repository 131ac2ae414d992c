"""End to end in polling mode: the real PTB Application, getUpdates from the fake Bot API."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import yaml
from fake_bot_api import Call, FakeBotApi
from tg_harness import BotEnv, Factory, question_buttons

CHAT = 5001
VIGNETTES = {
    v["id"]: v
    for v in yaml.safe_load(
        (Path(__file__).resolve().parents[1] / "vignettes.yaml").read_text(encoding="utf-8")
    )
}


async def answer_by_taps(env: BotEnv, chat: int, facts: dict[str, Any]) -> Call:
    """Tap the button for each question the bot asks, reading its keyboards (a checklist: tick
    the items that hold, twice for "unsure", then Done); return the last message (the
    disposition)."""
    fake = env.fake
    for _ in range(40):
        message_id, call = fake.last_message(chat)
        buttons = question_buttons(call.buttons)
        if not buttons:
            return call
        _, question, _, _ = buttons[0]
        toggles = [d for _, d in call.buttons if d.startswith("t|")]
        if toggles:
            ticks = {"yes": 1, "unsure": 2}
            for data in toggles:
                for _ in range(ticks.get(str(facts[data.split("|")[3]]), 0)):
                    await env.send(fake.tap(chat, message_id, data))
            data = next(d for (_, d) in call.buttons if d.endswith("|done"))
            chosen = "None of these"
            if any(str(facts[d.split("|")[3]]) in ticks for d in toggles):
                chosen = "✓ " if "yes" in {str(facts[d.split("|")[3]]) for d in toggles} else "? "
        else:
            wanted = str(facts[question])
            data = next(
                d
                for (_, d) in call.buttons
                if d.split("|")[1:2] == [question] and d.endswith(wanted)
            )
            chosen = next(lbl for (lbl, d) in call.buttons if d == data)
        await env.send(fake.tap(chat, message_id, data))
        edit = fake.of("editMessageText", chat)[-1]
        assert int(edit.params["message_id"]) == message_id
        assert chosen in edit.text and "reply_markup" not in edit.params
    raise AssertionError("the conversation did not end within 40 questions")


async def reached(env: BotEnv, chat: int) -> tuple[str, str]:
    """(disposition, rule) of the outcome the chat's conversation reached."""
    session = await env.session(chat)
    assert session is not None and session.get("outcome") is not None, session
    outcome = env.runtime.service.engine.flow.outcomes[session["outcome"]]
    return outcome.disposition, outcome.rule


async def test_start_registers_commands_and_polls(env: BotEnv) -> None:
    fake = env.fake
    commands = fake.of("setMyCommands")[0].params["commands"]
    assert [c["command"] for c in commands] == [
        "start",
        "help",
        "restart",
        "back",
        "why",
        "topics",
        "region",
        "privacy",
        "forget",
        "ask",
        "language",
        "checkins",
        "stop",
    ]
    assert fake.of("setMyDescription") and fake.of("setMyShortDescription")
    assert fake.of("deleteWebhook")
    await fake.wait_for(lambda: bool(fake.of("getUpdates")))


async def test_whole_conversation_by_taps_reaches_the_disposition(env: BotEnv) -> None:
    for vignette_id, chat in (("V01", 6001), ("V02", 6002)):
        vignette = VIGNETTES[vignette_id]
        await env.send(env.fake.text(chat, "/start"))
        last = await answer_by_taps(env, chat, vignette["facts"])
        assert await reached(env, chat) == (vignette["expected"], vignette["rule"])
        assert last.params["parse_mode"] == "HTML"
        assert any(d == "m|why" for _, d in last.buttons)


async def test_non_emergency_vignettes_by_taps(env: BotEnv) -> None:
    wanted = {"routine", "self_care", "soon"}
    chosen = [v for v in VIGNETTES.values() if v["expected"] in wanted][:2]
    assert chosen
    for offset, vignette in enumerate(chosen):
        chat = 6100 + offset
        await env.send(env.fake.text(chat, "/start"))
        last = await answer_by_taps(env, chat, vignette["facts"])
        assert await reached(env, chat) == (vignette["expected"], vignette["rule"])
        assert any(d == "m|why" for _, d in last.buttons)


async def test_red_flag_path_reaches_emergency_with_the_regions_number(env: BotEnv) -> None:
    fake = env.fake
    await env.send(fake.text(CHAT, "/region UK"))
    assert "999" in fake.sent(CHAT)[0].text
    await env.send(fake.text(CHAT, "/start"))
    facts = dict(VIGNETTES["V01"]["facts"])
    last = await answer_by_taps(env, CHAT, facts)
    assert (await reached(env, CHAT))[0] == "emergency"
    assert "999" in last.text and "112" not in last.text
    # the disposition offers the menu: topics, why, start again (menu buttons, not questions)
    assert any(d == "m|why" for _, d in last.buttons)
    # a menu tap works and is not "moved on"
    message_id, _ = fake.last_message(CHAT)
    await env.send(fake.tap(CHAT, message_id, "m|why"))
    assert "Why this advice" in fake.sent(CHAT)[-2].text or "Why this advice" in (
        fake.sent(CHAT)[-1].text
    )


async def test_typed_answers_labels_synonyms_numbers(env: BotEnv) -> None:
    fake = env.fake
    await env.send(fake.text(CHAT, "/start"))
    consent_id, consent = fake.last_message(CHAT)
    assert question_buttons(consent.buttons)[0][1] == "consent"
    await env.send(fake.text(CHAT, "ok"))  # a synonym
    # the consent message is edited: the choice shown, no buttons
    edit = fake.of("editMessageText", CHAT)[-1]
    assert int(edit.params["message_id"]) == consent_id
    assert "✅ <b>Start</b>" in edit.text and "reply_markup" not in edit.params
    _, age = fake.last_message(CHAT)
    assert question_buttons(age.buttons)[0][1] == "age_group"
    await env.send(fake.text(CHAT, "45"))  # a number: the age, "18 to 54"
    await env.send(fake.text(CHAT, "2"))  # an option's number: "Knee"
    session = await env.session(CHAT)
    assert session is not None
    assert session["facts"] == {"consent": "agree", "age_group": "adult", "site": "knee"}
    await env.send(fake.text(CHAT, "purple"))  # not an answer: asked again, nothing moves
    assert "didn't catch that" in fake.sent(CHAT)[-1].text
    assert (await env.session(CHAT)) == session


async def test_stale_and_forged_callbacks_change_nothing(env: BotEnv) -> None:
    fake = env.fake
    await env.send(fake.text(CHAT, "/start"))
    consent_id, consent = fake.last_message(CHAT)
    agree = next(d for _, d in consent.buttons if d.endswith("|agree"))
    decline = next(d for _, d in consent.buttons if d.endswith("|decline"))
    await env.send(fake.tap(CHAT, consent_id, agree))
    before = await env.session(CHAT)
    calls_before = len(fake.calls)
    for data in (decline, agree, "garbage", "m|evil", "q|age_group|999|adult", "x" * 70):
        await env.send(fake.tap(CHAT, consent_id, data))
    new = [c for c in fake.calls[calls_before:] if c.method != "getUpdates"]
    assert [c.method for c in new] == ["answerCallbackQuery"] * 6
    assert all(c.params.get("text") == "This question has moved on." for c in new[-6:])
    assert (await env.session(CHAT)) == before


async def test_non_text_messages_get_a_kind_reply(env: BotEnv) -> None:
    fake = env.fake
    photo = [{"file_id": "p1", "file_unique_id": "u1", "width": 10, "height": 10}]
    kinds: list[dict[str, Any]] = [
        {"photo": photo},
        {
            "sticker": {
                "file_id": "s",
                "file_unique_id": "s1",
                "type": "regular",
                "width": 1,
                "height": 1,
                "is_animated": False,
                "is_video": False,
            }
        },
        {"voice": {"file_id": "v", "file_unique_id": "v1", "duration": 2}},
        {"document": {"file_id": "d", "file_unique_id": "d1"}},
        {"location": {"latitude": 51.5, "longitude": -0.1}},
    ]
    for extra in kinds:
        await env.send(fake.update(message=fake.make_message(CHAT, None, **extra)))
    replies = [c.text for c in fake.sent(CHAT)]
    assert len(replies) == 5
    for reply, word in zip(
        replies, ["photos", "stickers", "voice", "files", "locations"], strict=True
    ):
        assert word in reply and "button" in reply
    edited = fake.make_message(CHAT, "yes", edit_date=int(time.time()))
    await env.send(fake.update(edited_message=edited))
    assert "edited messages" in fake.sent(CHAT)[-1].text
    # a private-chat service message (nothing to say) and an unknown update kind: no crash
    await env.send(fake.update(message=fake.make_message(CHAT, None, pinned_message=edited)))
    bot_user = {"id": fake.bot_id, "is_bot": True, "first_name": "BME test"}
    member_update = {
        "chat": {"id": CHAT, "type": "private", "first_name": "Pat"},
        "from": fake.user(CHAT),
        "date": int(time.time()),
        "old_chat_member": {"status": "member", "user": bot_user},
        "new_chat_member": {"status": "left", "user": bot_user},
    }
    await env.send(fake.update(my_chat_member=member_update))
    assert len(fake.sent(CHAT)) == 6
    assert (await env.session(CHAT)) is None  # nothing of this reached the engine


async def test_groups_and_channels_get_a_private_link_and_nothing_is_stored(env: BotEnv) -> None:
    fake = env.fake
    link = "https://t.me/bme_test_bot?start=go"
    for chat, kind in ((-100, "group"), (-1001, "supergroup")):
        await env.send(fake.text(chat, "/start@bme_test_bot", chat_type=kind))
        assert link in fake.sent(chat)[-1].text
        await env.send(fake.text(chat, "I have knee pain", chat_type=kind))  # not addressed
        assert len(fake.sent(chat)) == 1
        await env.send(fake.text(chat, "hey @bme_test_bot help", chat_type=kind))
        assert len(fake.sent(chat)) == 2
        assert (await env.session(chat)) is None
    channel = -1002
    await env.send(
        fake.update(channel_post=fake.make_message(channel, "/start", chat_type="channel"))
    )
    await env.send(
        fake.update(channel_post=fake.make_message(channel, "news", chat_type="channel"))
    )
    assert len(fake.sent(channel)) == 1 and link in fake.sent(channel)[0].text
    # a button tap in a group (a forwarded keyboard) is answered, not acted on
    await env.send(fake.tap(-100, 1, "q|consent|1|agree"))
    assert "privately" in fake.of("answerCallbackQuery")[-1].params["text"]
    assert (await env.session(-100)) is None
    # the same person in private gets the triage: /start with the deep-link payload
    await env.send(fake.text(77, "/start go"))
    assert question_buttons(fake.sent(77)[-1].buttons)[0][1] == "consent"


async def test_429_then_success_sends_once_and_steps_once(env: BotEnv) -> None:
    fake = env.fake
    fake.fail("sendMessage", 429, retry_after=1, description="Too Many Requests: retry after 1")
    began = time.monotonic()
    await env.send(fake.text(CHAT, "/start"))
    assert time.monotonic() - began >= 0.9
    attempts = fake.of("sendMessage", CHAT, ok=False)
    assert [c.status for c in attempts] == [429, 200]
    stored = await env.store.load(f"tg:{CHAT}")
    assert stored is not None and stored.version == 1


async def test_5xx_burst_is_retried_without_advancing_twice(env: BotEnv) -> None:
    fake = env.fake
    await env.send(fake.text(CHAT, "/start"))
    consent_id, consent = fake.last_message(CHAT)
    agree = next(d for _, d in consent.buttons if d.endswith("|agree"))
    fake.fail("sendMessage", 502, times=2)
    fake.fail("sendMessage", 500, times=1)
    fake.fail("editMessageText", 503, times=1)
    await env.send(fake.tap(CHAT, consent_id, agree))
    statuses = [c.status for c in fake.of("sendMessage", CHAT, ok=False)]
    assert statuses == [200, 502, 502, 500, 200]
    session = await env.session(CHAT)
    assert session is not None and session["state"] == "age_group"
    assert session["history"] == ["consent"]
    stored = await env.store.load(f"tg:{CHAT}")
    assert stored is not None and stored.version == 2  # /start, then one answer
    assert len(fake.of("editMessageText", CHAT)) == 1


async def test_403_marks_the_chat_inactive_and_the_bot_goes_on(env: BotEnv) -> None:
    fake = env.fake
    fake.fail("sendMessage", 403, description="Forbidden: bot was blocked by the user")
    await env.send(fake.text(CHAT, "/start"))
    assert CHAT in env.runtime.bot.inactive
    assert len(fake.of("sendMessage", CHAT, ok=False)) == 1  # no retry of a 403
    await env.send(fake.text(CHAT + 1, "/start"))  # other chats unaffected
    assert fake.sent(CHAT + 1)
    await env.send(fake.text(CHAT, "/help"))  # they unblocked and wrote again
    assert CHAT not in env.runtime.bot.inactive and fake.sent(CHAT)


async def test_forget_erases_the_chat(env: BotEnv) -> None:
    fake = env.fake
    await env.send(fake.text(CHAT, "/start"))
    await env.send(fake.text(CHAT, "yes"))
    assert (await env.session(CHAT)) is not None
    await env.send(fake.text(CHAT, "/forget"))
    assert (await env.session(CHAT)) is None
    assert "erased" in fake.sent(CHAT)[-1].text


async def test_commands_help_privacy_back_topics(env: BotEnv) -> None:
    fake = env.fake
    await env.send(fake.text(CHAT, "/start"))
    await env.send(fake.text(CHAT, "yes"))
    await env.send(fake.text(CHAT, "/back"))
    session = await env.session(CHAT)
    assert session is not None and session["state"] == "consent"
    for command in ("/help", "/privacy", "/topics", "/why", "/unknown"):
        before = len(fake.sent(CHAT))
        await env.send(fake.text(CHAT, command))
        assert len(fake.sent(CHAT)) > before, command


async def test_updates_of_one_chat_in_order_chats_concurrently(env: BotEnv) -> None:
    fake = env.fake
    chats = [7001, 7002, 7003]
    ids = []
    for chat in chats:
        ids.append(fake.push(fake.text(chat, "/start")))
    for answer in ("yes", "1", "hip"):  # queued together: one getUpdates batch
        for chat in chats:
            ids.append(fake.push(fake.text(chat, answer)))
    for update_id in ids:
        await env.processed(update_id)
    for chat in chats:
        session = await env.session(chat)
        assert session is not None
        assert session["facts"] == {"consent": "agree", "age_group": "child", "site": "hip"}
        asked = [question_buttons(c.buttons)[0][1] for c in fake.sent(chat) if c.buttons]
        assert asked == ["consent", "age_group", "site", "red_flags"]


async def test_unavailable_store_says_so_and_keeps_running(env: BotEnv) -> None:
    fake = env.fake
    env.store.down = True
    await env.send(fake.text(CHAT, "/start"))
    assert "temporarily unavailable" in fake.sent(CHAT)[-1].text
    env.store.down = False
    await env.send(fake.text(CHAT, "/start"))
    assert question_buttons(fake.sent(CHAT)[-1].buttons)


async def test_optional_startup_calls_may_fail(make_env: Factory) -> None:
    def prepare(fake: FakeBotApi) -> None:
        fake.fail("setMyCommands", 500, times=10)
        fake.fail("setMyDescription", 400)
        fake.fail("setMyShortDescription", 429, retry_after=100)

    env = await make_env(prepare=prepare)
    await env.send(env.fake.text(CHAT, "/start"))
    assert question_buttons(env.fake.sent(CHAT)[-1].buttons)
    assert '"startup_call_failed"' in env.logs.getvalue()


async def test_long_content_is_split_and_a_typing_indicator_sent(env: BotEnv) -> None:
    fake = env.fake
    await env.send(fake.text(CHAT, "/start"))
    await env.send(fake.text(CHAT, "/topics"))
    message_id, menu = next(
        (mid, fake.messages[(CHAT, mid)])
        for (cid, mid) in sorted(fake.messages, reverse=True)
        if cid == CHAT and "Topics you can read" in fake.messages[(cid, mid)]["text"]
    )
    topic = next(
        b["callback_data"]
        for row in menu["reply_markup"]["inline_keyboard"]
        for b in row
        if b["callback_data"].startswith("m|topic:")
    )
    await env.send(fake.tap(CHAT, message_id, topic))
    assert fake.of("sendChatAction", CHAT)
    assert all(len(c.text) <= 4096 for c in fake.sent(CHAT))


async def test_no_token_and_no_user_text_in_debug_logs(env: BotEnv) -> None:
    fake = env.fake
    chat = 918273645
    canary = "Zebra-canary-4471 my knee hurts"
    await env.send(fake.text(chat, "/start"))
    await env.send(fake.text(chat, canary))  # not understood: asked again
    await env.send(fake.text(chat, "yes"))
    message_id, _ = fake.last_message(chat)
    await env.send(fake.tap(chat, message_id, f"m|topic:{canary}"))
    logs = env.logs.getvalue()
    assert '"update_handled"' in logs  # logging did capture the handling, at DEBUG
    assert canary not in logs and "Zebra" not in logs
    assert str(chat) not in logs  # chat ids are hashed
    from tg_harness import TOKEN

    assert TOKEN not in logs and TOKEN.split(":")[1] not in logs


async def test_a_crashing_handler_is_logged_and_the_bot_goes_on(env: BotEnv) -> None:
    fake = env.fake
    service = env.runtime.bot.service
    real_handle = service.handle

    said = "Secret-user-" + "text-5523"  # split: the frames logged show source lines

    async def crash(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError(said)

    service.handle = crash  # type: ignore[method-assign]
    await env.send(fake.text(CHAT, "my knee"))
    assert "something went wrong" in fake.sent(CHAT)[-1].text
    service.handle = real_handle  # type: ignore[method-assign]
    await env.send(fake.text(CHAT, "/start"))
    assert question_buttons(fake.sent(CHAT)[-1].buttons)
    logs = env.logs.getvalue()
    assert '"handler_error"' in logs and "RuntimeError" in logs
    assert said not in logs
