"""The webhook's reply body: one Bot API method Telegram performs when it reads our 200.

Telegram lets a webhook answer an update with one method call as the response body, which
saves a request. The webhook server opens a `WebhookReply` for the update it is processing
(a ContextVar: PTB awaits the handlers in the same task, so they see it); the executor puts
the callback-query answer there instead of calling `answerCallbackQuery`; the server sends it
as the JSON body of its 200. Polling opens none, and everything is called as before.

The cost: Telegram does not say whether a method in a reply worked, and the spinner on the
button stops when the whole update is processed, not before the edit and the send.
"""

from __future__ import annotations

from contextvars import ContextVar, Token
from dataclasses import dataclass
from typing import Any


@dataclass
class WebhookReply:
    """The method to return in the webhook response, if any."""

    body: dict[str, Any] | None = None


_current: ContextVar[WebhookReply | None] = ContextVar("bme_bot_webhook_reply", default=None)


def open_reply() -> tuple[WebhookReply, Token[WebhookReply | None]]:
    """Start collecting the reply of the update about to be processed (webhook only)."""
    reply = WebhookReply()
    return reply, _current.set(reply)


def close_reply(token: Token[WebhookReply | None]) -> None:
    _current.reset(token)


def defer_answer(callback_query_id: str, text: str | None = None) -> bool:
    """Put an answerCallbackQuery into the open reply; False (call the API yourself) when
    none is open or it already holds a method."""
    reply = _current.get()
    if reply is None or reply.body is not None:
        return False
    body: dict[str, Any] = {"method": "answerCallbackQuery", "callback_query_id": callback_query_id}
    if text:
        body["text"] = text
    reply.body = body
    return True
