"""The `schedules` fixture: each contract test runs on memory, SQLite and a real Redis."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from .schedules import Schedules


@pytest.fixture(params=["memory", "sqlite", pytest.param("redis", marks=pytest.mark.redis)])
async def schedules(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Schedules]:
    made = Schedules(request.param, tmp_path)
    try:
        yield made
    finally:
        await made.cleanup()
