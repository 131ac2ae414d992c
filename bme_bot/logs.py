"""Structured logs: one JSON line per event, no secrets, no user text, chat ids hashed.

Call `setup_logging(level, secrets=[token, webhook_secret])` once at start. Then log events as
`log_event(logger, "message_handled", chat=hash_chat(chat_id), replies=2)`: the event name and
its fields become one JSON object on one line.

Defences, in order:

1. Our own code never logs message text, answers or option ids; only event names, kinds,
   counts, timings and hashed chat ids.
2. Libraries that would log request URLs (which carry the bot token) or update payloads (which
   carry user text) are held back whatever LOG_LEVEL says: `httpx`, `httpcore` and
   `aiohttp.access` at WARNING, `telegram` at INFO at the most verbose.
3. A redaction filter on the handler replaces every registered secret (the token, the webhook
   secret) in the final formatted line, traceback included, by `[REDACTED]`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import sys
import time
from collections.abc import Iterable
from typing import IO, Any

REDACTED = "[REDACTED]"

QUIET_LOGGERS = {
    "httpx": logging.WARNING,
    "httpcore": logging.WARNING,
    "aiohttp.access": logging.WARNING,
    "hpack": logging.WARNING,
    "transitions": logging.WARNING,
}
"""Loggers that would print URLs with the token (or, for `transitions`, a line per state
change at INFO): never below WARNING."""

CAPPED_LOGGERS = ("telegram", "aiohttp")
"""Loggers that would print update payloads (user text) at DEBUG: never below INFO."""

_HANDLER_NAME = "bme-bot"
_hash_key = b"bme-bot"


def set_hash_key(key: bytes) -> None:
    """Key the chat-id hash (the adapter uses a digest of the token: stable, not guessable)."""
    global _hash_key
    _hash_key = key


def hash_chat(chat_id: int | str) -> str:
    """A short keyed hash of a chat id: the same chat gives the same hash, the id stays hidden."""
    digest = hmac.new(_hash_key, str(chat_id).encode(), hashlib.sha256).hexdigest()
    return digest[:12]


def log_event(logger: logging.Logger, event: str, level: int = logging.INFO, **fields: Any) -> None:
    """Log one event with its fields as one structured line."""
    if logger.isEnabledFor(level):
        logger.log(level, event, extra={"fields": fields})


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ts, level, logger, event, the event's fields, exc."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "event": record.getMessage(),
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            for key, value in fields.items():
                entry.setdefault(key, value)
        if record.exc_info and record.exc_info[0] is not None:
            entry["exc_type"] = record.exc_info[0].__name__
            entry["exc"] = record.exc_text or self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


class RedactionFilter(logging.Filter):
    """Replace registered secrets in a record's message, arguments, fields and traceback."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.secrets: list[str] = []
        self.add(*secrets)

    def add(self, *secrets: str) -> None:
        for secret in secrets:
            if secret and len(secret) >= 6 and secret not in self.secrets:
                self.secrets.append(secret)
                # also the URL-encoded form, in case a URL was logged
                quoted = secret.replace(":", "%3A")
                if quoted != secret:
                    self.secrets.append(quoted)

    def redact(self, text: str) -> str:
        for secret in self.secrets:
            if secret in text:
                text = text.replace(secret, REDACTED)
        return text

    def _redact_value(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.redact(value)
        if isinstance(value, int | float | bool) or value is None:
            return value
        text = json.dumps(value, default=str)
        return self.redact(text) if any(s in text for s in self.secrets) else value

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.secrets:
            return True
        try:
            message = record.getMessage()
        except Exception:  # a broken format string must not lose the line
            message = str(record.msg)
        record.msg = self.redact(message)
        record.args = None
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            record.fields = {k: self._redact_value(v) for k, v in fields.items()}
        if record.exc_info and record.exc_info[0] is not None and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        return True


def setup_logging(
    level: str = "INFO", secrets: Iterable[str] = (), stream: IO[str] | None = None
) -> RedactionFilter:
    """Install the one root handler (JSON lines on stderr); returns its redaction filter."""
    numeric = logging.getLevelName(level.upper())
    if not isinstance(numeric, int):
        numeric = logging.INFO
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == _HANDLER_NAME]:
        root.removeHandler(old)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.set_name(_HANDLER_NAME)
    handler.setFormatter(JsonFormatter())
    redaction = RedactionFilter(secrets)
    handler.addFilter(redaction)
    root.addHandler(handler)
    root.setLevel(numeric)
    for name, floor in QUIET_LOGGERS.items():
        logging.getLogger(name).setLevel(max(floor, numeric))
    for name in CAPPED_LOGGERS:
        logging.getLogger(name).setLevel(max(logging.INFO, numeric))
    return redaction


def teardown_logging() -> None:
    """Remove the handler `setup_logging` installed (tests)."""
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == _HANDLER_NAME]:
        root.removeHandler(old)
