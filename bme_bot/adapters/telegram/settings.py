"""Telegram-only settings, read once from the environment (and CLI flags) and validated.

| variable                 | meaning                                                        |
| ------------------------ | -------------------------------------------------------------- |
| TELEGRAM_BOT_TOKEN       | the token BotFather gave                                       |
| TELEGRAM_BOT_TOKEN_FILE  | or a file holding it (Docker / Compose secrets)                |
| TELEGRAM_API_BASE_URL    | another Bot API server, PTB `base_url` form (token appended)   |
| WEBHOOK_URL              | public HTTPS URL Telegram posts to; set = webhook mode         |
| WEBHOOK_SECRET           | required in webhook mode: 1-256 of A-Z a-z 0-9 _ -             |
| WEBHOOK_LISTEN           | address the webhook server binds (default 0.0.0.0)             |
| WEBHOOK_PORT             | its port (default 8080)                                        |
| WEBHOOK_PATH             | path it serves (default: the path of WEBHOOK_URL)              |
| WEBHOOK_MAX_BODY         | largest request body accepted, bytes (default 1000000)         |
| WEBHOOK_ANSWER_IN_REPLY  | answer a button tap in the webhook's HTTP reply (default 1; 0: |
|                          | a request of its own): one Bot API call fewer per tap          |
| TELEGRAM_CHAT_RATE       | updates a second one chat may send, sustained (default 1; 0 off)|
|                          | (every kind: text, taps, stickers, edits; a group is one chat) |
| TELEGRAM_CHAT_BURST      | updates one chat may send at once before that (default 10)     |
| TELEGRAM_SEND_RATE       | messages a second the bot sends overall (default 30; 0 off);   |
|                          | with it, 1 a second per private chat and 20 a minute per group |
|                          | (send_limiter.py); edits and taps' answers are not counted     |

A bad value raises `ConfigError` naming the variable, never showing a secret.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from bme_bot.config import ConfigError, Secret

TOKEN_PATTERN = re.compile(r"[0-9]{3,20}:[A-Za-z0-9_-]{30,100}")
SECRET_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,256}")
DEFAULT_LISTEN = "0.0.0.0"  # noqa: S104 - a container must listen on all its interfaces
DEFAULT_PORT = 8080
DEFAULT_MAX_BODY = 1_000_000
UPDATES_IN_FLIGHT = 8
"""Updates handled at once by default, in polling and webhook mode alike.

Each update waits on three Bot API round trips in turn. Eight at once hide that wait on a real
network: at 50 ms a round trip that is about 50 updates a second (arithmetic, not measured),
above Telegram's 30 messages a second. On loopback, where a round trip costs nothing, fewer
are cheaper in CPU (docs/PERFORMANCE.md): httpcore checks every idle pooled connection on each
request. An update that only waits (a send limit, a 429, a chat's lock) gives its place back
meanwhile (slots.py)."""


@dataclass(frozen=True)
class TelegramSettings:
    token: Secret
    api_base_url: str | None = None
    webhook_url: str | None = None
    webhook_secret: Secret | None = None
    webhook_listen: str = DEFAULT_LISTEN
    webhook_port: int = DEFAULT_PORT
    webhook_path: str = "/"
    webhook_max_body: int = DEFAULT_MAX_BODY
    webhook_answer_in_reply: bool = True
    chat_rate: float = 1.0
    chat_burst: int = 10
    send_rate: int = 30
    updates_in_flight: int = UPDATES_IN_FLIGHT

    @property
    def webhook(self) -> bool:
        return self.webhook_url is not None

    @property
    def file_base_url(self) -> str | None:
        """`.../bot` -> `.../file/bot`, as a self-hosted Bot API server serves files."""
        if self.api_base_url is None:
            return None
        head, sep, tail = self.api_base_url.rstrip("/").rpartition("/")
        return f"{head}/file/{tail}" if sep else None


def read_token(env: Mapping[str, str]) -> Secret:
    """The token from TELEGRAM_BOT_TOKEN or TELEGRAM_BOT_TOKEN_FILE, checked for its shape."""
    value = env.get("TELEGRAM_BOT_TOKEN", "").strip()
    source = "TELEGRAM_BOT_TOKEN"
    path_text = env.get("TELEGRAM_BOT_TOKEN_FILE", "").strip()
    if not value and path_text:
        source = "TELEGRAM_BOT_TOKEN_FILE"
        try:
            value = Path(path_text).read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else "unreadable"
            raise ConfigError(
                f"TELEGRAM_BOT_TOKEN_FILE={path_text!r} cannot be read ({reason})"
            ) from None
    if not value:
        raise ConfigError(
            "no Telegram token: set TELEGRAM_BOT_TOKEN or TELEGRAM_BOT_TOKEN_FILE "
            "(BotFather gives it, see docs/TELEGRAM.md)"
        )
    if not TOKEN_PATTERN.fullmatch(value):
        raise ConfigError(
            f"{source} is malformed: expected digits, a colon and 30+ letters, digits, _ or - "
            "(as BotFather gives it)"
        )
    return Secret(value)


def _http_url(name: str, value: str) -> str:
    try:
        parts = urlsplit(value)
    except ValueError:
        raise ConfigError(f"{name} is not a URL") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"{name}={value!r} must be an http(s) URL with a host")
    return value


def _int(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    text = env.get(name, "").strip()
    if not text:
        return default
    try:
        number = int(text)
    except ValueError:
        raise ConfigError(f"{name}={text!r} is not a whole number") from None
    if not low <= number <= high:
        raise ConfigError(f"{name}={number} must be between {low} and {high}")
    return number


def load_telegram_settings(
    env: Mapping[str, str] | None = None,
    *,
    base_url: str | None = None,
    webhook_url: str | None = None,
) -> TelegramSettings:
    """Read and validate; flags (`base_url`, `webhook_url`) win over the environment."""
    env = os.environ if env is None else env
    token = read_token(env)
    api = (base_url or env.get("TELEGRAM_API_BASE_URL", "")).strip() or None
    if api is not None:
        _http_url("TELEGRAM_API_BASE_URL", api)
    hook = (webhook_url or env.get("WEBHOOK_URL", "")).strip() or None
    secret: Secret | None = None
    path = "/"
    if hook is not None:
        _http_url("WEBHOOK_URL", hook)
        secret_text = env.get("WEBHOOK_SECRET", "").strip()
        if not secret_text:
            raise ConfigError(
                "WEBHOOK_SECRET is required in webhook mode (for example: openssl rand -hex 32)"
            )
        if not SECRET_PATTERN.fullmatch(secret_text):
            raise ConfigError("WEBHOOK_SECRET must be 1-256 of A-Z, a-z, 0-9, _ and -")
        secret = Secret(secret_text)
        path = env.get("WEBHOOK_PATH", "").strip() or urlsplit(hook).path or "/"
        if not path.startswith("/"):
            raise ConfigError(f"WEBHOOK_PATH={path!r} must start with /")
    return TelegramSettings(
        token=token,
        api_base_url=api,
        webhook_url=hook,
        webhook_secret=secret,
        webhook_listen=env.get("WEBHOOK_LISTEN", "").strip() or DEFAULT_LISTEN,
        webhook_port=_int(env, "WEBHOOK_PORT", DEFAULT_PORT, 0, 65535),
        webhook_path=path,
        webhook_max_body=_int(env, "WEBHOOK_MAX_BODY", DEFAULT_MAX_BODY, 1024, 100_000_000),
        webhook_answer_in_reply=_int(env, "WEBHOOK_ANSWER_IN_REPLY", 1, 0, 1) == 1,
        chat_rate=float(_int(env, "TELEGRAM_CHAT_RATE", 1, 0, 1000)),
        chat_burst=_int(env, "TELEGRAM_CHAT_BURST", 10, 1, 100_000),
        send_rate=_int(env, "TELEGRAM_SEND_RATE", 30, 0, 10_000),
        updates_in_flight=_int(env, "TELEGRAM_UPDATES_IN_FLIGHT", UPDATES_IN_FLIGHT, 1, 256),
    )
