"""Round 2, findings 6 and 7: every setting is validated (finite numbers in range, the data
directory writable), refused in one line with exit 2 through the error root, and `health`
checks the same (one line, exit 1)."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from bme_bot.cli import main
from bme_bot.config import load_settings
from bme_bot.errors import ConfigError

from .figures import record
from .tgkit import TOKEN


@pytest.fixture()
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    for name in list(os.environ):
        if name.startswith(("TELEGRAM_", "WEBHOOK_", "STORE_", "BME_", "DEFAULT_", "SESSION_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("BME_DATA_DIR", str(tmp_path / "data"))
    return monkeypatch


def one_line(argv: list[str], capsys: pytest.CaptureFixture[str], code: int = 2) -> str:
    got = main(argv)
    out, err = capsys.readouterr()
    text = err if code == 2 else out
    lines = text.strip().splitlines()
    assert got == code, (got, out, err)
    assert len(lines) == 1 and "Traceback" not in out + err, (out, err)
    return lines[0]


BAD_TTLS = ["nan", "NaN", "inf", "-inf", "1e999", "0", "-1", "1e9", "", " ", "thirty"]


@pytest.mark.parametrize("value", BAD_TTLS)
def test_session_ttl_must_be_a_finite_number_in_range(value: str) -> None:
    if not value.strip():  # empty means the default
        assert load_settings({"SESSION_TTL_DAYS": value}).session_ttl_days == 30.0
        return
    with pytest.raises(ConfigError, match="SESSION_TTL_DAYS"):
        load_settings({"SESSION_TTL_DAYS": value})


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.parametrize("value", ["nan", "inf"])
@pytest.mark.parametrize("store", ["sqlite", "redis", "memory"])
@pytest.mark.parametrize("command", ["stats", "console", "telegram"])
def test_non_finite_ttl_is_one_line_and_exit_2(
    value: str,
    store: str,
    command: str,
    env: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    env.setenv("SESSION_TTL_DAYS", value)
    env.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    env.setenv("TELEGRAM_API_BASE_URL", f"http://127.0.0.1:{free_port()}/bot")
    if store != "sqlite":
        env.setenv(
            "STORE_URL", f"redis://127.0.0.1:{free_port()}/0" if store == "redis" else "memory://"
        )
    line = one_line([command], capsys)
    assert "configuration error" in line and f"SESSION_TTL_DAYS='{value}'" in line, line
    record("round2: settings refused in one line", cases=1)


@pytest.mark.parametrize("value", ["nan", "inf", "0"])
def test_health_checks_the_same_settings(
    value: str, env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    env.setenv("STORE_URL", "memory://")
    env.setenv("SESSION_TTL_DAYS", value)
    line = one_line(["health"], capsys, code=1)
    assert line.startswith("unhealthy: configuration error: SESSION_TTL_DAYS"), line
    env.delenv("SESSION_TTL_DAYS")
    env.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    env.setenv("TELEGRAM_UPDATES_IN_FLIGHT", "nan")
    line = one_line(["health"], capsys, code=1)
    assert "TELEGRAM_UPDATES_IN_FLIGHT" in line, line
    env.delenv("TELEGRAM_UPDATES_IN_FLIGHT")
    assert one_line(["health"], capsys, code=0).startswith("ok: ")
    record("round2: settings refused in one line", health_cases=2)


def unusable_dirs(tmp_path: Path) -> dict[str, Path]:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    return {
        "a file": blocker,
        "under a file": blocker / "data",
        "cannot be created": Path("/proc/bme-bot-no-such-dir"),  # read-only to root as well
    }


@pytest.mark.parametrize("case", ["a file", "under a file", "cannot be created"])
@pytest.mark.parametrize("command", ["console", "stats", "telegram"])
def test_an_unusable_data_dir_is_a_configuration_error(
    case: str,
    command: str,
    env: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    data = unusable_dirs(tmp_path)[case]
    env.setenv("BME_DATA_DIR", str(data))
    env.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    env.setenv("TELEGRAM_API_BASE_URL", f"http://127.0.0.1:{free_port()}/bot")
    line = one_line([command], capsys)
    assert "configuration error" in line and f"BME_DATA_DIR='{data}'" in line, line
    assert "not a writable directory" in line
    line = one_line(["health"], capsys, code=1)
    assert line.startswith("unhealthy: configuration error: BME_DATA_DIR"), line
    record("round2: data directory unusable", cases=2)


def test_polling_needs_a_writable_data_dir_even_with_another_store(
    env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """The poller's heartbeat lives in BME_DATA_DIR, whatever STORE_URL says."""
    env.setenv("BME_DATA_DIR", str(unusable_dirs(tmp_path)["under a file"]))
    env.setenv("STORE_URL", "memory://")
    env.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    env.setenv("TELEGRAM_API_BASE_URL", f"http://127.0.0.1:{free_port()}/bot")
    assert "BME_DATA_DIR" in one_line(["telegram"], capsys)
    assert one_line(["health"], capsys, code=1).startswith("unhealthy: configuration error")


def test_stats_with_redis_unreachable_is_one_line(
    env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    port = free_port()
    env.setenv("STORE_URL", f"redis://127.0.0.1:{port}/0")
    line = one_line(["stats"], capsys)
    assert "store error" in line and f"127.0.0.1:{port}" in line
    record("round2: stats with Redis unreachable", cases=1)
