"""`bme-bot telegram` as a process: settings, logging, the app (`bme_bot.bootstrap`), signals.

`run_telegram(args, settings)` is what `bme-bot telegram` calls; `serve` runs a
`TelegramRuntime` until SIGTERM or SIGINT and stops it within SHUTDOWN_SECONDS. With a
`CheckinService` (follow-up check-ins, docs/CHECKINS.md) the check-in scheduler runs beside
polling or the webhook and is stopped first, while the bot can still finish a send.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import logging
import signal
import sys
from collections.abc import Mapping
from typing import Final

from telegram.error import InvalidToken, TelegramError

from bme_bot.checkins.conversation import CheckinService
from bme_bot.config import ConfigError, Settings, check_writable_dir
from bme_bot.errors import BmeBotError, describe
from bme_bot.logs import log_event, set_hash_key, setup_logging
from bme_bot.service import Service
from bme_bot.storage.base import Store

from .checkin_sender import CheckinLoop
from .heartbeat import Heartbeat, heartbeat_path
from .runtime import SHUTDOWN_SECONDS, TelegramRuntime
from .settings import TelegramSettings, load_telegram_settings

log = logging.getLogger("bme_bot.telegram.run")

EXIT_OK: Final = 0
EXIT_FAILED: Final = 1
EXIT_USAGE: Final = 2


def _fail(message: str) -> None:
    print(f"bme-bot: {message}", file=sys.stderr)


def run_telegram(
    args: argparse.Namespace | None,
    settings: Settings,
    env: Mapping[str, str] | None = None,
) -> int:
    """`bme-bot telegram`: run until SIGTERM/SIGINT; exit 0, 1 (failed) or 2 (bad setup).

    Reads `args.base_url` and `args.webhook_url` if present (flags win over the environment).
    """
    try:
        tg = load_telegram_settings(
            env,
            base_url=getattr(args, "base_url", None),
            webhook_url=getattr(args, "webhook_url", None),
        )
    except ConfigError as exc:
        _fail(describe(exc))
        return EXIT_USAGE
    secrets = [tg.token.reveal()]
    if tg.webhook_secret is not None:
        secrets.append(tg.webhook_secret.reveal())
    setup_logging(settings.log_level, secrets)
    set_hash_key(hashlib.sha256(b"bme-bot chat ids:" + tg.token.reveal().encode()).digest())
    from bme_bot.bootstrap import build

    try:
        if not tg.webhook:  # the poller's heartbeat lives there, whatever the store
            check_writable_dir(settings.data_dir)
        app = build(settings)  # with check-ins: bootstrap builds the CheckinService
    except BmeBotError as exc:  # a bad flow, STORE_URL, store file or data dir: one line, exit 2
        _fail(describe(exc))
        return EXIT_USAGE
    heartbeat = None if tg.webhook else Heartbeat(heartbeat_path(settings.data_dir))
    return asyncio.run(serve(tg, app.service, app.store, heartbeat=heartbeat))


async def serve(
    tg: TelegramSettings,
    service: Service,
    store: Store,
    *,
    heartbeat: Heartbeat | None = None,
    checkin_every: float = 30.0,
) -> int:
    """Run the bot until a signal; at most SHUTDOWN_SECONDS to stop. `heartbeat` (polling)
    lets `bme-bot health` see a dead or stalled poller; a CheckinService brings the check-in
    scheduler (a tick every `checkin_every` seconds)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    try:
        await store.ping()
    except Exception as exc:  # the bot still starts: users get "temporarily unavailable"
        log_event(log, "store_unreachable", logging.WARNING, error=type(exc).__name__)
    runtime = TelegramRuntime(tg, service, heartbeat=heartbeat)
    checkin_loop = None
    if isinstance(service, CheckinService):
        checkin_loop = CheckinLoop(
            service, runtime.application.bot, runtime.bot.executor, every_seconds=checkin_every
        )
    code = EXIT_OK
    try:
        try:
            await runtime.start()
        except InvalidToken:
            _fail("Telegram refused the token (check TELEGRAM_BOT_TOKEN with BotFather)")
            return EXIT_USAGE
        except (TelegramError, OSError) as exc:
            reason = str(exc).replace(tg.token.reveal(), "[REDACTED]")
            _fail(f"cannot start the Telegram bot: {type(exc).__name__}: {reason}")
            return EXIT_FAILED
        if checkin_loop is not None:
            checkin_loop.start()
        await stop.wait()
        log_event(log, "shutdown_requested")
    finally:
        if checkin_loop is not None:  # first: a send in flight still has the bot
            with contextlib.suppress(Exception):
                await checkin_loop.stop()
        try:
            await asyncio.wait_for(runtime.stop(), SHUTDOWN_SECONDS)
        except Exception as exc:  # a stop that hangs or fails must not block the exit
            log_event(log, "shutdown_incomplete", logging.WARNING, error=type(exc).__name__)
            code = code or EXIT_FAILED
        with contextlib.suppress(Exception):
            await store.close()
        if isinstance(service, CheckinService):
            with contextlib.suppress(Exception):
                await service.checkins.close()
        for sig in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.remove_signal_handler(sig)
    return code
