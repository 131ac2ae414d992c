"""The CLI's one error root: every BmeBotError is one line on stderr and exit 2; and the
composition root builds each piece once, in order."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from bme_bot.bootstrap import App, build, build_engine
from bme_bot.cli import main
from bme_bot.config import load_settings
from bme_bot.core.events import Start
from bme_bot.core.regions import REGIONS
from bme_bot.errors import BmeBotError, ConfigError, ServiceUnavailable
from bme_bot.loading.errors import LoadError
from bme_bot.storage.base import StoreError
from bme_bot.storage.memory import MemoryStore

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "123456:" + "A" * 35


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture()
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    """No setting from the caller's environment; data in tmp_path."""
    for name in list(os.environ):
        if name.startswith(("TELEGRAM_", "WEBHOOK_", "STORE_", "BME_", "DEFAULT_", "SESSION_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("BME_DATA_DIR", str(tmp_path / "data"))
    return monkeypatch


def refused(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    """Run the CLI, expect exit 2 and exactly one line on stderr; return that line."""
    code = main(argv)
    out, err = capsys.readouterr()
    lines = err.strip().splitlines()
    assert code == 2, (code, out, err)
    assert len(lines) == 1 and lines[0].startswith("bme-bot: "), err
    assert "Traceback" not in err
    return lines[0]


def test_error_leaves_share_one_root() -> None:
    for leaf in (ConfigError, LoadError, StoreError, ServiceUnavailable):
        assert issubclass(leaf, BmeBotError), leaf
    assert issubclass(ConfigError, ValueError)  # callers that caught ValueError still do


def test_bad_setting_names_the_variable_and_the_region_codes(
    clean_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    clean_env.setenv("DEFAULT_REGION", "Atlantis")
    line = refused(["stats"], capsys)
    assert "configuration error" in line and "DEFAULT_REGION='Atlantis'" in line
    assert all(code in line for code in REGIONS), line


def test_bad_store_url_is_a_configuration_error(
    clean_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    clean_env.setenv("STORE_URL", "postgres://u:s3cret@db/bot")
    line = refused(["stats"], capsys)
    assert "configuration error" in line and "'postgres' is not supported" in line
    assert "s3cret" not in line


@pytest.mark.parametrize("argv", [["stats"], ["console", "--json"], ["console"]])
def test_missing_flow_file_names_the_file(
    argv: list[str],
    clean_env: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    flows = tmp_path / "flows"
    flows.mkdir()
    clean_env.setenv("BME_FLOWS_DIR", str(flows))
    line = refused(argv, capsys)
    assert "cannot load the flow or content" in line
    assert str(flows / "bme_triage.yaml") in line and "cannot read" in line
    assert not (tmp_path / "data").exists()  # the flow is loaded before the store is opened


def test_a_flow_with_many_problems_is_still_one_line(
    clean_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: x\nversion: 1\nstart: q\nfacts: {}\nquestions: {}\nextra: 1\n")
    line = refused(["console", "--flow", str(bad)], capsys)
    assert f"{bad}:" in line and "more: `bme-bot check FILE` lists them" in line


def test_unreachable_redis_store_names_where(
    clean_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    port = free_port()  # nobody listens here
    clean_env.setenv("STORE_URL", f"redis://:s3cret@127.0.0.1:{port}/0")
    line = refused(["stats"], capsys)
    assert "store error" in line and f"127.0.0.1:{port}" in line
    assert "s3cret" not in line


def test_sqlite_store_that_cannot_be_opened_names_the_path(
    clean_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    clean_env.setenv("STORE_URL", f"sqlite:///{blocker}/bot.sqlite3")
    line = refused(["console"], capsys)
    assert "store error" in line and str(blocker / "bot.sqlite3") in line


def test_health_reports_an_unreachable_store_as_unhealthy(
    clean_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    clean_env.setenv("STORE_URL", f"redis://127.0.0.1:{free_port()}/0")
    assert main(["health"]) == 1
    out = capsys.readouterr().out
    assert out.startswith("unhealthy: store unreachable") and len(out.splitlines()) == 1
    clean_env.setenv("STORE_URL", "memory://")
    assert main(["health"]) == 0
    assert capsys.readouterr().out.startswith("ok: flow bme_triage")


def test_telegram_runner_refuses_a_store_it_cannot_open_in_one_line(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TELEGRAM_", "WEBHOOK_", "STORE_", "BME_"))
    }
    env.update(TELEGRAM_BOT_TOKEN=TOKEN, STORE_URL=f"sqlite:///{blocker}/x.sqlite3")
    run = subprocess.run(
        [sys.executable, "-m", "bme_bot", "telegram"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    lines = run.stderr.strip().splitlines()
    assert run.returncode == 2, run.stderr
    assert len(lines) == 1 and "store error" in lines[0] and str(blocker) in lines[0]
    assert TOKEN not in run.stderr and "Traceback" not in run.stderr


# --- the composition root ------------------------------------------------------------------


async def test_build_wires_one_store_into_the_service(tmp_path: Path) -> None:
    settings = load_settings({"BME_DATA_DIR": str(tmp_path), "SESSION_TTL_DAYS": "2"})
    app = build(settings)
    try:
        assert app.service.store is app.store and app.service.engine is app.engine
        assert app.settings is settings
        await app.store.ping()
        assert (tmp_path / "bme-bot.sqlite3").exists()  # the configured default store
    finally:
        await app.close()
    with pytest.raises(StoreError, match="closed"):
        await app.store.ping()


async def test_build_with_a_store_url_and_a_shared_engine(app: App) -> None:
    assert isinstance(app.store, MemoryStore)
    again = build(app.settings, store_url="memory://", engine=app.engine)
    assert again.engine is app.engine and again.store is not app.store
    turn = await app.service.handle("c1", Start())
    assert turn.replies and await again.store.load("c1") is None  # separate stores
    await again.close()


def test_build_engine_loads_another_flow(tmp_path: Path) -> None:
    settings = load_settings({"DEFAULT_REGION": "UK"})
    copy = tmp_path / "copy.yaml"
    copy.write_text(settings.flow_path.read_text(encoding="utf-8"), encoding="utf-8")
    engine = build_engine(settings, flow_path=copy)
    assert engine.flow.source == str(copy) and engine.flow.id == "bme_triage"
    assert engine.default_region.code == "UK"
    with pytest.raises(LoadError, match="cannot read"):
        build_engine(settings, flow_path=tmp_path / "none.yaml")


def test_the_old_app_module_re_exports_the_root() -> None:
    import bme_bot.app as old

    assert old.build is build and old.build_engine is build_engine and old.App is App
