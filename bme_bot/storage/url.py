"""`STORE_URL` -> a store: `sqlite:///PATH`, `redis://HOST:PORT/DB`, `memory://`.

`sqlite:///data/bot.sqlite3` is relative to the working directory and
`sqlite:////var/lib/bme-bot/bot.sqlite3` is absolute (three slashes, then the path).
Redis URLs may carry a password (`redis://:secret@host:6379/0`), `rediss://` for TLS, and
`?prefix=NAME` to choose the key prefix (default `bme`). A bad URL raises ConfigError (a
ValueError) naming what is wrong; the URL in the message has its password masked.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlsplit, urlunsplit

from bme_bot.errors import ConfigError
from bme_bot.storage.base import Store

SCHEMES = ("sqlite", "redis", "rediss", "memory")


def redact(url: str) -> str:
    """The URL with any password replaced by ***, safe to print and log."""
    try:
        parts = urlsplit(url)
        if parts.password is None:
            return url
        host = parts.hostname or ""
        netloc = f"{parts.username or ''}:***@{host}"
        if parts.port is not None:
            netloc += f":{parts.port}"
        return urlunsplit(parts._replace(netloc=netloc))
    except ValueError:
        scheme, sep, rest = url.partition("://")
        if "@" in rest:
            return f"{scheme}{sep}***@{rest.rsplit('@', 1)[1]}"
        return url


def open_store(url: str, ttl_seconds: float) -> Store:
    """Build the store a URL names; ConfigError (password masked) if it is malformed.

    Nothing is connected yet for Redis: call `await store.ping()` to check it is reachable.
    """
    shown = redact(url)
    scheme, sep, rest = url.partition("://")
    if not sep:
        raise ConfigError(
            f"STORE_URL {shown!r} has no scheme: use sqlite:///PATH, redis://HOST:PORT/DB "
            "or memory://"
        )
    scheme = scheme.lower()
    if scheme not in SCHEMES:
        raise ConfigError(
            f"STORE_URL scheme {scheme!r} is not supported: use sqlite:///PATH, "
            "redis://HOST:PORT/DB or memory://"
        )
    if ttl_seconds <= 0:
        raise ConfigError(f"session time to live must be above 0, got {ttl_seconds}")
    if scheme == "memory":
        if rest:
            raise ConfigError(f"STORE_URL {shown!r}: memory:// takes nothing after the scheme")
        from bme_bot.storage.memory import MemoryStore

        return MemoryStore(ttl_seconds)
    if scheme == "sqlite":
        return _open_sqlite(rest, shown, ttl_seconds)
    return _open_redis(url, shown, ttl_seconds)


def _open_sqlite(rest: str, shown: str, ttl_seconds: float) -> Store:
    if not rest.startswith("/"):
        raise ConfigError(
            f"STORE_URL {shown!r}: an SQLite URL has three slashes before the path "
            "(sqlite:///relative/path or sqlite:////absolute/path)"
        )
    path_text = rest[1:]
    if not path_text or path_text.endswith("/") or "?" in path_text:
        raise ConfigError(
            f"STORE_URL {shown!r}: give the SQLite file path, e.g. sqlite:///data/bot.db"
        )
    from bme_bot.storage.sqlite import SqliteStore

    return SqliteStore(Path(path_text), ttl_seconds)  # creates the parent directory


def _open_redis(url: str, shown: str, ttl_seconds: float) -> Store:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise ConfigError(f"STORE_URL {shown!r}: the Redis port is not a number") from exc
    if not parts.hostname:
        raise ConfigError(f"STORE_URL {shown!r}: a Redis URL needs a host: redis://HOST:PORT/DB")
    db_text = parts.path.lstrip("/")
    if db_text and not db_text.isdigit():
        raise ConfigError(f"STORE_URL {shown!r}: the Redis database must be a number, e.g. /0")
    query = parse_qs(parts.query)
    prefix = query.pop("prefix", ["bme"])[-1]
    if not prefix or any(c in prefix for c in " *?[]"):
        raise ConfigError(f"STORE_URL {shown!r}: the key prefix must be a plain word")
    if query:
        raise ConfigError(
            f"STORE_URL {shown!r}: unknown option(s) {', '.join(sorted(query))}; "
            "only ?prefix=NAME is understood"
        )
    from bme_bot.storage.redis import RedisStore

    clean = urlunsplit(parts._replace(query=""))
    del port
    return RedisStore.from_url(clean, ttl_seconds, prefix=prefix)
