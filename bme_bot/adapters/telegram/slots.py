"""The processing slots: at most `updates_in_flight` updates are worked on at once, and an update
that only waits gives its slot back while it waits.

The bound exists for the Bot API connection pool (hundreds of requests in flight over one pool
halve throughput, docs/PERFORMANCE.md). Waiting is not work: an update waiting out a send
limit, a 429's retry_after or another process's hold on its chat's lock used to keep its
slot, so a few such chats stalled every other chat (issue 13, findings 1 and 3). `waiting()`
hands the slot back for the wait and takes one again after it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from contextvars import ContextVar


class Slots:
    """A semaphore whose holder is known to the code it runs (through a context variable)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._semaphore = asyncio.Semaphore(size)

    @asynccontextmanager
    async def hold(self) -> AsyncIterator[None]:
        await self._semaphore.acquire()
        held = _Held(self)
        token = _held.set(held)
        try:
            yield
        finally:
            _held.reset(token)
            if held.holding:
                self._semaphore.release()


class _Held:
    """One update's claim on a slot: whether it holds one right now."""

    def __init__(self, slots: Slots) -> None:
        self.slots = slots
        self.holding = True


_held: ContextVar[_Held | None] = ContextVar("bme_bot_slot", default=None)


@asynccontextmanager
async def waiting() -> AsyncIterator[None]:
    """Give the current update's slot back for the duration of a wait (no-op without one, or
    inside another wait). Cancelled while taking a slot again, it holds none, and says so."""
    held = _held.get()
    if held is None or not held.holding:
        yield
        return
    held.holding = False
    held.slots._semaphore.release()
    try:
        yield
    finally:
        await held.slots._semaphore.acquire()
        held.holding = True
