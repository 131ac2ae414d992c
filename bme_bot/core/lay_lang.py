"""What the lay reader knows about one language, as plain data: one `LayLanguage` per locale.

The reading rules (`lay`, `lay_text`, `lay_numbers`) are the same in every language; only these
tables differ. They are Python data rather than YAML so that the core needs no file reading,
mypy checks every table's shape, and a locale is one import away. Words are written already
folded (lower case, no accents, no apostrophes; German "ß" as "ss" and "ü"/"ue" as "u"), because
the reader compares folded tokens; `tests/test_lay.py` checks that every table word folds to
itself. Phrases (hedges, yes, no, none of these...) may be written naturally: they are folded
when the reader is built.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final


def words(text: str, sep: str | None = None) -> frozenset[str]:
    """A set from one string: space separated words, or "|" separated phrases."""
    return frozenset(w.strip() for w in text.split(sep) if w.strip())


def seq(text: str) -> tuple[str, ...]:
    """Space separated words, in order (number words count by position)."""
    return tuple(text.split())


Span = tuple[float, float]


@dataclass(frozen=True, eq=False)
class LayNumbers:
    """How ages and durations are said: number words, units, "over", "since yesterday"."""

    small: Mapping[str, float]
    """Number words that are one token: "three", "veintidos", "zweiundzwanzig", "anderthalb"."""
    tens: Mapping[str, int]
    """Tens that can be followed by a unit word: "forty five", "cuarenta y cinco"."""
    tens_joiners: frozenset[str]
    """Words allowed between the tens and the unit ("y" in "treinta y dos")."""
    decades: Mapping[str, int]
    """One word for a decade of life: "fifties" -> 50, "cincuenton" -> 50 ("teens" -> 13)."""
    decade_before: frozenset[str]
    """Words that make a following tens a decade: "los cuarenta" is one's forties."""
    decade_after: Mapping[tuple[str, ...], Span]
    """Words after a tens that make it part of a decade: "y tantos" -> (+0, +9.99)."""
    decade_suffixes: frozenset[str]
    """Letters after digits that make a decade: "40s" -> "s", "40ern" -> "ern"."""
    vague: Mapping[str, Span]
    """Amounts without a number: "few" (2-4), "couple" (2), "several" (3-6)."""
    vague_of: frozenset[str]
    """The word that may follow a vague amount: "a couple of", "un par de"."""
    articles: frozenset[str]
    """"a", "un", "eine": one, but only before a unit ("a month", not "a knee")."""
    weak_numbers: frozenset[str]
    """Number words that count only before a unit inside a sentence ("one")."""
    halves: frozenset[str]
    """Words for a half ("half a year", "medio ano", "ein halbes Jahr")."""
    half_skip: frozenset[str]
    """Words skipped after a half ("half a year")."""
    and_half: tuple[tuple[str, ...], ...]
    """"and a half" after an amount or a unit: "a week and a half", "un mes y medio"."""
    units: Mapping[str, str]
    """Unit words and abbreviations -> "hour", "day", "week", "month" or "year"."""
    unit_half: bool
    """Whether a unit alone followed by "and a half" is one and a half: "mes y medio"."""
    unit_pairs: Mapping[tuple[str, ...], str]
    """Two-token units ("y o" for "y/o")."""
    unit_tails: tuple[tuple[str, ...], ...]
    """Words after a unit that add nothing: "old", "de edad", "alt"."""
    plural_units: frozenset[str]
    """A unit in the plural with no number, a few of them: "for weeks", "seit Wochen"."""
    before: Mapping[tuple[str, ...], str]
    """Modifiers before an amount: "over" -> gt, "about" -> about, "Ende" -> late..."""
    after: Mapping[tuple[str, ...], str]
    """Modifiers after an amount: "or more" -> ge, "o menos" -> le..."""
    between: frozenset[str]
    """"between" 3 and 10 days."""
    range_words: frozenset[str]
    """Words joining the two ends of a range: "to", "or", "and", "bis"..."""
    time_words: Mapping[tuple[str, ...], Span]
    """Named times, in days ago: "yesterday" -> (1, 1), "last week" -> (1, 13)."""


@dataclass(frozen=True, eq=False)
class LayLanguage:
    """Everything language-specific the lay reader uses; compared and hashed by identity."""

    code: str
    filler: frozenset[str]
    """Words that never decide an answer ("I", "the", "el", "ich"); dropped before matching."""
    negations: frozenset[str]
    """Words that negate what follows within three words: "no", "not", "kein", "sin"."""
    negation_after: bool
    """Whether a negation also reads backwards, within the clause: German "hinke nicht",
    "Fieber habe ich nicht"."""
    no_alone: bool
    """Whether a bare "no" word counts only when it negates one of the answer's phrases or
    stands without unknown words in its clause: Spanish and German negate verbs the reader
    does not know ("no lo noto" is not "no")."""
    plain_no: frozenset[str]
    """The bare "no" words: "no, fine" agrees, while "not fine" is asked again."""
    break_words: frozenset[str]
    """Words that start a new clause ("but", "pero", "aber"): a negation stops there."""
    and_words: frozenset[str]
    """"and": separates checklist items and the parts of an answer."""
    hedges: frozenset[str]
    """Phrases of doubt: "not sure", "no se", "weiss nicht", "maybe", "vielleicht"."""
    yes: frozenset[str]
    no: frozenset[str]
    none_of_these: frozenset[str]
    all_of_these: frozenset[str]
    check_filler: frozenset[str]
    """Words that carry nothing in a checklist reply ("and", "also", "yes", "take")."""
    option_words: frozenset[str]
    """Words before an option number: "option 2", "opcion 2", "Nummer 2"."""
    canon: tuple[tuple[tuple[str, ...], str], ...]
    """Token runs replaced by one token: "can not" -> "cant", "no puedo" -> "nopuedo"."""
    one_word_canon: Mapping[str, str]
    hedge_canon: tuple[tuple[tuple[str, ...], str], ...]
    """Runs replaced unless the next word is in `hedge_canon_unless`: Spanish "no se" ->
    "nose" ("I don't know"), while "no se mueve" ("it does not move") stays as it is. An
    unknown word after it reads as doubt: doubt is asked about, never read as "no"."""
    hedge_canon_unless: frozenset[str]
    digraphs: tuple[tuple[str, str], ...]
    """Spellings folded inside a token: German "ue" -> "u", so "ueber" reads as "uber"."""
    suffixes: tuple[str, ...]
    """Endings added or removed to find a vocabulary word: plurals, adjective endings."""
    swaps: tuple[tuple[str, str], ...]
    """Endings swapped to find a vocabulary word: Spanish "hinchada" -> "hinchado"."""
    compound_tails: tuple[str, ...]
    """Word ends split off compounds: German "knieschmerzen" -> "knie"."""
    numbers: LayNumbers
    did_you_mean: str
    """Hint when two options fit: "{options}" and "{last}" are the quoted labels."""
    number_again: str
    pick_closest: str
    checklist_hint: str
    yes_no_labels: tuple[str, str, str]
    """Labels of "yes", "no" and "not sure" for a checklist item asked on its own."""


LOCALES: Final = ("en", "es", "de")


def language(locale: str) -> LayLanguage:
    """The reader's language for a locale code ("es", "de-AT" -> de); unknown codes raise,
    because reading Spanish with English words would silently read less than was meant."""
    from bme_bot.core import lay_lang_de, lay_lang_en, lay_lang_es

    table = {"en": lay_lang_en.EN, "es": lay_lang_es.ES, "de": lay_lang_de.DE}
    base = locale.replace("_", "-").split("-")[0].lower()
    if base not in table:
        raise ValueError(f"no lay reading for locale {locale!r}; known: {', '.join(LOCALES)}")
    return table[base]
