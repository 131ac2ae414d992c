"""The conversation engine: `step(session, event) -> (session, replies)`, with no I/O at all.

One synchronous `transitions.Machine` is built per flow, with `model=None` and
`auto_transitions=False`. Sessions are never attached to it: each answer fires the event on a
short-lived cursor object (`machine.events[name].trigger(cursor)`), which measured about 15 us
against 160 us for add_model/remove_model. Route conditions reach `transitions` as compiled
callables, never as strings (a string would be imported as `module.func` by `transitions`).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Mapping
from typing import Any

from transitions import Machine

from bme_bot.core import lay
from bme_bot.core.asking import Alert, Asking, Vocabulary
from bme_bot.core.callbacks import menu_event
from bme_bot.core.catalogue import ENGLISH, LANGUAGE_NAMES, N_, Catalogue, best_locale
from bme_bot.core.conditions import compile_condition, evaluate
from bme_bot.core.content import ContentLibrary, clinically_reviewed
from bme_bot.core.events import (
    Answer,
    Ask,
    Back,
    Event,
    Forget,
    Help,
    Privacy,
    Restart,
    SetLanguage,
    SetRegion,
    ShowTopic,
    Start,
    Text,
    Toggle,
    Topics,
    Why,
    parse_command,
)
from bme_bot.core.flow import UNSURE, Flow, Outcome, Question
from bme_bot.core.progress import Progress
from bme_bot.core.regions import DEFAULT_REGION, REGIONS, Region, find_region
from bme_bot.core.replies import (
    CHECKLIST_DONE,
    CHECKLIST_NONE,
    Reply,
    ReplyOption,
)
from bme_bot.core.session import Session
from bme_bot.core.typed_answers import TypedAnswers
from bme_bot.core.wording import (
    ASK_HOW,
    DETOUR_PREFIX,
    DIAGNOSIS_DECLINE,
    DIAGNOSIS_NEAREST,
    DOSE_DECLINE,
    Wording,
    open_id,
)

MOVED_ON = N_("This question has moved on.")
ERASED = N_(
    "Everything stored about this chat has been erased. "
    "Send /start whenever you want to begin again."
)


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
        self,
        flow: Flow,
        content: ContentLibrary,
        *,
        default_region: str = DEFAULT_REGION,
        vocabulary: Vocabulary | None = None,
        locale: str = "en",
        catalogue: Catalogue | None = None,
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
        self._progress = Progress(flow)
        self.locale = locale
        self.catalogue = catalogue if catalogue is not None else ENGLISH
        self.typed = TypedAnswers(flow, locale)
        self.words = Wording(
            flow,
            content,
            region,
            self.typed,
            self.progress,
            self.catalogue,
            unreviewed_note=locale != "en" and not clinically_reviewed(content),
        )
        self.asking = Asking(flow, content, self.typed, vocabulary)
        self.root: Engine = self
        """The engine of the default locale; every engine of a bundle shares `locales`."""
        self.locales: dict[str, Engine] = {locale: self}
        self._stamp: str | None = None
        """The locale new sessions of this engine carry (None: the default locale)."""

    # --- one engine per locale, the structure shared --------------------------------------

    def add_locale(self, engine: Engine) -> None:
        """Serve sessions in `engine.locale` with `engine`: the same flow structure (checked
        by id and version) with that locale's texts, content, words and catalogue."""
        if (engine.flow.id, engine.flow.version) != (self.flow.id, self.flow.version):
            raise ValueError(f"locale {engine.locale!r} has another flow than {self.flow.id!r}")
        root = self.root
        engine.root = root
        engine.locales = root.locales
        engine._stamp = engine.locale
        root.locales[engine.locale] = engine

    def for_locale(self, code: str | None) -> Engine:
        """The engine of a language tag ("es-MX" -> es), else the default locale's."""
        found = best_locale(code, self.locales)
        return self.locales[found] if found is not None else self.root

    def for_session(self, session: Session | None) -> Engine:
        """The engine of a session's locale (the default for None or a locale not shipped)."""
        if session is None or session.locale is None:
            return self.root
        return self.locales.get(session.locale, self.root)

    def _(self, message: str) -> str:
        return self.catalogue.gettext(message)

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
        return Session(
            self.flow.id,
            self.flow.version,
            self.flow.start,
            turn=1,
            region=region,
            locale=self._stamp,
        )

    def is_current(self, session: Session) -> bool:
        """Whether a stored session fits this flow: its version, and every state, question
        and answer it names (a flow edited without a new version must not crash /back)."""
        flow = self.flow
        return (
            session.flow_id == flow.id
            and session.flow_version == flow.version
            and (session.state in flow.questions or session.state in flow.outcomes)
            and (session.outcome is None or session.outcome in flow.outcomes)
            and all(q in flow.questions or self._detour_entry(q) for q in session.history)
            and all(
                v in flow.facts.get(k, ())
                for answers in (session.facts, session.pending, session.early)
                for k, v in answers.items()
            )
            and (session.detour is None or session.detour in flow.asker)
        )

    def _detour_entry(self, entry: str) -> tuple[str, str, str | None] | None:
        """`!fact@state` -> (fact, state, None) when both exist in this flow; a red flag asked
        again that ended the conversation keeps the answer it replaced: `!fact@state~old`."""
        if not entry.startswith(DETOUR_PREFIX):
            return None
        fact, _, rest = entry[1:].partition("@")
        state, _, old = rest.partition("~")
        if fact in self.flow.facts and state in self.flow.questions:
            if not old:
                return fact, state, None
            if old in self.flow.facts[fact]:
                return fact, state, old
        return None

    def region_of(self, session: Session) -> Region:
        return self.words.region_of(session)

    def disposition_text(self, session: Session, outcome: Outcome) -> str:
        """What to do first, then why, the rule's paragraph and the safety net."""
        return self.words.disposition_text(session, outcome)

    def read_typed(self, fact: str, text: str) -> lay.Reading:
        """How a typed answer about `fact` is read where the flow asks it on its own."""
        return self.typed.read_typed(fact, text)

    def progress(self, session: Session) -> tuple[int, int]:
        """(answers given, at most how many answers in all): a checklist counts as one."""
        answered = len(session.history)
        if session.done:
            return answered, answered
        remaining = self._progress.remaining(session.state, session.facts)
        return answered, answered + remaining + (1 if session.detour else 0)

    def step(
        self, session: Session | None, event: Event, *, locale: str | None = None
    ) -> tuple[Session, list[Reply]]:
        """Apply one event; the input session is never modified. A session is answered in
        its locale; `locale` (a language tag: Telegram's `language_code`) picks the locale
        of a new one, when it is shipped."""
        if session is not None:
            engine = self.for_session(session)
        else:
            engine = self.for_locale(locale) if locale else self
        return engine._step(session, event)

    def _step(self, session: Session | None, event: Event) -> tuple[Session, list[Reply]]:
        if session is None:
            fresh = self.new_session()
            if isinstance(event, Text) and parse_command(event.text) is None:
                asked = self._question(fresh, event.text, explicit=False)
                if asked is not None:
                    return asked
            if isinstance(event, Start | Restart | Text | Answer | Toggle):
                return fresh, [self.words.question_reply(fresh)]
            session = fresh
        elif not self.is_current(session):
            fresh = self.new_session(session.region).evolve(locale=session.locale)
            notice = Reply(
                "info",
                self._(
                    "The questions have been updated since we last spoke, so let's start again."
                ),
            )
            return fresh, [notice, self.words.question_reply(fresh)]
        return self._dispatch(session, event)

    def _dispatch(self, session: Session, event: Event) -> tuple[Session, list[Reply]]:
        match event:
            case Start():
                fresh = self.new_session(session.region).evolve(
                    turn=session.turn + 1, locale=session.locale
                )
                return fresh, [self.words.question_reply(fresh)]
            case Restart():
                fresh = self.new_session(session.region).evolve(
                    turn=session.turn + 1, locale=session.locale
                )
                return fresh, [
                    Reply("info", self._("Starting again.")),
                    self.words.question_reply(fresh),
                ]
            case Answer(option_id, question, turn):
                return self._on_answer(session, option_id, question, turn)
            case Toggle(fact, question, turn):
                return self._on_toggle(session, fact, question, turn)
            case Text(text):
                return self._on_text(session, text)
            case Back():
                return self._on_back(session)
            case Why():
                return session, [self.words.why_reply(session), *self.words.resume(session)]
            case Topics():
                return session, [
                    self.words.topics_reply(session),
                    *self.words.resume(session, menu=False),
                ]
            case ShowTopic(topic_id):
                return self._on_topic(session, topic_id)
            case SetRegion(code):
                return self._on_region(session, code)
            case SetLanguage(code):
                return self._on_language(session, code)
            case Help():
                return session, [self.words.content_reply("help"), *self.words.resume(session)]
            case Privacy():
                return session, [self.words.content_reply("privacy"), *self.words.resume(session)]
            case Ask(text):
                if not text:
                    return session, [Reply("info", self._(ASK_HOW)), *self.words.resume(session)]
                asked = self._question(session, text, explicit=True)
                assert asked is not None  # an explicit question is always answered
                return asked
            case Forget():
                fresh = self.new_session()
                done = Reply("info", self._(ERASED))
                return fresh, [done]
        raise TypeError(f"not an event: {event!r}")

    # --- event handlers ------------------------------------------------------------

    def _on_answer(
        self, session: Session, option_id: str, question: str | None, turn: int | None
    ) -> tuple[Session, list[Reply]]:
        kind, _, code = option_id.partition(":")
        if kind == "language" and code:
            return self._on_language(session, code)
        menu = menu_event(option_id)
        if menu is not None:
            return self._dispatch(session, menu)
        if question is not None and (question != open_id(session) or turn != session.turn):
            return session, [Reply("stale", self._(MOVED_ON))]
        if session.detour is not None:
            if option_id not in tuple(c.id for c in self.typed.single_choices(session.detour)):
                return session, [self.words.not_understood(session)]
            return self._on_detour_answer(session, option_id)
        current = self.flow.questions.get(session.state)
        if current is None or session.done:
            return session, [self.words.not_understood(session)]
        if current.is_checklist:
            if option_id == CHECKLIST_DONE:
                return self._submit(session, current, session.pending)
            if option_id == CHECKLIST_NONE:
                if session.pending:
                    return session, [self.words.ticked_but_none(session)]
                return self._submit(session, current, {})
            return session, [self.words.not_understood(session)]
        if current.option(option_id) is None:
            return session, [self.words.not_understood(session)]
        return self._apply(session, current, {current.fact: option_id})

    def _on_toggle(
        self, session: Session, fact: str, question: str | None, turn: int | None
    ) -> tuple[Session, list[Reply]]:
        current = self.flow.questions.get(session.state)
        stale = (question is not None and question != open_id(session)) or (
            turn is not None and turn != session.turn
        )
        if (
            stale
            or session.done
            or session.detour is not None
            or current is None
            or all(i.fact != fact for i in current.visible_items(session.facts))
        ):
            return session, [Reply("stale", self._(MOVED_ON))]
        cycle = ["", "yes", UNSURE] if fact in self.flow.unsure else ["", "yes"]
        mark = cycle[(cycle.index(session.pending.get(fact, "")) + 1) % len(cycle)]
        pending = {k: v for k, v in session.pending.items() if k != fact}
        if mark:
            pending[fact] = mark
        moved = session.evolve(pending=pending)
        return moved, [self.words.question_reply(moved)]

    def _submit(
        self, session: Session, question: Question, marks: dict[str, str]
    ) -> tuple[Session, list[Reply]]:
        """Answer a checklist: ticked items yes (or not sure), every other shown item no."""
        answers = {}
        for item in question.visible_items(session.facts):
            mark = marks.get(item.fact, "no")
            if mark == UNSURE and item.fact not in self.flow.unsure:
                mark = "yes"  # no "not sure" here: the careful reading of a doubtful tick
            answers[item.fact] = mark
        return self._apply(session, question, answers)

    def _apply(
        self, session: Session, question: Question, answers: dict[str, str]
    ) -> tuple[Session, list[Reply]]:
        """Record answers, follow the routes, and use any answer the person gave early."""
        facts = {**session.facts, **answers}
        early = {k: v for k, v in session.early.items() if k not in answers}
        history = (*session.history, question.id)
        target, trail = self.resolve(question.id, facts)
        while (ahead := self.flow.questions.get(target)) is not None and (
            not ahead.is_checklist and ahead.fact in early
        ):
            facts[ahead.fact] = early.pop(ahead.fact)
            history = (*history, ahead.id)
            target, more = self.resolve(ahead.id, facts)
            trail = [*trail, *more]
        pending = self._pending_for(target, facts, early)
        moved = session.evolve(
            state=target,
            facts=facts,
            history=history,
            turn=session.turn + 1,
            pending=pending,
            early=early,
            trail=tuple(trail),
        )
        outcome = self.flow.outcomes.get(target)
        if outcome is None:
            return moved, [self.words.question_reply(moved)]
        done = moved.evolve(outcome=outcome.id, route=trail[-1] if trail else None, early={})
        return done, [self.words.disposition_reply(done, outcome)]

    def _on_text(self, session: Session, text: str) -> tuple[Session, list[Reply]]:
        command = parse_command(text)
        if command is not None:
            return self._dispatch(session, command)
        if session.done:
            wanted = normalise(text)
            for index, option in enumerate(self.words.menu_options(session), start=1):
                if wanted in (str(index), normalise(option.id), normalise(option.label)):
                    return self._on_answer(session, option.id, None, None)
            asked = self._question(session, text, explicit=False)  # nothing is pending
            return asked if asked is not None else (session, [self.words.not_understood(session)])
        if session.detour is not None:
            reading = self.typed.read_alone(session.detour, text)
            if isinstance(reading, lay.Understood):
                return self._on_detour_answer(session, reading.value)
            asked = self._question_instead(session, text, reading)
            if asked is not None:
                return asked
            return session, [self.words.not_understood(session, reading.hint)]
        question = self.flow.questions[session.state]
        mentioned = self.typed.mentioned({**session.facts, **session.early}, question.facts, text)
        if question.is_checklist:
            marks = self.typed.read_checklist(question, session.facts, text)
            if isinstance(marks, lay.Unclear):
                asked = self._question_instead(session, text, marks)
                if asked is not None:
                    return asked
            if isinstance(marks, lay.Marks) and not marks.marks and session.pending:
                return session, [self.words.ticked_but_none(session)]  # "none", yet ticks
            if isinstance(marks, lay.Marks):
                # Ticks already on the message (tapped, or a red flag typed before) stay
                # ticked: typing "1" after ticking 3 must not quietly answer 3 with "no".
                merged = {**session.pending, **marks.marks}
                for fact, mark in session.pending.items():
                    if mark == "yes":
                        merged[fact] = "yes"
                moved, replies = self._submit(session, question, merged)
                moved, replies = self._maybe_detour(moved, replies, mentioned)
                return moved, self._with_sign(moved, text, replies)
            return self._maybe_detour(
                session, [self.words.not_understood(session, marks.hint)], mentioned
            )
        reading = self.typed.read_single(question, text)
        if isinstance(reading, lay.Understood):
            moved, replies = self._apply(session, question, {question.fact: reading.value})
            moved, replies = self._maybe_detour(moved, replies, mentioned)
            return moved, self._with_sign(moved, text, replies)
        asked = self._question_instead(session, text, reading)
        if asked is not None:
            return asked
        return self._maybe_detour(
            session, [self.words.not_understood(session, reading.hint)], mentioned
        )

    # --- typed questions, answered from the content ---------------------------------------

    def _question_instead(
        self, session: Session, text: str, reading: lay.Unclear
    ) -> tuple[Session, list[Reply]] | None:
        """Typed text the reader could not take as an answer may be a question. Never steal
        an answer: text that could mean two answers (`candidates`) is asked again as before.
        Before the first answer (the consent question) anything that is not an answer may be
        a question; later only text that is clearly one ("...?", "how ...")."""
        if reading.candidates:
            return None
        alert = self.asking.alert(text)
        if alert is not None:
            return self._alert_turn(session, alert)
        started = bool(session.history) or session.state != self.flow.start
        if started and not self.asking.is_question(text):
            return None
        return self._question(session, text, explicit=False)

    def _question(
        self, session: Session, text: str, *, explicit: bool
    ) -> tuple[Session, list[Reply]] | None:
        """Answer a typed question: a red flag first (whatever else it asks), then a dose
        or diagnosis question declined, then the best section of our content, or say there
        is no good match. The open question is asked again after. None when the text is
        neither a question nor a red flag and `explicit` is false (the caller goes on)."""
        asking = self.asking
        alert = asking.alert(text)
        if alert is not None:
            return self._alert_turn(session, alert)
        if asking.is_dose(text):
            return session, [
                Reply("info", self._(DOSE_DECLINE)),
                *self.words.resume(session, menu=False),
            ]
        if asking.is_diagnosis(text):
            near = asking.nearest(text)
            nearest = [self.words.answer_reply(near, self._(DIAGNOSIS_NEAREST))] if near else []
            return session, [
                Reply("info", self._(DIAGNOSIS_DECLINE)),
                *nearest,
                *self.words.offer_check(session),
            ]
        hits = asking.search(text)
        if not hits:
            if not explicit and not asking.is_question(text):
                return None
            replies = [self.words.no_match_reply(session)]
        else:
            replies = [self.words.answer_reply(hits)]
        return session, [*replies, *self.words.resume(session, menu=False)]

    def _with_sign(self, session: Session, text: str, replies: list[Reply]) -> list[Reply]:
        """An answer that also names a sign the flow never asks about ("knee, and I'm short
        of breath"): the answer is taken, and the sign's advice comes first."""
        if len(text.split()) < 2:
            return replies  # one word taken as the answer names nothing else (and is quick)
        sign = self.asking.sign_alert(text)
        if sign is None:
            return replies
        return [self.words.alert_reply(session, sign), *replies]

    def _alert_turn(self, session: Session, alert: Alert) -> tuple[Session, list[Reply]]:
        """What to do first for a red flag typed in free text, then the check: the red flag
        asked about next during the questions, else the open question or the offer to start."""
        replies = [self.words.alert_reply(session, alert)]
        detour = self._alert_detour(session, alert.facts)
        if detour is not None:
            moved = session.evolve(detour=detour, turn=session.turn + 1)
            return moved, [*replies, self.words.question_reply(moved)]
        return session, [*replies, *self.words.offer_check(session)]

    def _alert_detour(self, session: Session, facts: Mapping[str, str]) -> str | None:
        """Until the advice, a red flag typed in a question is asked about next (as the
        flow's `mentions` are, even at the first question), unless it is asked now or is
        already known as a red flag: "not sure" is the careful answer and is never asked
        again, the same rule as `TypedAnswers.mentioned`."""
        if session.done or session.detour is not None:
            return None
        question = self.flow.questions.get(session.state)
        here = question.facts if question is not None else ()
        known = {**session.facts, **session.early}
        for fact, value in facts.items():
            if fact in here or known.get(fact) in (value, *self.typed.flagged(fact)):
                continue
            return fact
        return None

    # --- red flags typed before they were asked -------------------------------------------

    def _maybe_detour(
        self, session: Session, replies: list[Reply], fact: str | None
    ) -> tuple[Session, list[Reply]]:
        """Ask about a red flag the person typed now, before anything else."""
        if fact is None or session.done or session.detour is not None:
            return session, replies
        moved = session.evolve(detour=fact, turn=session.turn + 1)
        return moved, [self.words.question_reply(moved)]

    def _on_detour_answer(self, session: Session, value: str) -> tuple[Session, list[Reply]]:
        """Keep the answer for when the flow reaches it; end at once if it is an emergency.
        A fact answered before and now answered differently takes the conversation back to
        the question that asked it, since every later question may depend on it."""
        fact = session.detour or ""
        earlier = session.facts.get(fact)
        # An answer given early (not yet taken by its question) and replaced by an emergency
        # is kept in the history too, so /back and a replay of the history bring it back.
        replaced = earlier if earlier is not None else session.early.get(fact)
        if earlier == value:
            same = session.evolve(detour=None, turn=session.turn + 1, trail=())
            return same, [
                Reply("info", self._("Thank you, that is as you said before.")),
                *self.words.resume(same),
            ]
        early = {**session.early, fact: value}
        entry = f"{DETOUR_PREFIX}{fact}@{session.state}" + (f"~{replaced}" if replaced else "")
        combined = {**session.facts, **early}
        for route in self.flow.short_circuits:
            outcome = self.flow.outcomes.get(route.target)
            if outcome is None or outcome.disposition != "emergency":
                continue
            if evaluate(route.when, combined):
                done = session.evolve(
                    state=outcome.id,
                    facts=combined,
                    early={},
                    pending={},
                    detour=None,
                    history=(*session.history, entry),
                    turn=session.turn + 1,
                    outcome=outcome.id,
                    route=route.id,
                    trail=(route.id,),
                )
                return done, [self.words.disposition_reply(done, outcome)]
        if earlier is not None:
            return self._rewind_to(session, fact, value)
        moved = session.evolve(
            detour=None,
            early=early,
            history=(*session.history, f"{DETOUR_PREFIX}{fact}@{session.state}"),
            turn=session.turn + 1,
            trail=(),
        )
        thanks = Reply("info", self._("Thank you. Now back to where we were."))
        return moved, [thanks, self.words.question_reply(moved)]

    def _rewind_to(self, session: Session, fact: str, value: str) -> tuple[Session, list[Reply]]:
        """Go back to the question that asked `fact`, with the new answer waiting there."""
        steps = self._answered_by(session)
        index = next(i for i, (_, asked, _) in enumerate(steps) if fact in asked)
        question, _, known = steps[index]
        early = {k: v for k, v in session.early.items() if k not in known}
        early[fact] = value
        moved = session.evolve(
            state=question,
            facts=known,
            early=early,
            history=(*session.history[:index], f"{DETOUR_PREFIX}{fact}@{question}"),
            turn=session.turn + 1,
            pending=self._pending_for(question, known, early),
            detour=None,
            trail=(),
        )
        note = Reply(
            "info",
            self._(
                "Thank you. That changes what I need to ask, so let's go on from that question."
            ),
        )
        return moved, [note, self.words.question_reply(moved)]

    def _pending_for(
        self, state: str, facts: dict[str, str], early: dict[str, str]
    ) -> dict[str, str]:
        """Ticks a checklist starts with: the red flags the person typed before it."""
        question = self.flow.questions.get(state)
        if question is None or not question.is_checklist:
            return {}
        shown = {i.fact for i in question.visible_items(facts)}
        return {f: v for f, v in early.items() if f in shown and v != "no"}

    def _on_back(self, session: Session) -> tuple[Session, list[Reply]]:
        if session.detour is not None:
            back = session.evolve(detour=None, turn=session.turn + 1)
            return back, [self.words.question_reply(back)]
        if not session.history:
            return session, [
                Reply("info", self._("There is nothing to undo yet.")),
                *self.words.resume(session),
            ]
        last = session.history[-1]
        detour = self._detour_entry(last)
        if detour is not None:
            # Only the history's questions answered facts; an emergency straight from a red
            # flag typed early also read the other early answers: they go back to waiting.
            fact, state, old = detour
            asked = set(self._answered_by(session)[-1][2])
            facts = {k: v for k, v in session.facts.items() if k != fact and k in asked}
            early = {k: v for k, v in session.facts.items() if k != fact and k not in asked}
            early.update({k: v for k, v in session.early.items() if k != fact})
            if old is not None:  # asked again: the earlier answer comes back where it was
                (facts if fact in asked else early)[fact] = old
        else:
            state = last
            kept, given_early = self._set_before_last(session)
            facts = {k: v for k, v in session.facts.items() if k in kept}
            undone = {k: v for k, v in session.facts.items() if k not in kept}
            early = {**session.early, **{k: v for k, v in undone.items() if k in given_early}}
        back = session.evolve(
            state=state,
            facts=facts,
            early=early,
            history=session.history[:-1],
            turn=session.turn + 1,
            outcome=None,
            route=None,
            pending={},
        )
        return back, [self.words.question_reply(back)]

    def _answered_by(self, session: Session) -> list[tuple[str, tuple[str, ...], dict[str, str]]]:
        """Per history entry: (the entry, the facts it answered, the answers before it),
        found by replaying the history: a checklist answered exactly the items it showed
        then, which depends only on the answers before it. A red flag typed early answered
        nothing yet (its answer waits), unless it ended the conversation."""
        steps: list[tuple[str, tuple[str, ...], dict[str, str]]] = []
        # Presets (a check-in's earlier advice) were known before any question: /back keeps them.
        known = {f: v for f, v in session.facts.items() if f in self.flow.presets}
        for entry in session.history:
            detour = self._detour_entry(entry)
            if detour is not None:
                asked: tuple[str, ...] = ()
            else:
                question = self.flow.questions[entry]
                asked = (
                    tuple(i.fact for i in question.visible_items(known))
                    if question.is_checklist
                    else (question.fact,)
                )
            steps.append((entry, asked, dict(known)))
            known.update({f: session.facts[f] for f in asked if f in session.facts})
        return steps

    def _set_before_last(self, session: Session) -> tuple[set[str], set[str]]:
        """(the facts answered before the last history entry, the facts typed early by then),
        so /back over one checklist never erases another's answers, and an answer given
        early goes back to waiting."""
        steps = self._answered_by(session)
        before = set(steps[-1][2]) if steps else set()
        early = {d[0] for e, _, _ in steps[:-1] if (d := self._detour_entry(e)) is not None}
        return before, early - before

    def _on_topic(self, session: Session, topic_id: str) -> tuple[Session, list[Reply]]:
        if topic_id not in self.words.topic_ids(session) and topic_id not in self.asking.topics:
            return session, [self.words.not_understood(session)]
        return session, [self.words.content_reply(topic_id), *self.words.resume(session)]

    def _on_region(self, session: Session, code: str | None) -> tuple[Session, list[Reply]]:
        region = find_region(code) if code else None
        if region is None:
            options = tuple(
                ReplyOption(f"region:{r.code}", f"{self._(r.name)} ({r.emergency_number})")
                for r in REGIONS.values()
            )
            intro = self._("Which region are you in? This sets the emergency number I show.")
            if code:
                intro = self._("I don't know that region.") + " " + intro
            return session, [Reply("info", intro, options=options)]
        moved = session.evolve(region=region.code)
        confirm = Reply(
            "info",
            self._("Emergency number set to **{number}** ({region}).").format(
                number=region.emergency_number, region=self._(region.name)
            ),
        )
        return moved, [confirm, *self.words.resume(moved)]

    def _on_language(self, session: Session, code: str | None) -> tuple[Session, list[Reply]]:
        """List the languages, or change to one: the open question (or the menu) is asked
        again in the new language, with the answers kept (the structure is shared)."""
        found = best_locale(code, self.locales)
        if found is None:
            options = tuple(
                ReplyOption(f"language:{c}", LANGUAGE_NAMES.get(c, c))
                for c in sorted(self.locales, key=_language_order)
            )
            intro = self._("Which language would you like?")
            if code:
                intro = self._("I don't have that language yet.") + " " + intro
            return session, [Reply("info", intro, options=options)]
        target = self.locales[found]
        moved = session.evolve(
            locale=None if found == self.root.locale else found, turn=session.turn + 1
        )
        name = LANGUAGE_NAMES.get(found, found)
        confirm = Reply("info", target._("Language set to {language}.").format(language=name))
        return moved, [confirm, *target.words.resume(moved)]

    # --- replies --------------------------------------------------------------------


def _language_order(code: str) -> tuple[int, str]:
    """English, Español, Deutsch, then any other locale by code."""
    order = list(LANGUAGE_NAMES)
    return (order.index(code) if code in order else len(order), code)


def _predicate(when: Any) -> Callable[[Any], bool]:
    compiled = compile_condition(when)
    return lambda event: compiled(event.model.facts)


def _recorder(route_id: str) -> Callable[[Any], None]:
    return lambda event: event.model.trail.append(route_id)
