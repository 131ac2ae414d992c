"""Shared pieces of the Telegram end-to-end tests: the test token, a store that can fail, the
running-bot handle, and a keyboard reader. (A module of its own, not conftest, so that tests
import it by a name no other test directory uses.)"""

from __future__ import annotations

import asyncio
import io
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from bme_bot.adapters.telegram.runtime import TelegramRuntime
from bme_bot.storage.base import StoreError
from bme_bot.storage.memory import MemoryStore
from bme_bot.testing.fake_bot_api import FakeBotApi

TOKEN = "123456789:AAHfakeTOKENfakeTOKENfakeTOKEN_abcde"
WEBHOOK_SECRET = "s3cret-webhook_TOKEN-0123456789"


class FlakyStore(MemoryStore):
    """A memory store that can be switched off: every call then raises StoreError."""

    def __init__(self) -> None:
        super().__init__()
        self.down = False

    def _check(self) -> None:
        if self.down:
            raise StoreError("store down (test)")

    async def load(self, chat: str) -> Any:
        self._check()
        return await super().load(chat)

    async def seen(self, update_id: int) -> bool:
        self._check()
        return await super().seen(update_id)


@dataclass
class BotEnv:
    fake: FakeBotApi
    runtime: TelegramRuntime
    store: FlakyStore
    logs: io.StringIO
    done: set[int] = field(default_factory=set)

    async def processed(self, update_id: int, within: float = 5.0) -> None:
        """Wait until the bot has run every handler for this update (bounded)."""
        deadline = time.monotonic() + within
        while update_id not in self.done:
            assert time.monotonic() < deadline, f"update {update_id} not processed in time"
            await asyncio.sleep(0.005)

    async def send(self, update: dict[str, Any]) -> int:
        update_id = self.fake.push(update)
        await self.processed(update_id)
        return update_id

    async def session(self, chat_id: int) -> dict[str, Any] | None:
        stored = await self.store.load(f"tg:{chat_id}")
        return stored.data if stored else None


Factory = Callable[..., Awaitable[BotEnv]]


def question_buttons(buttons: list[tuple[str, str]]) -> list[tuple[str, str, int, str]]:
    """(label, question, turn, option) for each question button."""
    found = []
    for label, data in buttons:
        parts = data.split("|")
        if len(parts) == 4 and parts[0] == "q":
            found.append((label, parts[1], int(parts[2]), parts[3]))
    return found
