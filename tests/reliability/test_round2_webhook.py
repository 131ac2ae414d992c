"""Round 2, finding 8: update ids of 2^63 or more (or not ints) never reach a store, and
wrong-secret webhook requests are still refused but logged at most once a minute, as one
summary line with the count."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from bme_bot.adapters.telegram.webhook import RefusalLog
from bme_bot.core.engine import Engine
from bme_bot.core.events import Start
from bme_bot.service import Service
from bme_bot.storage.ids import UPDATE_ID_LIMIT, UpdateIdError, valid_update_id
from bme_bot.storage.sqlite import SqliteStore

from .figures import record
from .tgkit import SECRET_HEADER, WEBHOOK_SECRET, json_lines, running_bot

CHAT = 70_113_001
BAD_IDS: list[Any] = [UPDATE_ID_LIMIT, UPDATE_ID_LIMIT + 1, 2**64, 10**30, -1, True]


def events(text: str, name: str) -> list[dict[str, Any]]:
    return [line for line in json_lines(text) if line.get("event") == name]


def test_the_bound_itself() -> None:
    assert valid_update_id(0) and valid_update_id(UPDATE_ID_LIMIT - 1)
    for bad in [*BAD_IDS, "1", 1.0, None]:
        assert not valid_update_id(bad), bad


@pytest.mark.parametrize("update_id", BAD_IDS)
async def test_the_service_refuses_an_unbounded_id_before_the_store(
    update_id: Any, engine: Engine, tmp_path: Path
) -> None:
    store = SqliteStore(tmp_path / "bot.sqlite3")
    try:
        service = Service(engine, store)
        with pytest.raises(UpdateIdError):  # was: OverflowError out of sqlite3
            await service.handle("tg:1", Start(), update_id=update_id)
        assert await store.load("tg:1") is None
        turn = await service.handle("tg:1", Start(), update_id=UPDATE_ID_LIMIT - 1)
        assert turn.replies  # the largest valid id is stored fine
    finally:
        await store.close()


async def post(port: int, body: dict[str, Any], secret: str = WEBHOOK_SECRET) -> int:
    async with httpx.AsyncClient(timeout=10) as client:
        response = await client.post(
            f"http://127.0.0.1:{port}/hook",
            content=json.dumps(body).encode(),
            headers={"Content-Type": "application/json", SECRET_HEADER: secret},
        )
    return response.status_code


async def test_webhook_drops_unbounded_ids_without_a_traceback(
    engine: Engine, tmp_path: Path
) -> None:
    store = SqliteStore(tmp_path / "bot.sqlite3")
    try:
        async with running_bot(engine, webhook=True, store=store) as bot:
            statuses = []
            for update_id in BAD_IDS:
                body = {**bot.fake.text(CHAT, "/start"), "update_id": update_id}
                statuses.append(await post(bot.port, body))
            assert statuses == [400] * len(BAD_IDS)
            assert not bot.fake.sent(CHAT) and await bot.session(CHAT) is None
            text = bot.logs.getvalue()
            assert len(events(text, "update_dropped")) == len(BAD_IDS)
            assert not events(text, "handler_error") and "Traceback" not in text
            assert await post(bot.port, bot.fake.text(CHAT, "/start")) == 200
            assert bot.fake.sent(CHAT)  # a real update is still served
    finally:
        await store.close()
    record("round2: unbounded update ids", webhook_posts=len(BAD_IDS), dropped=len(BAD_IDS))


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_wrong_secret_warnings_are_one_summary_line_a_minute(engine: Engine) -> None:
    clock = FakeClock()
    async with running_bot(engine, webhook=True) as bot:
        assert bot.runtime.webhook is not None
        bot.runtime.webhook.refusals = RefusalLog(clock=clock)
        update = bot.fake.text(CHAT, "/start")
        statuses = []
        for i in range(200):  # 200 requests within one (fake) minute
            clock.now = 1000.0 + i * 0.29
            statuses.append(await post(bot.port, update, secret="wrong" if i % 2 else ""))
        first = events(bot.logs.getvalue(), "webhook_forbidden")
        clock.now = 1000.0 + 61
        statuses.append(await post(bot.port, update, secret="wrong"))
        lines = events(bot.logs.getvalue(), "webhook_forbidden")
        assert statuses == [403] * 201 and not bot.fake.sent(CHAT)
        assert len(first) == 1 and first[0]["count"] == 1  # the first one at once
        assert len(lines) == 2, lines
        assert lines[1]["count"] == 200 and lines[1]["without_secret"] == 99
        assert lines[1]["seconds_since_last_line"] == 61.0
        clock.now += 5
        await post(bot.port, update, secret="wrong")  # counted, shown at stop
    lines = events(bot.logs.getvalue(), "webhook_forbidden")
    assert len(lines) == 3 and lines[2]["count"] == 1
    record("round2: wrong-secret warnings", requests=202, log_lines=len(lines))
