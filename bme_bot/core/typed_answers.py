"""How the flow reads typed answers: the reader of `lay` fed with the flow's own vocabulary.

One place decides which words count for which question: a single question's options, a
checklist's items, and the yes/no/not sure question that a checklist item becomes when it is
asked on its own (a red flag the person typed before it was asked). It also finds such red
flags in any typed text, from the phrases the flow declares as `mentions`. The flow's words
are read in the flow's locale (`lay_lang`: "en" unless told otherwise).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from bme_bot.core import lay
from bme_bot.core.flow import UNSURE, Flow, Question

YES_NO: Final = (("yes", "Yes"), ("no", "No"), (UNSURE, "Not sure"))
RED: Final = frozenset({"yes", UNSURE})
"""A checklist item's red-flag answers."""
"""The answers to a checklist item asked on its own."""


class TypedAnswers:
    """Reads typed text for one flow; holds no per-person state."""

    def __init__(self, flow: Flow, locale: str = "en") -> None:
        self.flow = flow
        self.locale = locale
        self.language = lay.language(locale)
        self._mentions = self._mention_table()

    def _mention_table(self) -> list[tuple[str, frozenset[str], tuple[str, ...]]]:
        """(fact, its red-flag values, phrases) for every answer that declares `mentions`."""
        table: list[tuple[str, frozenset[str], tuple[str, ...]]] = []
        for question in self.flow.questions.values():
            if question.is_checklist:
                table += [(i.fact, RED, i.mentions) for i in question.items if i.mentions]
                continue
            flagged = frozenset(o.id for o in question.options if o.mentions) | {UNSURE}
            phrases = tuple(p for o in question.options for p in o.mentions)
            if phrases:
                table.append((question.fact, flagged, phrases))
        return table

    def mentioned(
        self, known: Mapping[str, str], asked_here: tuple[str, ...], text: str
    ) -> str | None:
        """The first red flag the text states that is not asked here and not already known
        as that red flag: a fact answered "no" earlier and now typed as present is asked
        again (the person may have been unsure, or things changed)."""
        for fact, flagged, phrases in self._mentions:
            if fact in asked_here or known.get(fact) in flagged:
                continue
            if lay.mentions(text, phrases, self.language):
                return fact
        return None

    def flagged(self, fact: str) -> frozenset[str]:
        """The answers to `fact` that already report its red flag ("not sure" included): a
        red flag typed again is not asked about again when it is known as one of these."""
        for mentioned, flagged, _ in self._mentions:
            if mentioned == fact:
                return flagged
        return RED

    def says(self, text: str, phrases: tuple[str, ...]) -> bool:
        """Whether the text states one of the phrases, not negated, in this flow's language."""
        return lay.mentions(text, phrases, self.language)

    def single_choices(self, fact: str) -> list[lay.Choice]:
        """The answers to `fact` asked on its own (a checklist item becomes yes/no/not sure)."""
        item = self.flow.item(fact)
        if item is None:
            question = self.flow.asker[fact]
            return [lay.Choice(o.id, o.label, o.synonyms) for o in question.options]
        values = self.flow.facts[fact]
        labels = zip((v for v, _ in YES_NO), self.language.yes_no_labels, strict=True)
        return [
            lay.Choice(v, label, {"yes": item.synonyms, "no": item.no_synonyms}.get(v, ()))
            for v, label in labels
            if v in values
        ]

    def unsure(self, fact: str) -> str | None:
        return UNSURE if fact in self.flow.unsure else None

    def read_typed(self, fact: str, text: str) -> lay.Reading:
        """How a typed answer about `fact` is read where the flow asks it on its own (its
        question, or, for a checklist item, the yes/no question a detour would ask)."""
        question = self.flow.asker[fact]
        if question.is_checklist:
            return self.read_alone(fact, text)
        return self.read_single(question, text)

    def read_single(self, question: Question, text: str) -> lay.Reading:
        return lay.read_answer(
            text,
            [lay.Choice(o.id, o.label, o.synonyms) for o in question.options],
            scale=_scale(question),
            unsure=self.unsure(question.fact),
            lang=self.language,
        )

    def read_alone(self, fact: str, text: str) -> lay.Reading:
        return lay.read_answer(
            text, self.single_choices(fact), unsure=self.unsure(fact), lang=self.language
        )

    def read_checklist(
        self, question: Question, facts: Mapping[str, str], text: str
    ) -> lay.Marks | lay.Unclear:
        shown = question.visible_items(facts)
        choices = [lay.Choice(i.fact, i.label, i.synonyms) for i in shown]
        return lay.read_checklist(text, choices, self.language)


def _scale(question: Question) -> lay.NumberScale | None:
    if question.scale is None or question.scale.unit not in ("years", "days"):
        return None
    unit: Any = question.scale.unit
    return lay.NumberScale(unit, question.scale.bands)
