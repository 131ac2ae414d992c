"""The composition root: settings -> flow + content -> engine. Adapters start here."""

from __future__ import annotations

from bme_bot.config import Settings
from bme_bot.core.engine import Engine
from bme_bot.loading.content_loader import load_content
from bme_bot.loading.flow_loader import load_flow


def build_engine(settings: Settings) -> Engine:
    """Load the configured flow and its content; raises LoadError with file:line on a problem."""
    content = load_content(settings.content_locale_dir)
    flow = load_flow(settings.flow_path, content)
    return Engine(flow, content, default_region=settings.default_region)
