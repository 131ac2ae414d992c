"""What became of one update, reported from inside PTB's handlers to `TelegramBot.process`.

The webhook answers UNAVAILABLE with 503, so that Telegram delivers the update again; polling
has nothing to add (the store skips what it saved). A context variable carries it, since PTB
runs the handlers inside `process_update` and returns nothing from them.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass


class Outcome(enum.Enum):
    """What became of one update (the webhook maps UNAVAILABLE to 503)."""

    HANDLED = "handled"
    DUPLICATE = "duplicate"
    UNAVAILABLE = "unavailable"


@dataclass
class _Result:
    outcome: Outcome = Outcome.HANDLED


_result: ContextVar[_Result | None] = ContextVar("bme_bot_update_result", default=None)
"""The outcome of the update being processed, set by the handler that ran it."""


@contextmanager
def recording() -> Iterator[_Result]:
    """Collect the outcome the handlers report for the update processed inside."""
    result = _Result()
    token = _result.set(result)
    try:
        yield result
    finally:
        _result.reset(token)


def report(outcome: Outcome) -> None:
    result = _result.get()
    if result is not None:
        result.outcome = outcome
