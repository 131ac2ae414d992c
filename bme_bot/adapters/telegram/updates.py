"""Reading python-telegram-bot updates into plain facts: what kind of update, what a
non-text message carries, whether a group message is addressed to the bot, and a button tap
as the planner's `Incoming`."""

from __future__ import annotations

from typing import Final

from telegram import Bot, CallbackQuery, InlineKeyboardMarkup, Message, Update

from bme_bot.core.catalogue import N_
from bme_bot.core.events import Event

from .actions import Incoming
from .rendering import Keyboard

ALLOWED_UPDATES: Final = [
    "message",
    "edited_message",
    "channel_post",
    "edited_channel_post",
    "callback_query",
]
"""What the bot asks Telegram for (polling and setWebhook alike)."""

_KINDS: Final = (
    ("photo", N_("photos")),
    ("sticker", N_("stickers")),
    ("voice", N_("voice messages")),
    ("video_note", N_("video messages")),
    ("video", N_("videos")),
    ("audio", N_("audio")),
    ("animation", N_("GIFs")),
    ("document", N_("files")),
    ("location", N_("locations")),
    ("venue", N_("places")),
    ("contact", N_("contacts")),
    ("poll", N_("polls")),
    ("dice", N_("dice")),
    ("game", N_("games")),
    ("story", N_("stories")),
)

_UPDATE_KINDS: Final = (
    "message",
    "edited_message",
    "channel_post",
    "edited_channel_post",
    "callback_query",
    "my_chat_member",
    "chat_member",
    "inline_query",
    "poll",
)


def describe(message: Message) -> str | None:
    """What a non-text message carries, in words ("photos"); None for service messages."""
    for attribute, words in _KINDS:
        if getattr(message, attribute, None):
            return words
    if message.effective_attachment:
        return N_("attachments")
    return None


def update_kind(update: Update) -> str:
    for name in _UPDATE_KINDS:
        if getattr(update, name, None) is not None:
            return name
    return "other"


def addressed(message: Message, bot: Bot, username: str) -> bool:
    """A command, a mention of the bot, a reply to it, or the bot being added."""
    text = message.text or message.caption or ""
    if text.startswith("/") or f"@{username}".lower() in text.lower():
        return True
    reply_to = message.reply_to_message
    if reply_to is not None and reply_to.from_user is not None and reply_to.from_user.id == bot.id:
        return True
    return any(member.id == bot.id for member in message.new_chat_members or ())


def plain_keyboard(markup: InlineKeyboardMarkup | None) -> Keyboard:
    """A message's inline keyboard as plain (label, callback_data) rows."""
    if markup is None:
        return ()
    return tuple(
        tuple((button.text, str(button.callback_data or "")) for button in row)
        for row in markup.inline_keyboard
    )


def tapped(query: CallbackQuery, event: Event) -> Incoming:
    """A button tap as the planner sees it: the message it was on, when Telegram still has it
    (older messages arrive as inaccessible: then nothing of the message is known)."""
    message = query.message
    if not isinstance(message, Message):
        return Incoming("callback", event, data=query.data or "")
    return Incoming(
        "callback",
        event,
        message_id=message.message_id,
        data=query.data or "",
        keyboard=plain_keyboard(message.reply_markup),
        message_html=message.text_html if message.text is not None else None,
    )
