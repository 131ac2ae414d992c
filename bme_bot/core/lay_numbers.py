"""Ages and durations typed in digits or words ("forty-five", "a few days", "since yesterday").

Every amount becomes a closed range in the question's unit (years or days), so that a vague
answer ("about a week", "in my fifties") can be seen to straddle two options and be asked
again instead of guessed. Pure functions over folded tokens (see `lay.fold`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import Final

Span = tuple[float, float]
"""A closed range of values in the scale's unit."""

_SMALL: Final = {
    w: n
    for n, w in enumerate(
        [
            "zero",
            "one",
            "two",
            "three",
            "four",
            "five",
            "six",
            "seven",
            "eight",
            "nine",
            "ten",
            "eleven",
            "twelve",
            "thirteen",
            "fourteen",
            "fifteen",
            "sixteen",
            "seventeen",
            "eighteen",
            "nineteen",
        ]
    )
}
_TENS: Final = {
    w: 10 * n
    for n, w in enumerate(
        ["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"], 2
    )
}
_DECADES: Final = {w[:-1] + "ies": 10 * n for w, n in zip(_TENS, range(2, 10), strict=True)}
_DECADES["teens"] = 13
_VAGUE: Final = {"few": (2.0, 4.0), "couple": (2.0, 2.0), "several": (3.0, 6.0)}
_WEAK: Final = {"a", "an", "one", "half", *_VAGUE}
"""Amounts that count only before a unit: "a month" is an amount, "a knee" is not."""

_DAYS_PER: Final = {"hour": 1 / 24, "day": 1.0, "week": 7.0, "month": 30.0, "year": 365.0}
_UNIT_WORDS: Final = {
    **{w: "hour" for w in ("hour", "hours", "hr", "hrs", "h")},
    **{w: "day" for w in ("day", "days", "d")},
    **{w: "week" for w in ("week", "weeks", "wk", "wks", "w")},
    **{w: "month" for w in ("month", "months", "mo", "mos", "mths", "mth")},
    **{w: "year" for w in ("year", "years", "yr", "yrs", "yo", "y")},
}
_NUMBER: Final = re.compile(r"\d+(?:\.\d+)?")
_WEEKDAYS: Final = set(
    ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "weekend"]
)

_BEFORE: Final = {
    ("more", "than"): "gt",
    ("over",): "gt",
    ("above",): "gt",
    ("longer", "than"): "gt",
    ("older", "than"): "gt",
    ("past",): "gt",
    ("at", "least"): "ge",
    ("less", "than"): "lt",
    ("under",): "lt",
    ("below",): "lt",
    ("younger", "than"): "lt",
    ("shorter", "than"): "lt",
    ("within",): "lt",
    ("almost",): "almost",
    ("nearly",): "almost",
    ("about",): "about",
    ("around",): "about",
    ("roughly",): "about",
    ("approximately",): "about",
    ("approx",): "about",
}
_AFTER: Final = {
    ("or", "more"): "ge",
    ("or", "older"): "ge",
    ("or", "over"): "ge",
    ("or", "longer"): "ge",
    ("plus",): "ge",
    ("and", "over"): "ge",
    ("and", "up"): "ge",
    ("or", "less"): "le",
    ("or", "younger"): "le",
    ("or", "under"): "le",
}
_RANGE_WORDS: Final = {"to", "or", "and", "till", "until"}


def spans(words: Sequence[str], unit: str) -> list[Span]:
    """Every age or duration stated in the words, in `unit` ("years" or "days")."""
    found: list[Span] = []
    i = 0
    while i < len(words):
        got = _time_word(words, i) if unit == "days" else None
        if got is None:
            got = _stated(words, i, unit)
        if got is None:
            i += 1
            continue
        span, i = got
        found.append(span)
    return found


def bare_number(words: Sequence[str]) -> float | None:
    """The value when the words are only a number ("3", "three", "forty five"), else None."""
    got = _amount(words, 0)
    if got is None or got[1] != len(words) or words[0] in _WEAK - {"one"}:
        return None
    (low, high), _ = got
    return low if low == high else None


def _time_word(words: Sequence[str], i: int) -> tuple[Span, int] | None:
    """Days since a named time: "today", "since yesterday", "last week", "on Monday"."""
    word, after = words[i], words[i + 1] if i + 1 < len(words) else ""
    if word in ("today", "tonight") or (word == "this" and after in ("morning", "afternoon")):
        return (0.0, 0.0), i + (1 if word != "this" else 2)
    if word == "yesterday" or (word == "last" and after == "night"):
        return (1.0, 1.0), i + (1 if word == "yesterday" else 2)
    if word == "this" and after == "week":
        return (0.0, 6.0), i + 2
    if word == "last" and after in ("week", *_WEEKDAYS):
        return (1.0, 13.0), i + 2
    if word == "last" and after == "month":
        return (14.0, 60.0), i + 2
    if word in _WEEKDAYS:
        return (1.0, 6.0), i + 1
    return None


def _stated(words: Sequence[str], i: int, unit: str) -> tuple[Span, int] | None:
    """An amount with its optional modifier, unit and range: "over 6 weeks", "3 or 4 days"."""
    modifier, j = _phrase_at(words, i, _BEFORE)
    if words[j : j + 1] == ["between"]:
        j += 1
    first = _measure(words, j, unit)
    if first is None:
        return None
    low, high, name, j = first
    if j < len(words) and (words[j] in _RANGE_WORDS or name is None):
        second = _measure(words, j + 1 if words[j] in _RANGE_WORDS else j, unit)
        if second is not None and (name is None or second[2] is not None):
            _, high, name2, j = second
            name = name if name is not None else name2
    after, k = _phrase_at(words, j, _AFTER)
    if after is not None:
        modifier, j = after, k
    factor = _factor(name, unit)
    return _modify(low * factor, high * factor, modifier), j


def _measure(
    words: Sequence[str], i: int, unit: str
) -> tuple[float, float, str | None, int] | None:
    """An amount and its unit name at i: (low, high, unit or None, next index)."""
    got = _amount(words, i)
    if got is None:
        if i < len(words) and words[i] in ("days", "weeks", "months", "years") and unit == "days":
            return 2.0, 6.0, _UNIT_WORDS[words[i]], i + 1  # "for weeks": a few of them
        return None
    (low, high), j = got
    if words[j : j + 3] == ["and", "a", "half"]:
        low, high, j = low + 0.5, high + 0.5, j + 3
    name = _unit_at(words, j)
    if name is None:
        return None if words[i] in _WEAK else (low, high, None, j)
    j += 2 if words[j : j + 2] == ["y", "o"] else 1
    if words[j : j + 3] == ["and", "a", "half"]:
        low, high, j = low + 0.5, high + 0.5, j + 3
    if words[j : j + 1] == ["old"]:
        j += 1
    return low, high, name, j


def _amount(words: Sequence[str], i: int) -> tuple[Span, int] | None:
    """A bare amount at i: digits, number words, a decade ("40s", "fifties"), "a few", "half"."""
    if i >= len(words):
        return None
    word = words[i]
    if _NUMBER.fullmatch(word):
        value = float(word)
        if words[i + 1 : i + 2] == ["s"] and value % 10 == 0:
            return (value, value + 9.99), i + 2
        return (value, value), i + 1
    if word in _DECADES:
        return (float(_DECADES[word]), _DECADES[word] + 9.99), i + 1
    if word in _TENS:
        value = float(_TENS[word])
        if i + 1 < len(words) and 0 < _SMALL.get(words[i + 1], 0) < 10:
            return (value + _SMALL[words[i + 1]], value + _SMALL[words[i + 1]]), i + 2
        return (value, value), i + 1
    if word in _SMALL:
        return (float(_SMALL[word]),) * 2, i + 1
    if word in _VAGUE:
        return _VAGUE[word], i + 2 if words[i + 1 : i + 2] == ["of"] else i + 1
    if word == "half":
        return (0.5, 0.5), i + 2 if words[i + 1 : i + 2] in (["a"], ["an"]) else i + 1
    if word in ("a", "an"):
        nxt = _amount(words, i + 1) if words[i + 1 : i + 2] and words[i + 1] in _VAGUE else None
        return nxt if nxt is not None else ((1.0, 1.0), i + 1)
    return None


def _unit_at(words: Sequence[str], j: int) -> str | None:
    return _UNIT_WORDS.get(words[j]) if 0 <= j < len(words) else None


def _factor(name: str | None, unit: str) -> float:
    if name is None:
        return 1.0
    return _DAYS_PER[name] / (365.0 if unit == "years" else 1.0)


def _phrase_at(
    words: Sequence[str], i: int, table: dict[tuple[str, ...], str]
) -> tuple[str | None, int]:
    for key, meaning in table.items():
        if tuple(words[i : i + len(key)]) == key:
            return meaning, i + len(key)
    return None, i


def _modify(low: float, high: float, modifier: str | None) -> Span:
    """Apply "over", "under", "about"... to a span (whole units: "over 55" starts at 56)."""
    if modifier == "gt":
        return low + 1, math.inf
    if modifier == "ge":
        return low, math.inf
    if modifier == "lt":
        return 0.0, high - 1e-9
    if modifier == "le":
        return 0.0, high
    if modifier == "almost":
        return high * 0.75, high - 1e-9
    if modifier == "about":
        return low * 0.92, high * 1.08
    return low, high
