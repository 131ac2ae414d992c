"""`STORE_URL` -> the check-in schedule beside the sessions, in the same store.

`sqlite:///PATH` gives the table `checkins` in that same file, `redis://...` the sorted set
under the same prefix, `memory://` an in-process schedule. The session store has already
validated the URL at start-up (bme_bot.storage.url); the checks here repeat only what this
needs, with the same messages' spirit and the password masked.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlsplit, urlunsplit

from bme_bot.checkins.base import CheckinStore
from bme_bot.errors import ConfigError
from bme_bot.storage.url import redact


def open_checkin_store(url: str, ttl_seconds: float) -> CheckinStore:
    """The schedule the URL names; ConfigError if it is malformed. Redis connects on first
    use: `await store.ping()` checks it."""
    shown = redact(url)
    scheme, sep, rest = url.partition("://")
    scheme = scheme.lower()
    if not sep or scheme not in ("sqlite", "redis", "rediss", "memory"):
        raise ConfigError(
            f"STORE_URL {shown!r}: use sqlite:///PATH, redis://HOST:PORT/DB or memory://"
        )
    if ttl_seconds <= 0:
        raise ConfigError(f"check-in time to live must be above 0, got {ttl_seconds}")
    if scheme == "memory":
        from bme_bot.checkins.memory import MemoryCheckinStore

        return MemoryCheckinStore(ttl_seconds)
    if scheme == "sqlite":
        path = rest[1:] if rest.startswith("/") else ""
        if not path or path.endswith("/") or "?" in path:
            raise ConfigError(
                f"STORE_URL {shown!r}: give the SQLite file path, e.g. sqlite:///data/bot.db"
            )
        from bme_bot.checkins.sqlite import SqliteCheckinStore

        return SqliteCheckinStore(Path(path), ttl_seconds)
    parts = urlsplit(url)
    if not parts.hostname:
        raise ConfigError(f"STORE_URL {shown!r}: a Redis URL needs a host: redis://HOST:PORT/DB")
    query = parse_qs(parts.query)
    prefix = query.pop("prefix", ["bme"])[-1]
    if not prefix or any(c in prefix for c in " *?[]") or query:
        raise ConfigError(f"STORE_URL {shown!r}: only ?prefix=NAME (a plain word) is understood")
    from bme_bot.checkins.redis import RedisCheckinStore

    return RedisCheckinStore.from_url(
        urlunsplit(parts._replace(query="")), ttl_seconds, prefix=prefix
    )
