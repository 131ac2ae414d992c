"""Admission for every kind of update, and the replies that are only notices.

Before, the per-chat flood limit (budget.py) covered text and button taps only: group commands,
stickers and photos, and edited messages each got a reply with no limit, and a group's reply
waited for the group send limit (20 a minute) in one of the processing slots. 200 `/start@bot`
from one group delayed an unrelated private chat by more than 120 s (issue 13, finding 1).

Now every update that could get a reply first passes its chat's budget (a group is one budget,
whoever writes in it), and a notice (group redirect, "I only read text", "edits are not read",
the flood notice) is sent inside `send_limiter.notices()`: dropped, never kept waiting, when a
send limit or a 429 stands in its way. Each notice is in the person's Telegram language
(`language_code`; a notice loads no session, so a language picked with /language is not
known here).
"""

from __future__ import annotations

import logging

from telegram import Bot, CallbackQuery, Update
from telegram.ext import ContextTypes

from bme_bot.core.catalogue import ENGLISH, Catalogue
from bme_bot.logs import hash_chat, log_event
from bme_bot.service import Service

from .budget import ChatBudget
from .executor import Executor
from .planner import plan_flood
from .send_limiter import notices
from .texts import EDITED, NON_TEXT, PRIVATE_ONLY
from .updates import addressed, describe

log = logging.getLogger("bme_bot.telegram")


class NoticeHandlers:
    """The admission check and the handlers whose replies are notices (a mixin of
    `TelegramBot`, which sets the attributes below)."""

    executor: Executor
    service: Service
    username: str
    _budget: ChatBudget | None

    @property
    def deep_link(self) -> str:
        return f"https://t.me/{self.username}?start=go"

    def words(self, update: Update) -> Catalogue:
        """The catalogue of the person's Telegram language (the default locale's if not shipped)."""
        user = update.effective_user
        return self.service.engine.for_locale(user.language_code if user else None).catalogue

    async def _admit(
        self,
        bot: Bot,
        chat_id: int,
        query: CallbackQuery | None = None,
        *,
        group: bool = False,
        words: Catalogue = ENGLISH,
    ) -> bool:
        """Whether this chat is within its budget; over it, one polite notice per flood (in a
        private chat; a group is not written to about it, a tap there is answered silently)."""
        verdict = self._budget.take(chat_id) if self._budget is not None else "ok"
        if verdict == "ok":
            return True
        log_event(log, "chat_flood", logging.WARNING, chat=hash_chat(chat_id), verdict=verdict)
        actions = plan_flood("drop" if group else verdict, tap=query is not None, catalogue=words)
        with notices():
            await self.executor.perform(bot, chat_id, actions, query=query)
        return False

    async def _notify(self, bot: Bot, chat_id: int, text: str) -> None:
        with notices():
            await self.executor.send_plain(bot, chat_id, text)

    async def on_edited(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Say that edits are not acted on."""
        message = update.edited_message
        words = self.words(update)
        if message is None or not await self._admit(context.bot, message.chat_id, words=words):
            return
        log_event(log, "edited_message", chat=hash_chat(message.chat_id))
        await self._notify(context.bot, message.chat_id, words.gettext(EDITED))

    async def on_other(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Say kindly what the bot understands when it gets a photo, sticker, voice..."""
        message = update.message
        if message is None:
            return
        what = describe(message)
        if what is None:  # service messages (pins, title changes...): nothing to say
            log_event(log, "update_ignored", kind="service_message")
            return
        words = self.words(update)
        if not await self._admit(context.bot, message.chat_id, words=words):
            return
        log_event(log, "non_text_message", chat=hash_chat(message.chat_id), what=what)
        notice = words.gettext(NON_TEXT).format(what=words.gettext(what))
        await self._notify(context.bot, message.chat_id, notice)

    async def on_group(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """In groups and channels: no triage, nothing stored, an invitation to talk privately."""
        message = update.effective_message
        chat = update.effective_chat
        if message is None or chat is None:
            return
        if update.edited_message is not None or update.edited_channel_post is not None:
            return
        if not addressed(message, context.bot, self.username):
            log_event(log, "group_message_ignored", chat=hash_chat(chat.id))
            return
        words = self.words(update)
        if not await self._admit(context.bot, chat.id, group=True, words=words):
            return
        log_event(log, "group_redirect", chat=hash_chat(chat.id), chat_type=chat.type)
        notice = words.gettext(PRIVATE_ONLY).format(link=self.deep_link)
        await self._notify(context.bot, chat.id, notice)
