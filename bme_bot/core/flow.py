"""The flow model: plain, immutable data produced by the loader and read by the engine."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Final

from bme_bot.core.conditions import ALWAYS, Condition, Facts, compiled, facts_of

DISPOSITIONS: Final = ("self_care", "routine", "soon", "urgent", "emergency")
"""Least to most urgent; the index is the urgency rank."""

NO_DISPOSITION: Final = "none"
"""An ending that gives no advice (the person declined): ranks below every disposition."""

UNSURE: Final = "unsure"
"""The reserved value id for "not sure"; conditions see the fact's declared cautious value."""


def urgency(disposition: str) -> int:
    """Rank a disposition: higher is more urgent; no disposition ranks lowest (-1)."""
    return DISPOSITIONS.index(disposition) if disposition != NO_DISPOSITION else -1


@dataclass(frozen=True)
class Option:
    id: str
    label: str
    synonyms: tuple[str, ...] = ()
    mentions: tuple[str, ...] = ()
    """Phrases that, typed at any question before this fact is asked, mean this red flag may
    apply: the engine then asks this question next instead of ignoring it."""


@dataclass(frozen=True)
class Scale:
    """How a number typed at a question maps to its options (ages in years, durations in
    days): bands of (option id, exclusive upper bound), ascending."""

    unit: str
    bands: tuple[tuple[str, float], ...]


@dataclass(frozen=True)
class Item:
    """One yes/no fact of a checklist question, shown only where `when` holds."""

    fact: str
    label: str
    synonyms: tuple[str, ...] = ()
    mentions: tuple[str, ...] = ()
    when: Condition = ALWAYS
    if_unsure: str = ""
    no_synonyms: tuple[str, ...] = ()
    """Words that mean "no" for this item, read when it is asked on its own (a detour)."""


@dataclass(frozen=True)
class Route:
    """One ordered way out of a state: the first route whose condition holds is taken."""

    id: str
    when: Condition
    target: str
    line: int = 0


@dataclass(frozen=True)
class Question:
    """A single question (one fact, its options) or a checklist (`items`, several yes/no
    facts in one message; `fact` is then empty and `options` unused)."""

    id: str
    fact: str
    text: str
    options: tuple[Option, ...]
    routes: tuple[Route, ...]
    content: str | None = None
    summary: str = ""
    line: int = 0
    items: tuple[Item, ...] = ()
    why: str = ""
    if_unsure: str = ""
    scale: Scale | None = None

    @property
    def is_checklist(self) -> bool:
        return bool(self.items)

    @property
    def facts(self) -> tuple[str, ...]:
        """Every fact this question can set."""
        return tuple(i.fact for i in self.items) if self.items else (self.fact,)

    def option(self, option_id: str) -> Option | None:
        return next((o for o in self.options if o.id == option_id), None)

    def visible_items(self, facts: Facts) -> tuple[Item, ...]:
        """The items shown on this path: not answered yet, and their `when` holds."""
        return tuple(i for i in self.items if i.fact not in facts and compiled(i.when)(facts))


@dataclass(frozen=True)
class Router:
    """A state that asks nothing: it only chooses where to go (a decision table)."""

    id: str
    routes: tuple[Route, ...]
    line: int = 0


@dataclass(frozen=True)
class Outcome:
    """An ending. `advice` replaces the disposition's default action text; `guidance` is the
    rule's own paragraph, shown inline; `content` lists topics offered afterwards."""

    id: str
    rule: str
    disposition: str
    reason: str
    content: tuple[str, ...] = ()
    line: int = 0
    advice: str | None = None
    guidance: str | None = None
    offer_checkin: bool = False
    """The adapter may offer one more check-in after this ending (a check-in flow's
    "better"): the flow only says so; scheduling it is the adapter's business."""


@dataclass(frozen=True)
class Invariant:
    id: str
    description: str
    when: Condition
    at_least: str
    line: int = 0


@dataclass(frozen=True)
class Topic:
    id: str
    label: str
    content: str


@dataclass(frozen=True)
class Note:
    """Extra reading offered after the advice when its condition holds."""

    when: Condition
    content: str


@dataclass(frozen=True)
class Flow:
    id: str
    version: str
    start: str
    facts: dict[str, tuple[str, ...]]
    questions: dict[str, Question]
    routers: dict[str, Router]
    outcomes: dict[str, Outcome]
    short_circuits: tuple[Route, ...]
    invariants: tuple[Invariant, ...]
    topics: tuple[Topic, ...] = ()
    notes: tuple[Note, ...] = ()
    disposition_content: dict[str, str] = field(default_factory=dict)
    safety_net: str | None = None
    title: str = ""
    source: str = ""
    unsure: dict[str, str] = field(default_factory=dict)
    """Facts that may be answered "not sure", each with the value it counts as."""
    follows: str = ""
    """The id of the flow this one follows up (a check-in follows the triage flow): `check`
    proves this flow never ends less urgent than that one for the same answers."""
    presets: tuple[str, ...] = ()
    """Facts no question asks: whoever starts the conversation sets them (a check-in's
    `original` disposition, set by the scheduler). The verifier explores every value."""

    @property
    def states(self) -> list[str]:
        return [*self.questions, *self.routers, *self.outcomes]

    def routes_of(self, state: str) -> tuple[Route, ...]:
        """The ordered routes out of a state, short-circuits first for questions."""
        if state in self.questions:
            return self._short_circuits_after[state] + self.questions[state].routes
        if state in self.routers:
            return self.routers[state].routes
        return ()

    @cached_property
    def _short_circuits_after(self) -> dict[str, tuple[Route, ...]]:
        """The short-circuits worth checking after each question is answered.

        They are checked after every answer, but one can only start to hold on an answer to
        a fact it reads: it held on no earlier answer (else the questions would have ended
        there) and no other fact changed. After /back the remaining answers are a prefix that
        was already checked, so the same holds. Only the first question needs them all (a
        condition may hold on no answers at all). This keeps a step's cost independent of how
        many short-circuits the flow has.
        """
        reads = [(route, facts_of(route.when)) for route in self.short_circuits]
        return {
            qid: self.short_circuits
            if qid == self.start
            else tuple(route for route, read in reads if read & set(question.facts))
            for qid, question in self.questions.items()
        }

    def all_routes(self) -> list[Route]:
        routes: list[Route] = list(self.short_circuits)
        for question in self.questions.values():
            routes.extend(question.routes)
        for router in self.routers.values():
            routes.extend(router.routes)
        return routes

    def route(self, route_id: str) -> Route | None:
        return next((r for r in self.all_routes() if r.id == route_id), None)

    def values(self, fact: str) -> tuple[str, ...]:
        """A fact's values as its question offers them (all declared values for an item)."""
        question = self.asker.get(fact)
        if question is not None and not question.is_checklist:
            return tuple(o.id for o in question.options)
        return self.facts.get(fact, ())

    @cached_property
    def asker(self) -> dict[str, Question]:
        """The question that asks each fact (a fact is asked by one question only)."""
        return {fact: q for q in self.questions.values() for fact in q.facts}

    def item(self, fact: str) -> Item | None:
        """The checklist item that asks `fact`, if a checklist asks it."""
        question = self.asker.get(fact)
        if question is None:
            return None
        return next((i for i in question.items if i.fact == fact), None)
