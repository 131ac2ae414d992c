"""Build the python-telegram-bot Application and run it: polling or webhook, stopped cleanly.

`TelegramRuntime` starts and stops the bot around a Service; `run.py` puts the process around
it (signals, logging, settings) for `bme-bot telegram`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import TYPE_CHECKING, Any, Final

from telegram import BotCommand, Update
from telegram.error import RetryAfter, TelegramError, TimedOut
from telegram.ext import Application, ApplicationBuilder
from telegram.request import HTTPXRequest

from bme_bot.logs import log_event
from bme_bot.service import Service
from bme_bot.storage.ids import valid_update_id

from .chat_queues import WINDOW, ChatQueues
from .handlers import ALLOWED_UPDATES, TelegramBot
from .heartbeat import Heartbeat
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
RESTART_FIRST_SECONDS: Final = 0.5
RESTART_MAX_SECONDS: Final = 30.0
"""The poller's restart back-off after a crash: 0.5 s, doubling, at most 30 s."""
REFETCH_SECONDS: Final = 0.25
"""While an update is unfinished getUpdates returns at once (it is not confirmed yet): when it
brought nothing new, ask again after this, or as soon as an update finishes."""

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


class TelegramRuntime:
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

    async def _poll(self) -> None:
        """The supervisor: run the poll loop until stopped. Any exception that escapes it
        (a bug, a library surprise) is logged at once, by type only (its message could quote
        an update), and the loop starts again after a back-off (0.5 s doubling to 30 s, back
        to 0.5 s once a batch has been handled in full). Before this, one TypeError ended polling for
        good while the process stayed up and health said ok."""
        restarts = 0
        while not self._stopping.is_set():
            handled_before = self.batches_handled
            try:
                await self._poll_loop()
                return
            except Exception as exc:
                if self.batches_handled > handled_before:  # it worked for a while
                    restarts = 0
                pause = min(RESTART_MAX_SECONDS, RESTART_FIRST_SECONDS * 2**restarts)
                restarts += 1
                self.poller_restarts += 1
                log_event(
                    log,
                    "poller_crashed",
                    logging.ERROR,
                    error=type(exc).__name__,
                    restart_in=pause,
                    restarts=self.poller_restarts,
                )
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), pause)

    async def _fetch(self, wait: float) -> Any:
        """One getUpdates, its raw JSON result: PTB's `get_updates` parses the whole batch at
        once, so one malformed update made the batch fail (and PTB logs the raw batch, user
        text included, at CRITICAL). Parsed one by one in `_parse` instead."""
        bot = self.application.bot
        data = {
            "offset": self._offset,
            "timeout": int(wait),
            "limit": WINDOW,
            "allowed_updates": ALLOWED_UPDATES,
        }
        # the raw result (a private PTB call), see above
        return await bot._post("getUpdates", data, read_timeout=self.read_timeout + wait)

    def _parse(self, raw: Any) -> tuple[list[Update], int | None]:
        """The updates that can be handled, and the highest valid update id seen (whose
        successor acknowledges the batch). Anything else is dropped and logged by its id when
        it has a valid one, by the id's type when not: never its content."""
        if not isinstance(raw, list):
            log_event(log, "poll_result_malformed", logging.WARNING, result=type(raw).__name__)
            return [], None
        updates: list[Update] = []
        highest: int | None = None
        for item in raw:
            update_id = item.get("update_id") if isinstance(item, dict) else None
            if not valid_update_id(update_id):
                log_event(
                    log,
                    "update_dropped",
                    logging.WARNING,
                    reason="update_id_out_of_range" if type(update_id) is int else "bad_update_id",
                    id_type=type(update_id).__name__,
                )
                continue
            highest = update_id if highest is None else max(highest, update_id)
            try:
                update = Update.de_json(item, self.application.bot)
            except Exception as exc:  # a shape PTB cannot read: skip this one
                log_event(
                    log,
                    "update_dropped",
                    logging.WARNING,
                    reason="unparseable",
                    update_id=update_id,
                    error=type(exc).__name__,
                )
                continue
            updates.append(update)
        return updates, highest

    async def _poll_loop(self) -> None:
        """At-least-once polling without head-of-line blocking: each update goes to its chat's
        queue (chat_queues.py) and the next getUpdates is asked at once; its offset confirms
        only the finished prefix, so a crash re-delivers what was not finished and the store
        skips the update ids it saved. Stopping finishes what is in hand (bounded by `stop`)."""
        pause = 0.0
        queues = self.queues
        while not self._stopping.is_set():
            self._offset = queues.offset() if queues.offset() is not None else self._offset
            asked_from = self._offset
            queues.progress.clear()
            timeout = 0.0 if queues.unfinished else self.poll_timeout
            fetch = asyncio.ensure_future(self._fetch(timeout))
            stopping = asyncio.ensure_future(self._stopping.wait())
            await asyncio.wait({fetch, stopping}, return_when=asyncio.FIRST_COMPLETED)
            stopping.cancel()
            if not fetch.done():  # stopping: what this poll would bring comes again later
                fetch.cancel()
                with contextlib.suppress(asyncio.CancelledError, TelegramError):
                    await fetch
                break
            try:
                raw = fetch.result()
                pause = 0.0
            except RetryAfter as exc:
                wait = exc.retry_after
                pause = (wait if isinstance(wait, int | float) else wait.total_seconds()) + 0.5
                _polling_error(exc)
            except TimedOut:
                continue
            except TelegramError as exc:
                pause = 1.0 if pause == 0 else min(30.0, pause * 1.5)
                _polling_error(exc)
            else:
                self.polls_ok += 1
                self.last_poll_ok = time.monotonic()
                if self.heartbeat is not None:
                    self.heartbeat.beat()
                updates, highest = self._parse(raw)
                new = queues.take(updates, highest, asked_from)
                self.batches_handled += 1
                offset = queues.offset()
                self._offset = offset if offset is not None else self._offset
                if raw and highest is None:  # nothing in it could be acknowledged: no spin
                    pause = 1.0
                elif queues.unfinished and not new:  # only what is in hand came back
                    await self._until_progress()
                    continue
                else:
                    continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), pause)
        await queues.drain()
        offset = queues.offset()
        self._offset = offset if offset is not None else self._offset

    async def _until_progress(self) -> None:
        """Until an update finishes, the stop is asked for, or REFETCH_SECONDS pass."""
        waits = {
            asyncio.ensure_future(self.queues.progress.wait()),
            asyncio.ensure_future(self._stopping.wait()),
        }
        await asyncio.wait(waits, timeout=REFETCH_SECONDS, return_when=asyncio.FIRST_COMPLETED)
        for waiter in waits:
            waiter.cancel()

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
        calls = (
            ("setMyCommands", bot.set_my_commands([BotCommand(c, d) for c, d in COMMANDS])),
            ("setMyDescription", bot.set_my_description(DESCRIPTION)),
            ("setMyShortDescription", bot.set_my_short_description(SHORT_DESCRIPTION)),
        )
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
            # a long poll in flight is cut short; a batch being handled is finished (bounded)
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


def _polling_error(error: TelegramError) -> None:
    log_event(log, "polling_error", logging.WARNING, error=type(error).__name__)
