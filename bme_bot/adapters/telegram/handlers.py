"""Telegram updates -> engine events -> the planner's actions, performed.

`TelegramBot` is the thin part: PTB handlers that read an update into plain facts, call the
service, ask the planner (`planner.py`) what to do and hand that to the executor
(`executor.py`). Every decision about what to send, edit or answer is the planner's.

The adapter holds no conversation state: sessions live in the service's store. What it keeps
in memory may be lost at any time (a restart, another replica): the last question message sent
to each chat, and the chats that blocked the bot.

Ordering: PTB runs updates concurrently (`concurrent_updates`); a per-chat lock here, taken
before the service's own, keeps one chat's updates and their replies in arrival order while
different chats proceed side by side. At most `updates_in_flight` updates are worked on at
once (slots.py); waiting for a lock or a send limit gives the slot back meanwhile. Admission
(the per-chat budget) and the notice replies are in notices.py.
"""

from __future__ import annotations

import logging
import time
import traceback
from contextlib import AsyncExitStack, suppress
from typing import Any

from telegram import Bot, CallbackQuery, Update
from telegram.constants import ChatType
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    TypeHandler,
    filters,
)

from bme_bot.core.events import Text, parse_command
from bme_bot.logs import hash_chat, log_event
from bme_bot.service import Service, ServiceUnavailable
from bme_bot.storage.base import KeyedLocks, StoreError

from .actions import Incoming
from .budget import CHAT_BURST, CHAT_RATE, ChatBudget
from .executor import Executor
from .memory import SeenIds
from .notices import NoticeHandlers
from .outcome import Outcome, recording, report
from .planner import plan_tap, plan_turn, plan_unavailable
from .settings import UPDATES_IN_FLIGHT
from .slots import Slots, waiting
from .texts import FLOOD_NOTICE, SOMETHING_WRONG
from .updates import ALLOWED_UPDATES, tapped, update_kind

__all__ = ["ALLOWED_UPDATES", "CHAT_BURST", "CHAT_RATE", "FLOOD_NOTICE", "Outcome", "TelegramBot"]

log = logging.getLogger("bme_bot.telegram")


def language_of(update: Update) -> str | None:
    """The person's Telegram language ("es", "de-AT"): it picks the locale of a new
    conversation when that locale is shipped (else the default); /language changes it."""
    user = update.effective_user
    return user.language_code if user is not None else None


def chat_key(chat_id: int) -> str:
    return f"tg:{chat_id}"


class TelegramBot(NoticeHandlers):
    """The adapter: PTB handlers that turn updates into events and plans into Bot API calls.

    `redelivered`: Telegram delivers an update again when it was not acknowledged (webhook
    mode), so an unavailable store is told once per update and the person need not resend."""

    def __init__(
        self,
        service: Service,
        *,
        chat_rate: float = CHAT_RATE,
        chat_burst: int = CHAT_BURST,
        updates_in_flight: int = UPDATES_IN_FLIGHT,
        redelivered: bool = False,
    ) -> None:
        self.service = service
        self.username = "this_bot"
        self.redelivered = redelivered
        self.executor = Executor()
        self._locks: KeyedLocks[int] = KeyedLocks()
        self._told = SeenIds()
        self._budget = ChatBudget(chat_rate, chat_burst) if chat_rate > 0 else None
        self.updates_in_flight = updates_in_flight
        self._slots = Slots(updates_in_flight)

    @property
    def inactive(self) -> set[int]:
        """The chats that blocked the bot (403), until they write again."""
        return self.executor.inactive

    async def process(
        self, application: Application[Any, Any, Any, Any, Any, Any], update: Update
    ) -> Outcome:
        """Handle one update, at most `updates_in_flight` at once (polling and webhook alike):
        hundreds in flight over one connection pool halve throughput (docs/PERFORMANCE.md)."""
        with recording() as result:
            async with self._slots.hold():
                await application.process_update(update)
        return result.outcome

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

    # --- handlers -------------------------------------------------------------------------

    async def on_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Pass typed text (answers, numbers, commands) to the engine."""
        message = update.message
        if message is None or message.text is None:
            return
        if not await self._admit(context.bot, message.chat_id, words=self.words(update)):
            return
        event = parse_command(message.text) or Text(message.text)
        command = message.text.lstrip().startswith("/")
        incoming = Incoming("command" if command else "text", event)
        await self._converse(
            context.bot, message.chat_id, incoming, update.update_id, locale=language_of(update)
        )

    async def on_callback(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Answer a button tap; a stale or forged one changes nothing."""
        query = update.callback_query
        if query is None:
            return
        chat = update.effective_chat
        private = chat is not None and chat.type == ChatType.PRIVATE
        if chat is not None and not await self._admit(
            context.bot, chat.id, query, group=not private, words=self.words(update)
        ):
            return
        decided = plan_tap(query.data or "", private=private, link=self.deep_link)
        if isinstance(decided, list):
            await self.executor.perform(context.bot, chat.id if chat else 0, decided, query=query)
            return
        assert chat is not None
        incoming = tapped(query, decided)
        await self._converse(
            context.bot, chat.id, incoming, update.update_id, query, locale=language_of(update)
        )

    async def on_unhandled(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Log update kinds the bot does not act on (polls, member changes...)."""
        log_event(log, "update_ignored", kind=update_kind(update))

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
            update_kind=update_kind(update) if isinstance(update, Update) else None,
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
                tag = language_of(update) if isinstance(update, Update) else None
                spoken = self.service.engine.for_locale(tag)
                text = spoken.catalogue.gettext(SOMETHING_WRONG)
                await self.executor.send_plain(context.bot, chat.id, text)

    # --- the conversation -----------------------------------------------------------------

    async def _converse(
        self,
        bot: Bot,
        chat_id: int,
        incoming: Incoming,
        update_id: int,
        query: CallbackQuery | None = None,
        *,
        locale: str | None = None,
    ) -> None:
        started = time.perf_counter()
        async with AsyncExitStack() as held:
            async with waiting():  # another update of this chat is in hand: wait slot-free
                await held.enter_async_context(self._locks.hold(chat_id))
            self.inactive.discard(chat_id)  # they wrote to us: not blocked any more
            try:
                turn = await self.service.handle(
                    chat_key(chat_id),
                    incoming.event,
                    update_id=update_id,
                    waiting=waiting,
                    locale=locale,
                )
            except (ServiceUnavailable, StoreError) as exc:
                log_event(
                    log,
                    "service_unavailable",
                    logging.ERROR,
                    chat=hash_chat(chat_id),
                    error=type(exc).__name__,
                )
                report(Outcome.UNAVAILABLE)
                told = self.redelivered and self._told.add(update_id)
                actions = plan_unavailable(
                    tap=incoming.tap,
                    redelivered=self.redelivered,
                    told=told,
                    catalogue=self.service.engine.for_locale(locale).catalogue,
                )
                await self.executor.perform(bot, chat_id, actions, query=query)
                return
            if turn.duplicate:
                report(Outcome.DUPLICATE)
            engine = self.service.engine
            spoken = engine.for_session(turn.session) if turn.session else engine.for_locale(locale)
            actions = plan_turn(
                turn.replies,
                turn.session,
                incoming,
                self.executor.asked.get(chat_id),
                duplicate=turn.duplicate,
                catalogue=spoken.catalogue,
            )
            await self.executor.perform(
                bot, chat_id, actions, query=query, kind=incoming.kind, started=started
            )
