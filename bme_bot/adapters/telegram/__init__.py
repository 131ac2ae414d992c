"""The Telegram adapter (python-telegram-bot): polling and webhook.

`run_telegram(args, settings)` runs the bot; see docs/TELEGRAM.md.
"""

from __future__ import annotations

from bme_bot.adapters.telegram.app import TelegramRuntime, build_application, run_telegram, serve

__all__ = ["TelegramRuntime", "build_application", "run_telegram", "serve"]
