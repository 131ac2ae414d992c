"""Text handling for `lay`: folding, filler words, negation, hedges, phrases, in one language.

Generic language only; the clinical words live in the flow's labels, synonyms and mentions.
Every function takes the language (`lay_lang.LayLanguage`, English by default).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Final

from bme_bot.core.lay_lang import LayLanguage
from bme_bot.core.lay_lang_en import EN

BREAK: Final = ","

FILLER: Final = EN.filler
NEGATIONS: Final = EN.negations
BREAK_WORDS: Final = EN.break_words
HEDGES: Final = EN.hedges
YES: Final = EN.yes
NO: Final = EN.no
NONE_OF_THESE: Final = EN.none_of_these
ALL_OF_THESE: Final = EN.all_of_these
"""The English tables under their former names (the other languages: `lay_lang_*`)."""

_TOKEN: Final = re.compile(r"\d+(?:\.\d+)?|[^\W\d_]+|[?,;:.!()\n]")
SIGNED: Final = re.compile(r"\s*[-+\u2212\u2013]\s*[0-9]")


def fold(text: str, lang: LayLanguage = EN, *, canon: bool = True) -> list[str]:
    """Case, accents, apostrophes and spacing folded away; clause punctuation becomes BREAK,
    a question mark stays "?"; the language's fixed runs become one token ("cannot", "unable
    to", "not able to" all become "cant"; "no puedo" becomes "nopuedo")."""
    bare = unicodedata.normalize("NFKD", text)
    bare = "".join(c for c in bare if not unicodedata.combining(c)).casefold()
    bare = re.sub(r"['’‘`´]", "", bare)
    raw = [t if t[0].isalnum() or t == "?" else BREAK for t in _TOKEN.findall(bare)]
    if lang.digraphs:
        raw = [_digraphs(t, lang) for t in raw]
    if not canon:  # as typed: a hedge is looked for in both ("does not certain")
        return raw
    out: list[str] = []
    i = 0
    while i < len(raw):
        for run, one in lang.canon:
            if tuple(raw[i : i + len(run)]) == run:
                out.append(one)
                i += len(run)
                break
        else:
            for run, one in lang.hedge_canon:
                after = raw[i + len(run)] if i + len(run) < len(raw) else BREAK
                if tuple(raw[i : i + len(run)]) == run and after not in lang.hedge_canon_unless:
                    out.append(one)
                    i += len(run)
                    break
            else:
                out.append(lang.one_word_canon.get(raw[i], raw[i]))
                i += 1
    return out


def _digraphs(token: str, lang: LayLanguage) -> str:
    for spelled, folded in lang.digraphs:
        token = token.replace(spelled, folded)
    return token


def content(tokens: Sequence[str], lang: LayLanguage = EN) -> tuple[str, ...]:
    return tuple(t for t in tokens if t not in lang.filler and t not in (BREAK, "?"))


def _one_edit(a: str, b: str) -> bool:
    """Damerau distance of at most 1 (insert, delete, substitute, swap two neighbours)."""
    if abs(len(a) - len(b)) > 1 or a == b:
        return a == b
    if len(a) == len(b):
        diff = [k for k in range(len(a)) if a[k] != b[k]]
        if len(diff) == 1:
            return True
        k = diff[0]
        return len(diff) == 2 and diff[1] == k + 1 and a[k] == b[k + 1] and a[k + 1] == b[k]
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    k = 0
    while k < len(short) and short[k] == long_[k]:
        k += 1
    return short[k:] == long_[k + 1 :]


@lru_cache(maxsize=8)
def plain_words(lang: LayLanguage) -> frozenset[str]:
    """The language's own words: never taken for a vocabulary word with a typo."""
    phrases = lang.hedges | lang.yes | lang.no
    return frozenset(
        {
            *lang.filler,
            *lang.negations,
            *lang.break_words,
            *(w for p in phrases for w in fold(p, lang)),
        }
    )


class Words:
    """Which vocabulary words a typed word can stand for: itself, a plural or other ending,
    a compound's first part (German), a small typo."""

    def __init__(self, vocabulary: set[str], lang: LayLanguage = EN) -> None:
        self.vocabulary = frozenset(vocabulary)
        self.lang = lang
        self._plain = plain_words(lang)
        self._seen: dict[str, frozenset[str]] = {}

    def aliases(self, word: str) -> frozenset[str]:
        known = self._seen.get(word)
        if known is None:
            if len(self._seen) > 4096:  # typed words are unbounded: keep the memo small
                self._seen.clear()
            known = self._seen[word] = self._find(word)
        return known

    def _forms(self, word: str) -> set[str]:
        forms = {word}
        if len(word) >= 3:
            for suffix in self.lang.suffixes:
                forms |= {word + suffix, word.removesuffix(suffix)}
            for ending, other in self.lang.swaps:
                if word.endswith(ending) and len(word) - len(ending) >= 3:
                    forms.add(word[: len(word) - len(ending)] + other)
        return forms

    def _find(self, word: str) -> frozenset[str]:
        found = self._forms(word) & self.vocabulary
        if not found:  # "knieschmerzen": "knie", unless the whole word is known ("fussgelenk")
            for tail in self.lang.compound_tails:
                if word.endswith(tail) and len(word) - len(tail) >= 3:
                    found |= self._forms(word[: len(word) - len(tail)]) & self.vocabulary
        if found or len(word) < 5 or not word.isalpha() or word in self._plain:
            return frozenset(found | {word})
        typos = {
            v
            for v in self.vocabulary
            if len(v) >= 5 and v[0] == word[0] and v.isalpha() and _one_edit(word, v)
        }
        return frozenset(typos | {word})


@dataclass(frozen=True)
class Match:
    start: int
    end: int
    value: str
    negator: str
    """The negation word that cancels this match ("no", "not", ...), or ""."""

    @property
    def negated(self) -> bool:
        return bool(self.negator)


class Phrases:
    """Token sequences (after folding and dropping fillers) that each point at a value."""

    def __init__(
        self, pairs: Sequence[tuple[str, str]], *, and_breaks: bool, lang: LayLanguage = EN
    ) -> None:
        self.lang = lang
        self.by_first: dict[str, list[tuple[tuple[str, ...], str]]] = {}
        vocabulary: set[str] = set()
        for phrase, value in pairs:
            tokens = content(fold(phrase, lang), lang)
            if tokens:
                self.by_first.setdefault(tokens[0], []).append((tokens, value))
                vocabulary.update(tokens)
        self.words = Words(vocabulary, lang)
        self.breaks = lang.break_words | (lang.and_words if and_breaks else frozenset())

    def find(self, tokens: Sequence[str]) -> list[Match]:
        """Every phrase occurrence, minus those inside a longer one for another value."""
        words = content(tokens, self.lang)
        clause, clauses = 0, []
        for t in tokens:
            if t in (BREAK, "?"):
                clause += 1
            elif t not in self.lang.filler:
                clauses.append(clause)
                clause += t in self.breaks
        aliases = [self.words.aliases(w) for w in words]
        spans: list[tuple[int, int, str]] = []
        for i in range(len(words)):
            for first in aliases[i]:
                for phrase, value in self.by_first.get(first, ()):
                    end = i + len(phrase)
                    if end <= len(words) and all(
                        phrase[k] in aliases[i + k] for k in range(1, len(phrase))
                    ):
                        spans.append((i, end, value))
        spans = list(dict.fromkeys(spans))
        kept = [
            s
            for s in spans
            if not any(o[0] <= s[0] and s[1] <= o[1] and o[1] - o[0] > s[1] - s[0] for o in spans)
        ]
        negations = self.lang.negations
        found = []
        for start, end, value in kept:
            negator = _negated(words, clauses, kept, start, negations)
            if not negator and self.lang.negation_after:
                negator = _negated_after(words, clauses, kept, start, end, negations)
            found.append(Match(start, end, value, negator))
        return found


def _negated(
    words: Sequence[str],
    clauses: list[int],
    spans: list[tuple[int, int, str]],
    at: int,
    negations: frozenset[str],
) -> str:
    """A negation word within the 3 words before, in the same clause, not used up by a
    phrase in between ("no injury, came on gradually" does not negate "gradually")."""
    if words[at] in negations:
        return ""
    for k in range(at - 1, max(at - 4, -1), -1):
        if clauses[k] != clauses[at]:
            return ""
        inside = [s for s in spans if s[0] <= k < s[1]]
        if any(any(w not in negations for w in words[s[0] : s[1]]) for s in inside):
            return ""
        if words[k] in negations:
            return words[k]
    return ""


def _negated_after(
    words: Sequence[str],
    clauses: list[int],
    spans: list[tuple[int, int, str]],
    start: int,
    end: int,
    negations: frozenset[str],
) -> str:
    """A negation word within the 3 words after, in the same clause, with no other phrase
    between (a bare "nicht" phrase does not count): German "hinke nicht", "Fieber habe ich
    nicht"; "nicht auftreten" keeps its "nicht" for itself."""
    for k in range(end, min(end + 3, len(words))):
        if clauses[k] != clauses[start]:
            return ""
        inside = [s for s in spans if s[0] <= k < s[1]]
        if any(any(w not in negations for w in words[s[0] : s[1]]) for s in inside):
            return ""
        if words[k] in negations:
            return words[k]
    return ""


def hint(labels: Sequence[str], lang: LayLanguage = EN) -> str:
    quoted = [f'"{label}"' for label in labels]
    if len(quoted) < 2:
        return ""
    return lang.did_you_mean.format(options=", ".join(quoted[:-1]), last=quoted[-1])


@lru_cache(maxsize=8)
def hedge_phrases(lang: LayLanguage = EN) -> Phrases:
    """The language's hedges as phrases: any of them makes an answer "not sure"."""
    return Phrases([(h, "unsure") for h in lang.hedges], and_breaks=True, lang=lang)


HEDGE_PHRASES: Final = hedge_phrases(EN)
