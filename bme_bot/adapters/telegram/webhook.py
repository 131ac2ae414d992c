"""The webhook HTTP server: check, process, then answer (aiohttp).

PTB's own webhook server answers 200 before the update is processed, so a crash or an
unavailable store would lose the update. This one answers only after
`Application.process_update` has run the handlers:

- a wrong or missing `X-Telegram-Bot-Api-Secret-Token` (compared in constant time) -> 403,
  before the body is read; the body is never logged; the warning is rate-limited
  (`RefusalLog`: the first refusal at once, then one summary line a minute with the count);
- a body over the limit -> 413; not JSON or not an update -> 400 (also an `update_id` that
  is not an int in 0 <= id < 2^63: it never reaches a store); another path -> 404;
- the update processed -> 200, or 503 if the store was unavailable, so Telegram delivers it
  again later (the service skips update ids it already handled). With `answer_in_response`,
  a button tap's answerCallbackQuery is the JSON body of the 200 (reply.py): one outgoing
  request fewer per tap. On a 503 Telegram ignores the body, so the answer is called instead.

`GET /healthz` answers 200 for load balancers.
"""

from __future__ import annotations

import hmac
import json
import logging
import time
from collections.abc import Callable
from typing import Any, Final

from aiohttp import web
from telegram import Update
from telegram.error import TelegramError
from telegram.ext import Application

from bme_bot.logs import log_event
from bme_bot.storage.ids import valid_update_id

from .handlers import Outcome, TelegramBot
from .reply import close_reply, open_reply

log = logging.getLogger("bme_bot.telegram.webhook")

SHUTDOWN = 5.0
"""Seconds given to requests in hand when the server stops."""

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name
REFUSAL_SUMMARY_SECONDS: Final = 60.0


class RefusalLog:
    """Wrong-secret warnings, rate-limited: a probe sent 1,208 requests and got 1,208 lines.

    The first refusal is logged at once (count 1); later ones are only counted until
    `every` seconds have passed since the last line, when the next refusal logs one summary
    line with how many there were (this one included). `flush` logs what is still counted
    (at stop). `clock` is injectable so a test need not wait a minute."""

    def __init__(
        self,
        *,
        every: float = REFUSAL_SUMMARY_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.every = every
        self.clock = clock
        self._count = 0
        self._without_secret = 0
        self._logged_at: float | None = None

    def refused(self, *, secret_given: bool) -> None:
        self._count += 1
        self._without_secret += 0 if secret_given else 1
        now = self.clock()
        if self._logged_at is None or now - self._logged_at >= self.every:
            self._emit(now)

    def flush(self) -> None:
        if self._count:
            self._emit(self.clock())

    def _emit(self, now: float) -> None:
        since = None if self._logged_at is None else round(now - self._logged_at, 1)
        log_event(
            log,
            "webhook_forbidden",
            logging.WARNING,
            count=self._count,
            without_secret=self._without_secret,
            seconds_since_last_line=since,
        )
        self._count = 0
        self._without_secret = 0
        self._logged_at = now


class WebhookServer:
    def __init__(
        self,
        application: Application[Any, Any, Any, Any, Any, Any],
        bot: TelegramBot,
        *,
        secret: str,
        path: str = "/",
        listen: str = "127.0.0.1",
        port: int = 8080,
        max_body: int = 1_000_000,
        answer_in_response: bool = False,
    ) -> None:
        self.application = application
        self.answer_in_response = answer_in_response
        """Answer button taps in the response body instead of with a request of their own."""
        self.bot = bot
        self._secret = secret.encode()
        self.path = path
        self.listen = listen
        self.port = port
        self.max_body = max_body
        self._runner: web.AppRunner | None = None
        self.refusals = RefusalLog()

    def make_app(self) -> web.Application:
        app = web.Application(client_max_size=self.max_body)
        app.router.add_post(self.path, self.handle_update)
        app.router.add_get("/healthz", self.health)
        return app

    async def start(self) -> None:
        """Bind and serve; with port 0 the port chosen is in `self.port` afterwards."""
        self._runner = web.AppRunner(
            self.make_app(), access_log=None, handle_signals=False, shutdown_timeout=SHUTDOWN
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.listen, self.port)
        await site.start()
        server = site._server
        sockets = getattr(server, "sockets", None) or []
        if sockets:
            self.port = int(sockets[0].getsockname()[1])
        log_event(log, "webhook_listening", listen=self.listen, port=self.port, path=self.path)

    async def stop(self) -> None:
        """Stop accepting, let requests in hand finish (bounded), close."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        self.refusals.flush()

    async def health(self, request: web.Request) -> web.Response:
        return web.Response(text="ok\n")

    async def handle_update(self, request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, self._secret):
            self.refusals.refused(secret_given=bool(given))
            return web.Response(status=403, text="forbidden\n")
        if request.content_type != "application/json":
            log_event(log, "webhook_bad_content_type", logging.WARNING)
            return web.Response(status=415, text="unsupported media type\n")
        if request.content_length is not None and request.content_length > self.max_body:
            log_event(log, "webhook_too_large", logging.WARNING, size=request.content_length)
            return web.Response(status=413, text="too large\n")
        try:
            body = await request.read()
        except web.HTTPRequestEntityTooLarge:
            log_event(log, "webhook_too_large", logging.WARNING, size=None)
            return web.Response(status=413, text="too large\n")
        try:
            data = json.loads(body)
            if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
                raise ValueError("not an update")
            update = Update.de_json(data, self.application.bot)
        except Exception:  # malformed JSON or an object PTB cannot read
            log_event(log, "webhook_bad_request", logging.WARNING, size=len(body))
            return web.Response(status=400, text="bad request\n")
        if not valid_update_id(data["update_id"]):  # a bool, negative or >= 2^63: no store
            log_event(log, "update_dropped", logging.WARNING, reason="update_id_out_of_range")
            return web.Response(status=400, text="bad request\n")
        if not (self.answer_in_response and update.callback_query is not None):
            if await self.bot.process(self.application, update) is Outcome.UNAVAILABLE:
                return web.Response(status=503, text="temporarily unavailable\n")
            return web.Response(text="ok\n")
        reply, token = open_reply()
        try:
            outcome = await self.bot.process(self.application, update)
        finally:
            close_reply(token)
        if outcome is Outcome.UNAVAILABLE:
            if reply.body is not None:  # Telegram reads no body with a 503: answer it now
                await self._answer_now(reply.body)
            return web.Response(status=503, text="temporarily unavailable\n")
        if reply.body is not None:
            return web.json_response(reply.body)
        return web.Response(text="ok\n")

    async def _answer_now(self, body: dict[str, Any]) -> None:
        try:
            await self.application.bot.answer_callback_query(
                body["callback_query_id"], text=body.get("text")
            )
        except TelegramError as exc:
            log_event(log, "callback_answer_failed", logging.WARNING, error=type(exc).__name__)
