from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bme_bot.bootstrap import App, build, build_engine
from bme_bot.config import load_settings
from bme_bot.core.content import ContentDoc
from bme_bot.core.engine import Engine
from bme_bot.loading.flow_loader import load_flow

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(scope="session")
def engine() -> Engine:
    """The shipped flow and content, as the bot runs them."""
    return build_engine(load_settings({}))


@pytest.fixture()
async def app(engine: Engine) -> AsyncIterator[App]:
    """The bot as the entry points build it, on a fresh memory store (shared engine)."""
    built = build(load_settings({}), store_url="memory://", engine=engine)
    try:
        yield built
    finally:
        await built.close()


def _doc(cid: str, body: str) -> ContentDoc:
    return ContentDoc(cid, cid.title(), body, ("test source",), "2026-11-21")


@pytest.fixture()
def demo_engine() -> Engine:
    content = {
        "about": _doc("about", "About text."),
        "net": _doc("net", "Call {emergency_number} if worse."),
        "help": _doc("help", "Help text."),
        "privacy": _doc("privacy", "Privacy text."),
    }
    return Engine(load_flow(FIXTURES / "demo_flow.yaml", content), content)
