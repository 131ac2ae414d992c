"""The check-in layer speaks the chat's language: its texts come from the catalogue of the
session's locale, per turn, and typed answers are read in that language too."""

from __future__ import annotations

from bme_bot.bootstrap import build_engine
from bme_bot.checkins import texts
from bme_bot.checkins.conversation import CheckinService
from bme_bot.checkins.memory import MemoryCheckinStore
from bme_bot.config import load_settings
from bme_bot.core.engine import Engine
from bme_bot.core.events import Answer, Start, Text
from bme_bot.service import Turn
from bme_bot.storage.memory import MemoryStore

from .layer import CHAT, SELF_CARE_PATH, Clock, checkin_engine, layer, offer_of


def _service(engine: Engine) -> CheckinService:
    return layer(engine, checkin_engine(), MemoryStore(), MemoryCheckinStore(), Clock())


async def _option_ids(engine: Engine) -> list[str]:
    """The option ids the English self-care path picks, to replay in any language."""
    service = _service(engine)
    turn = await service.handle(CHAT, Start())
    ids = []
    for line in SELF_CARE_PATH:
        options = turn.replies[-1].options
        if line.isdigit():
            ids.append(options[int(line) - 1].id)
        else:
            wanted = "None of these" if line == "none" else line
            ids.append(next(o.id for o in options if o.label == wanted))
        turn = await service.handle(CHAT, Text(line))
    return ids


async def _to_self_care_in(service: CheckinService, ids: list[str], locale: str) -> Turn:
    turn = await service.handle(CHAT, Start(), locale=locale)
    for option_id in ids:
        turn = await service.handle(CHAT, Answer(option_id), locale=locale)
    return turn


async def test_the_offer_is_in_spanish_for_a_spanish_session() -> None:
    engine = build_engine(load_settings({}))
    spanish = engine.for_locale("es").catalogue
    ids = await _option_ids(engine)
    service = _service(engine)
    turn = await _to_self_care_in(service, ids, "es")
    assert turn.session is not None and turn.session.locale == "es"
    offer = offer_of(turn)
    assert offer.text == spanish.gettext(texts.OFFER).format(days=3)
    assert offer.text != texts.OFFER.format(days=3)
    assert offer.options[-1].label == spanish.gettext(texts.OFFER_NO) != texts.OFFER_NO
    # a typed Spanish yes accepts, and the confirmation is Spanish too
    planned = await service.handle(CHAT, Text(spanish.gettext("yes")), locale="es")
    assert [r.text for r in planned.replies] == [spanish.gettext(texts.PLANNED).format(days=3)]
    assert len(await service.checkins.list(CHAT)) == 1
    listed = await service.handle(CHAT, Text("/checkins"), locale="es")
    assert listed.replies[0].text.startswith(spanish.gettext(texts.LIST_HEAD))


async def test_an_english_chat_beside_a_spanish_one_stays_english() -> None:
    engine = build_engine(load_settings({}))
    spanish = engine.for_locale("es").catalogue
    ids = await _option_ids(engine)
    service = _service(engine)
    turns = {
        chat: await service.handle(chat, Start(), locale=code)
        for chat, code in ((CHAT, "es"), ("tg:2", "en"))
    }
    for option_id in ids:  # the two chats' turns interleave
        for chat in turns:
            turns[chat] = await service.handle(chat, Answer(option_id))
    assert offer_of(turns[CHAT]).text == spanish.gettext(texts.OFFER).format(days=3)
    assert offer_of(turns["tg:2"]).text == texts.OFFER.format(days=3)


def test_every_checkin_text_is_translated_in_every_shipped_locale() -> None:
    engine = build_engine(load_settings({}))
    for code in ("es", "de"):
        catalogue = engine.for_locale(code).catalogue
        assert catalogue.locale == code
        untranslated = [t for t in texts.ALL if catalogue.gettext(t) == t]
        assert untranslated == []
        for words in (texts.YES_WORDS, texts.NO_WORDS, texts.DAYS_WORDS):
            assert all(catalogue.gettext(w) for w in words)
