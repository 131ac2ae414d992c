"""The Telegram side of the attacks: the real PTB stack against the fake Bot API of
tests/telegram (imported, not modified), extended here with outages, dropped connections,
slow calls and canary user names; a store that counts and can disappear; an HTML checker.
"""

from __future__ import annotations

import asyncio
import dataclasses
import html
import html.parser
import io
import json
import os
import socket
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web
from fake_bot_api import Call, FakeBotApi
from telegram import Update
from telegram.ext import TypeHandler

from bme_bot.adapters.telegram.runtime import TelegramRuntime
from bme_bot.adapters.telegram.settings import TelegramSettings
from bme_bot.config import Secret
from bme_bot.core.engine import Engine
from bme_bot.core.flow import Outcome
from bme_bot.logs import setup_logging, teardown_logging
from bme_bot.service import Service
from bme_bot.storage.base import Stored, StoreError
from bme_bot.storage.memory import MemoryStore

TOKEN = "987654321:AAreliabilityTOKEN_abcdefghijklmnop-XYZ"
WEBHOOK_SECRET = "rel-hook_SECRET-9f8e7d6c5b4a"
CANARY_FIRST_NAME = "Zebulon-Canary"
CANARY_USERNAME = "zeb_canary_user"
ROOT = Path(__file__).resolve().parents[2]
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"

HAS_CHAT_LIMITS = "chat_rate" in {f.name for f in dataclasses.fields(TelegramSettings)}
"""Whether the adapter has the per-chat incoming limit (see test_flood.py)."""
CHAT_LIMIT_OFF = {"TELEGRAM_CHAT_RATE": "0"}
"""For bot processes driven at machine speed (ignored by an adapter without the limit)."""

ALLOWED_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre"}
ALLOWED_TAGS |= {"tg-spoiler", "blockquote", "span"}


@dataclass
class Window:
    """Between `start` and `end` (monotonic), calls to `methods` (all if empty) fail: `mode` is
    an HTTP status (500, 502, 429...) or 'drop' (connection closed, no response) or 'lost'
    (processed, then the connection is closed: the reply is lost after the fact)."""

    start: float
    end: float
    mode: int | str
    methods: frozenset[str] = frozenset()
    retry_after: int = 1


class AttackApi(FakeBotApi):
    """The fake Bot API plus outages, dropped connections, slow sends and canary users."""

    def __init__(self, token: str = TOKEN, **kwargs: Any) -> None:
        super().__init__(token, **kwargs)
        self.windows: list[Window] = []
        self.send_delay = 0.0
        self.failed: Counter[str] = Counter()

    def outage(
        self,
        seconds: float,
        mode: int | str,
        methods: tuple[str, ...] = (),
        *,
        after: float = 0.0,
        retry_after: int = 1,
    ) -> Window:
        now = time.monotonic() + after
        window = Window(now, now + seconds, mode, frozenset(methods), retry_after)
        self.windows.append(window)
        return window

    def _failing(self, method: str) -> Window | None:
        now = time.monotonic()
        for window in self.windows:
            if window.start <= now < window.end and (
                not window.methods or method in window.methods
            ):
                return window
        return None

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        window = self._failing(method)
        if window is not None and window.mode != "lost":
            self.failed[f"{method}:{window.mode}"] += 1
            if window.mode == "drop":
                await request.read()
                return _hang_up(request)
            body: dict[str, Any] = {
                "ok": False,
                "error_code": window.mode,
                "description": "failing on purpose",
            }
            if window.mode == 429:
                body["parameters"] = {"retry_after": window.retry_after}
            return web.json_response(body, status=int(window.mode))
        if method == "sendMessage" and self.send_delay:
            await asyncio.sleep(self.send_delay)
        response = await super()._handle(request)
        if window is not None and window.mode == "lost":
            self.failed[f"{method}:lost"] += 1
            return _hang_up(request)
        return response

    def user(self, user_id: int) -> dict[str, Any]:
        return {
            "id": user_id,
            "is_bot": False,
            "first_name": CANARY_FIRST_NAME,
            "username": CANARY_USERNAME,
            "language_code": "en",
        }

    def all_sent_texts(self) -> list[str]:
        return [c.text for c in self.calls if c.method in ("sendMessage", "editMessageText")]


def _hang_up(request: web.Request) -> web.Response:
    """Close the connection without an answer (the client sees a dropped connection)."""
    assert request.transport is not None
    request.transport.close()
    return web.Response(status=500)  # never reaches the client


class CountingStore(MemoryStore):
    """A memory store that counts saves per update id and can be switched off entirely."""

    def __init__(self) -> None:
        super().__init__()
        self.down = False
        self.explode: str | None = None
        """If set, load raises RuntimeError with this text (a bug, not an outage)."""
        self.saved_updates: Counter[int] = Counter()
        self.saves_by_chat: Counter[str] = Counter()

    def _check(self) -> None:
        if self.down:
            raise StoreError("store down (test)")

    async def load(self, chat: str) -> Stored | None:
        self._check()
        if self.explode is not None:
            raise RuntimeError(self.explode)
        return await super().load(chat)

    async def seen(self, update_id: int) -> bool:
        self._check()
        return await super().seen(update_id)

    async def save(self, chat: str, data: dict[str, Any], **kwargs: Any) -> int:
        self._check()
        version = await super().save(chat, data, **kwargs)
        update_id = kwargs.get("update_id")
        if update_id is not None:
            self.saved_updates[update_id] += 1
        self.saves_by_chat[chat] += 1
        return version

    async def delete(self, chat: str, *, update_id: int | None = None) -> bool:
        self._check()
        erased = await super().delete(chat, update_id=update_id)
        if update_id is not None:
            self.saved_updates[update_id] += 1
        return erased


@dataclass
class Bot:
    """A running bot: the fake API, the runtime, its store and the captured logs."""

    fake: AttackApi
    runtime: TelegramRuntime
    store: Any
    logs: io.StringIO
    done: set[int] = field(default_factory=set)

    async def processed(self, update_id: int, within: float = 10.0) -> None:
        deadline = time.monotonic() + within
        while update_id not in self.done:
            assert time.monotonic() < deadline, f"update {update_id} not processed in time"
            await asyncio.sleep(0.005)

    async def send(self, update: dict[str, Any], within: float = 10.0) -> int:
        update_id = self.fake.push(update)
        await self.processed(update_id, within)
        return update_id

    async def session(self, chat_id: int) -> dict[str, Any] | None:
        was_down = getattr(self.store, "down", False)
        if was_down:
            self.store.down = False
        try:
            stored = await self.store.load(f"tg:{chat_id}")
        finally:
            if was_down:
                self.store.down = True
        return stored.data if stored else None

    @property
    def port(self) -> int:
        assert self.runtime.webhook is not None
        return self.runtime.webhook.port

    def log_lines(self) -> list[str]:
        return [line for line in self.logs.getvalue().splitlines() if line.strip()]


@asynccontextmanager
async def running_bot(
    engine: Engine,
    *,
    webhook: bool = False,
    store: Any = None,
    api: AttackApi | None = None,
    backoff: float = 0.05,
    read_timeout: float = 5.0,
    max_body: int = 64 * 1024,
    prepare: Callable[[TelegramRuntime], None] | None = None,
    chat_limits: bool = False,
) -> AsyncIterator[Bot]:
    """Start the real adapter (polling, or webhook on 127.0.0.1) with logs captured at DEBUG
    through the bot's own logging setup; stop it (within 10 s) and check the secrets never
    reached the logs. Tests drive chats at machine speed, so a per-chat incoming limit (once
    the adapter has one: `TelegramSettings.chat_rate`) and the per-chat send pacing are off
    unless `chat_limits`."""
    fake = api or AttackApi()
    base_url = await fake.start()
    logs = io.StringIO()
    setup_logging("DEBUG", [TOKEN, WEBHOOK_SECRET], stream=logs)
    tg = TelegramSettings(
        token=Secret(TOKEN),
        api_base_url=base_url,
        webhook_url="https://bot.example.org/hook" if webhook else None,
        webhook_secret=Secret(WEBHOOK_SECRET) if webhook else None,
        webhook_listen="127.0.0.1",
        webhook_port=0,
        webhook_path="/hook",
        webhook_max_body=max_body,
        # machine speed: no incoming limit and no per-chat send pacing (notices over a send
        # limit are dropped, by design) unless the test is about limits
        **({} if chat_limits or not HAS_CHAT_LIMITS else {"chat_rate": 0, "send_rate": 0}),
    )
    store = store if store is not None else CountingStore()
    runtime = TelegramRuntime(
        tg, Service(engine, store), poll_timeout=1, backoff=backoff, read_timeout=read_timeout
    )
    if prepare is not None:
        prepare(runtime)
    bot = Bot(fake, runtime, store, logs)

    async def mark(update: Update, context: Any) -> None:
        bot.done.add(update.update_id)

    runtime.application.add_handler(TypeHandler(Update, mark), group=99)
    try:
        await runtime.start()
        yield bot
    finally:
        began = time.monotonic()
        try:
            await runtime.stop()
        finally:
            await fake.stop()
            teardown_logging()
        assert time.monotonic() - began < 10, "stopping took too long"
        text = logs.getvalue()
        assert TOKEN not in text and TOKEN.split(":")[1] not in text
        assert WEBHOOK_SECRET not in text


# --- reading what the bot sent ------------------------------------------------------------


def question_of(call: Call) -> tuple[str, int] | None:
    """(question, turn) a message's buttons are bound to, or None for other messages: answer
    buttons `q|QID|TURN|OPTION` (a checklist's Done and None of these too) and a checklist's
    toggles `t|QID|TURN|FACT`."""
    for _, data in call.buttons:
        parts = data.split("|")
        if len(parts) == 4 and parts[0] in ("q", "t"):
            return parts[1], int(parts[2])
    return None


def button(call: Call, option_id: str) -> str:
    return next(d for _, d in call.buttons if d.split("|")[-1] == option_id)


def last_question(fake: FakeBotApi, chat_id: int) -> tuple[int, Call]:
    """The newest message to a chat with question buttons: (message id, the call)."""
    for call in reversed(fake.sent(chat_id)):
        if question_of(call) is not None:
            ids = [
                mid
                for (cid, mid), message in fake.messages.items()
                if cid == chat_id and message.get("reply_markup") == call.params.get("reply_markup")
            ]
            return max(ids), call
    raise AssertionError(f"no question sent to {chat_id}")


REASK = "Sorry, I didn't catch that"


def advice_messages(fake: FakeBotApi, chat_id: int, outcome: Outcome) -> list[Call]:
    """Messages to a chat that give an outcome's advice (they carry its reason)."""
    reason = html.escape(outcome.reason, quote=False)
    return [c for c in fake.sent(chat_id) if reason in c.text]


def duplicate_questions(fake: FakeBotApi, chat_id: int) -> list[tuple[str, int]]:
    """Question messages (question, turn) sent more than once to a chat (re-asks, which
    repeat the question on purpose, aside; a question message opens with its progress line,
    so a re-ask is told by its words, not by how it starts)."""
    counts = Counter(
        q
        for q in (question_of(c) for c in fake.sent(chat_id) if REASK not in c.text)
        if q is not None
    )
    return [q for q, n in counts.items() if n > 1]


class _TelegramHtml(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.stack: list[str] = []
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ALLOWED_TAGS:
            self.problems.append(f"tag <{tag}>")
        if tag == "a" and [k for k, _ in attrs] != ["href"]:
            self.problems.append(f"<a> attributes {attrs}")
        if tag != "a" and attrs:
            self.problems.append(f"<{tag}> with attributes {attrs}")
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.problems.append(f"unbalanced </{tag}>")
        else:
            self.stack.pop()

    def handle_entityref(self, name: str) -> None:
        if name not in ("lt", "gt", "amp", "quot"):
            self.problems.append(f"entity &{name};")


def html_problems(text: str) -> list[str]:
    """What Telegram's HTML parse mode would refuse or misread in a message (empty: fine)."""
    parser = _TelegramHtml()
    parser.feed(text)
    parser.close()
    problems = parser.problems + [f"unclosed <{t}>" for t in parser.stack]
    if len(text) > 4096:
        problems.append(f"{len(text)} characters")
    return problems


# --- processes and ports -----------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def bot_process_env(**extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TELEGRAM_", "WEBHOOK_", "STORE_", "BME_", "LOG_"))
    }
    env.update(
        {"LOG_LEVEL": "DEBUG", "PYTHONUNBUFFERED": "1", "TELEGRAM_BOT_TOKEN": TOKEN, **extra}
    )
    return env


def json_lines(text: str) -> list[dict[str, Any]]:
    """The structured log lines of a process's stderr (anything else is kept as 'raw')."""
    out = []
    for line in text.splitlines():
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except ValueError:
            item = {"raw": line}
        out.append(item if isinstance(item, dict) else {"raw": line})
    return out
