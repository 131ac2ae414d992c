"""Telegram end to end in other languages: the user's language_code picks Spanish, /language
switches to German (and is remembered), setMyCommands registers each language's commands."""

from __future__ import annotations

from fake_bot_api import FakeBotApi
from tg_harness import Factory

CHAT = 5301


def message_in(fake: FakeBotApi, text: str, language: str) -> dict[str, object]:
    message = fake.make_message(CHAT, text)
    message["from"]["language_code"] = language
    return fake.update(message=message)


async def test_language_code_es_gets_spanish_and_language_switches_to_german(
    make_env: Factory,
) -> None:
    env = await make_env()
    fake = env.fake
    await env.send(message_in(fake, "/start", "es-MX"))
    _, call = fake.last_message(CHAT)
    assert call.text.startswith("<i>Pregunta 1 de 13 como mucho</i>\n\nHola, soy bme-bot.")
    assert [label for label, _ in call.buttons] == ["Empezar", "No, gracias"]
    assert (await env.session(CHAT) or {}).get("lang") == "es"

    await env.send(message_in(fake, "Empezar", "es-MX"))
    _, call = fake.last_message(CHAT)
    assert "\n\n¿Cuántos años tienes?" in call.text

    await env.send(message_in(fake, "/language", "es-MX"))
    message_id, call = fake.last_message(CHAT)
    assert call.text == "¿En qué idioma quieres hablar?"
    assert call.buttons == [
        ("English", "m|language:en"),
        ("Español", "m|language:es"),
        ("Deutsch", "m|language:de"),
    ]
    await env.send(fake.tap(CHAT, message_id, "m|language:de"))
    sent = fake.sent(CHAT)
    assert sent[-2].text == "Sprache: Deutsch. Wir machen auf Deutsch weiter."
    assert sent[-1].text.startswith("<i>Frage 2 von höchstens")
    assert "\n\nWie alt sind Sie?" in sent[-1].text
    session = await env.session(CHAT) or {}
    assert session.get("lang") == "de" and session["state"] == "age_group"

    # remembered: the Spanish language_code of later messages no longer decides
    await env.send(message_in(fake, "/why", "es"))
    assert fake.sent(CHAT)[-2].text.startswith("<b>Warum ich das frage:</b>")


async def test_an_unknown_language_code_gets_english(make_env: Factory) -> None:
    env = await make_env()
    fake = env.fake
    await env.send(message_in(fake, "/start", "fr"))
    _, call = fake.last_message(CHAT)
    assert [label for label, _ in call.buttons] == ["Start", "No thanks"]
    assert "lang" not in (await env.session(CHAT) or {})


async def test_set_my_commands_registers_each_language(make_env: Factory) -> None:
    env = await make_env()
    calls = {c.params.get("language_code"): c.params for c in env.fake.of("setMyCommands")}
    assert set(calls) == {None, "es", "de"}
    names = [c["command"] for c in calls[None]["commands"]]
    for code in ("es", "de"):
        assert [c["command"] for c in calls[code]["commands"]] == names
    described = {
        code: {c["command"]: c["description"] for c in calls[code]["commands"]} for code in calls
    }
    assert described[None]["ask"] == "Ask a question in your own words"
    assert described["es"]["ask"] == "Hacer una pregunta con tus palabras"
    assert described["de"]["language"] == "Sprache wählen"
    descriptions = {
        c.params.get("language_code"): c.params["description"]
        for c in env.fake.of("setMyDescription")
    }
    assert descriptions["de"].startswith("Information über das Knochenmarködem")
    assert descriptions[None].startswith("Education about bone marrow edema")


async def test_notices_are_in_the_persons_language(make_env: Factory) -> None:
    env = await make_env()
    fake = env.fake
    photo = fake.make_message(
        CHAT, None, photo=[{"file_id": "p", "file_unique_id": "u", "width": 1, "height": 1}]
    )
    photo["from"]["language_code"] = "es"
    await env.send(fake.update(message=photo))
    assert fake.sent(CHAT)[-1].text.startswith("Gracias, pero no puedo leer fotos.")
    edited = {**fake.make_message(CHAT, "sí"), "edit_date": 1}
    edited["from"]["language_code"] = "de-AT"
    await env.send(fake.update(edited_message=edited))
    assert fake.sent(CHAT)[-1].text.startswith("Bearbeitete Nachrichten")
