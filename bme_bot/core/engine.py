"""The conversation engine: `step(session, event) -> (session, replies)`, with no I/O at all.

One synchronous `transitions.Machine` is built per flow, with `model=None` and
`auto_transitions=False`. Sessions are never attached to it: each answer fires the event on a
short-lived cursor object (`machine.events[name].trigger(cursor)`), which measured about 15 us
against 160 us for add_model/remove_model. Route conditions reach `transitions` as compiled
callables, never as strings (a string would be imported as `module.func` by `transitions`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from typing import Any

from transitions import Machine

from bme_bot.core.conditions import compile_condition, evaluate, facts_of
from bme_bot.core.content import ContentLibrary
from bme_bot.core.events import (
    Answer,
    Back,
    Event,
    Forget,
    Help,
    Privacy,
    Restart,
    SetRegion,
    ShowTopic,
    Start,
    Text,
    Topics,
    Why,
    parse_command,
)
from bme_bot.core.flow import Flow, Outcome, Question
from bme_bot.core.regions import DEFAULT_REGION, REGIONS, Region, find_region
from bme_bot.core.replies import Reply, ReplyOption
from bme_bot.core.session import Session

EMERGENCY_PLACEHOLDER = "{emergency_number}"

DISPOSITION_HEADLINES = {
    "emergency": "Get help now",
    "urgent": "Be seen by a clinician today",
    "soon": "Book an appointment within a few days",
    "routine": "Arrange a routine review",
    "self_care": "Self-care, with clear signs to come back",
}


SIGNED_NUMBER = re.compile(r"\s*[-+\u2212\u2013]\s*[0-9]")
"""'-1', '+2', '−1': a number with a sign is out of range, never option 1 or 2."""


class FlowStuck(RuntimeError):
    """No route matched: the verifier rules this out for a loaded flow."""


class _Cursor:
    """The light model `transitions` moves: a state name, the facts, the routes taken."""

    def __init__(self, state: str, facts: dict[str, str]) -> None:
        self.state = state
        self.facts = facts
        self.trail: list[str] = []


def normalise(text: str) -> str:
    """Fold case, accents, punctuation and spacing so typed answers match labels."""
    decomposed = unicodedata.normalize("NFKD", text)
    kept = "".join(
        ch if ch.isalnum() else " " for ch in decomposed if not unicodedata.combining(ch)
    )
    return " ".join(kept.casefold().split())


class Engine:
    """Runs one flow for any number of sessions; holds no per-user state."""

    def __init__(
        self, flow: Flow, content: ContentLibrary, *, default_region: str = DEFAULT_REGION
    ) -> None:
        region = find_region(default_region)
        if region is None:
            raise ValueError(f"unknown default region {default_region!r}")
        self.flow = flow
        self.content = content
        self.default_region = region
        self._machine = self._build_machine()
        self._answer = self._machine.events["answer"] if flow.questions else None
        self._route = self._machine.events.get("route")
        self._matchers = {q.id: self._option_matcher(q) for q in flow.questions.values()}

    # --- the state machine -----------------------------------------------------------

    def _build_machine(self) -> Machine:
        flow = self.flow
        machine = Machine(
            model=None,
            states=flow.states,
            initial=flow.start,
            auto_transitions=False,
            send_event=True,
        )
        for trigger, sources in (("answer", flow.questions), ("route", flow.routers)):
            for source in sources:
                for route in flow.routes_of(source):
                    machine.add_transition(
                        trigger,
                        source,
                        route.target,
                        conditions=[_predicate(route.when)],
                        after=[_recorder(route.id)],
                    )
        return machine

    def resolve(self, question_id: str, facts: dict[str, str]) -> tuple[str, list[str]]:
        """After `question_id` was answered, follow routes to the next question or outcome."""
        cursor = _Cursor(question_id, facts)
        if self._answer is None or not self._answer.trigger(cursor):
            raise FlowStuck(f"no route out of {question_id!r}")
        for _ in range(len(self.flow.routers) + 1):
            if cursor.state not in self.flow.routers:
                return cursor.state, cursor.trail
            if self._route is None or not self._route.trigger(cursor):
                raise FlowStuck(f"no route out of {cursor.state!r}")
        raise FlowStuck(f"routers loop at {cursor.state!r}")

    # --- sessions ----------------------------------------------------------------------

    def new_session(self, region: str | None = None) -> Session:
        return Session(self.flow.id, self.flow.version, self.flow.start, turn=1, region=region)

    def is_current(self, session: Session) -> bool:
        """Whether a stored session fits this flow: its version, and every state, question
        and answer it names (a flow edited without a new version must not crash /back)."""
        flow = self.flow
        return (
            session.flow_id == flow.id
            and session.flow_version == flow.version
            and (session.state in flow.questions or session.state in flow.outcomes)
            and (session.outcome is None or session.outcome in flow.outcomes)
            and all(q in flow.questions for q in session.history)
            and all(v in flow.facts.get(k, ()) for k, v in session.facts.items())
        )

    def step(self, session: Session | None, event: Event) -> tuple[Session, list[Reply]]:
        """Apply one event; the input session is never modified."""
        if session is None:
            fresh = self.new_session()
            if isinstance(event, Start | Restart | Text | Answer):
                return fresh, [self._question_reply(fresh)]
            session = fresh
        elif not self.is_current(session):
            fresh = self.new_session(session.region)
            notice = Reply(
                "info",
                "The questions have been updated since we last spoke, so let's start again.",
            )
            return fresh, [notice, self._question_reply(fresh)]
        return self._dispatch(session, event)

    def _dispatch(self, session: Session, event: Event) -> tuple[Session, list[Reply]]:
        match event:
            case Start():
                fresh = self.new_session(session.region).evolve(turn=session.turn + 1)
                return fresh, [self._question_reply(fresh)]
            case Restart():
                fresh = self.new_session(session.region).evolve(turn=session.turn + 1)
                return fresh, [Reply("info", "Starting again."), self._question_reply(fresh)]
            case Answer(option_id, question, turn):
                return self._on_answer(session, option_id, question, turn)
            case Text(text):
                return self._on_text(session, text)
            case Back():
                return self._on_back(session)
            case Why():
                return session, [self._why_reply(session), *self._resume(session)]
            case Topics():
                return session, [self._topics_reply(session), *self._resume(session, menu=False)]
            case ShowTopic(topic_id):
                return self._on_topic(session, topic_id)
            case SetRegion(code):
                return self._on_region(session, code)
            case Help():
                return session, [self._content_reply("help"), *self._resume(session)]
            case Privacy():
                return session, [self._content_reply("privacy"), *self._resume(session)]
            case Forget():
                fresh = self.new_session()
                done = Reply(
                    "info",
                    "Everything stored about this chat has been erased. "
                    "Send /start whenever you want to begin again.",
                )
                return fresh, [done]
        raise TypeError(f"not an event: {event!r}")

    # --- event handlers ------------------------------------------------------------

    def _on_answer(
        self, session: Session, option_id: str, question: str | None, turn: int | None
    ) -> tuple[Session, list[Reply]]:
        menu_event = _menu_event(option_id)
        if menu_event is not None:
            return self._dispatch(session, menu_event)
        if question is not None and (question != session.state or turn != session.turn):
            return session, [Reply("stale", "This question has moved on.")]
        current = self.flow.questions.get(session.state)
        if current is None:
            return session, [self._not_understood(session)]
        if current.option(option_id) is None:
            return session, [self._not_understood(session)]
        return self._apply(session, current, option_id)

    def _apply(
        self, session: Session, question: Question, option_id: str
    ) -> tuple[Session, list[Reply]]:
        facts = {**session.facts, question.fact: option_id}
        target, trail = self.resolve(question.id, facts)
        moved = session.evolve(
            state=target,
            facts=facts,
            history=(*session.history, question.id),
            turn=session.turn + 1,
        )
        outcome = self.flow.outcomes.get(target)
        if outcome is None:
            return moved, [self._question_reply(moved)]
        done = moved.evolve(outcome=outcome.id, route=trail[-1] if trail else None)
        return done, [self._disposition_reply(done, outcome)]

    def _on_text(self, session: Session, text: str) -> tuple[Session, list[Reply]]:
        command = parse_command(text)
        if command is not None:
            return self._dispatch(session, command)
        if SIGNED_NUMBER.match(text):
            return session, [self._not_understood(session)]
        wanted = normalise(text)
        if session.done:
            for index, option in enumerate(self._menu_options(session), start=1):
                if wanted in (str(index), normalise(option.id), normalise(option.label)):
                    return self._on_answer(session, option.id, None, None)
            return session, [self._not_understood(session)]
        option_id = self._matchers.get(session.state, _no_match)(wanted)
        if option_id is None:
            return session, [self._not_understood(session)]
        return self._apply(session, self.flow.questions[session.state], option_id)

    def _on_back(self, session: Session) -> tuple[Session, list[Reply]]:
        if not session.history:
            return session, [Reply("info", "There is nothing to undo yet."), *self._resume(session)]
        last = self.flow.questions[session.history[-1]]
        facts = {k: v for k, v in session.facts.items() if k != last.fact}
        back = session.evolve(
            state=last.id,
            facts=facts,
            history=session.history[:-1],
            turn=session.turn + 1,
            outcome=None,
            route=None,
        )
        return back, [self._question_reply(back)]

    def _on_topic(self, session: Session, topic_id: str) -> tuple[Session, list[Reply]]:
        if topic_id not in self._topic_ids(session):
            return session, [self._not_understood(session)]
        return session, [self._content_reply(topic_id), *self._resume(session)]

    def _on_region(self, session: Session, code: str | None) -> tuple[Session, list[Reply]]:
        region = find_region(code) if code else None
        if region is None:
            options = tuple(
                ReplyOption(f"region:{r.code}", f"{r.name} ({r.emergency_number})")
                for r in REGIONS.values()
            )
            intro = "Which region are you in? This sets the emergency number I show."
            if code:
                intro = "I don't know that region. " + intro
            return session, [Reply("info", intro, options=options)]
        moved = session.evolve(region=region.code)
        confirm = Reply(
            "info", f"Emergency number set to **{region.emergency_number}** ({region.name})."
        )
        return moved, [confirm, *self._resume(moved)]

    # --- replies --------------------------------------------------------------------

    def region_of(self, session: Session) -> Region:
        return REGIONS.get(session.region or "", self.default_region)

    def _fill(self, text: str, session: Session) -> str:
        return text.replace(EMERGENCY_PLACEHOLDER, self.region_of(session).emergency_number)

    def _question_reply(self, session: Session) -> Reply:
        question = self.flow.questions[session.state]
        text = question.text
        if question.content is not None:
            text = self.content[question.content].body
        return Reply(
            "question",
            self._fill(text, session),
            options=tuple(ReplyOption(o.id, o.label) for o in question.options),
            asks=question.fact,
            question=question.id,
            turn=session.turn,
        )

    def _resume(self, session: Session, *, menu: bool = True) -> list[Reply]:
        """Put the person back where they were: the open question, or the topic menu."""
        if not session.done:
            return [self._question_reply(session)]
        if not menu:
            return []
        return [Reply("info", "What would you like to read next?", self._menu_options(session))]

    def _not_understood(self, session: Session) -> Reply:
        if session.done:
            return Reply(
                "reask",
                "Sorry, I didn't catch that. Choose a topic below, or /restart to start again.",
                self._menu_options(session),
            )
        question = self._question_reply(session)
        numbered = "\n".join(f"{i}. {o.label}" for i, o in enumerate(question.options, start=1))
        text = (
            "Sorry, I didn't catch that. Please tap or type one of these "
            f"(the number works too):\n\n{numbered}\n\n{question.text}"
        )
        return Reply(
            "reask",
            text,
            question.options,
            asks=question.asks,
            question=question.question,
            turn=question.turn,
        )

    def disposition_text(self, session: Session, outcome: Outcome) -> str:
        """What to do, how soon, why, and the safety net with the region's emergency number."""
        region = self.region_of(session)
        parts = [f"**{DISPOSITION_HEADLINES[outcome.disposition]}**", outcome.reason]
        advice = self.flow.disposition_content.get(outcome.disposition)
        if advice is not None:
            parts.append(self.content[advice].body)
        if self.flow.safety_net is not None:
            parts.append(self.content[self.flow.safety_net].body)
        parts.append(
            f"Emergency number ({region.name}): **{region.emergency_number}**. "
            "Change it with /region."
        )
        return self._fill("\n\n".join(parts), session)

    def _disposition_reply(self, session: Session, outcome: Outcome) -> Reply:
        return Reply(
            "disposition",
            self.disposition_text(session, outcome),
            options=self._menu_options(session),
        )

    def _topic_ids(self, session: Session) -> list[str]:
        ids = [t.content for t in self.flow.topics]
        outcome = self.flow.outcomes.get(session.outcome or "")
        if outcome is not None:
            extra = [*outcome.content]
            extra += [n.content for n in self.flow.notes if evaluate(n.when, session.facts)]
            ids[:0] = [c for c in dict.fromkeys(extra) if c not in ids]
        return ids

    def _menu_options(self, session: Session) -> tuple[ReplyOption, ...]:
        labels = {t.content: t.label for t in self.flow.topics}
        options = [
            ReplyOption(f"topic:{cid}", labels.get(cid) or self.content[cid].title)
            for cid in self._topic_ids(session)
        ]
        if session.done:
            options.append(ReplyOption("why", "Why this advice?"))
        options.append(ReplyOption("restart", "Start again"))
        return tuple(options)

    def _topics_reply(self, session: Session) -> Reply:
        return Reply("info", "Topics you can read:", self._menu_options(session))

    def _content_reply(self, content_id: str) -> Reply:
        doc = self.content[content_id]
        return Reply("content", f"**{doc.title}**\n\n{doc.body}")

    def _why_reply(self, session: Session) -> Reply:
        outcome = self.flow.outcomes.get(session.outcome or "")
        if outcome is None:
            return Reply(
                "info", "There is no advice yet. Once the questions are done, /why explains it."
            )
        route = self.flow.route(session.route or "")
        read = facts_of(route.when) if route is not None else frozenset(session.facts)
        lines = []
        for question_id in session.history:
            question = self.flow.questions[question_id]
            if question.fact in read and question.fact in session.facts:
                option = question.option(session.facts[question.fact])
                label = option.label if option else session.facts[question.fact]
                summary = question.summary or question.text.splitlines()[0]
                lines.append(f"- {summary}: **{label}**")
        answers = "\n".join(lines) if lines else "- (this advice applies whatever the answers)"
        text = (
            f"**Why this advice** (rule {outcome.rule})\n\n{outcome.reason}\n\n"
            f"The answers that led here:\n{answers}\n\n"
            "This is education, not a diagnosis: a clinician who examines you may advise otherwise."
        )
        return Reply("info", text)

    def _option_matcher(self, question: Question) -> Callable[[str], str | None]:
        table: dict[str, str] = {}
        for index, option in enumerate(question.options, start=1):
            for key in (str(index), option.id, option.label, *option.synonyms):
                table.setdefault(normalise(key), option.id)
        return table.get


def _predicate(when: Any) -> Callable[[Any], bool]:
    compiled = compile_condition(when)
    return lambda event: compiled(event.model.facts)


def _recorder(route_id: str) -> Callable[[Any], None]:
    return lambda event: event.model.trail.append(route_id)


def _no_match(_: str) -> str | None:
    return None


def _menu_event(option_id: str) -> Event | None:
    """Menu buttons (topics, why, restart, region) share the answer channel with questions."""
    kind, _, value = option_id.partition(":")
    if kind == "topic" and value:
        return ShowTopic(value)
    if kind == "region" and value:
        return SetRegion(value)
    if option_id == "why":
        return Why()
    if option_id == "restart":
        return Restart()
    if option_id == "topics":
        return Topics()
    return None
