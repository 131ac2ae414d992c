"""The `backend` fixture: each contract test runs on memory, SQLite and a real Redis."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from redis.asyncio import Redis

from .backends import REDIS_URL, Backend, require_redis


@pytest.fixture(params=["memory", "sqlite", pytest.param("redis", marks=pytest.mark.redis)])
async def backend(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Backend]:
    if request.param == "redis":
        require_redis()
    backend = Backend(request.param, tmp_path)
    if backend.kind == "redis":
        backend.raw = Redis.from_url(REDIS_URL, decode_responses=True)
    try:
        yield backend
    finally:
        await backend.cleanup()
