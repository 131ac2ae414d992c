"""Telegram updates -> engine events -> rendered replies.

The adapter holds no conversation state: sessions live in the service's store. What it keeps
in memory is only a convenience that may be lost at any time (a restart, another replica):
the last question message sent to each chat, so that a typed answer can take the buttons off
it, and the chats that blocked the bot.

Ordering: PTB runs updates concurrently (`concurrent_updates`); a per-chat lock here, taken
before the service's own, keeps one chat's updates and their replies in arrival order while
different chats proceed side by side.
"""

from __future__ import annotations

import asyncio
import logging
import time
import traceback
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from contextlib import suppress
from dataclasses import dataclass
from typing import Any, Final, TypeVar

from telegram import (
    Bot,
    CallbackQuery,
    InlineKeyboardMarkup,
    Message,
    Update,
)
from telegram.constants import ChatAction, ChatType, ParseMode
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    TypeHandler,
    filters,
)

from bme_bot.core.callbacks import parse_payload
from bme_bot.core.events import Answer, Event, Text, parse_command
from bme_bot.core.replies import Reply
from bme_bot.core.session import Session
from bme_bot.logs import hash_chat, log_event
from bme_bot.service import UNAVAILABLE_TEXT, Service, ServiceUnavailable
from bme_bot.storage.base import KeyedLocks, StoreError

from .rendering import answered, escape, keyboard, render_chunks
from .settings import UPDATES_IN_FLIGHT

log = logging.getLogger("bme_bot.telegram")

T = TypeVar("T")

MOVED_ON: Final = "This question has moved on."
UNAVAILABLE: Final = UNAVAILABLE_TEXT
UNAVAILABLE_RETRYING: Final = (
    "Sorry, I can't save answers for a moment. I'll carry on by myself as soon as I can, "
    "so there is no need to send it again."
)
"""Webhook mode: Telegram delivers the update again, so the person must not resend it."""
FLOOD_NOTICE: Final = (
    "You're sending messages faster than I can read them. I'll answer again in a few seconds."
)
CHAT_RATE: Final = 1.0
"""Updates a second a chat may send, sustained (after a burst of CHAT_BURST); 0: no limit."""
CHAT_BURST: Final = 10
SOMETHING_WRONG: Final = "Sorry, something went wrong on my side. Please try again."
EDITED: Final = (
    "I can't act on edited messages. Please send your answer as a new message, or tap a button."
)
PRIVATE_ONLY: Final = (
    "I only talk one to one, so that nothing about your health is shared in a group. "
    "Talk to me privately: {link}"
)
NON_TEXT: Final = (
    "Thanks, but I can't read {what}. I understand text and button taps: tap one of the "
    "buttons above, type your answer, or send /help."
)
LONG_CONTENT: Final = 600
"""Replies longer than this get a typing indicator first."""

MENU_KINDS: Final = ("topic", "region")
MENU_WORDS: Final = ("why", "restart", "topics")

ALLOWED_UPDATES: Final = [
    "message",
    "edited_message",
    "channel_post",
    "edited_channel_post",
    "callback_query",
]

COMMANDS: Final = (
    ("start", "Start the questions"),
    ("help", "What this bot does and how to use it"),
    ("restart", "Forget the answers and start over"),
    ("back", "Undo the last answer"),
    ("why", "Why this advice?"),
    ("topics", "Read about bone marrow edema"),
    ("region", "Set your region (emergency number)"),
    ("privacy", "What is stored, for how long, how to erase it"),
    ("forget", "Erase everything stored about this chat"),
)

DESCRIPTION: Final = (
    "Education about bone marrow edema and pain in the hip, knee, ankle or foot. A few questions "
    "tell you how soon to see a clinician, with the emergency number for your region. It never "
    "diagnoses. Nothing you type is stored; /privacy explains what is, /forget erases it."
)
SHORT_DESCRIPTION: Final = (
    "Hip, knee, ankle or foot pain? How soon to be seen, and what bone marrow edema is. "
    "Not a diagnosis."
)


def chat_key(chat_id: int) -> str:
    return f"tg:{chat_id}"


def is_menu_answer(answer: Answer) -> bool:
    """A menu payload we could have sent: topics, regions, why, restart (else it is forged)."""
    kind, _, value = answer.option_id.partition(":")
    return (kind in MENU_KINDS and bool(value)) or answer.option_id in MENU_WORDS


@dataclass
class _Asked:
    """The last question message sent to a chat: enough to take its buttons off later."""

    message_id: int
    question: str
    turn: int
    html: str
    asks: str | None
    labels: dict[str, str]


class _ChatBudget:
    """A token bucket per chat: `burst` updates at once, then `rate` a second.

    `take` says "ok", "notice" (over the limit, first time in this flood: say so once) or
    "drop" (over the limit, already told). The notice is re-armed once the bucket is full
    again. At most `max_chats` buckets are kept (the oldest are forgotten: they were full).
    """

    def __init__(
        self,
        rate: float,
        burst: int,
        clock: Callable[[], float] = time.monotonic,
        max_chats: int = 10_000,
    ) -> None:
        self.rate = rate
        self.burst = burst
        self.clock = clock
        self.max_chats = max_chats
        self._buckets: OrderedDict[int, tuple[float, float, bool]] = OrderedDict()

    def take(self, chat_id: int) -> str:
        now = self.clock()
        tokens, last, told = self._buckets.pop(chat_id, (float(self.burst), now, False))
        tokens = min(float(self.burst), tokens + (now - last) * self.rate)
        if tokens >= self.burst:
            told = False
        if tokens >= 1.0:
            verdict, tokens = "ok", tokens - 1.0
        elif told:
            verdict = "drop"
        else:
            verdict, told = "notice", True
        self._buckets[chat_id] = (tokens, now, told)
        while len(self._buckets) > self.max_chats:
            self._buckets.popitem(last=False)
        return verdict


class ChatInactive(Exception):
    """The chat blocked the bot (403): stop sending to it."""


class TelegramBot:
    """The adapter: PTB handlers that turn updates into events and replies into messages."""

    MAX_REMEMBERED = 10_000

    def __init__(
        self,
        service: Service,
        *,
        chat_rate: float = CHAT_RATE,
        chat_burst: int = CHAT_BURST,
        updates_in_flight: int = UPDATES_IN_FLIGHT,
    ) -> None:
        self.service = service
        self.username = "this_bot"
        self.unavailable_updates: set[int] = set()
        """Update ids that met an unavailable store: the webhook answers them with 503."""
        self.track_unavailable = False
        """Set by the webhook server, which reads and clears `unavailable_updates`."""
        self.inactive: set[int] = set()
        self._locks: KeyedLocks[int] = KeyedLocks()
        self._asked: OrderedDict[int, _Asked] = OrderedDict()
        self._notified: OrderedDict[int, None] = OrderedDict()
        self._budget = _ChatBudget(chat_rate, chat_burst) if chat_rate > 0 else None
        self.updates_in_flight = updates_in_flight
        self._in_flight = asyncio.Semaphore(updates_in_flight)

    async def process(
        self, application: Application[Any, Any, Any, Any, Any, Any], update: Update
    ) -> None:
        """Handle one update, at most `updates_in_flight` at once (polling and webhook alike):
        hundreds in flight over one connection pool halve throughput (docs/PERFORMANCE.md)."""
        async with self._in_flight:
            await application.process_update(update)

    # --- wiring ---------------------------------------------------------------------------

    def register(self, application: Application[Any, Any, Any, Any, Any, Any]) -> None:
        """Add the handlers and the error handler to a PTB Application."""
        private = filters.ChatType.PRIVATE
        groups = filters.ChatType.GROUPS | filters.ChatType.CHANNEL
        application.add_handler(CallbackQueryHandler(self.on_callback))
        application.add_handler(MessageHandler(filters.UpdateType.EDITED & private, self.on_edited))
        application.add_handler(
            MessageHandler(filters.UpdateType.MESSAGE & private & filters.TEXT, self.on_text)
        )
        application.add_handler(MessageHandler(filters.UpdateType.MESSAGE & private, self.on_other))
        application.add_handler(MessageHandler(groups, self.on_group))
        application.add_handler(TypeHandler(Update, self.on_unhandled))
        application.add_error_handler(self.on_error)

    @property
    def deep_link(self) -> str:
        return f"https://t.me/{self.username}?start=go"

    # --- handlers -------------------------------------------------------------------------

    async def on_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Pass typed text (answers, numbers, commands) to the engine."""
        message = update.message
        if message is None or message.text is None:
            return
        if not await self._admit(context.bot, message.chat_id):
            return
        event = parse_command(message.text) or Text(message.text)
        kind = "command" if message.text.lstrip().startswith("/") else "text"
        await self._converse(context.bot, message.chat_id, event, update.update_id, kind)

    async def on_callback(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Answer a button tap; a stale or forged one changes nothing."""
        query = update.callback_query
        if query is None:
            return
        chat = update.effective_chat
        if chat is None or chat.type != ChatType.PRIVATE:
            await self._answer_query(query, PRIVATE_ONLY.format(link=self.deep_link))
            return
        if not await self._admit(context.bot, chat.id, query):
            return
        answer = parse_payload(query.data or "")
        if answer is None or (
            isinstance(answer, Answer) and answer.question is None and not is_menu_answer(answer)
        ):
            log_event(log, "callback_forged", chat=hash_chat(chat.id))
            await self._answer_query(query, MOVED_ON)
            return
        await self._converse(
            context.bot, chat.id, answer, update.update_id, "callback", query=query
        )

    async def on_edited(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Say that edits are not acted on."""
        message = update.edited_message
        if message is not None:
            log_event(log, "edited_message", chat=hash_chat(message.chat_id))
            await self._send_plain(context.bot, message.chat_id, EDITED)

    async def on_other(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Say kindly what the bot understands when it gets a photo, sticker, voice..."""
        message = update.message
        if message is None:
            return
        what = describe(message)
        if what is None:  # service messages (pins, title changes...): nothing to say
            log_event(log, "update_ignored", kind="service_message")
            return
        log_event(log, "non_text_message", chat=hash_chat(message.chat_id), what=what)
        await self._send_plain(context.bot, message.chat_id, NON_TEXT.format(what=what))

    async def on_group(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """In groups and channels: no triage, nothing stored, an invitation to talk privately."""
        message = update.effective_message
        chat = update.effective_chat
        if message is None or chat is None:
            return
        if update.edited_message is not None or update.edited_channel_post is not None:
            return
        if not self._addressed(message, context.bot):
            log_event(log, "group_message_ignored", chat=hash_chat(chat.id))
            return
        log_event(log, "group_redirect", chat=hash_chat(chat.id), chat_type=chat.type)
        await self._send_plain(context.bot, chat.id, PRIVATE_ONLY.format(link=self.deep_link))

    async def on_unhandled(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Log update kinds the bot does not act on (polls, member changes...)."""
        log_event(log, "update_ignored", kind=_update_kind(update))

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Log any error a handler raised and keep the bot alive."""
        error = context.error
        chat = update.effective_chat if isinstance(update, Update) else None
        log_event(
            log,
            "handler_error",
            logging.ERROR,
            error=type(error).__name__,
            chat=hash_chat(chat.id) if chat else None,
            update_kind=_update_kind(update) if isinstance(update, Update) else None,
        )
        if error is not None and log.isEnabledFor(logging.DEBUG):
            # frames only: an exception's message might quote what a person typed
            frames = "".join(traceback.format_tb(error.__traceback__))
            log_event(log, "handler_error_frames", logging.DEBUG, frames=frames[-4000:])
        if (
            chat is not None
            and chat.type == ChatType.PRIVATE
            and not isinstance(error, TelegramError)
            and chat.id not in self.inactive
        ):
            with suppress(Exception):
                await self._send_plain(context.bot, chat.id, SOMETHING_WRONG)

    async def _admit(self, bot: Bot, chat_id: int, query: CallbackQuery | None = None) -> bool:
        """Whether this chat is within its budget; over it, one polite notice per flood."""
        verdict = self._budget.take(chat_id) if self._budget is not None else "ok"
        if verdict == "ok":
            return True
        log_event(log, "chat_flood", logging.WARNING, chat=hash_chat(chat_id), verdict=verdict)
        if query is not None:
            await self._answer_query(query)
        if verdict == "notice":
            await self._send_plain(bot, chat_id, FLOOD_NOTICE)
        return False

    # --- the conversation -----------------------------------------------------------------

    async def _converse(
        self,
        bot: Bot,
        chat_id: int,
        event: Event,
        update_id: int,
        kind: str,
        *,
        query: CallbackQuery | None = None,
    ) -> None:
        started = time.perf_counter()
        chat = hash_chat(chat_id)
        async with self._locks.hold(chat_id):
            self.inactive.discard(chat_id)  # they wrote to us: not blocked any more
            try:
                turn = await self.service.handle(chat_key(chat_id), event, update_id=update_id)
            except (ServiceUnavailable, StoreError) as exc:
                log_event(
                    log, "service_unavailable", logging.ERROR, chat=chat, error=type(exc).__name__
                )
                text = UNAVAILABLE
                if self.track_unavailable:
                    self.unavailable_updates.add(update_id)
                    text = UNAVAILABLE_RETRYING
                    if update_id in self._notified:
                        return  # a re-delivery: said once already
                    self._notified[update_id] = None
                    while len(self._notified) > self.MAX_REMEMBERED:
                        self._notified.popitem(last=False)
                if query is not None:
                    await self._answer_query(query, text)
                await self._send_plain(bot, chat_id, text)
                return
            if turn.duplicate:
                log_event(log, "update_duplicate", chat=chat, kind=kind)
                if query is not None:
                    await self._answer_query(query)
                return
            replies = [r for r in turn.replies if r.kind != "stale"]
            if query is not None:
                if turn.replies and not replies:
                    log_event(log, "callback_stale", chat=chat)
                    await self._answer_query(query, MOVED_ON)
                    return
                await self._answer_query(query)
            try:
                await self._mark_answered(bot, chat_id, event, turn.session, query)
                await self._send_replies(bot, chat_id, replies)
            except ChatInactive:
                return
            log_event(
                log,
                "update_handled",
                chat=chat,
                kind=kind,
                replies=[r.kind for r in replies],
                ms=round((time.perf_counter() - started) * 1000, 1),
            )

    async def _mark_answered(
        self,
        bot: Bot,
        chat_id: int,
        event: Event,
        session: Session | None,
        query: CallbackQuery | None,
    ) -> None:
        """Once a question is answered, edit its message: the choice shown, buttons gone."""
        turn_now = session.turn if session is not None else None
        if session is None:
            self._asked.pop(chat_id, None)
        edited: int | None = None
        if (
            query is not None
            and isinstance(event, Answer)
            and event.question is not None
            and turn_now != event.turn
            and isinstance(query.message, Message)
        ):
            message = query.message
            asked = self._asked.get(chat_id)
            html = asked.html if asked and asked.message_id == message.message_id else None
            label = _button_label(message.reply_markup, query.data or "")
            if label is not None:
                await self._edit(bot, chat_id, message.message_id, html or message.text_html, label)
                edited = message.message_id
        asked = self._asked.get(chat_id)
        if asked is None or session is None or turn_now == asked.turn:
            return
        self._asked.pop(chat_id, None)
        if asked.message_id == edited:
            return
        chosen = None
        if asked.asks and session.history and session.history[-1] == asked.question:
            chosen = session.facts.get(asked.asks)
        label = asked.labels.get(chosen) if chosen is not None else None
        await self._edit(bot, chat_id, asked.message_id, asked.html, label)

    async def _edit(
        self, bot: Bot, chat_id: int, message_id: int, html: str, label: str | None
    ) -> None:
        text = answered(html, label) if label is not None else html
        try:
            await self._call(
                chat_id,
                lambda: bot.edit_message_text(
                    text,
                    chat_id=chat_id,
                    message_id=message_id,
                    parse_mode=ParseMode.HTML,
                    reply_markup=None,
                ),
            )
        except BadRequest as exc:  # too old, already edited, deleted: the record stays as is
            log_event(
                log,
                "edit_failed",
                logging.WARNING,
                chat=hash_chat(chat_id),
                error=type(exc).__name__,
            )

    async def _send_replies(self, bot: Bot, chat_id: int, replies: list[Reply]) -> None:
        for reply in replies:
            chunks = render_chunks(reply.text)
            markup = keyboard(reply)
            if reply.kind in ("content", "disposition") and len(reply.text) > LONG_CONTENT:
                with suppress(TelegramError):
                    await bot.send_chat_action(chat_id, ChatAction.TYPING)
            sent: Message | None = None
            for index, chunk in enumerate(chunks):
                last = index == len(chunks) - 1
                sent = await self._send(bot, chat_id, chunk, markup if last else None)
            if sent is not None and reply.question is not None and reply.turn is not None:
                self._remember(chat_id, sent.message_id, reply, chunks[-1])

    def _remember(self, chat_id: int, message_id: int, reply: Reply, html: str) -> None:
        assert reply.question is not None and reply.turn is not None
        self._asked[chat_id] = _Asked(
            message_id,
            reply.question,
            reply.turn,
            html,
            reply.asks,
            {o.id: o.label for o in reply.options},
        )
        self._asked.move_to_end(chat_id)
        while len(self._asked) > self.MAX_REMEMBERED:
            self._asked.popitem(last=False)

    async def _send(
        self, bot: Bot, chat_id: int, html: str, markup: InlineKeyboardMarkup | None = None
    ) -> Message:
        return await self._call(
            chat_id,
            lambda: bot.send_message(
                chat_id,
                html,
                parse_mode=ParseMode.HTML,
                reply_markup=markup,
                disable_web_page_preview=True,
            ),
        )

    async def _send_plain(self, bot: Bot, chat_id: int, text: str) -> None:
        """A fixed notice (not a conversation step); a failure is logged, never raised."""
        try:
            await self._send(bot, chat_id, escape(text))
        except ChatInactive:
            return
        except TelegramError as exc:
            log_event(
                log,
                "send_failed",
                logging.WARNING,
                chat=hash_chat(chat_id),
                error=type(exc).__name__,
            )

    async def _call(self, chat_id: int, call: Callable[[], Awaitable[T]]) -> T:
        """Make one Bot API call for a chat. 403 marks the chat inactive; a 429 that outlived
        the request's own retries is waited out once more (bounded)."""
        if chat_id in self.inactive:
            raise ChatInactive
        for attempt in (1, 2):
            try:
                return await call()
            except Forbidden:
                if len(self.inactive) >= self.MAX_REMEMBERED * 10:
                    self.inactive.pop()  # bounded: forgetting one only costs a failed send
                self.inactive.add(chat_id)
                log_event(log, "chat_inactive", logging.WARNING, chat=hash_chat(chat_id))
                raise ChatInactive from None
            except RetryAfter as exc:
                wait = exc.retry_after
                seconds = wait if isinstance(wait, int | float) else wait.total_seconds()
                if attempt == 2 or seconds > 30:
                    raise
                await asyncio.sleep(seconds)
        raise AssertionError("unreachable")

    async def _answer_query(self, query: CallbackQuery, text: str | None = None) -> None:
        try:
            await query.answer(text)
        except TelegramError as exc:  # too old (over 15 minutes) or already answered
            log_event(log, "callback_answer_failed", logging.WARNING, error=type(exc).__name__)

    def _addressed(self, message: Message, bot: Bot) -> bool:
        """A command, a mention of the bot, a reply to it, or the bot being added."""
        text = message.text or message.caption or ""
        if text.startswith("/") or f"@{self.username}".lower() in text.lower():
            return True
        reply_to = message.reply_to_message
        if (
            reply_to is not None
            and reply_to.from_user is not None
            and reply_to.from_user.id == bot.id
        ):
            return True
        return any(member.id == bot.id for member in message.new_chat_members or ())


def _button_label(markup: InlineKeyboardMarkup | None, data: str) -> str | None:
    if markup is None:
        return None
    for row in markup.inline_keyboard:
        for button in row:
            if button.callback_data == data:
                return button.text
    return None


_KINDS: Final = (
    ("photo", "photos"),
    ("sticker", "stickers"),
    ("voice", "voice messages"),
    ("video_note", "video messages"),
    ("video", "videos"),
    ("audio", "audio"),
    ("animation", "GIFs"),
    ("document", "files"),
    ("location", "locations"),
    ("venue", "places"),
    ("contact", "contacts"),
    ("poll", "polls"),
    ("dice", "dice"),
    ("game", "games"),
    ("story", "stories"),
)


def describe(message: Message) -> str | None:
    """What a non-text message carries, in words ("photos"); None for service messages."""
    for attribute, words in _KINDS:
        if getattr(message, attribute, None):
            return words
    if message.effective_attachment:
        return "attachments"
    return None


def _update_kind(update: Update) -> str:
    for name in (
        "message",
        "edited_message",
        "channel_post",
        "edited_channel_post",
        "callback_query",
        "my_chat_member",
        "chat_member",
        "inline_query",
        "poll",
    ):
        if getattr(update, name, None) is not None:
            return name
    return "other"
