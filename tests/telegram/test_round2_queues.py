"""The per-chat queues behind polling (issue 13, finding 3): one chat's updates in arrival
order, other chats alongside, and an offset that confirms only the finished prefix, so that a
crash re-delivers what was not finished (at-least-once, as before)."""

from __future__ import annotations

import asyncio
from typing import Any

from telegram import Update

from bme_bot.adapters.telegram.chat_queues import ChatQueues


def update(update_id: int, chat_id: int) -> Update:
    data: dict[str, Any] = {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": 0,
            "chat": {"id": chat_id, "type": "private"},
            "text": "hi",
        },
    }
    return Update.de_json(data, None)


class Recorder:
    """The handler the queues call: records the order, and holds chosen updates until told."""

    def __init__(self, held: set[int] = frozenset()) -> None:  # type: ignore[assignment]
        self.started: list[int] = []
        self.finished: list[int] = []
        self.gates = {i: asyncio.Event() for i in held}

    async def __call__(self, item: Update) -> None:
        self.started.append(item.update_id)
        gate = self.gates.get(item.update_id)
        if gate is not None:
            await gate.wait()
        self.finished.append(item.update_id)


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def test_one_chat_in_order_others_alongside_and_a_safe_offset() -> None:
    handler = Recorder(held={10})
    queues = ChatQueues(handler)
    batch = [update(10, 1), update(11, 2), update(12, 1)]
    assert queues.take(batch, 12, None) == 3
    await settle()
    assert handler.started == [10, 11]  # chat 1's second update waits for its first
    assert handler.finished == [11]  # chat 2 did not wait for chat 1
    assert queues.offset() == 10  # 10 unfinished: 11 is not confirmed past it
    assert queues.take(batch, 12, 10) == 0  # fetched again from the offset: taken once
    handler.gates[10].set()
    await queues.drain()
    assert handler.finished == [11, 10, 12]
    assert queues.offset() == 13 and queues.unfinished == 0


async def test_cancelled_work_is_not_acknowledged() -> None:
    handler = Recorder(held={20})
    queues = ChatQueues(handler)
    queues.take([update(20, 1), update(21, 2)], 21, None)
    await settle()
    await queues.cancel()  # the stop budget ran out with 20 in hand
    assert queues.offset() == 20  # so Telegram delivers 20 (and 21) again
    again = Recorder()
    fresh = ChatQueues(again)  # the next process
    fresh.take([update(20, 1), update(21, 2)], 21, 20)
    await fresh.drain()
    assert sorted(again.finished) == [20, 21]  # the store skips 21, already saved


async def test_dropped_ids_still_move_the_offset() -> None:
    queues = ChatQueues(Recorder())
    queues.take([], 33, None)  # a batch of malformed items only (their highest valid id)
    assert queues.offset() == 34
