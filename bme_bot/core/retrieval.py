"""Find the section of our reviewed content that answers a typed question: BM25, no model.

Why pure-Python BM25 with the Snowball stemmer (PyPI `snowballstemmer`), not SQLite FTS5:

- The core does no I/O. FTS5 lives inside SQLite, an I/O library: even an in-memory database
  puts a connection, a C extension that may be compiled without FTS5, and SQL strings in the
  core. Here the index is a few dicts built from the loaded content, the same on every machine.
- FTS5's built-in stemmer is the English-only Porter stemmer. Snowball has English, Spanish and
  German (and 30 more) in one pure-Python package, so another locale is one more entry in
  `STEMMERS`, with its stop words and synonyms in that locale's `questions.yaml`.
- The corpus is tiny (18 topics, 125 sections): scoring every section per question takes
  about half a millisecond, so FTS5's inverted index would buy nothing.

A section is a paragraph of a content file, with the list that follows it (a paragraph that
introduces a list, "What helps the bone heal:", is the list's heading). A long list whose bullets
open with a bold name ("- **Overuse.** ...") is split into one section per bullet, each under its
heading, so a question about one cause finds that cause. Everything quoted is a verbatim prefix
of a section (lines of the file), cut at a sentence or bullet boundary.
"""

from __future__ import annotations

import importlib
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from bme_bot.core.content import ContentDoc

STEMMERS: Final = {
    "en": ("english_stemmer", "EnglishStemmer"),
    "es": ("spanish_stemmer", "SpanishStemmer"),
    "de": ("german_stemmer", "GermanStemmer"),
}
"""Locale -> the Snowball module and class (imported alone: the package's __init__ would
import all 34 languages)."""

K1: Final = 1.2
B: Final = 0.75
QUOTE_WORDS: Final = 80
"""At most about this many words are quoted from a section."""
TITLE_BONUS: Final = 2.0
"""What a question naming a whole topic title adds, on top of the title's idf."""
HEADING_WEIGHT: Final = 2
"""A section's heading counts twice, the topic's title once more in every section."""

_WORD: Final = re.compile(r"[^\W_]+")
_BOLD_LEAD: Final = re.compile(r"^(?:- )?\*\*(.+?)\*\*")
_SENTENCE_END: Final = re.compile(r"[.!?](?:\*\*)?(?=\s)")


def make_stemmer(locale: str) -> Callable[[str], str]:
    """The Snowball stemmer of a locale, with a memo (content and questions repeat words).
    A locale without one matches whole words only (still deterministic, just stricter)."""
    if locale not in STEMMERS:
        return str
    module_name, class_name = STEMMERS[locale]
    module = importlib.import_module(f"snowballstemmer.{module_name}")
    stem_word = getattr(module, class_name)().stemWord
    memo: dict[str, str] = {}

    def stem(word: str) -> str:
        found = memo.get(word)
        if found is None:
            if len(memo) > 20000:  # typed words are unbounded: keep the memo bounded
                memo.clear()
            found = memo[word] = str(stem_word(word))
        return found

    return stem


def words_of(text: str) -> list[str]:
    """Case, accents and apostrophes folded away; words and numbers only."""
    bare = unicodedata.normalize("NFKD", text)
    bare = "".join(c for c in bare if not unicodedata.combining(c)).casefold()
    bare = re.sub(r"['’‘`´]", "", bare)
    return _WORD.findall(bare)


@dataclass(frozen=True)
class Section:
    """One answerable piece of a topic: its heading and its verbatim Markdown text."""

    topic: str
    number: int
    heading: str
    text: str


@dataclass(frozen=True)
class Hit:
    """A section that matches a question, with its BM25 score."""

    section: Section
    score: float
    matched: int = 0
    """How many of the question's own terms the section has, plus one if it has any term
    that a lay phrase added (a synonym's words are one piece of evidence, not several)."""
    named: bool = False
    """Whether the question names the topic's whole title or menu label."""


def split_sections(doc: ContentDoc) -> list[Section]:
    """A content file's body as sections: paragraphs with the lists that follow them."""
    blocks = [b.strip("\n") for b in re.split(r"\n\s*\n", doc.body.strip()) if b.strip()]
    merged: list[str] = []
    for block in blocks:
        if merged and block.startswith("- ") and not merged[-1].startswith("- "):
            merged[-1] = f"{merged[-1]}\n\n{block}"
        else:
            merged.append(block)
    pieces: list[tuple[str, str]] = []
    for block in merged:
        intro, _, rest = block.partition("\n\n")
        bullets = [line for line in rest.splitlines() if line.startswith("- ")]
        if (
            len(block.split()) > QUOTE_WORDS
            and len(bullets) > 1
            and all(_BOLD_LEAD.match(b) for b in bullets)
        ):
            pieces += [(_heading(b), f"{intro}\n\n{b}") for b in bullets]
        else:
            pieces.append((_heading(block), block))
    return [
        Section(doc.id, number, heading, text)
        for number, (heading, text) in enumerate(pieces, start=1)
    ]


def _heading(block: str) -> str:
    """A section's name: its bold lead, an introducing line, or its first words."""
    first = block.splitlines()[0]
    bold = _BOLD_LEAD.match(first)
    if bold is not None:
        return bold.group(1).strip().rstrip(":.,").strip()
    plain = first.removeprefix("- ").replace("**", "")
    if plain.rstrip().endswith(":"):
        return plain.rstrip().rstrip(":")
    sentence = re.split(r"(?<=[.!?])\s", plain, maxsplit=1)[0]
    return " ".join(sentence.split()[:8]).rstrip(".,:;")


def quote(section: Section, limit: int = QUOTE_WORDS) -> tuple[str, bool]:
    """The section's opening, verbatim, at most about `limit` words, ending at a sentence or a
    bullet (the first sentence is kept whole even if longer). Returns (text, cut)."""
    text = section.text
    ends = sorted(
        {m.end() for m in _SENTENCE_END.finditer(text)}
        | {m.start() for m in re.finditer(r"\n", text)}
        | {len(text)}
    )
    best = ends[0]
    for end in ends:
        if len(text[:end].split()) > limit:
            break
        best = end
    kept = text[:best].rstrip()
    return kept, best < len(text.rstrip())


class Index:
    """BM25 over the sections of some topics; built once, read-only afterwards."""

    def __init__(
        self,
        docs: Iterable[ContentDoc],
        *,
        stem: Callable[[str], str],
        stopwords: frozenset[str] = frozenset(),
        synonyms: Mapping[str, Sequence[str]] | None = None,
        labels: Mapping[str, str] | None = None,
    ) -> None:
        self._stem = stem
        self.stopwords = stopwords
        self.sections: list[Section] = []
        self.titles: dict[str, str] = {}
        counts: list[Counter[str]] = []
        self._names: dict[str, tuple[frozenset[str], ...]] = {}
        self._openings: dict[str, Section] = {}
        """Per topic, its whole body as one section numbered 0: a question that only names
        the topic ("what is bone marrow edema?") is answered with the topic's opening."""
        for doc in docs:
            self.titles[doc.id] = doc.title
            label = (labels or {}).get(doc.id, "")
            title_terms = self.terms(f"{doc.title} {label}")
            self._names[doc.id] = tuple(
                frozenset(self.terms(name)) for name in (doc.title, label) if self.terms(name)
            )
            pieces = split_sections(doc)
            if pieces:
                self._openings[doc.id] = Section(doc.id, 0, doc.title, doc.body)
            for section in pieces:
                terms = Counter(self.terms(section.text))
                for term in self.terms(section.heading):
                    terms[term] += HEADING_WEIGHT - 1
                terms.update(title_terms)
                self.sections.append(section)
                counts.append(terms)
        self._counts = counts
        self._lengths = [sum(c.values()) for c in counts]
        self._average = sum(self._lengths) / len(self._lengths) if self._lengths else 1.0
        frequency: Counter[str] = Counter()
        for terms in counts:
            frequency.update(terms.keys())
        total = len(counts)
        self._idf = {
            term: math.log(1 + (total - n + 0.5) / (n + 0.5)) for term, n in frequency.items()
        }
        self._synonyms: list[tuple[tuple[str, ...], tuple[str, ...]]] = []
        for phrase, expansions in (synonyms or {}).items():
            key = tuple(self._stem(w) for w in words_of(phrase))
            added = tuple(t for e in expansions for t in self.terms(e))
            if key and added:
                self._synonyms.append((key, added))

    @property
    def topics(self) -> tuple[str, ...]:
        return tuple(self.titles)

    def terms(self, text: str) -> list[str]:
        """Stemmed words without stop words."""
        return [self._stem(w) for w in words_of(text) if w not in self.stopwords]

    def query_terms(self, text: str) -> list[str]:
        """A question's terms, with the content terms of every lay phrase it contains."""
        own, added = self._query(text)
        return list(dict.fromkeys([*own, *added]))

    def _query(self, text: str) -> tuple[list[str], list[str]]:
        """(the question's own terms, the terms its lay phrases add)."""
        own = list(dict.fromkeys(self.terms(text)))
        every = [self._stem(w) for w in words_of(text)]  # stop words too: "how long"
        added: list[str] = []
        for key, expansion in self._synonyms:
            if _contains(every, key):
                added += [t for t in expansion if t not in own and t not in added]
        return own, added

    def search(self, text: str, limit: int = 3) -> list[Hit]:
        """The best sections, best first, at most one per topic; ties by content order."""
        own, added = self._query(text)
        terms = [t for t in [*own, *added] if t in self._idf]
        if not terms:
            return []
        extra = frozenset(added)
        # A question that names a whole topic title or menu label ("what is bone marrow
        # edema", "how is it treated") is about that topic: the title's weight is added, so
        # the most specific title wins.
        named = set(terms)
        bonus: dict[str, float] = {}
        for topic, names in self._names.items():
            weights = [sum(self._idf[t] for t in name) for name in names if name <= named]
            if weights:
                bonus[topic] = TITLE_BONUS + max(weights)
        scored: list[tuple[float, int, int]] = []
        for position, counts in enumerate(self._counts):
            norm = K1 * (1 - B + B * self._lengths[position] / self._average)
            score = 0.0
            matched = 0
            synonym = 0
            for term in terms:
                tf = counts.get(term, 0)
                if tf:
                    if term in extra:
                        synonym = 1
                    else:
                        matched += 1
                    score += self._idf[term] * tf * (K1 + 1) / (tf + norm)
            matched += synonym  # a synonym's words are one piece of evidence, not several
            if score > 0:
                topic = self.sections[position].topic
                scored.append((score + bonus.get(topic, 0.0), position, matched))
        self_named = set(bonus)
        scored.sort(key=lambda row: (-row[0], row[1]))
        hits: list[Hit] = []
        seen: set[str] = set()
        for score, position, matched in scored:
            section = self.sections[position]
            if section.topic in seen:
                continue
            seen.add(section.topic)
            if section.topic in self_named and set(own) <= set().union(*self._names[section.topic]):
                section = self._openings[section.topic]  # "how is it treated?": the topic
            hits.append(Hit(section, round(score, 3), matched, section.topic in self_named))
            if len(hits) == limit:
                break
        return hits


def _contains(terms: Sequence[str], key: tuple[str, ...]) -> bool:
    width = len(key)
    return any(tuple(terms[i : i + width]) == key for i in range(len(terms) - width + 1))
