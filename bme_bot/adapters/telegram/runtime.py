"""Build the python-telegram-bot Application and run it: polling or webhook, stopped cleanly.

`TelegramRuntime` starts and stops the bot around a Service; `run.py` puts the process around
it (signals, logging, settings) for `bme-bot telegram`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING, Any, Final

from telegram import BotCommand
from telegram.error import TelegramError
from telegram.ext import Application, ApplicationBuilder
from telegram.request import HTTPXRequest

from bme_bot.core.catalogue import Catalogue
from bme_bot.logs import log_event
from bme_bot.service import Service

from .chat_queues import ChatQueues
from .handlers import ALLOWED_UPDATES, TelegramBot
from .heartbeat import Heartbeat
from .poller import Poller
from .request import RetryingRequest
from .send_limiter import SendLimiter
from .settings import TelegramSettings
from .texts import COMMANDS, DESCRIPTION, SHORT_DESCRIPTION

if TYPE_CHECKING:
    from .webhook import WebhookServer

log = logging.getLogger("bme_bot.telegram.runtime")

SHUTDOWN_SECONDS: Final = 8.0
"""Graceful stop budget: well inside the 10 s after SIGTERM (Docker's default grace)."""
PURGE_SECONDS: Final = 3600.0

PTBApplication = Application[Any, Any, Any, Any, Any, Any]


def build_application(
    tg: TelegramSettings,
    bot: TelegramBot,
    *,
    backoff: float = 0.5,
    connect_timeout: float = 5.0,
    read_timeout: float = 10.0,
) -> PTBApplication:
    """The PTB Application: our handlers, concurrent updates, retrying requests; no
    ConversationHandler and no persistence (state lives in the service's store)."""
    # A bounded number of updates in flight: with hundreds over a 32-connection pool, httpcore
    # rescans its queue for every request and throughput halves (docs/PERFORMANCE.md).
    builder = (
        ApplicationBuilder()
        .token(tg.token.reveal())
        .concurrent_updates(bot.updates_in_flight)
        .request(
            RetryingRequest(
                connection_pool_size=32,
                connect_timeout=connect_timeout,
                read_timeout=read_timeout,
                write_timeout=read_timeout,
                pool_timeout=read_timeout,
                backoff=backoff,
                max_retry_after=0,  # a 429 goes to the limiter, which blocks only its chat
            )
        )
    )
    # Telegram's message limits, counted as Telegram counts them (send_limiter.py); 0 turns
    # the counting off (429s are still handled per chat).
    builder = builder.rate_limiter(SendLimiter(tg.send_rate, per_chat=tg.send_rate > 0))
    if tg.api_base_url is not None:
        builder = builder.base_url(tg.api_base_url)
        if tg.file_base_url is not None:
            builder = builder.base_file_url(tg.file_base_url)
    # No PTB Updater: it acknowledges a batch when it asks for the next one, before the
    # batch is handled (kill -9 would lose it). TelegramRuntime polls itself.
    builder = builder.updater(None).get_updates_request(
        HTTPXRequest(connect_timeout=connect_timeout, read_timeout=read_timeout)
    )
    application = builder.build()
    bot.register(application)
    return application


def bot_commands(catalogue: Catalogue) -> list[BotCommand]:
    """The command list with its descriptions in one language (setMyCommands)."""
    return [BotCommand(c, catalogue.gettext(d)) for c, d in COMMANDS]


class TelegramRuntime(Poller):
    """Start and stop the bot around a Service; `webhook.port` is the bound port."""

    def __init__(
        self,
        tg: TelegramSettings,
        service: Service,
        *,
        poll_timeout: float = 10.0,
        backoff: float = 0.5,
        read_timeout: float = 10.0,
        heartbeat: Heartbeat | None = None,
    ) -> None:
        self.tg = tg
        self.service = service
        self.bot = TelegramBot(
            service,
            chat_rate=tg.chat_rate,
            chat_burst=tg.chat_burst,
            updates_in_flight=tg.updates_in_flight,
            redelivered=tg.webhook,
        )
        self.application = build_application(
            tg, self.bot, backoff=backoff, read_timeout=read_timeout
        )
        self.poll_timeout = poll_timeout
        self.read_timeout = read_timeout
        self.heartbeat = heartbeat
        """Written after each successful getUpdates, for `bme-bot health` (polling only)."""
        self.polls_ok = 0
        self.batches_handled = 0
        self.poller_restarts = 0
        self.last_poll_ok: float | None = None
        """time.monotonic() of the last successful getUpdates."""
        self.webhook: WebhookServer | None = None
        self._purger: asyncio.Task[None] | None = None
        self._poller: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()
        self._offset: int | None = None
        self.queues = ChatQueues(lambda update: self.bot.process(self.application, update))

    async def start(self) -> None:
        """getMe, optional profile calls, then polling or (server + setWebhook).

        Raises InvalidToken if Telegram refuses the token, TelegramError if it cannot be
        reached or refuses the webhook.
        """
        app = self.application
        await app.initialize()
        self.bot.username = app.bot.username or self.bot.username
        await self._describe()
        await app.start()
        if self.tg.webhook:
            assert self.tg.webhook_url is not None and self.tg.webhook_secret is not None
            from .webhook import WebhookServer  # aiohttp: only needed in webhook mode

            self.webhook = WebhookServer(
                app,
                self.bot,
                secret=self.tg.webhook_secret.reveal(),
                path=self.tg.webhook_path,
                listen=self.tg.webhook_listen,
                port=self.tg.webhook_port,
                max_body=self.tg.webhook_max_body,
                answer_in_response=self.tg.webhook_answer_in_reply,
            )
            await self.webhook.start()
            await app.bot.set_webhook(
                self.tg.webhook_url,
                secret_token=self.tg.webhook_secret.reveal(),
                allowed_updates=ALLOWED_UPDATES,
                max_connections=40,
            )
            log_event(log, "bot_started", mode="webhook", port=self.webhook.port)
        else:
            await app.bot.delete_webhook()
            self._stopping = asyncio.Event()
            if self.heartbeat is not None:
                self.heartbeat.beat(force=True)  # started: the clock for "stalled" runs
            self._poller = asyncio.create_task(self._poll())
            log_event(log, "bot_started", mode="polling")
        self._purger = asyncio.create_task(self._purge_loop())

    async def _describe(self) -> None:
        """Commands and descriptions: nice to have, so a failure is a warning."""
        bot = self.application.bot
        engine = self.service.engine
        root = engine.root
        calls = [
            ("setMyCommands", bot.set_my_commands(bot_commands(root.catalogue))),
            ("setMyDescription", bot.set_my_description(root.catalogue.gettext(DESCRIPTION))),
            (
                "setMyShortDescription",
                bot.set_my_short_description(root.catalogue.gettext(SHORT_DESCRIPTION)),
            ),
        ]
        for code, other in sorted(engine.locales.items()):
            if other is root or len(code) != 2:  # Telegram takes two-letter codes only
                continue
            words = other.catalogue
            calls += [
                (
                    "setMyCommands",
                    bot.set_my_commands(bot_commands(words), language_code=code),
                ),
                (
                    "setMyDescription",
                    bot.set_my_description(words.gettext(DESCRIPTION), language_code=code),
                ),
                (
                    "setMyShortDescription",
                    bot.set_my_short_description(
                        words.gettext(SHORT_DESCRIPTION), language_code=code
                    ),
                ),
            ]
        for name, call in calls:
            try:
                await call
            except TelegramError as exc:
                log_event(
                    log, "startup_call_failed", logging.WARNING, call=name, error=type(exc).__name__
                )

    async def _purge_loop(self) -> None:
        while True:
            await asyncio.sleep(PURGE_SECONDS)
            try:
                purged = await self.service.store.purge_expired()
                log_event(log, "sessions_purged", count=purged)
            except Exception as exc:  # the store may be down for a while: try next time
                log_event(log, "purge_failed", logging.WARNING, error=type(exc).__name__)

    async def stop(self) -> None:
        """Stop fetching, finish the updates in hand, close. Safe to call more than once."""
        app = self.application
        if self._purger is not None:
            self._purger.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._purger
            self._purger = None
        if self._poller is not None:
            self._stopping.set()
            # a long poll in flight is cut short; the updates in hand are finished (bounded)
            done, _ = await asyncio.wait({self._poller}, timeout=SHUTDOWN_SECONDS - 2)
            if not done:
                self._poller.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._poller
            self._poller = None
            await self.queues.cancel()  # past the budget: unfinished, so not acknowledged
            offset = self.queues.offset()
            self._offset = offset if offset is not None else self._offset
            if self.heartbeat is not None:
                self.heartbeat.remove()
            if self._offset is not None:  # acknowledge what was handled
                with contextlib.suppress(TelegramError):  # raw: nothing here is parsed
                    await app.bot._post(
                        "getUpdates", {"offset": self._offset, "timeout": 0, "limit": 1}
                    )
        if self.webhook is not None:
            await self.webhook.stop()
        if app.running:
            await app.stop()
        await app.shutdown()  # returns at once if never initialized
        log_event(log, "bot_stopped")
