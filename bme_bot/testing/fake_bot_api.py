"""A fake Telegram Bot API server on 127.0.0.1: the one local test double for the Bot API.

The end-to-end tests (tests/telegram, tests/reliability) and the full-stack benchmark
(bench/loadgen.py) both drive the real python-telegram-bot stack against it. It lives in the
package, not in tests/ or bench/, so that neither imports the other; the bot never imports it.

It speaks enough of the Bot API for the bot (getMe, getUpdates, sendMessage, editMessageText,
editMessageReplyMarkup, answerCallbackQuery, sendChatAction, setMyCommands, setMyDescription,
setMyShortDescription, setWebhook, deleteWebhook), records every call with its parameters,
hands out queued updates through long polling, POSTs updates to a webhook like Telegram does
(and performs the one method a webhook may return as its response body), and can be told to
fail the next calls of a method (429 with retry_after, 5xx, 403, 400).

`api_delay` (seconds) holds every response that long before it is sent: a loopback round trip
costs nothing, a real one to Telegram tens of milliseconds, and that is what concurrency hides.
"""

from __future__ import annotations

import asyncio
import html
import itertools
import json
import re
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import ClientSession, web

JSON_PARAMS = {
    "reply_markup",
    "allowed_updates",
    "commands",
    "link_preview_options",
    "scope",
    "entities",
}
LONG_POLL_CAP = 0.5
"""The fake never holds a getUpdates longer than this, whatever timeout was asked."""
SHUTDOWN = 0.5
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name


@dataclass
class Call:
    """One Bot API call the fake received (or, with `via_reply`, a method a webhook returned
    in its response body)."""

    method: str
    params: dict[str, Any]
    status: int = 200
    at: float = field(default_factory=time.monotonic)
    via_reply: bool = False

    @property
    def chat_id(self) -> int | None:
        value = self.params.get("chat_id")
        return int(value) if value is not None else None

    @property
    def text(self) -> str:
        return str(self.params.get("text", ""))

    @property
    def buttons(self) -> list[tuple[str, str]]:
        markup = self.params.get("reply_markup") or {}
        rows = markup.get("inline_keyboard", []) if isinstance(markup, dict) else []
        return [(b["text"], b.get("callback_data", "")) for row in rows for b in row]


def plain(text: str) -> str:
    """What a Telegram client shows for an HTML message: tags gone, entities decoded."""
    return html.unescape(re.sub(r"<[^>]+>", "", text))


class _BadRequest(Exception):
    pass


Handler = Callable[[dict[str, Any]], Any]


class FakeBotApi:
    """The fake server. Start it with `await start()`; its Bot API base URL (for PTB's
    `base_url`) is returned and kept in `base_url`."""

    def __init__(
        self,
        token: str,
        *,
        username: str = "bme_test_bot",
        bot_id: int = 4242,
        api_delay: float = 0.0,
        long_poll_cap: float = LONG_POLL_CAP,
    ) -> None:
        self.token = token
        self.username = username
        self.bot_id = bot_id
        self.api_delay = api_delay
        """Seconds every response is held before it is sent (0: at once)."""
        self.long_poll_cap = long_poll_cap
        self.calls: list[Call] = []
        self.replies: list[Call] = []
        """Methods the bot returned in webhook responses (not in `calls`: no request made)."""
        self.updates: list[dict[str, Any]] = []
        self.failures: dict[str, deque[tuple[int, dict[str, Any]]]] = defaultdict(deque)
        self.chat_types: dict[int, str] = {}
        self.messages: dict[tuple[int, int], dict[str, Any]] = {}
        self.webhook_url = ""
        self.webhook_secret = ""
        self._update_ids = itertools.count(1000)
        self._message_ids = itertools.count(1)
        self._new_update = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self._closing = False
        self.base_url = ""
        self.port = 0

    # --- server -----------------------------------------------------------------------

    async def start(self, port: int = 0) -> str:
        app = web.Application(client_max_size=10_000_000)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(
            app, access_log=None, handle_signals=False, shutdown_timeout=SHUTDOWN
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port)
        await site.start()
        self.port = int(site._server.sockets[0].getsockname()[1])  # type: ignore[union-attr]
        self.base_url = f"http://127.0.0.1:{self.port}/bot"
        return self.base_url

    async def stop(self) -> None:
        self._closing = True
        self._new_update.set()
        if self._runner is not None:
            await self._runner.cleanup()

    async def _params(self, request: web.Request) -> dict[str, Any]:
        if request.content_type == "application/json":
            data = await request.json()
            return dict(data) if isinstance(data, dict) else {}
        if request.can_read_body:
            form = await request.post()
            params: dict[str, Any] = {}
            for key, value in form.items():
                text = value if isinstance(value, str) else ""
                if key in JSON_PARAMS:
                    try:
                        params[key] = json.loads(text)
                        continue
                    except ValueError:
                        pass
                params[key] = text
            return params
        return dict(request.query)

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return _error(401, "Unauthorized")
        method = request.match_info["method"]
        params = await self._params(request)
        if self.api_delay > 0:
            await asyncio.sleep(self.api_delay)
        if method != "getUpdates" and self.failures.get(method):
            status, body = self.failures[method].popleft()
            self.calls.append(Call(method, params, status))
            return web.json_response(body, status=status)
        self.calls.append(Call(method, params))
        return _ok(await self._perform(method, params))

    async def _perform(self, method: str, params: dict[str, Any]) -> Any:
        handler: Handler | None = getattr(self, f"_api_{method}", None)
        if handler is None:
            if method.startswith(("set", "delete", "send")):
                return True
            return _BadRequest("Not Found: method not found")
        return await handler(params)

    # --- methods ----------------------------------------------------------------------

    async def _api_getMe(self, params: dict[str, Any]) -> Any:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": "BME test",
            "username": self.username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    async def _api_getUpdates(self, params: dict[str, Any]) -> Any:
        offset = int(params.get("offset") or 0)
        if offset:
            self.updates = [u for u in self.updates if u["update_id"] >= offset]
        deadline = time.monotonic() + min(float(params.get("timeout") or 0), self.long_poll_cap)
        while not self.updates and not self._closing and time.monotonic() < deadline:
            self._new_update.clear()
            try:
                await asyncio.wait_for(self._new_update.wait(), deadline - time.monotonic())
            except TimeoutError:
                break
        limit = int(params.get("limit") or 100)
        return self.updates[:limit]

    async def _api_setWebhook(self, params: dict[str, Any]) -> Any:
        self.webhook_url = str(params.get("url", ""))
        self.webhook_secret = str(params.get("secret_token") or "")
        return True

    async def _api_deleteWebhook(self, params: dict[str, Any]) -> Any:
        self.webhook_url = ""
        return True

    async def _api_sendMessage(self, params: dict[str, Any]) -> Any:
        chat_id = int(params["chat_id"])
        message = self._message(chat_id, next(self._message_ids), params)
        self.messages[(chat_id, message["message_id"])] = message
        self.on_sent(chat_id, message)
        return message

    def on_sent(self, chat_id: int, message: dict[str, Any]) -> None:
        """Called after each sendMessage (a hook for simulated people; nothing here)."""

    async def _api_editMessageText(self, params: dict[str, Any]) -> Any:
        chat_id = int(params["chat_id"])
        message_id = int(params["message_id"])
        if (chat_id, message_id) not in self.messages:
            return _BadRequest("Bad Request: message to edit not found")
        message = self._message(chat_id, message_id, params)
        self.messages[(chat_id, message_id)] = message
        return message

    async def _api_editMessageReplyMarkup(self, params: dict[str, Any]) -> Any:
        chat_id = int(params["chat_id"])
        message_id = int(params["message_id"])
        old = self.messages.get((chat_id, message_id))
        if old is None:
            return _BadRequest("Bad Request: message to edit not found")
        markup = params.get("reply_markup")
        if (markup or None) == old.get("reply_markup"):
            return _BadRequest("Bad Request: message is not modified")
        message = {k: v for k, v in old.items() if k != "reply_markup"}
        if isinstance(markup, dict) and markup.get("inline_keyboard"):
            message["reply_markup"] = markup
        self.messages[(chat_id, message_id)] = message
        return message

    async def _api_answerCallbackQuery(self, params: dict[str, Any]) -> Any:
        return True

    def _message(self, chat_id: int, message_id: int, params: dict[str, Any]) -> dict[str, Any]:
        message: dict[str, Any] = {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": self._chat(chat_id),
            "from": {"id": self.bot_id, "is_bot": True, "first_name": "BME test"},
            "text": plain(str(params.get("text", ""))),
        }
        markup = params.get("reply_markup")
        if isinstance(markup, dict) and markup.get("inline_keyboard"):
            message["reply_markup"] = markup
        return message

    def _chat(self, chat_id: int) -> dict[str, Any]:
        kind = self.chat_types.get(chat_id, "private")
        if kind == "private":
            return {"id": chat_id, "type": "private", "first_name": "Pat"}
        return {"id": chat_id, "type": kind, "title": "A group"}

    # --- failures ---------------------------------------------------------------------

    def fail(
        self,
        method: str,
        status: int,
        *,
        times: int = 1,
        retry_after: int | None = None,
        description: str = "failed on purpose",
    ) -> None:
        body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
        if retry_after is not None:
            body["parameters"] = {"retry_after": retry_after}
        for _ in range(times):
            self.failures[method].append((status, body))

    # --- updates ----------------------------------------------------------------------

    def user(self, user_id: int) -> dict[str, Any]:
        return {"id": user_id, "is_bot": False, "first_name": "Pat", "language_code": "en"}

    def make_message(
        self, chat_id: int, text: str | None = None, *, chat_type: str = "private", **extra: Any
    ) -> dict[str, Any]:
        self.chat_types[chat_id] = chat_type
        message: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": self._chat(chat_id),
            **extra,
        }
        if chat_type != "channel":
            message["from"] = self.user(abs(chat_id) if chat_type == "private" else 77)
        if text is not None:
            message["text"] = text
            if text.startswith("/"):
                word = text.split()[0]
                message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(word)}]
        return message

    def update(self, **payload: Any) -> dict[str, Any]:
        """A whole update with a fresh update_id (not queued)."""
        return {"update_id": next(self._update_ids), **payload}

    def push(self, update: dict[str, Any]) -> int:
        """Queue an update for getUpdates; returns its update_id."""
        self.updates.append(update)
        self._new_update.set()
        return int(update["update_id"])

    def text(self, chat_id: int, text: str, *, chat_type: str = "private") -> dict[str, Any]:
        return self.update(message=self.make_message(chat_id, text, chat_type=chat_type))

    def tap(self, chat_id: int, message_id: int, data: str) -> dict[str, Any]:
        message = self.messages.get((chat_id, message_id)) or {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": self._chat(chat_id),
            "text": "?",
        }
        return self.update(
            callback_query={
                "id": str(next(self._update_ids)),
                "from": self.user(abs(chat_id)),
                "chat_instance": f"ci{chat_id}",
                "message": message,
                "data": data,
            }
        )

    # --- webhook delivery ---------------------------------------------------------------

    async def deliver(
        self, update: dict[str, Any], http: ClientSession, url: str | None = None
    ) -> int:
        """POST one update to the webhook set with setWebhook (or to `url`, where the bot
        listens behind its public address), as Telegram does, the secret header set; perform
        the method the response body may carry, as Telegram does: recorded in `replies`, not
        in `calls`. Returns the HTTP status."""
        headers = {SECRET_HEADER: self.webhook_secret} if self.webhook_secret else {}
        async with http.post(url or self.webhook_url, json=update, headers=headers) as response:
            body = await response.read()
            status = response.status
        if status == 200 and body:
            await self.perform_reply(body)
        return status

    async def perform_reply(self, body: bytes) -> Call | None:
        """A webhook response body: `{"method": ..., params}` is performed; anything else
        (plain "ok") is ignored, as Telegram ignores it."""
        try:
            data = json.loads(body)
        except ValueError:
            return None
        if not isinstance(data, dict) or not isinstance(data.get("method"), str):
            return None
        params = {k: v for k, v in data.items() if k != "method"}
        call = Call(data["method"], params, via_reply=True)
        self.replies.append(call)
        await self._perform(call.method, params)
        return call

    # --- reading what the bot did ------------------------------------------------------

    def of(self, method: str, chat_id: int | None = None, *, ok: bool = True) -> list[Call]:
        return [
            c
            for c in self.calls
            if c.method == method
            and (chat_id is None or c.chat_id == chat_id)
            and (not ok or c.status == 200)
        ]

    def sent(self, chat_id: int) -> list[Call]:
        return self.of("sendMessage", chat_id)

    def last_message(self, chat_id: int) -> tuple[int, Call]:
        """The last message sent to a chat: its message id and the call."""
        ids = [mid for (cid, mid) in self.messages if cid == chat_id]
        calls = self.sent(chat_id)
        assert ids and calls, f"nothing sent to {chat_id}"
        return max(ids), calls[-1]

    async def wait_for(self, predicate: Callable[[], bool], within: float = 5.0) -> None:
        deadline = time.monotonic() + within
        while not predicate():
            if time.monotonic() > deadline:
                methods = [(c.method, c.status) for c in self.calls[-15:]]
                raise AssertionError(f"timed out; last calls: {methods}")
            await asyncio.sleep(0.01)


def _ok(result: Any) -> web.Response:
    if isinstance(result, _BadRequest):
        status = 404 if str(result).startswith("Not Found") else 400
        return _error(status, str(result))
    return web.json_response({"ok": True, "result": result})


def _error(status: int, description: str) -> web.Response:
    return web.json_response(
        {"ok": False, "error_code": status, "description": description}, status=status
    )
