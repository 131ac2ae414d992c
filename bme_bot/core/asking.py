"""Typed questions: is it a question, a red flag, a dose or diagnosis question, and which
content section answers it. Pure: the vocabulary is data (`content/<locale>/questions.yaml`,
read by the loader) and the red flags are first the flow's own `mentions`.

Safety comes first: `alert` reads a typed text for red flags before anything else looks at it,
and any red flag it finds makes the text an alert, whatever else it asks. A red flag of the
flow is turned into the answer it states (`weight_bearing: unable`), and the flow's own rules
say how urgent that is: an emergency short-circuit that holds on those answers alone makes it
an emergency, a row of a decision table that holds makes it that row's advice, and anything
else found is treated as urgent, never less.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Final, Literal

from bme_bot.core.conditions import evaluate, facts_of
from bme_bot.core.content import ContentLibrary
from bme_bot.core.flow import Flow, Outcome
from bme_bot.core.retrieval import Hit, Index, make_stemmer, words_of
from bme_bot.core.typed_answers import TypedAnswers

AlertLevel = Literal["emergency", "urgent"]

THRESHOLD: Final = 3.0
"""The lowest BM25 score that counts as an answer: below it the bot says it has no good
match (calibrated on tests/fixtures/questions_eval.yaml; see docs/FLOWS.md)."""
STRONG: Final = 7.0
"""A section that matches only one of the question's terms must score this much (a rare
word, several times), unless the question names the topic: one common word in a question
about something else ("the best phone", "the football last night") is no answer."""
DIAGNOSIS_WINDOW: Final = 3
"""A condition must follow a diagnosis opener within this many words ("is it a stress
fracture", "do I have cancer"), so "is it safe to run with a stress fracture" is a question."""


@dataclass(frozen=True)
class ExtraFlag:
    """Phrases that state a red flag: a fact of the flow and its value, or (no fact) a sign
    the flow does not ask about, answered with `disposition` and `guidance`."""

    phrases: tuple[str, ...]
    fact: str | None = None
    value: str | None = None
    disposition: AlertLevel = "emergency"
    guidance: str | None = None


@dataclass(frozen=True)
class Vocabulary:
    """The words of one locale for questions (content/<locale>/questions.yaml)."""

    locale: str = "en"
    stopwords: frozenset[str] = frozenset()
    question_openers: tuple[str, ...] = ()
    synonyms: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    dose_cues: tuple[str, ...] = ()
    doses_alone: tuple[str, ...] = ()
    medicines: tuple[str, ...] = ()
    diagnosis_openers: tuple[str, ...] = ()
    conditions: tuple[str, ...] = ()
    red_flags: tuple[ExtraFlag, ...] = ()


@dataclass(frozen=True)
class Alert:
    """A red flag found in typed text: how urgent, the flow's outcome that words the advice
    (None for a sign the flow does not ask about), its guidance, and the facts stated."""

    level: AlertLevel
    outcome: Outcome | None
    guidance: str | None
    facts: Mapping[str, str]


class Asking:
    """Reads typed questions for one flow and its content; holds no per-person state."""

    def __init__(
        self,
        flow: Flow,
        content: ContentLibrary,
        typed: TypedAnswers,
        vocabulary: Vocabulary | None = None,
    ) -> None:
        self.flow = flow
        self.typed = typed
        self.vocabulary = vocabulary or Vocabulary()
        readable = [t.content for t in flow.topics]
        readable += [c for o in flow.outcomes.values() for c in o.content]
        readable += [n.content for n in flow.notes]
        self.content = content
        self.topics = tuple(c for c in dict.fromkeys(readable) if c in content)
        """The topics questions are answered from: every topic a reader can open."""
        # A vocabulary is per locale and a flow may not ask every fact it names: such
        # phrases (and guidance missing from the content) are left out, never guessed.
        self.red_flags = tuple(
            f if f.guidance is None or f.guidance in content else replace(f, guidance=None)
            for f in self.vocabulary.red_flags
            if f.fact is None or f.value in flow.facts.get(f.fact, ())
        )

    @cached_property
    def index(self) -> Index:
        """Built once, on first use: stemming the content takes about 0.1 s of pure Python,
        which the first prompt must not wait for (the console builds it right after the
        first prompt is shown, while the person reads it; see `warm`)."""
        return Index(
            (self.content[c] for c in self.topics),
            stem=make_stemmer(self.vocabulary.locale),
            stopwords=self.vocabulary.stopwords,
            synonyms=self.vocabulary.synonyms,
            labels={t.content: t.label for t in self.flow.topics},
        )

    def warm(self) -> None:
        """Build the index now (deterministic and pure: only the time it is paid moves)."""
        _ = self.index

    # --- what kind of text -------------------------------------------------------------

    def is_question(self, text: str) -> bool:
        """Clearly a question: ends with "?" or opens with a question word."""
        words = words_of(text)
        if not words:
            return False  # "???" or emoji: nothing to answer
        if text.rstrip().endswith("?"):
            return True
        return any(_starts(words, words_of(o)) for o in self.vocabulary.question_openers)

    def is_dose(self, text: str) -> bool:
        words = words_of(text)
        v = self.vocabulary
        if any(_contains(words, words_of(p)) for p in v.doses_alone):
            return True
        return any(_contains(words, words_of(c)) for c in v.dose_cues) and any(
            _contains(words, words_of(m)) for m in v.medicines
        )

    def is_diagnosis(self, text: str) -> bool:
        words = words_of(text)
        conditions = [words_of(c) for c in self.vocabulary.conditions]
        for opener in self.vocabulary.diagnosis_openers:
            key = words_of(opener)
            for start in _positions(words, key):
                after = words[start + len(key) :]
                window = after[: DIAGNOSIS_WINDOW + 2]
                for condition in conditions:
                    at = _positions(window, condition)
                    if at and at[0] <= DIAGNOSIS_WINDOW:
                        return True
        return False

    # --- red flags ------------------------------------------------------------------------

    def stated_flags(self, text: str) -> dict[str, str]:
        """The red flags the text states, as answers of the flow: its `mentions` first (the
        same reading the flow uses mid-conversation), then the vocabulary's extra phrases."""
        found: dict[str, str] = {}
        while (fact := self.typed.mentioned({}, tuple(found), text)) is not None:
            found[fact] = self._red_value(fact)
        for flag in self.red_flags:
            if (
                flag.fact is not None
                and flag.fact not in found
                and flag.value is not None
                and self.typed.says(text, flag.phrases)
            ):
                found[flag.fact] = flag.value
        return found

    def _red_value(self, fact: str) -> str:
        if self.flow.item(fact) is not None:
            return "yes"
        question = self.flow.asker[fact]
        return next(o.id for o in question.options if o.mentions)

    def alert(self, text: str) -> Alert | None:
        """How urgent the red flags stated in `text` are, or None when it states none."""
        facts = self.stated_flags(text)
        signs = [f for f in self.red_flags if f.fact is None and self.typed.says(text, f.phrases)]
        if not facts and not signs:
            return None
        for route in self.flow.short_circuits:
            outcome = self.flow.outcomes.get(route.target)
            emergency = outcome is not None and outcome.disposition == "emergency"
            if outcome is not None and emergency and evaluate(route.when, facts):
                return Alert("emergency", outcome, outcome.guidance, facts)
        for sign in signs:
            if sign.disposition == "emergency":
                return Alert("emergency", None, sign.guidance, facts)
        for router in self.flow.routers.values():
            for route in router.routes:
                outcome = self.flow.outcomes.get(route.target)
                if outcome is None or outcome.disposition not in ("emergency", "urgent"):
                    continue
                if facts_of(route.when) and evaluate(route.when, facts):
                    level: AlertLevel = (
                        "emergency" if outcome.disposition == "emergency" else "urgent"
                    )
                    return Alert(level, outcome, outcome.guidance, facts)
        guidance = signs[0].guidance if signs else None
        return Alert("urgent", None, guidance, facts)

    def sign_alert(self, text: str) -> Alert | None:
        """Only the signs the flow does not ask about (breathless, chest pain): typed with an
        answer, the flow cannot take them into account, so they are answered at once."""
        for sign in self.red_flags:
            if sign.fact is None and self.typed.says(text, sign.phrases):
                return Alert(sign.disposition, None, sign.guidance, {})
        return None

    # --- answers ----------------------------------------------------------------------------

    def search(self, text: str, limit: int = 3) -> list[Hit]:
        """The best sections, one per topic, best first; [] unless the best is good enough."""
        hits = self.index.search(text, limit)
        if not hits or not good(hits[0]):
            return []
        return hits

    def nearest(self, text: str, limit: int = 3) -> list[Hit]:
        """The sections nearest a diagnosis question ("is it cancer?"), or []."""
        hits = self.index.search(text, limit)
        return hits if hits and nearest_enough(hits[0]) else []


def nearest_enough(hit: Hit) -> bool:
    """For a diagnosis question the nearest section is shown as "comes closest", never as the
    answer: it needs the score, not the second matching word."""
    return hit.score >= THRESHOLD


def good(hit: Hit) -> bool:
    """Whether a section is a good enough answer to quote (not a weak guess)."""
    return hit.score >= THRESHOLD and (hit.matched >= 2 or hit.named or hit.score >= STRONG)


def _starts(words: Sequence[str], key: Sequence[str]) -> bool:
    return bool(key) and list(words[: len(key)]) == list(key)


def _positions(words: Sequence[str], key: Sequence[str]) -> list[int]:
    width = len(key)
    if not width:
        return []
    return [i for i in range(len(words) - width + 1) if list(words[i : i + width]) == list(key)]


def _contains(words: Sequence[str], key: Sequence[str]) -> bool:
    return bool(_positions(words, key))
