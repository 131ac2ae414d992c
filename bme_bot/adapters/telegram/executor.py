"""Performs the planner's actions with the Bot API: no decisions about the conversation here.

What it does decide is how to talk to Telegram: a chat that blocked the bot (403) is marked
inactive and not written to again until it writes; a 429 that outlived the request's own
retries is waited out once more (bounded); an edit Telegram refuses (too old, unchanged,
deleted) is only logged, since the message stays a fair record as it is.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from contextlib import suppress
from dataclasses import replace
from typing import TypeVar

from telegram import Bot, CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from telegram.constants import ChatAction, ParseMode
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError

from bme_bot.logs import hash_chat, log_event

from .actions import (
    Action,
    AnswerQuery,
    EditKeyboard,
    EditMessage,
    ForgetAsked,
    Handled,
    Note,
    Notify,
    Remember,
    SendChunks,
    ShowTyping,
)
from .memory import MAX_REMEMBERED, AskedMemory
from .rendering import Keyboard, escape
from .reply import defer_answer
from .send_limiter import SendDropped
from .slots import waiting

log = logging.getLogger("bme_bot.telegram")

T = TypeVar("T")


class ChatInactive(Exception):
    """The chat blocked the bot (403): stop sending to it."""


def markup(keyboard: Keyboard) -> InlineKeyboardMarkup | None:
    """Plain rows of (label, callback_data) -> an inline keyboard (None when empty)."""
    rows = [
        [InlineKeyboardButton(label, callback_data=data) for label, data in row] for row in keyboard
    ]
    rows = [row for row in rows if row]
    return InlineKeyboardMarkup(rows) if rows else None


class Executor:
    """The Bot API side of the adapter: the chats that blocked the bot, the last question
    asked per chat, and one method per action."""

    def __init__(self) -> None:
        self.inactive: set[int] = set()
        self.asked = AskedMemory()

    async def perform(
        self,
        bot: Bot,
        chat_id: int,
        actions: Sequence[Action],
        *,
        query: CallbackQuery | None = None,
        kind: str = "",
        started: float | None = None,
    ) -> None:
        """Perform the actions in order; a chat found inactive stops the rest."""
        sent: Message | None = None
        try:
            for action in actions:
                sent = await self._one(bot, chat_id, action, query, sent) or sent
                if isinstance(action, Note):
                    log_event(log, action.event, chat=hash_chat(chat_id), kind=kind)
                elif isinstance(action, Handled):
                    took = time.perf_counter() - (started or time.perf_counter())
                    log_event(
                        log,
                        "update_handled",
                        chat=hash_chat(chat_id),
                        kind=kind,
                        replies=list(action.replies),
                        ms=round(took * 1000, 1),
                    )
        except ChatInactive:
            return

    async def _one(
        self,
        bot: Bot,
        chat_id: int,
        action: Action,
        query: CallbackQuery | None,
        sent: Message | None,
    ) -> Message | None:
        """One action; returns the last message sent, if it sent any."""
        if isinstance(action, AnswerQuery):
            if query is not None:
                await self.answer_query(query, action.text)
        elif isinstance(action, EditMessage):
            await self._edit(bot, chat_id, action.message_id, action.html, action.keyboard)
        elif isinstance(action, EditKeyboard):
            await self._edit_keyboard(bot, chat_id, action.message_id, action.keyboard)
        elif isinstance(action, ShowTyping):
            with suppress(TelegramError):
                await bot.send_chat_action(chat_id, ChatAction.TYPING)
        elif isinstance(action, SendChunks):
            for index, chunk in enumerate(action.chunks):
                last = index == len(action.chunks) - 1
                sent = await self.send(
                    bot, chat_id, chunk, markup(action.keyboard) if last else None
                )
            return sent
        elif isinstance(action, Notify):
            await self.send_plain(bot, chat_id, action.text)
        elif isinstance(action, Remember):
            message_id = action.asked.message_id
            if message_id is None and sent is not None:
                message_id = sent.message_id
            if message_id is not None:
                self.asked.put(chat_id, replace(action.asked, message_id=message_id))
        elif isinstance(action, ForgetAsked):
            self.asked.forget(chat_id)
        return None

    async def _edit(
        self, bot: Bot, chat_id: int, message_id: int, html: str, keyboard: Keyboard
    ) -> None:
        try:
            await self.call(
                chat_id,
                lambda: bot.edit_message_text(
                    html,
                    chat_id=chat_id,
                    message_id=message_id,
                    parse_mode=ParseMode.HTML,
                    reply_markup=markup(keyboard),
                ),
            )
        except BadRequest as exc:  # too old, already edited, deleted: the record stays as is
            _edit_failed(chat_id, exc)

    async def _edit_keyboard(
        self, bot: Bot, chat_id: int, message_id: int, keyboard: Keyboard
    ) -> None:
        try:
            await self.call(
                chat_id,
                lambda: bot.edit_message_reply_markup(
                    chat_id=chat_id, message_id=message_id, reply_markup=markup(keyboard)
                ),
            )
        except BadRequest as exc:  # unchanged (a double tap), too old, deleted
            _edit_failed(chat_id, exc)

    async def send(
        self, bot: Bot, chat_id: int, html: str, reply_markup: InlineKeyboardMarkup | None = None
    ) -> Message:
        return await self.call(
            chat_id,
            lambda: bot.send_message(
                chat_id,
                html,
                parse_mode=ParseMode.HTML,
                reply_markup=reply_markup,
                disable_web_page_preview=True,
            ),
        )

    async def send_plain(self, bot: Bot, chat_id: int, text: str) -> None:
        """A fixed notice (not a conversation step); a failure is logged, never raised."""
        try:
            await self.send(bot, chat_id, escape(text))
        except (ChatInactive, SendDropped):  # a dropped notice is logged by the limiter
            return
        except TelegramError as exc:
            log_event(
                log,
                "send_failed",
                logging.WARNING,
                chat=hash_chat(chat_id),
                error=type(exc).__name__,
            )

    async def call(self, chat_id: int, call: Callable[[], Awaitable[T]]) -> T:
        """Make one Bot API call for a chat. 403 marks the chat inactive; a 429 that outlived
        the request's own retries is waited out once more (bounded)."""
        if chat_id in self.inactive:
            raise ChatInactive
        for attempt in (1, 2):
            try:
                return await call()
            except Forbidden:
                if len(self.inactive) >= MAX_REMEMBERED * 10:
                    self.inactive.pop()  # bounded: forgetting one only costs a failed send
                self.inactive.add(chat_id)
                log_event(log, "chat_inactive", logging.WARNING, chat=hash_chat(chat_id))
                raise ChatInactive from None
            except RetryAfter as exc:
                wait = exc.retry_after
                seconds = wait if isinstance(wait, int | float) else wait.total_seconds()
                if attempt == 2 or seconds > 30:
                    raise
                async with waiting():  # the slot goes to other chats meanwhile
                    await asyncio.sleep(seconds)
        raise AssertionError("unreachable")

    async def answer_query(self, query: CallbackQuery, text: str | None = None) -> None:
        """Answer a tap: in the webhook's response body when one is open (a request fewer),
        else with answerCallbackQuery."""
        if defer_answer(query.id, text):
            return
        try:
            await query.answer(text)
        except TelegramError as exc:  # too old (over 15 minutes) or already answered
            log_event(log, "callback_answer_failed", logging.WARNING, error=type(exc).__name__)


def _edit_failed(chat_id: int, exc: Exception) -> None:
    log_event(
        log, "edit_failed", logging.WARNING, chat=hash_chat(chat_id), error=type(exc).__name__
    )
