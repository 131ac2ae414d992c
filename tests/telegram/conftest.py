"""Fixtures: the real PTB Application (through TelegramRuntime) against the fake Bot API.

Every environment captures the logs at DEBUG through the bot's own logging setup and checks,
when the test ends, that the token and the webhook secret never appear in them.
"""

from __future__ import annotations

import io
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from telegram import Update
from telegram.ext import TypeHandler
from tg_harness import TOKEN, WEBHOOK_SECRET, BotEnv, Factory, FlakyStore

from bme_bot.adapters.telegram.runtime import TelegramRuntime
from bme_bot.adapters.telegram.settings import TelegramSettings
from bme_bot.config import Secret
from bme_bot.core.engine import Engine
from bme_bot.logs import setup_logging, teardown_logging
from bme_bot.service import Service
from bme_bot.testing.fake_bot_api import FakeBotApi


@pytest.fixture()
async def make_env(engine: Engine) -> AsyncIterator[Factory]:
    """Start a bot (polling by default, or webhook) against a fresh fake; stop it after."""
    started: list[tuple[BotEnv, float]] = []
    fakes: list[FakeBotApi] = []
    logs = io.StringIO()
    setup_logging("DEBUG", [TOKEN, WEBHOOK_SECRET], stream=logs)

    async def factory(
        *, webhook: bool = False, prepare: Callable[[FakeBotApi], None] | None = None
    ) -> BotEnv:
        fake = FakeBotApi(TOKEN)
        fakes.append(fake)
        base_url = await fake.start()
        if prepare is not None:
            prepare(fake)
        tg = TelegramSettings(
            token=Secret(TOKEN),
            api_base_url=base_url,
            webhook_url="https://bot.example.org/hook" if webhook else None,
            webhook_secret=Secret(WEBHOOK_SECRET) if webhook else None,
            webhook_listen="127.0.0.1",
            webhook_port=0,
            webhook_path="/hook",
            webhook_max_body=64 * 1024,
            chat_rate=0,
        )
        store = FlakyStore()
        runtime = TelegramRuntime(
            tg, Service(engine, store), poll_timeout=1, backoff=0.05, read_timeout=5
        )
        env = BotEnv(fake, runtime, store, logs)

        async def mark(update: Update, context: Any) -> None:
            env.done.add(update.update_id)

        runtime.application.add_handler(TypeHandler(Update, mark), group=99)
        await runtime.start()
        started.append((env, time.monotonic()))
        return env

    try:
        yield factory
    finally:
        for env, _ in started:
            began = time.monotonic()
            await env.runtime.stop()
            assert time.monotonic() - began < 10, "stopping took too long"
        for fake in fakes:
            await fake.stop()
        teardown_logging()
    assert TOKEN not in logs.getvalue()
    assert WEBHOOK_SECRET not in logs.getvalue()


@pytest.fixture()
async def env(make_env: Factory) -> BotEnv:
    """A bot in polling mode."""
    return await make_env()
