"""Ages and durations typed in digits or words ("forty-five", "a few days", "since yesterday",
"veintidos", "seit gestern").

Every amount becomes a closed range in the question's unit (years or days), so that a vague
answer ("about a week", "in my fifties") can be seen to straddle two options and be asked
again instead of guessed. Pure functions over folded tokens (see `lay_text.fold`); the words
of each language are data (`lay_lang.LayNumbers`), English by default.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Final

from bme_bot.core.lay_lang import LayNumbers
from bme_bot.core.lay_lang_en import NUMBERS as EN_NUMBERS

Span = tuple[float, float]
"""A closed range of values in the scale's unit."""

_DAYS_PER: Final = {"hour": 1 / 24, "day": 1.0, "week": 7.0, "month": 30.0, "year": 365.0}
_NUMBER: Final = re.compile(r"\d+(?:\.\d+)?")


@lru_cache(maxsize=8)
def _weak(lang: LayNumbers) -> frozenset[str]:
    """Amounts that count only before a unit: "a month" is an amount, "a knee" is not."""
    return lang.articles | lang.weak_numbers | lang.halves | frozenset(lang.vague)


@lru_cache(maxsize=8)
def _time_keys(lang: LayNumbers) -> tuple[tuple[str, ...], ...]:
    """Named times, longest first: "last week" before "week"."""
    return tuple(sorted(lang.time_words, key=len, reverse=True))


def spans(words: Sequence[str], unit: str, lang: LayNumbers = EN_NUMBERS) -> list[Span]:
    """Every age or duration stated in the words, in `unit` ("years" or "days")."""
    found: list[Span] = []
    i = 0
    while i < len(words):
        got = _time_word(words, i, lang) if unit == "days" else None
        if got is None:
            got = _stated(words, i, unit, lang)
        if got is None:
            i += 1
            continue
        span, i = got
        found.append(span)
    return found


def bare_number(words: Sequence[str], lang: LayNumbers = EN_NUMBERS) -> float | None:
    """The value when the words are only a number ("3", "three", "forty five"), else None."""
    got = _amount(words, 0, lang)
    if got is None or got[1] != len(words) or words[0] in _weak(lang) - lang.weak_numbers:
        return None
    (low, high), _ = got
    return low if low == high else None


def _time_word(words: Sequence[str], i: int, lang: LayNumbers) -> tuple[Span, int] | None:
    """Days since a named time: "today", "since yesterday", "last week", "on Monday"."""
    for key in _time_keys(lang):
        if tuple(words[i : i + len(key)]) == key:
            return lang.time_words[key], i + len(key)
    return None


def _stated(words: Sequence[str], i: int, unit: str, lang: LayNumbers) -> tuple[Span, int] | None:
    """An amount with its optional modifier, unit and range: "over 6 weeks", "3 or 4 days"."""
    modifier, j = _phrase_at(words, i, lang.before)
    if j < len(words) and words[j] in lang.between:
        j += 1
    first = _measure(words, j, unit, lang)
    if first is None:
        return None
    low, high, name, j = first
    if j < len(words) and (words[j] in lang.range_words or name is None):
        second = _measure(words, j + 1 if words[j] in lang.range_words else j, unit, lang)
        if second is not None and (name is None or second[2] is not None):
            _, high, name2, j = second
            name = name if name is not None else name2
    after, k = _phrase_at(words, j, lang.after)
    if after is not None:
        modifier, j = after, k
    factor = _factor(name, unit)
    return _modify(low * factor, high * factor, modifier), j


def _measure(
    words: Sequence[str], i: int, unit: str, lang: LayNumbers
) -> tuple[float, float, str | None, int] | None:
    """An amount and its unit name at i: (low, high, unit or None, next index)."""
    got = _amount(words, i, lang)
    if got is None and lang.unit_half and i < len(words) and words[i] in lang.units:
        low, high, j = _half(words, i + 1, 1.0, 1.0, lang)
        if j > i + 1:  # "mes y medio", "Woche und ein halb"
            return low, high, lang.units[words[i]], j
    if got is None:
        if i < len(words) and words[i] in lang.plural_units and unit == "days":
            return 2.0, 6.0, lang.units[words[i]], i + 1  # "for weeks": a few of them
        return None
    (low, high), j = got
    low, high, j = _half(words, j, low, high, lang)
    name, j2 = _unit_at(words, j, lang)
    if name is None:
        return None if words[i] in _weak(lang) else (low, high, None, j)
    j = j2
    low, high, j = _half(words, j, low, high, lang)
    for tail in lang.unit_tails:
        if tuple(words[j : j + len(tail)]) == tail:
            j += len(tail)
            break
    return low, high, name, j


def _half(
    words: Sequence[str], j: int, low: float, high: float, lang: LayNumbers
) -> tuple[float, float, int]:
    for run in lang.and_half:
        if tuple(words[j : j + len(run)]) == run:
            return low + 0.5, high + 0.5, j + len(run)
    return low, high, j


def _amount(words: Sequence[str], i: int, lang: LayNumbers) -> tuple[Span, int] | None:
    """A bare amount at i: digits, number words, a decade ("40s", "fifties"), "a few", "half"."""
    if i >= len(words):
        return None
    word = words[i]
    if word in lang.decade_before and i + 1 < len(words):
        value = lang.tens.get(words[i + 1])
        if value is None and _NUMBER.fullmatch(words[i + 1]) and float(words[i + 1]) % 10 == 0:
            value = int(float(words[i + 1]))
        if value is not None and 20 <= value <= 90:
            return (float(value), value + 9.99), i + 2
    if _NUMBER.fullmatch(word):
        value_ = float(word)
        if i + 1 < len(words) and words[i + 1] in lang.decade_suffixes and value_ % 10 == 0:
            return (value_, value_ + 9.99), i + 2
        return (value_, value_), i + 1
    if word in lang.decades:
        return (float(lang.decades[word]), lang.decades[word] + 9.99), i + 1
    if word in lang.tens:
        return _tens(words, i, float(lang.tens[word]), lang)
    if word in lang.small:
        return (lang.small[word],) * 2, i + 1
    if word in lang.vague:
        of = i + 1 < len(words) and words[i + 1] in lang.vague_of
        return lang.vague[word], i + 2 if of else i + 1
    if word in lang.halves:
        skip = i + 1 < len(words) and words[i + 1] in lang.half_skip
        return (0.5, 0.5), i + 2 if skip else i + 1
    if word in lang.articles:
        nxt = (
            _amount(words, i + 1, lang)
            if words[i + 1 : i + 2] and words[i + 1] in lang.vague
            else None
        )
        return nxt if nxt is not None else ((1.0, 1.0), i + 1)
    return None


def _tens(words: Sequence[str], i: int, value: float, lang: LayNumbers) -> tuple[Span, int]:
    """A tens word and what may follow: "forty five", "treinta y dos", "cincuenta y tantos"."""
    for run, (low, high) in lang.decade_after.items():
        if tuple(words[i + 1 : i + 1 + len(run)]) == run:
            return (value + low, value + high), i + 1 + len(run)
    j = i + 1
    if j < len(words) and words[j] in lang.tens_joiners:
        j += 1
    if j < len(words) and 0 < lang.small.get(words[j], 0) < 10:
        unit = lang.small[words[j]]
        if unit.is_integer():
            return (value + unit, value + unit), j + 1
    return (value, value), i + 1


def _unit_at(words: Sequence[str], j: int, lang: LayNumbers) -> tuple[str | None, int]:
    for run, name in lang.unit_pairs.items():
        if tuple(words[j : j + len(run)]) == run:
            return name, j + len(run)
    if 0 <= j < len(words) and words[j] in lang.units:
        return lang.units[words[j]], j + 1
    return None, j


def _factor(name: str | None, unit: str) -> float:
    if name is None:
        return 1.0
    return _DAYS_PER[name] / (365.0 if unit == "years" else 1.0)


def _phrase_at(
    words: Sequence[str], i: int, table: Mapping[tuple[str, ...], str]
) -> tuple[str | None, int]:
    for key, meaning in table.items():
        if tuple(words[i : i + len(key)]) == key:
            return meaning, i + len(key)
    return None, i


def _modify(low: float, high: float, modifier: str | None) -> Span:
    """Apply "over", "under", "about"... to a span (whole units: "over 55" starts at 56).
    "early", "mid" and "late" place a round number in its decade ("Ende 50": 56 to 59)."""
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
    if modifier == "early":
        return low, low + 3.99
    if modifier == "mid":
        return low + 3, low + 7
    if modifier == "late":
        return low + 6, low + 9.99
    return low, high
