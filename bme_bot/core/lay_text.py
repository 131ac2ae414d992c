"""Plain-English text handling for `lay`: folding, filler words, negation, hedges, phrases.

Generic language only; the clinical words live in the flow's labels, synonyms and mentions.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

BREAK: Final = ","


def _words(text: str, sep: str | None = None) -> frozenset[str]:
    return frozenset(text.split(sep))


FILLER: Final = _words(
    "i im ive id me my mine myself the a an it its is was were are am be been left right both "
    "on in at of to for with have has had got get do does did there this that these those them "
    "just um uh er erm oh ok okay please thanks thank you any even still now currently"
)
NEGATIONS: Final = _words(
    "no not never without dont cant wont isnt arent wasnt werent havent hasnt hadnt wouldnt "
    "shouldnt aint none nothing neither nor non nobody"
)
BREAK_WORDS: Final = _words("but though although however yet except whereas")
HEDGES: Final = _words(
    "not sure|unsure|dont know|dont no|no idea|dunno|idk|maybe|probably|possibly|perhaps|might|"
    "think so|guess|not certain|uncertain|cant tell|cant say|hard to say|hard to tell|kind of|"
    "sort of|kinda|sorta|who knows|no clue|suppose so",
    "|",
)
YES: Final = _words(
    "yes|y|yeah|yea|yep|yup|ya|yah|aye|sure|correct|definitely|absolutely|of course|true|"
    "indeed|i do|i am|i have|it does|it is|yes please",
    "|",
)
NO: Final = _words(
    "no|n|nope|nah|naw|never|not really|not at all|none|nothing|not|false|i dont|i havent|"
    "im not|it doesnt|it isnt|no way|definitely not",
    "|",
)
NONE_OF_THESE: Final = _words(
    "none|no|n|nope|nah|nothing|neither|none of these|none of them|no to all|no none|"
    "none apply|nothing applies|all no|no to everything|not any",
    "|",
)
ALL_OF_THESE: Final = _words("all|all of them|all of these|everything|yes to all", "|")
_CANON: Final = (
    (("can", "not"), "cant"),
    (("could", "not"), "cant"),
    (("not", "able", "to"), "cant"),
    (("not", "able"), "cant"),
    (("unable", "to"), "cant"),
    (("do", "not"), "dont"),
    (("does", "not"), "dont"),
    (("did", "not"), "dont"),
)
_ONE_WORD_CANON: Final = {
    "cannot": "cant",
    "couldnt": "cant",
    "unable": "cant",
    "doesnt": "dont",
    "didnt": "dont",
}
_TOKEN: Final = re.compile(r"\d+(?:\.\d+)?|[^\W\d_]+|[?,;:.!()\n]")
SIGNED: Final = re.compile(r"\s*[-+\u2212\u2013]\s*[0-9]")


def fold(text: str) -> list[str]:
    """Case, accents, apostrophes and spacing folded away; clause punctuation becomes BREAK,
    a question mark stays "?"; "cannot", "unable to", "not able to" all become "cant"."""
    bare = unicodedata.normalize("NFKD", text)
    bare = "".join(c for c in bare if not unicodedata.combining(c)).casefold()
    bare = re.sub(r"['’‘`´]", "", bare)
    raw = [t if t[0].isalnum() or t == "?" else BREAK for t in _TOKEN.findall(bare)]
    out: list[str] = []
    i = 0
    while i < len(raw):
        for words, canon in _CANON:
            if tuple(raw[i : i + len(words)]) == words:
                out.append(canon)
                i += len(words)
                break
        else:
            out.append(_ONE_WORD_CANON.get(raw[i], raw[i]))
            i += 1
    return out


def content(tokens: Sequence[str]) -> tuple[str, ...]:
    return tuple(t for t in tokens if t not in FILLER and t not in (BREAK, "?"))


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


_PLAIN: Final = frozenset(
    {*FILLER, *NEGATIONS, *BREAK_WORDS, *(w for p in HEDGES | YES | NO for w in p.split())}
)


class Words:
    """Which vocabulary words a typed word can stand for: itself, a plural, a small typo."""

    def __init__(self, vocabulary: set[str]) -> None:
        self.vocabulary = frozenset(vocabulary)
        self._seen: dict[str, frozenset[str]] = {}

    def aliases(self, word: str) -> frozenset[str]:
        known = self._seen.get(word)
        if known is None:
            if len(self._seen) > 4096:  # typed words are unbounded: keep the memo small
                self._seen.clear()
            known = self._seen[word] = self._find(word)
        return known

    def _find(self, word: str) -> frozenset[str]:
        forms = {word}
        if len(word) >= 3:
            forms |= {word + "s", word + "es", word.removesuffix("s"), word.removesuffix("es")}
        found = forms & self.vocabulary
        if found or len(word) < 5 or not word.isalpha() or word in _PLAIN:
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

    def __init__(self, pairs: Sequence[tuple[str, str]], *, and_breaks: bool) -> None:
        self.by_first: dict[str, list[tuple[tuple[str, ...], str]]] = {}
        vocabulary: set[str] = set()
        for phrase, value in pairs:
            tokens = content(fold(phrase))
            if tokens:
                self.by_first.setdefault(tokens[0], []).append((tokens, value))
                vocabulary.update(tokens)
        self.words = Words(vocabulary)
        self.breaks = BREAK_WORDS | ({"and"} if and_breaks else set())

    def find(self, tokens: Sequence[str]) -> list[Match]:
        """Every phrase occurrence, minus those inside a longer one for another value."""
        words = content(tokens)
        clause, clauses = 0, []
        for t in tokens:
            if t in (BREAK, "?"):
                clause += 1
            elif t not in FILLER:
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
        return [Match(s, e, v, self._negated(words, clauses, kept, s)) for s, e, v in kept]

    @staticmethod
    def _negated(
        words: Sequence[str], clauses: list[int], spans: list[tuple[int, int, str]], at: int
    ) -> str:
        """A negation word within the 3 words before, in the same clause, not used up by a
        phrase in between ("no injury, came on gradually" does not negate "gradually")."""
        if words[at] in NEGATIONS:
            return ""
        for k in range(at - 1, max(at - 4, -1), -1):
            if clauses[k] != clauses[at]:
                return ""
            inside = [s for s in spans if s[0] <= k < s[1]]
            if any(any(w not in NEGATIONS for w in words[s[0] : s[1]]) for s in inside):
                return ""
            if words[k] in NEGATIONS:
                return words[k]
        return ""


def hint(labels: Sequence[str]) -> str:
    quoted = [f'"{label}"' for label in labels]
    if len(quoted) < 2:
        return ""
    return f"Did you mean {', '.join(quoted[:-1])} or {quoted[-1]}?"


HEDGE_PHRASES: Final = Phrases([(h, "unsure") for h in HEDGES], and_breaks=True)
