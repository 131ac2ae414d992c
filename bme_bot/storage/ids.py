"""Update ids a store accepts: an `int` with 0 <= id < 2^63, checked before any store call.

Telegram's update ids are positive and far below 2^31 today; 2^63 is where SQLite's INTEGER
ends (a larger one raised OverflowError, which escaped the store's error handling as a
traceback). Anything else (a string, a float, a bool, a negative or huge number) is refused
at the edge (the poller and the webhook drop and log it) and again by the service.
"""

from __future__ import annotations

from typing import Final, TypeGuard

from bme_bot.errors import BmeBotError

UPDATE_ID_LIMIT: Final = 2**63


class UpdateIdError(BmeBotError, ValueError):
    """An update id outside 0 <= id < 2^63, or not an int: dropped, never stored."""

    kind = "bad update id"


def valid_update_id(value: object) -> TypeGuard[int]:
    """Whether a store may see `value` as an update id (`True` is an int in Python: refused)."""
    return type(value) is int and 0 <= value < UPDATE_ID_LIMIT


def check_update_id(value: object) -> int:
    """`value` if valid, else UpdateIdError naming its type (never the value: it is untrusted)."""
    if not valid_update_id(value):
        shape = type(value).__name__
        raise UpdateIdError(f"update id ({shape}) outside 0 <= id < 2^63: dropped")
    return value
