"""How `bme-bot health` learns that the poller is alive: a heartbeat file in BME_DATA_DIR.

The health check runs as another process (Docker's HEALTHCHECK), so it cannot look at the
poller task. The poller writes `telegram-poller.json` when it starts and after every
successful getUpdates (at most every WRITE_EVERY seconds), atomically: a temporary file in
the same directory, then `os.replace`. A reader sees the old or the new file, never half.

    {"pid": 17, "last_ok": 1732960000.5}     # time.time() of the last successful getUpdates

`health` says "poller stalled" when `last_ok` is more than STALE_SECONDS old. A poller that
died, hangs, or cannot reach Telegram stops beating and is reported within that time. A
clean stop removes the file (a stopped bot is not a stalled one); no file means no poller
here (webhook mode, console, or not started), and health says nothing about polling.
Pure standard library: `bme-bot health` imports this without python-telegram-bot.
"""

from __future__ import annotations

import json
import logging
import math
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from bme_bot.logs import log_event

log = logging.getLogger("bme_bot.telegram.heartbeat")

FILE_NAME: Final = "telegram-poller.json"
STALE_SECONDS: Final = 120.0
"""Beyond a long poll (10 s) plus its read timeout (10 s) plus the longest back-off (30 s)
plus a restart, with room: a healthy poller beats at least every 50 s or so."""
WRITE_EVERY: Final = 5.0
"""A busy poller fetches many batches a second; one write every 5 s is plenty for health."""


def heartbeat_path(data_dir: Path) -> Path:
    return data_dir / FILE_NAME


class Heartbeat:
    """Written by the poller; a failed write is logged once and never stops polling."""

    def __init__(self, path: Path, *, clock: Callable[[], float] = time.time) -> None:
        self.path = path
        self._clock = clock
        self._written_at: float | None = None
        self._failed = False

    def beat(self, *, force: bool = False) -> None:
        now = self._clock()
        if not force and self._written_at is not None and now - self._written_at < WRITE_EVERY:
            return
        try:
            _write_atomically(self.path, {"pid": os.getpid(), "last_ok": now})
        except OSError as exc:
            if not self._failed:
                log_event(log, "heartbeat_unwritable", logging.WARNING, error=type(exc).__name__)
            self._failed = True
            return
        self._written_at = now
        self._failed = False

    def remove(self) -> None:
        """At a clean stop: a stopped bot is not a stalled poller."""
        try:
            self.path.unlink(missing_ok=True)
        except OSError as exc:
            log_event(log, "heartbeat_unremovable", logging.WARNING, error=type(exc).__name__)


def _write_atomically(path: Path, data: dict[str, float | int]) -> None:
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(data, out)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


@dataclass(frozen=True)
class PollerState:
    """What health reads: `age` seconds since the last successful getUpdates, or a problem."""

    age: float | None
    problem: str | None = None

    def verdict(self, stale_after: float = STALE_SECONDS) -> str | None:
        """None when healthy (or no poller); else why not, in a few words."""
        if self.problem is not None:
            return self.problem
        if self.age is not None and self.age > stale_after:
            return (
                f"poller stalled: last successful getUpdates {self.age:.0f} s ago "
                f"(limit {stale_after:.0f} s)"
            )
        return None


def read_poller_state(path: Path, *, now: float | None = None) -> PollerState:
    """The heartbeat as health sees it; no file = no poller (nothing to report)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return PollerState(None)
    except OSError as exc:
        return PollerState(None, f"poller heartbeat unreadable: {exc.strerror or exc}")
    try:
        last_ok = float(json.loads(text)["last_ok"])
        if not math.isfinite(last_ok):
            raise ValueError("not finite")
    except (ValueError, TypeError, KeyError):
        return PollerState(None, "poller heartbeat unreadable: not a heartbeat file")
    current = time.time() if now is None else now
    return PollerState(max(0.0, current - last_ok))
