"""The Telegram adapter (python-telegram-bot): polling and webhook.

`run_telegram(args, settings)` runs the bot; see docs/TELEGRAM.md. The names below are loaded
on first use, so that the pure parts (`planner`, `rendering`, `actions`) can be imported and
tested without python-telegram-bot.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__all__ = ["TelegramRuntime", "build_application", "run_telegram", "serve"]

_HOMES = {
    "TelegramRuntime": "runtime",
    "build_application": "runtime",
    "run_telegram": "run",
    "serve": "run",
}


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        return getattr(import_module(f"{__name__}.{_HOMES[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
