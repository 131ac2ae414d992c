"""The poller: getUpdates, supervised, each update handed to its chat's queue.

A mixin of `TelegramRuntime` (which sets the attributes below). No PTB Updater: it
acknowledges a batch when it asks for the next one, before the batch is handled (kill -9 would
lose it). Here the offset only confirms what is finished (chat_queues.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any, Final

from telegram import Update
from telegram.error import RetryAfter, TelegramError, TimedOut
from telegram.ext import Application

from bme_bot.logs import log_event
from bme_bot.storage.ids import valid_update_id

from .chat_queues import WINDOW, ChatQueues
from .heartbeat import Heartbeat
from .updates import ALLOWED_UPDATES

log = logging.getLogger("bme_bot.telegram.runtime")

RESTART_FIRST_SECONDS: Final = 0.5
RESTART_MAX_SECONDS: Final = 30.0
"""The poller's restart back-off after a crash: 0.5 s, doubling, at most 30 s."""
REFETCH_SECONDS: Final = 0.25
"""While an update is unfinished getUpdates returns at once (it is not confirmed yet): when it
brought nothing new, ask again after this, or as soon as an update finishes."""


class Poller:
    """Long polling for `TelegramRuntime`: supervised, per-chat queues, a safe offset."""

    application: Application[Any, Any, Any, Any, Any, Any]
    queues: ChatQueues
    heartbeat: Heartbeat | None
    poll_timeout: float
    read_timeout: float
    polls_ok: int
    batches_handled: int
    poller_restarts: int
    last_poll_ok: float | None
    _stopping: asyncio.Event
    _offset: int | None

    async def _poll(self) -> None:
        """The supervisor: run the poll loop until stopped. Any exception that escapes it
        (a bug, a library surprise) is logged at once, by type only (its message could quote
        an update), and the loop starts again after a back-off (0.5 s doubling to 30 s, back
        to 0.5 s once a batch has been taken into the queues). Before this, one TypeError
        ended polling for good while the process stayed up and health said ok."""
        restarts = 0
        while not self._stopping.is_set():
            handled_before = self.batches_handled
            try:
                await self._poll_loop()
                return
            except Exception as exc:
                if self.batches_handled > handled_before:  # it worked for a while
                    restarts = 0
                pause = min(RESTART_MAX_SECONDS, RESTART_FIRST_SECONDS * 2**restarts)
                restarts += 1
                self.poller_restarts += 1
                log_event(
                    log,
                    "poller_crashed",
                    logging.ERROR,
                    error=type(exc).__name__,
                    restart_in=pause,
                    restarts=self.poller_restarts,
                )
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), pause)

    async def _fetch(self, wait: float) -> Any:
        """One getUpdates, its raw JSON result: PTB's `get_updates` parses the whole batch at
        once, so one malformed update made the batch fail (and PTB logs the raw batch, user
        text included, at CRITICAL). Parsed one by one in `_parse` instead."""
        bot = self.application.bot
        data = {
            "offset": self._offset,
            "timeout": int(wait),
            "limit": WINDOW,
            "allowed_updates": ALLOWED_UPDATES,
        }
        # the raw result (a private PTB call), see above
        return await bot._post("getUpdates", data, read_timeout=self.read_timeout + wait)

    def _parse(self, raw: Any) -> tuple[list[Update], int | None]:
        """The updates that can be handled, and the highest valid update id seen (the offset
        moves past it once everything below is finished). Anything else is dropped and logged by its id when
        it has a valid one, by the id's type when not: never its content."""
        if not isinstance(raw, list):
            log_event(log, "poll_result_malformed", logging.WARNING, result=type(raw).__name__)
            return [], None
        updates: list[Update] = []
        highest: int | None = None
        for item in raw:
            update_id = item.get("update_id") if isinstance(item, dict) else None
            if not valid_update_id(update_id):
                log_event(
                    log,
                    "update_dropped",
                    logging.WARNING,
                    reason="update_id_out_of_range" if type(update_id) is int else "bad_update_id",
                    id_type=type(update_id).__name__,
                )
                continue
            highest = update_id if highest is None else max(highest, update_id)
            if self.queues.taken(update_id):  # re-fetched while still in hand: parsed already
                continue
            try:
                update = Update.de_json(item, self.application.bot)
            except Exception as exc:  # a shape PTB cannot read: skip this one
                log_event(
                    log,
                    "update_dropped",
                    logging.WARNING,
                    reason="unparseable",
                    update_id=update_id,
                    error=type(exc).__name__,
                )
                continue
            updates.append(update)
        return updates, highest

    async def _poll_loop(self) -> None:
        """At-least-once polling without head-of-line blocking: each update goes to its chat's
        queue (chat_queues.py) and the next getUpdates is asked at once; its offset confirms
        only the finished prefix, so a crash re-delivers what was not finished and the store
        skips the update ids it saved. Stopping finishes what is in hand (bounded by `stop`)."""
        pause = 0.0
        queues = self.queues
        while not self._stopping.is_set():
            self._offset = queues.offset() if queues.offset() is not None else self._offset
            asked_from = self._offset
            queues.progress.clear()
            timeout = 0.0 if queues.unfinished else self.poll_timeout
            fetch = asyncio.ensure_future(self._fetch(timeout))
            stopping = asyncio.ensure_future(self._stopping.wait())
            await asyncio.wait({fetch, stopping}, return_when=asyncio.FIRST_COMPLETED)
            stopping.cancel()
            if not fetch.done():  # stopping: what this poll would bring comes again later
                fetch.cancel()
                with contextlib.suppress(asyncio.CancelledError, TelegramError):
                    await fetch
                break
            try:
                raw = fetch.result()
                pause = 0.0
            except RetryAfter as exc:
                wait = exc.retry_after
                pause = (wait if isinstance(wait, int | float) else wait.total_seconds()) + 0.5
                _polling_error(exc)
            except TimedOut:
                continue
            except TelegramError as exc:
                pause = 1.0 if pause == 0 else min(30.0, pause * 1.5)
                _polling_error(exc)
            else:
                self.polls_ok += 1
                self.last_poll_ok = time.monotonic()
                if self.heartbeat is not None:
                    self.heartbeat.beat()
                updates, highest = self._parse(raw)
                new = queues.take(updates, highest, asked_from)
                self.batches_handled += 1
                offset = queues.offset()
                self._offset = offset if offset is not None else self._offset
                if raw and highest is None:  # nothing in it could be acknowledged: no spin
                    pause = 1.0
                elif queues.unfinished and not new:  # only what is in hand came back
                    await self._until_progress()
                    continue
                else:
                    continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), pause)
        await queues.drain()
        offset = queues.offset()
        self._offset = offset if offset is not None else self._offset

    async def _until_progress(self) -> None:
        """Until an update finishes, the stop is asked for, or REFETCH_SECONDS pass."""
        waits = {
            asyncio.ensure_future(self.queues.progress.wait()),
            asyncio.ensure_future(self._stopping.wait()),
        }
        await asyncio.wait(waits, timeout=REFETCH_SECONDS, return_when=asyncio.FIRST_COMPLETED)
        for waiter in waits:
            waiter.cancel()


def _polling_error(error: TelegramError) -> None:
    log_event(log, "polling_error", logging.WARNING, error=type(error).__name__)
