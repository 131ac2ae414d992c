"""Read answers typed in people's own words: no model, no network, the same reading every time.

The vocabulary (labels, synonyms, red-flag phrases) lives in the flow; this module only knows
plain language: filler words, negation, hedges, yes and no, numbers (`lay_numbers`) and small
misspellings, in the language given (`lay_lang`: English by default, Spanish, German). Whenever a text could mean two options, or less than the person meant, it returns
`Unclear` so the bot asks again: a typed answer is never guessed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Final, Literal

from bme_bot.core import lay_numbers
from bme_bot.core.lay_lang import LayLanguage as LayLanguage
from bme_bot.core.lay_lang import language as language
from bme_bot.core.lay_lang_en import EN as EN
from bme_bot.core.lay_text import (
    BREAK,
    SIGNED,
    Match,
    Phrases,
    content,
    fold,
    hedge_phrases,
    hint,
)


@dataclass(frozen=True)
class Choice:
    """An answer option as the reader sees it."""

    id: str
    label: str
    synonyms: tuple[str, ...] = ()


@dataclass(frozen=True)
class NumberScale:
    """How a number typed at this question maps to an option: ages in years or durations in days."""

    unit: Literal["years", "days"]
    bands: tuple[tuple[str, float], ...]  # (option id, exclusive upper bound), ascending


@dataclass(frozen=True)
class Understood:
    value: str


@dataclass(frozen=True)
class Unclear:
    """Ask again: `candidates` are the 2+ option ids the text could mean, () if none."""

    candidates: tuple[str, ...]
    hint: str = ""


@dataclass(frozen=True)
class Marks:
    """A checklist reply: item id -> "yes" or "unsure"; empty means "none of these"."""

    marks: Mapping[str, str]


Reading = Understood | Unclear


class Reader:
    """Reads typed answers to one question; build it once per question, then `read(text)`."""

    def __init__(
        self,
        choices: Sequence[Choice],
        *,
        scale: NumberScale | None = None,
        unsure: str | None = None,
        lang: LayLanguage = EN,
    ) -> None:
        self.lang = lang
        self.hedges = hedge_phrases(lang)
        self.choices = tuple(choices)
        self.scale = scale
        self.unsure = unsure
        self.yes_no = {"yes", "no"} <= {c.id for c in self.choices}
        pairs = [(p, c.id) for c in self.choices for p in (c.label, *c.synonyms)]
        ids = [(c.id, c.id) for c in self.choices]  # machine ids count only as the whole text
        if self.yes_no:
            pairs += [(p, "yes") for p in lang.yes] + [(p, "no") for p in lang.no]
        # A one-letter word ("y", "n") is an answer only as the whole text: inside other text
        # it is far more often something else ("%n", "x y z").
        self.phrases = Phrases(
            [(p, v) for p, v in pairs if len(self._key(fold(p, lang))) > 1],
            and_breaks=True,
            lang=lang,
        )
        self.whole: dict[str, set[str]] = {}
        for phrase, value in [*pairs, *ids]:
            tokens = fold(phrase, lang)
            for key in (" ".join(t for t in tokens if t not in (BREAK, "?")), self._key(tokens)):
                if key:  # a synonym made only of filler ("ok") must not match empty text
                    self.whole.setdefault(key, set()).add(value)
        self.no_words = {" ".join(content(fold(p, lang), lang)) for p in lang.no}
        self.label_words = {
            c.id: {*content(fold(c.label, lang), lang), *content(fold(c.id, lang), lang)}
            for c in self.choices
        }

    def _key(self, tokens: Sequence[str]) -> str:
        return " ".join(content(tokens, self.lang))

    def read(self, text: str) -> Reading:
        if SIGNED.match(text):
            return Unclear(())
        tokens = fold(text, self.lang)
        plain = [t for t in tokens if t not in (BREAK, "?")]
        if not plain:
            return Unclear(())
        numbered = self._option_number(plain, text)
        if numbered is not None:
            return numbered
        matches = self.phrases.find(tokens)
        hedged = self.hedges.find(tokens) or self.hedges.find(fold(text, self.lang, canon=False))
        if hedged or any(m.value == self.unsure for m in matches):
            return self._hedged()
        whole = self.whole.get(" ".join(plain)) or self.whole.get(self._key(tokens))
        if whole is not None and len(whole) == 1:
            return self._settle(tokens, next(iter(whole)))
        positive = {m.value for m in matches if not m.negated}
        negated = {m.value for m in matches if m.negated}
        if self.yes_no:
            votes = positive & {"yes", "no"}
            if self.lang.no_alone and self._bare_no_about_something_else(tokens, matches):
                votes |= {"yes", "no"}
            for m in matches:
                if m.negated and m.value == "yes":
                    votes.add("no")  # "no fever"
                elif m.negated and m.value == "no":  # "no, fine" agrees; "not fine": ask
                    votes |= {"no"} if m.negator in self.lang.plain_no else {"yes", "no"}
            if len(votes) == 1:
                return self._settle(tokens, votes.pop())
            if votes:
                return self._unclear(votes)
        else:
            if self.scale is not None:
                found = lay_numbers.spans(plain, self.scale.unit, self.lang.numbers)
                if found and not _plausible(text, found, self.scale.unit):
                    return Unclear((), self.lang.number_again)
                positive |= set(self._bands(found))
            if positive & negated or len(positive) > 1:
                return self._unclear(positive | negated)
            if positive:
                return Understood(positive.pop())
            if negated:
                rest = [c.id for c in self.choices if c.id not in negated | {self.unsure}]
                return self._unclear(rest if len(rest) > 1 else [c.id for c in self.choices])
        return self._partial(tokens)

    def _bare_no_about_something_else(self, tokens: Sequence[str], matches: list[Match]) -> bool:
        """A bare "no" word beside words the reader does not know, negating none of the
        answer's phrases ("no lo noto", "Thermometer hab ich keins", "spüre den Fuß nicht"):
        the "no" may be about those words, not an answer, so it is asked again."""
        words = content(tokens, self.lang)
        clause, clauses = 0, []
        for t in tokens:
            if t in (BREAK, "?"):
                clause += 1
            elif t not in self.lang.filler:
                clauses.append(clause)
                clause += t in self.phrases.breaks
        covered = {k for m in matches for k in range(m.start, m.end)}
        for m in matches:
            if m.negated or " ".join(words[m.start : m.end]) not in self.no_words:
                continue
            here = [k for k in range(len(words)) if clauses[k] == clauses[m.start]]
            unknown = [k for k in here if k not in covered and not words[k][0].isdigit()]
            negates = any(
                o.negated
                and clauses[o.start] == clauses[m.start]
                and o.negator in words[m.start : m.end]
                for o in matches
            )
            if unknown and not negates:
                return True
        return False

    def _option_number(self, plain: list[str], text: str) -> Reading | None:
        """ "2", "option 2", "two": an option; at an age or duration also a value, so a number
        that is both (and means two different options) is asked again."""
        explicit = len(plain) > 1 and plain[0] in self.lang.option_words
        value = lay_numbers.bare_number(plain[1:] if explicit else plain, self.lang.numbers)
        if value is None:
            return None
        option = None
        if value.is_integer() and 1 <= value <= len(self.choices):
            option = self.choices[int(value) - 1].id
        if explicit or self.scale is None:
            return Understood(option) if option else Unclear(())
        if not _plausible(text, [(value, value)], self.scale.unit):
            return Unclear((), self.lang.number_again)
        bands = self._bands([(value, value)])
        if option is None or bands == [option]:
            return Understood(bands[0]) if bands else Unclear(())
        return self._unclear([option, *bands])

    def _bands(self, spans: Sequence[lay_numbers.Span]) -> list[str]:
        """The options a range of values falls in (bound exclusive; infinity: the last one)."""
        assert self.scale is not None
        bounds = self.scale.bands
        found: list[str] = []
        for low, high in spans:
            first = next((k for k, (_, b) in enumerate(bounds) if low < b), len(bounds) - 1)
            last = next((k for k, (_, b) in enumerate(bounds) if high < b), len(bounds) - 1)
            found += [bounds[k][0] for k in range(first, last + 1) if low >= 0]
        return list(dict.fromkeys(found))

    def _settle(self, tokens: Sequence[str], value: str) -> Reading:
        """A yes or no typed with a question mark ("yes?") is doubt, not an answer."""
        if value == self.unsure or (self.yes_no and value in ("yes", "no") and "?" in tokens):
            return self._hedged()
        return Understood(value)

    def _hedged(self) -> Reading:
        if self.unsure is not None:
            return Understood(self.unsure)
        if self.yes_no:
            return self._unclear(["yes", "no"])
        return Unclear((), self.lang.pick_closest)

    def _partial(self, tokens: Sequence[str]) -> Reading:
        """Words that are all part of one option's label ("no" at "No, can't take 4 steps")."""
        words = [w for w in content(tokens, self.lang) if not w[0].isdigit()]
        if not words:
            return Unclear(())
        hits = [
            c.id
            for c in self.choices
            if all(self.phrases.words.aliases(w) & self.label_words[c.id] for w in words)
        ]
        return Understood(hits[0]) if len(hits) == 1 else self._unclear(hits)

    def _unclear(self, values: Sequence[str] | set[str]) -> Unclear:
        picked = [c for c in self.choices if c.id in values]
        if len(picked) < 2:
            return Unclear(())
        return Unclear(tuple(c.id for c in picked), hint([c.label for c in picked], self.lang))


_NUMBER_WORD: Final = re.compile(
    r"[(~<>+]*\d+(?:[.,]\d+)?(?:[-\u2013]\d+(?:[.,]\d+)?)?[^\W\d_]*[)+.,!?;:]*"
)
"""A typed number as people write one: "45", "55+", "3-4", "72yo", "10days", "(6)"."""
_LARGEST: Final = {"years": 120.0, "days": 100 * 365.0}


def _plausible(text: str, found: Sequence[lay_numbers.Span], unit: str) -> bool:
    """Numbers written as people write them, in a range a life can have: "1e9", "id=1",
    "{0}" or an age of 1000 are asked again rather than read as an age or a duration."""
    written = all(_NUMBER_WORD.fullmatch(w) for w in text.split() if any(c.isdigit() for c in w))
    return written and all(low <= _LARGEST[unit] for low, _ in found)


@lru_cache(maxsize=512)
def _reader(
    choices: tuple[Choice, ...],
    scale: NumberScale | None,
    unsure: str | None,
    lang: LayLanguage,
) -> Reader:
    return Reader(choices, scale=scale, unsure=unsure, lang=lang)


def read_answer(
    text: str,
    choices: Sequence[Choice],
    *,
    scale: NumberScale | None = None,
    unsure: str | None = None,
    lang: LayLanguage = EN,
) -> Reading:
    """Read one typed answer as an option id, or say why it must be asked again."""
    return _reader(tuple(choices), scale, unsure, lang).read(text)


def _check_key(text: str, lang: LayLanguage) -> str:
    return " ".join(w for w in content(fold(text, lang), lang) if w not in lang.check_filler)


@lru_cache(maxsize=8)
def _check_keys(lang: LayLanguage) -> tuple[frozenset[str], frozenset[str]]:
    """The folded forms of "none of these" and "all of these"."""
    none = frozenset(_check_key(t, lang) for t in lang.none_of_these)
    return none, frozenset(_check_key(t, lang) for t in lang.all_of_these)


class ChecklistReader:
    """Reads a reply to a checklist of yes/no items: numbers, names, "?" or "not sure about"."""

    def __init__(self, items: Sequence[Choice], lang: LayLanguage = EN) -> None:
        self.items = tuple(items)
        self.lang = lang
        self.hedges = hedge_phrases(lang)
        self.none_keys, self.all_keys = _check_keys(lang)
        pairs = [(p, i.id) for i in self.items for p in (i.id, i.label, *i.synonyms)]
        # "and" separates items in a reply, so it is dropped from phrases too ("warm and swollen")
        self.phrases = Phrases(
            [(_drop_and(p, lang), v) for p, v in pairs], and_breaks=False, lang=lang
        )

    def read(self, text: str) -> Marks | Unclear:
        hint_text = self.lang.checklist_hint
        if SIGNED.match(text):
            return Unclear((), hint_text)
        key = _check_key(text, self.lang)
        if key in self.none_keys:
            return Marks({})
        if key in self.all_keys:
            return Marks({i.id: "yes" for i in self.items})
        marks: dict[str, str] = {}
        segment: list[str] = []
        for token in [*fold(text, self.lang), BREAK]:
            if token != BREAK:
                segment.append(token)
                continue
            problem = self._segment(segment, marks)
            if problem is not None:
                return problem
            segment = []
        return Marks(marks) if marks else Unclear((), hint_text)

    def _segment(self, tokens: list[str], marks: dict[str, str]) -> Unclear | None:
        """Mark the items of one comma-separated piece; Unclear if any word is left over.
        A hedge ("not sure about", "maybe") covers its part of the piece between "and"s;
        a "?" covers the item just before it."""
        words: list[str] = []
        part: list[int] = []
        doubt: set[int] = set()
        parts = 0
        lang = self.lang
        for t in tokens:
            if t == "?":
                doubt.add(len(words) - 1)
            elif t in lang.and_words:
                parts += 1
            elif t not in lang.filler and t not in lang.check_filler:
                words.append(t)
                part.append(parts)
        hedged = {part[k] for m in self.hedges.find(words) for k in range(m.start, m.end)}
        hedge_words = {k for k in range(len(words)) if part[k] in hedged}
        for m in self.hedges.find(words):
            words[m.start : m.end] = ["~"] * (m.end - m.start)  # spent: negates nothing
        found: list[tuple[int, int, str]] = []
        for m in self.phrases.find(words):
            if m.negated:
                return Unclear((), lang.checklist_hint)
            found.append((m.start, m.end, m.value))
        for a in found:
            clash = [b[2] for b in found if b[2] != a[2] and b[0] < a[1] and a[0] < b[1]]
            if clash:
                picked = [i for i in self.items if i.id in (a[2], *clash)]
                labels = [i.label for i in picked]
                return Unclear(tuple(i.id for i in picked), hint(labels, lang))
        covered = {k for start, end, _ in found for k in range(start, end)}
        for k, word in enumerate(words):
            if k in covered or word == "~":
                continue
            number = lay_numbers.bare_number([word], lang.numbers)
            if number is None or not number.is_integer() or not 1 <= number <= len(self.items):
                return Unclear((), lang.checklist_hint)
            found.append((k, k + 1, self.items[int(number) - 1].id))
        for start, end, item in found:
            unsure = (end - 1) in doubt or any(k in hedge_words for k in range(start, end))
            if marks.get(item) != "yes":
                marks[item] = "unsure" if unsure else "yes"
        return None


def _drop_and(phrase: str, lang: LayLanguage) -> str:
    tokens = fold(phrase, lang)
    return " ".join(" " if t in lang.and_words else t for t in tokens)


@lru_cache(maxsize=256)
def _checklist(items: tuple[Choice, ...], lang: LayLanguage) -> ChecklistReader:
    return ChecklistReader(items, lang)


def read_checklist(text: str, items: Sequence[Choice], lang: LayLanguage = EN) -> Marks | Unclear:
    """Read a checklist reply; Unclear when any piece is not recognised (it could be a red flag)."""
    return _checklist(tuple(items), lang).read(text)


@lru_cache(maxsize=256)
def _mention_phrases(phrases: tuple[str, ...], lang: LayLanguage) -> Phrases:
    return Phrases([(p, p) for p in phrases], and_breaks=False, lang=lang)


def mentions(text: str, phrases: Sequence[str], lang: LayLanguage = EN) -> bool:
    """Whether the text states one of the phrases, not negated ("my foot is not cold": no)."""
    found = _mention_phrases(tuple(phrases), lang).find(fold(text, lang))
    return any(not m.negated for m in found)
