"""Polling without head-of-line blocking: one queue per chat, and the offset a safe prefix.

Before, the poller handled a whole getUpdates batch and only then fetched the next one, so one
chat waiting out a 429 (12 s) or another process's lock ("chat busy", 10 s) held every other
chat's next update back (issue 13, finding 3). Now each update goes to its chat's queue: a
chat's updates stay in arrival order, one at a time, while other chats go on, and the poller
keeps fetching while earlier updates are in progress.

At-least-once stays as it was. Telegram confirms every update below the offset of a getUpdates
call, so the offset only ever moves to the lowest update id still unfinished (the contiguous
prefix of finished ids): a crash re-delivers whatever was not finished, and the store skips what
it had saved. The price: getUpdates keeps returning the unfinished updates (and those after
them); ids already taken are skipped. Telegram returns at most `limit` updates from the offset,
so while one update is unfinished at most `limit` updates are held here (memory is bounded),
and past that window other chats wait too, until it finishes.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from typing import Final

from telegram import Update

from bme_bot.logs import log_event

log = logging.getLogger("bme_bot.telegram.runtime")

WINDOW: Final = 100
"""getUpdates' `limit` (Telegram's maximum): the most updates taken past an unfinished one."""

Key = tuple[str, int]


def queue_key(update: Update) -> Key:
    """The queue an update belongs to: its chat, else its sender, else its own."""
    if update.effective_chat is not None:
        return ("chat", update.effective_chat.id)
    if update.effective_user is not None:
        return ("user", update.effective_user.id)
    return ("update", update.update_id)


class ChatQueues:
    """Per-chat FIFO queues, each worked by one task; the acknowledgeable offset."""

    def __init__(self, handle: Callable[[Update], Awaitable[object]]) -> None:
        self._handle = handle
        self._queues: dict[Key, deque[Update]] = {}
        self._workers: set[asyncio.Task[None]] = set()
        self._taken: set[int] = set()
        """Ids at or above the last offset used, taken already (finished or not)."""
        self._unfinished: set[int] = set()
        self._highest: int | None = None
        self.progress = asyncio.Event()
        """Set whenever an update finishes (the poller waits on it when nothing is new)."""

    @property
    def unfinished(self) -> int:
        return len(self._unfinished)

    def taken(self, update_id: int) -> bool:
        """Whether this id is queued or done already: the poller skips parsing it again (a
        re-fetched window cost 32-38% of polling CPU in `Update.de_json`, docs/PERFORMANCE.md)."""
        return update_id in self._taken

    def offset(self) -> int | None:
        """The offset that confirms exactly the finished prefix (None: nothing seen yet)."""
        if self._unfinished:
            return min(self._unfinished)
        return None if self._highest is None else self._highest + 1

    def take(self, updates: Iterable[Update], highest: int | None, fetched_from: int | None) -> int:
        """Queue the updates not taken before; `highest` is the batch's highest valid id
        (dropped malformed ones included: they are finished at once). Returns how many were new."""
        if fetched_from is not None:  # Telegram has confirmed everything below it
            self._taken = {i for i in self._taken if i >= fetched_from}
        if highest is not None:
            self._highest = highest if self._highest is None else max(self._highest, highest)
        new = 0
        for update in updates:
            update_id = update.update_id
            if update_id in self._taken or (fetched_from is not None and update_id < fetched_from):
                continue
            self._taken.add(update_id)
            self._unfinished.add(update_id)
            new += 1
            key = queue_key(update)
            queue = self._queues.get(key)
            if queue is not None:
                queue.append(update)
                continue
            self._queues[key] = deque([update])
            task = asyncio.create_task(self._work(key))
            self._workers.add(task)
            task.add_done_callback(self._workers.discard)
        return new

    async def _work(self, key: Key) -> None:
        queue = self._queues[key]
        try:
            while queue:
                update = queue[0]
                try:
                    await self._handle(update)
                except Exception as exc:  # process() reports its own; never lose the queue
                    log_event(
                        log,
                        "update_failed",
                        logging.ERROR,
                        update_id=update.update_id,
                        error=type(exc).__name__,
                    )
                queue.popleft()
                self._unfinished.discard(update.update_id)
                self.progress.set()
        finally:
            del self._queues[key]

    async def drain(self) -> None:
        """Wait until every update taken is finished (the graceful stop bounds this)."""
        while self._workers:
            await asyncio.wait(set(self._workers))

    async def cancel(self) -> None:
        """Stop the workers (past the stop budget): what they held is not acknowledged."""
        for task in list(self._workers):
            task.cancel()
        if self._workers:
            await asyncio.wait(set(self._workers))
