"""STORE_URL -> store: the three forms, and clear errors that never show a password."""

from __future__ import annotations

from pathlib import Path

import pytest

from bme_bot.config import load_settings
from bme_bot.storage.memory import MemoryStore
from bme_bot.storage.redis import RedisStore
from bme_bot.storage.sqlite import SqliteStore
from bme_bot.storage.url import open_store, redact


async def test_memory() -> None:
    assert isinstance(open_store("memory://", 60), MemoryStore)


async def test_sqlite_relative_path_creates_the_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    store = open_store("sqlite:///data/deep/bot.sqlite3", 60)
    try:
        assert isinstance(store, SqliteStore)
        assert (tmp_path / "data" / "deep" / "bot.sqlite3").exists()
    finally:
        await store.close()


async def test_sqlite_absolute_path(tmp_path: Path) -> None:
    target = tmp_path / "abs" / "bot.sqlite3"
    store = open_store(f"sqlite:///{target}", 60)  # /tmp/... gives four slashes
    try:
        assert isinstance(store, SqliteStore) and store.path == target
        await store.ping()
    finally:
        await store.close()


async def test_default_url_from_settings(tmp_path: Path) -> None:
    settings = load_settings({"BME_DATA_DIR": str(tmp_path / "var")})
    store = open_store(settings.effective_store_url, settings.session_ttl_days * 86400)
    try:
        assert isinstance(store, SqliteStore)
        assert store.path == tmp_path / "var" / "bme-bot.sqlite3"
    finally:
        await store.close()


async def test_redis_url_with_prefix_does_not_connect() -> None:
    store = open_store("redis://:s3cret@127.0.0.1:1/3?prefix=bot7", 60)
    assert isinstance(store, RedisStore)
    assert store.prefix == "bot7"
    assert "s3cret" not in repr(store)
    await store.close()


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("", "no scheme"),
        ("bot.sqlite3", "no scheme"),
        ("postgres://user:s3cret@db:5432/bot", "'postgres' is not supported"),
        ("sqlite://data/bot.db", "three slashes"),
        ("sqlite:///", "file path"),
        ("sqlite:///data/", "file path"),
        ("memory://x", "nothing after"),
        ("redis://:s3cret@host:port/0", "port is not a number"),
        ("redis://:s3cret@:6379/0", "needs a host"),
        ("redis://:s3cret@host:6379/zero", "must be a number"),
        ("redis://:s3cret@host:6379/0?db=1", "unknown option"),
        ("redis://:s3cret@host:6379/0?prefix=a*b", "plain word"),
    ],
)
def test_bad_urls_say_what_is_wrong_without_the_password(url: str, says: str) -> None:
    with pytest.raises(ValueError, match="STORE_URL") as caught:
        open_store(url, 60)
    message = str(caught.value)
    assert says in message
    assert "s3cret" not in message


def test_ttl_must_be_positive() -> None:
    with pytest.raises(ValueError, match="above 0"):
        open_store("memory://", 0)


def test_redact() -> None:
    assert redact("redis://:pw@h:6379/0") == "redis://:***@h:6379/0"
    assert redact("redis://u:pw@h/0") == "redis://u:***@h/0"
    assert redact("redis://h:6379/0") == "redis://h:6379/0"
    assert "pw" not in redact("redis://:pw@h:port/0")
