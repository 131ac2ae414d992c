"""The composition root: settings -> flow and content -> engine -> store -> service, built once.

Every entry point starts here (the CLI's commands, the console, the Telegram runner, the tests'
fixtures and the benchmarks), so the store is opened in one place and each piece is built
the same way everywhere:

    app = build(load_settings())            # the configured store (STORE_URL)
    app = build(settings, store_url="memory://")
    engine = build_engine(settings)         # when no store is needed (check, replay)

Nothing here connects: `build` opens the store (SQLite creates its file, Redis connects on
first use); call `await app.store.ping()` to check it is reachable and `await app.close()`
at the end. Every failure is a `BmeBotError` leaf: ConfigError, LoadError or StoreError.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bme_bot.checkins.base import CheckinStore
from bme_bot.checkins.conversation import CheckinService
from bme_bot.checkins.url import open_checkin_store
from bme_bot.config import Settings, check_writable_dir
from bme_bot.core.engine import Engine
from bme_bot.core.flow import Flow
from bme_bot.loading.catalogues import catalogue_locales, load_catalogue
from bme_bot.loading.content_loader import load_content, load_vocabulary
from bme_bot.loading.flow_loader import load_flow
from bme_bot.loading.flow_locales import (
    DEFAULT_LOCALE,
    available_locales,
    locale_file,
    localize_flow,
)
from bme_bot.service import Service
from bme_bot.storage.base import Store
from bme_bot.storage.url import open_store

SECONDS_PER_DAY = 86400
CHECKIN_FLOW_FILE = "checkin.yaml"
"""The check-in flow, beside the main one in the flows directory."""


@dataclass(frozen=True)
class App:
    """bme-bot assembled: what every adapter runs on."""

    settings: Settings
    engine: Engine
    store: Store
    service: Service
    checkins: CheckinStore | None = None
    """The check-in schedule (docs/CHECKINS.md); None when the flows have no check-in flow."""

    async def close(self) -> None:
        """Release the stores (files, connections); the app is unusable afterwards."""
        try:
            if self.checkins is not None:
                await self.checkins.close()
        finally:
            await self.store.close()


def build_engine(settings: Settings, *, flow_path: Path | None = None) -> Engine:
    """The configured flow (or `flow_path`) with its content and the words of questions
    (`questions.yaml` beside the content), in every shipped locale: the engine of the
    default locale (DEFAULT_LOCALE) answers, and hands each session to the engine of its
    locale (`Engine.for_session`). A locale is built when the flow has its texts
    (`flows/locales/<locale>/`), the content its folder and the interface its catalogue;
    LoadError names file:line."""
    path = flow_path or settings.flow_path
    english_dir = settings.content_dir / DEFAULT_LOCALE
    english = load_content(english_dir if english_dir.is_dir() else settings.content_locale_dir)
    base = load_flow(path, english)
    engines = [
        _locale_engine(settings, base, path, locale) for locale in shipped_locales(settings, path)
    ]
    root = next(e for e in engines if e.locale == settings.locale)
    for engine in engines:
        if engine is not root:
            root.add_locale(engine)
    return root


def shipped_locales(settings: Settings, flow_path: Path | None = None) -> list[str]:
    """The default locale first, then every other locale complete enough to serve: flow
    texts beside the flow, a content folder and a message catalogue."""
    path = flow_path or settings.flow_path
    with_catalogue = {DEFAULT_LOCALE, *catalogue_locales()}
    found = [
        locale
        for locale in available_locales(settings.flows_dir, settings.content_dir)
        if locale in with_catalogue
        and (settings.content_dir / locale).is_dir()
        and (locale == DEFAULT_LOCALE or locale_file(path, locale).is_file())
    ]
    return [settings.locale, *(loc for loc in found if loc != settings.locale)]


def _locale_engine(settings: Settings, base: Flow, path: Path, locale: str) -> Engine:
    directory = settings.content_dir / locale
    if locale == DEFAULT_LOCALE or not directory.is_dir():
        directory = directory if directory.is_dir() else settings.content_locale_dir
        content = load_content(directory)
        flow = base
    else:
        content = load_content(directory)
        # a flow without texts in this locale (a draft in the studio) keeps its English ones
        flow = localize_flow(base, path, locale) if locale_file(path, locale).is_file() else base
    return Engine(
        flow,
        content,
        default_region=settings.default_region,
        vocabulary=load_vocabulary(directory, locale if directory.name == locale else None),
        locale=locale,
        catalogue=load_catalogue(locale),
    )


def open_configured_store(settings: Settings, *, store_url: str | None = None) -> Store:
    """The one place a store is opened: `store_url`, else the settings' (STORE_URL or the
    SQLite file in BME_DATA_DIR), kept SESSION_TTL_DAYS. ConfigError for a bad URL,
    StoreError if the store cannot be opened. The default store lives in BME_DATA_DIR, so a
    data directory that is a file, missing or read-only is a ConfigError naming it."""
    if store_url is None and not settings.store_url:
        check_writable_dir(settings.data_dir)
    url = store_url if store_url is not None else settings.effective_store_url
    return open_store(url, settings.session_ttl_days * SECONDS_PER_DAY)


def build(
    settings: Settings,
    *,
    store_url: str | None = None,
    flow_path: Path | None = None,
    engine: Engine | None = None,
    checkin_engine: Engine | None = None,
) -> App:
    """Settings -> engines -> stores -> service. The flows are loaded before the stores are
    opened, so a bad flow never leaves a new store file behind. `engine` (and
    `checkin_engine`) reuse ones already built (tests build the shipped engines once per
    session). The service is a `CheckinService` (follow-up check-ins, docs/CHECKINS.md) with
    its schedule in the same store URL, unless the flows directory has no `checkin.yaml`."""
    engine = engine if engine is not None else build_engine(settings, flow_path=flow_path)
    checkin_path = settings.flows_dir / CHECKIN_FLOW_FILE
    if checkin_engine is None and checkin_path.is_file():
        checkin_engine = build_engine(settings, flow_path=checkin_path)
    store = open_configured_store(settings, store_url=store_url)
    if checkin_engine is None:
        return App(settings, engine, store, Service(engine, store))
    url = store_url if store_url is not None else settings.effective_store_url
    checkins = open_checkin_store(url, settings.session_ttl_days * SECONDS_PER_DAY)
    service = CheckinService(Service(engine, store), checkin_engine, checkins)
    return App(settings, engine, store, service, checkins)
