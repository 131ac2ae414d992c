"""Languages: the per-locale engine, choosing the language, es/de golden transcripts, the
console in Spanish, and the DEFAULT_LOCALE setting."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

import pytest

from bme_bot.adapters.console import Options, run_interactive
from bme_bot.config import ConfigError, load_settings
from bme_bot.core.catalogue import best_locale
from bme_bot.core.engine import Engine
from bme_bot.core.events import Answer, SetLanguage, Start, Text, parse_command
from bme_bot.core.session import Session
from bme_bot.service import Service
from bme_bot.storage.memory import MemoryStore
from bme_bot.transcripts import load_transcript, load_transcripts, run_transcript

TRANSCRIPTS = Path(__file__).parent / "transcripts"
LOCALES = ("es", "de")


def test_the_shipped_engine_serves_english_spanish_and_german(engine: Engine) -> None:
    assert engine.locale == "en" and set(engine.locales) == {"en", "es", "de"}
    for code in LOCALES:
        other = engine.locales[code]
        assert other.flow.version == engine.flow.version and other.root is engine
        assert other.catalogue.locale == code


@pytest.mark.parametrize(
    ("tag", "expected"),
    [("es", "es"), ("es-MX", "es"), ("de-AT", "de"), ("de_CH", "de"), ("fr", None), (None, None)],
)
def test_a_language_tag_picks_a_shipped_locale(tag: str | None, expected: str | None) -> None:
    assert best_locale(tag, ("en", "es", "de")) == expected


def test_a_new_session_takes_the_hinted_locale_and_keeps_it(engine: Engine) -> None:
    session, replies = engine.step(None, Start(), locale="es-MX")
    assert session.locale == "es"
    assert "Empezar" in [o.label for o in replies[-1].options]
    assert Session.from_dict(session.to_dict()).locale == "es"
    moved, replies = engine.step(session, Text("Empezar"))
    assert moved.locale == "es" and moved.state == "age_group"
    assert "¿" in replies[-1].text


def test_an_unknown_language_gets_english_and_english_sessions_store_nothing(
    engine: Engine,
) -> None:
    session, replies = engine.step(None, Start(), locale="fr")
    assert session.locale is None and "lang" not in session.to_dict()
    assert "Start" in [o.label for o in replies[-1].options]


def test_language_lists_the_languages_then_switches_and_asks_again(engine: Engine) -> None:
    assert parse_command("/language") == SetLanguage()
    assert parse_command("/language DE") == SetLanguage("de")
    session, _ = engine.step(None, Start(), locale="es")
    session, _ = engine.step(session, Text("Empezar"))
    same, replies = engine.step(session, Text("/language"))
    assert same == session
    assert [(o.id, o.label) for o in replies[-1].options] == [
        ("language:en", "English"),
        ("language:es", "Español"),
        ("language:de", "Deutsch"),
    ]
    assert replies[-1].text.startswith("¿En qué idioma")
    german, replies = engine.step(session, Answer("language:de"))
    assert german.locale == "de" and german.state == session.state
    assert german.facts == session.facts and german.turn == session.turn + 1
    assert replies[0].text.startswith("Sprache: Deutsch")
    assert replies[-1].question == "age_group" and "Sie" in replies[-1].text
    english, replies = engine.step(german, Text("/language en"))
    assert english.locale is None and replies[0].text == "Language set to English."
    _, replies = engine.step(german, Text("/language fr"))
    assert replies[-1].text.startswith("Diese Sprache habe ich noch nicht.")


def test_an_unreviewed_locale_says_so_with_the_first_question_and_the_advice(
    engine: Engine,
) -> None:
    session, replies = engine.step(None, Start(), locale="de")
    note = "Diese Übersetzung wurde noch nicht ärztlich geprüft"
    assert note in replies[-1].text
    session, replies = engine.step(session, Text("Start"))
    assert note not in replies[-1].text
    _, english = engine.step(None, Start())
    assert "clinician" not in english[-1].text.split("\n\n")[-1]


@pytest.mark.parametrize("locale", LOCALES)
def test_golden_transcripts_reach_every_disposition_in_each_locale(
    engine: Engine, locale: str
) -> None:
    transcripts = load_transcripts(TRANSCRIPTS / locale)
    english = {t.name.split(":")[0]: t for t in load_transcripts(TRANSCRIPTS) if t.name[:1] == "V"}
    reached: set[str] = set()
    for transcript in transcripts:
        assert transcript.lang == locale
        result = run_transcript(engine, transcript)
        assert result.passed, result.divergence
        assert all(r["done"] is False or r["disposition"] for r in result.records)
        reached |= {r["disposition"] for r in result.records if r["done"]}
        key = transcript.name.split(":")[0]
        if key in english:  # the same vignette ends the same way in English
            assert transcript.steps[-1].expect["rule"] == english[key].steps[-1].expect["rule"]
    dispositions = {o.disposition for o in engine.flow.outcomes.values()}
    assert reached == dispositions


def test_a_transcript_in_a_locale_not_shipped_diverges(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text("lang: fr\nsteps: []\n", encoding="utf-8")
    result = run_transcript(engine, load_transcript(path))
    assert result.divergence == "start: locale 'fr' is not shipped"


def test_the_console_speaks_spanish(engine: Engine) -> None:
    out = io.StringIO()
    stdin = io.StringIO("Empezar\nabc\n")
    run_interactive(engine, stdin, out, Options(locale="es"))
    text = out.getvalue()
    assert text.startswith("Consola de bme-bot: educación, no un diagnóstico.")
    assert "Pregunta 1 de" in text and "Pregunta 2 de" in text
    assert "Perdona, no lo entendí." in text
    assert text.rstrip().endswith("Adiós. Cuídate.")


def test_service_forget_answers_in_the_persons_language(engine: Engine) -> None:
    service = Service(engine, MemoryStore())

    async def talk() -> list[str]:
        first = await service.handle("c", Text("/forget"), locale="es")
        await service.handle("c", Start(), locale="de")
        second = await service.handle("c", Text("/forget"), locale="de")
        return [first.replies[0].text, second.replies[0].text]

    nothing, erased = asyncio.run(talk())
    assert nothing.startswith("No había nada guardado")
    assert erased.startswith("Alles, was zu diesem Chat gespeichert war")


def test_default_locale_is_validated_against_the_shipped_locales() -> None:
    assert load_settings({"DEFAULT_LOCALE": "es"}).locale == "es"
    assert load_settings({}).locale == "en"
    with pytest.raises(ConfigError) as raised:
        load_settings({"DEFAULT_LOCALE": "fr"})
    assert str(raised.value) == "DEFAULT_LOCALE='fr' is not a shipped locale (one of: en, de, es)"


def test_a_spanish_default_answers_new_sessions_in_spanish() -> None:
    from bme_bot.bootstrap import build_engine

    spanish = build_engine(load_settings({"DEFAULT_LOCALE": "es"}))
    session, replies = spanish.step(None, Start())
    assert session.locale is None and "Empezar" in [o.label for o in replies[-1].options]
    english, replies = spanish.step(session, Text("/language en"))
    assert english.locale == "en" and replies[0].text == "Language set to English."


def test_the_console_replays_a_spanish_transcript() -> None:
    import subprocess
    import sys

    path = TRANSCRIPTS / "es" / "v01_e1.yaml"
    run = subprocess.run(
        [sys.executable, "-m", "bme_bot", "console", "--transcript", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.startswith(f"OK {path}")
