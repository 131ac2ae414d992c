"""Bot API calls that retry what is worth retrying: network errors, 5xx, and 429 (retry_after).

The retry is of the HTTP call, never of the conversation step: the engine's step and the
session save happen once, before any reply is sent, so a retried `sendMessage` cannot advance
a conversation twice. Everything else (400, 403, 401/404) is answered at once and PTB raises
the matching error (403 -> `Forbidden`, which the handlers turn into "chat inactive").

Retries are bounded in count and in total time; after the last one, the last answer (or
error) goes to PTB as usual. getUpdates has its own request object without these retries:
PTB's updater already retries polling.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
from typing import Any

from telegram.error import NetworkError
from telegram.request import HTTPXRequest, RequestData

from bme_bot.logs import log_event

log = logging.getLogger("bme_bot.telegram.request")

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


def _retry_after(payload: bytes) -> float | None:
    try:
        data = json.loads(payload)
        value = data["parameters"]["retry_after"]
    except (ValueError, TypeError, KeyError):
        return None
    return float(value) if isinstance(value, int | float) and value >= 0 else None


def _method_of(url: str) -> str:
    return url.rsplit("/", 1)[-1]


class RetryingRequest(HTTPXRequest):
    """HTTPXRequest that retries 429, 5xx and network errors with bounded exponential backoff."""

    def __init__(
        self,
        *args: Any,
        max_attempts: int = 5,
        backoff: float = 0.5,
        max_backoff: float = 8.0,
        max_retry_after: float = 30.0,
        budget: float = 60.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.max_attempts = max_attempts
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.max_retry_after = max_retry_after
        self.budget = budget

    def _delay(self, attempt: int) -> float:
        base = min(self.max_backoff, self.backoff * 2.0 ** (attempt - 1))
        return base * (0.75 + random.random() / 2)  # noqa: S311 - jitter, not cryptography

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = HTTPXRequest.DEFAULT_NONE,
        write_timeout: Any = HTTPXRequest.DEFAULT_NONE,
        connect_timeout: Any = HTTPXRequest.DEFAULT_NONE,
        pool_timeout: Any = HTTPXRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        started = time.monotonic()
        attempt = 0
        while True:
            attempt += 1
            try:
                code, payload = await super().do_request(
                    url,
                    method,
                    request_data=request_data,
                    read_timeout=read_timeout,
                    write_timeout=write_timeout,
                    connect_timeout=connect_timeout,
                    pool_timeout=pool_timeout,
                )
            except NetworkError as exc:
                delay = self._delay(attempt)
                if not self._may_retry(attempt, started, delay):
                    raise
                log_event(
                    log,
                    "bot_api_retry",
                    logging.WARNING,
                    method=_method_of(url),
                    reason=type(exc).__name__,
                    attempt=attempt,
                    delay=round(delay, 2),
                )
                await asyncio.sleep(delay)
                continue
            if code not in RETRY_STATUSES:
                return code, payload
            wait = _retry_after(payload) if code == 429 else None
            if wait is not None and wait > self.max_retry_after:
                return code, payload  # too long to hold this update: let it fail
            delay = wait if wait is not None else self._delay(attempt)
            if not self._may_retry(attempt, started, delay):
                return code, payload
            log_event(
                log,
                "bot_api_retry",
                logging.WARNING,
                method=_method_of(url),
                status=code,
                attempt=attempt,
                delay=round(delay, 2),
            )
            await asyncio.sleep(delay)

    def _may_retry(self, attempt: int, started: float, delay: float) -> bool:
        return attempt < self.max_attempts and time.monotonic() - started + delay <= self.budget
