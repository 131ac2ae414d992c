"""The Telegram side of check-ins: `send(due)` for the Scheduler, and the loop beside the bot.

`CheckinSender` opens the check-in conversation (`CheckinService.start_checkin`), renders its
replies with the adapter's own rendering (HTML chunks, buttons bound to the question and turn)
and sends them through the executor, which also remembers the question message, so its buttons
come off once it is answered, as for any question. It maps Telegram's answers to what the
scheduler settles: a 403 (the person blocked the bot) is `blocked()`, so the rest of that
chat's check-ins are cancelled; a 429 is `failed(retry_after)`; a 5xx, a timeout or a network
error is `failed()` (claimed again when the lease ends).

`CheckinLoop` runs the Scheduler as a task next to polling or the webhook and stops it within
a bounded time (a send in flight is given a moment, then cancelled: its lease makes it
claimable again, so nothing is lost).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Final

from telegram import Bot
from telegram.error import Forbidden, NetworkError, RetryAfter, TelegramError

from bme_bot.checkins.conversation import CheckinService
from bme_bot.checkins.scheduler import Due, Scheduler, SendResult
from bme_bot.errors import ServiceUnavailable
from bme_bot.logs import hash_chat, log_event
from bme_bot.storage.base import StoreError

from .executor import ChatInactive, Executor, markup
from .memory import Asked
from .rendering import keyboard, render_reply

log = logging.getLogger("bme_bot.telegram.checkins")

CHAT_PREFIX: Final = "tg:"
STOP_SECONDS: Final = 2.0
"""How long a stopping loop waits for a send in flight before cancelling it."""


def telegram_chat_id(chat: str) -> int | None:
    """`tg:123` -> 123; None for a chat key that is not a Telegram chat's."""
    if not chat.startswith(CHAT_PREFIX):
        return None
    try:
        return int(chat[len(CHAT_PREFIX) :])
    except ValueError:
        return None


class CheckinSender:
    """`await sender(due) -> SendResult`: what the Scheduler calls for each due check-in."""

    def __init__(self, service: CheckinService, bot: Bot, executor: Executor) -> None:
        self.service = service
        self.bot = bot
        self.executor = executor

    async def __call__(self, due: Due) -> SendResult:
        chat_id = telegram_chat_id(due.checkin.chat)
        if chat_id is None:  # never sendable here: cancel rather than retry forever
            log_event(log, "checkin_not_telegram", logging.WARNING)
            return SendResult.blocked()
        try:
            replies = await self.service.start_checkin(due.checkin.chat, due)
        except (StoreError, ServiceUnavailable) as exc:
            log_event(log, "checkin_start_failed", logging.WARNING, error=type(exc).__name__)
            return SendResult.failed()
        try:
            for reply in replies:
                chunks = render_reply(reply)
                buttons = markup(keyboard(reply))
                sent = None
                for index, chunk in enumerate(chunks):
                    last = index == len(chunks) - 1
                    sent = await self.executor.send(
                        self.bot, chat_id, chunk, buttons if last else None
                    )
                if sent is not None and reply.question is not None and reply.turn is not None:
                    labels = {o.id: o.label for o in reply.options}
                    asked = Asked(
                        sent.message_id, reply.question, reply.turn, chunks[-1], reply.asks, labels
                    )
                    self.executor.asked.put(chat_id, replace(asked, items=reply.checklist))
        except (ChatInactive, Forbidden):
            return SendResult.blocked()
        except RetryAfter as exc:
            wait = exc.retry_after
            seconds = wait if isinstance(wait, int | float) else wait.total_seconds()
            return SendResult.failed(float(seconds))
        except NetworkError as exc:  # timeouts, connection errors and 5xx
            log_event(
                log,
                "checkin_send_network",
                logging.WARNING,
                chat=hash_chat(chat_id),
                error=type(exc).__name__,
            )
            return SendResult.failed()
        except TelegramError as exc:  # a 400 (chat not found...): retried, then dropped
            log_event(
                log,
                "checkin_send_refused",
                logging.WARNING,
                chat=hash_chat(chat_id),
                error=type(exc).__name__,
            )
            return SendResult.failed()
        return SendResult.sent()


class CheckinLoop:
    """The Scheduler as a task beside the bot: `start()`, then `await stop()`."""

    def __init__(
        self,
        service: CheckinService,
        bot: Bot,
        executor: Executor,
        *,
        every_seconds: float = 30.0,
        lease_seconds: float = 300.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.sender = CheckinSender(service, bot, executor)
        self.scheduler = Scheduler(
            service.checkins,
            self.sender,
            clock=clock,
            every_seconds=every_seconds,
            lease_seconds=lease_seconds,
        )
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._stop = asyncio.Event()
        self._task = asyncio.create_task(self.scheduler.run(self._stop))

    async def stop(self) -> None:
        """Stop ticking; a send in flight gets STOP_SECONDS, then is cancelled. Idempotent."""
        task, self._task = self._task, None
        if task is None:
            return
        self._stop.set()
        done, _ = await asyncio.wait({task}, timeout=STOP_SECONDS)
        if not done:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        elif task.exception() is not None:
            log_event(
                log,
                "checkin_loop_failed",
                logging.ERROR,
                error=type(task.exception()).__name__,
            )
