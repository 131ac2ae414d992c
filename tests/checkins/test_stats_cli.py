"""`bme-bot stats` shows the check-in counters kept beside the schedule (SQLite file)."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from bme_bot.checkins.base import counter_name
from bme_bot.checkins.url import open_checkin_store
from bme_bot.cli import main


async def _count(url: str) -> None:
    schedule = open_checkin_store(url, 86400)
    try:
        await schedule.add_counters({counter_name("offered"): 4, counter_name("accepted"): 3})
    finally:
        await schedule.close()


def test_stats_lists_checkin_counters(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in list(os.environ):
        if name.startswith(("TELEGRAM_", "WEBHOOK_", "STORE_", "BME_", "DEFAULT_", "SESSION_")):
            monkeypatch.delenv(name, raising=False)
    url = f"sqlite:///{tmp_path / 'bot.sqlite3'}"
    monkeypatch.setenv("STORE_URL", url)
    monkeypatch.setenv("BME_DATA_DIR", str(tmp_path / "data"))
    asyncio.run(_count(url))
    assert main(["stats"]) == 0
    out = capsys.readouterr().out
    assert "Check-ins" in out
    lines = {line.split()[0]: line.split()[-1] for line in out.splitlines() if line.split()}
    assert lines.get("offered") == "4" and lines.get("accepted") == "3"
