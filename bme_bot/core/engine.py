"""The conversation engine: `step(session, event) -> (session, replies)`, with no I/O at all.

One synchronous `transitions.Machine` is built per flow, with `model=None` and
`auto_transitions=False`. Sessions are never attached to it: each answer fires the event on a
short-lived cursor object (`machine.events[name].trigger(cursor)`), which measured about 15 us
against 160 us for add_model/remove_model. Route conditions reach `transitions` as compiled
callables, never as strings (a string would be imported as `module.func` by `transitions`).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from typing import Any

from transitions import Machine

from bme_bot.core import lay
from bme_bot.core.advice import compose, counted
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
    ChecklistItem,
    Reply,
    ReplyOption,
)
from bme_bot.core.session import Session

EMERGENCY_PLACEHOLDER = "{emergency_number}"

CHECKLIST_BUTTONS = (
    ReplyOption(CHECKLIST_NONE, "None of these"),
    ReplyOption(CHECKLIST_DONE, "Done"),
)
YES_NO = (("yes", "Yes"), ("no", "No"), (UNSURE, "Not sure"))
"""The answers to a checklist item asked on its own (a detour)."""
MARK_NAMES = {"yes": "yes", UNSURE: "not sure"}
DETOUR_PREFIX = "!"
"""History entries `!fact@state` record a red flag asked out of order, for /back."""


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
        self._progress = Progress(flow)
        self._mentions = self._mention_table()

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
            and all(q in flow.questions or self._detour_entry(q) for q in session.history)
            and all(
                v in flow.facts.get(k, ())
                for answers in (session.facts, session.pending, session.early)
                for k, v in answers.items()
            )
            and (session.detour is None or session.detour in flow.asker)
        )

    def _detour_entry(self, entry: str) -> tuple[str, str] | None:
        """`!fact@state` -> (fact, state) when both exist in this flow."""
        if not entry.startswith(DETOUR_PREFIX):
            return None
        fact, _, state = entry[1:].partition("@")
        if fact in self.flow.facts and state in self.flow.questions:
            return fact, state
        return None

    def progress(self, session: Session) -> tuple[int, int]:
        """(answers given, at most how many answers in all): a checklist counts as one."""
        answered = len(session.history)
        if session.done:
            return answered, answered
        remaining = self._progress.remaining(session.state, session.facts)
        return answered, answered + remaining + (1 if session.detour else 0)

    def step(self, session: Session | None, event: Event) -> tuple[Session, list[Reply]]:
        """Apply one event; the input session is never modified."""
        if session is None:
            fresh = self.new_session()
            if isinstance(event, Start | Restart | Text | Answer | Toggle):
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
            case Toggle(fact, question, turn):
                return self._on_toggle(session, fact, question, turn)
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

    def _open_id(self, session: Session) -> str:
        """The id a button must carry to answer what is open now (a detour has its own)."""
        if session.detour is not None:
            return f"{DETOUR_PREFIX}{session.detour}"
        return session.state

    def _on_answer(
        self, session: Session, option_id: str, question: str | None, turn: int | None
    ) -> tuple[Session, list[Reply]]:
        menu_event = _menu_event(option_id)
        if menu_event is not None:
            return self._dispatch(session, menu_event)
        if question is not None and (question != self._open_id(session) or turn != session.turn):
            return session, [Reply("stale", "This question has moved on.")]
        if session.detour is not None:
            if option_id not in self._detour_values(session.detour):
                return session, [self._not_understood(session)]
            return self._on_detour_answer(session, option_id)
        current = self.flow.questions.get(session.state)
        if current is None or session.done:
            return session, [self._not_understood(session)]
        if current.is_checklist:
            if option_id == CHECKLIST_DONE:
                return self._submit(session, current, session.pending)
            if option_id == CHECKLIST_NONE:
                if session.pending:
                    return session, [self._ticked_but_none(session)]
                return self._submit(session, current, {})
            return session, [self._not_understood(session)]
        if current.option(option_id) is None:
            return session, [self._not_understood(session)]
        return self._apply(session, current, {current.fact: option_id})

    def _on_toggle(
        self, session: Session, fact: str, question: str | None, turn: int | None
    ) -> tuple[Session, list[Reply]]:
        current = self.flow.questions.get(session.state)
        stale = (question is not None and question != self._open_id(session)) or (
            turn is not None and turn != session.turn
        )
        if (
            stale
            or session.done
            or session.detour is not None
            or current is None
            or all(i.fact != fact for i in current.visible_items(session.facts))
        ):
            return session, [Reply("stale", "This question has moved on.")]
        cycle = ["", "yes", UNSURE] if fact in self.flow.unsure else ["", "yes"]
        mark = cycle[(cycle.index(session.pending.get(fact, "")) + 1) % len(cycle)]
        pending = {k: v for k, v in session.pending.items() if k != fact}
        if mark:
            pending[fact] = mark
        moved = session.evolve(pending=pending)
        return moved, [self._question_reply(moved)]

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
        pending: dict[str, str] = {}
        ahead = self.flow.questions.get(target)
        if ahead is not None and ahead.is_checklist:
            shown = {i.fact for i in ahead.visible_items(facts)}
            pending = {f: v for f, v in early.items() if f in shown and v != "no"}
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
            return moved, [self._question_reply(moved)]
        done = moved.evolve(outcome=outcome.id, route=trail[-1] if trail else None, early={})
        return done, [self._disposition_reply(done, outcome)]

    def _on_text(self, session: Session, text: str) -> tuple[Session, list[Reply]]:
        command = parse_command(text)
        if command is not None:
            return self._dispatch(session, command)
        if session.done:
            wanted = normalise(text)
            for index, option in enumerate(self._menu_options(session), start=1):
                if wanted in (str(index), normalise(option.id), normalise(option.label)):
                    return self._on_answer(session, option.id, None, None)
            return session, [self._not_understood(session)]
        if session.detour is not None:
            reading = self._read_detour(session.detour, text)
            if isinstance(reading, lay.Understood):
                return self._on_detour_answer(session, reading.value)
            return session, [self._not_understood(session, reading.hint)]
        question = self.flow.questions[session.state]
        mentioned = self._mentioned(session, question, text)
        if question.is_checklist:
            marks = lay.read_checklist(text, self._item_choices(question, session))
            if isinstance(marks, lay.Marks):
                moved, replies = self._submit(session, question, dict(marks.marks))
                return self._maybe_detour(moved, replies, mentioned)
            return self._maybe_detour(
                session, [self._not_understood(session, marks.hint)], mentioned
            )
        reading = self._read_single(question, text)
        if isinstance(reading, lay.Understood):
            moved, replies = self._apply(session, question, {question.fact: reading.value})
            return self._maybe_detour(moved, replies, mentioned)
        return self._maybe_detour(session, [self._not_understood(session, reading.hint)], mentioned)

    # --- red flags typed before they were asked -------------------------------------------

    def _mention_table(self) -> list[tuple[str, tuple[str, ...]]]:
        """(fact, phrases) for every fact whose red-flag answer declares `mentions`."""
        table: list[tuple[str, tuple[str, ...]]] = []
        for question in self.flow.questions.values():
            if question.is_checklist:
                table += [(i.fact, i.mentions) for i in question.items if i.mentions]
            else:
                phrases = tuple(p for o in question.options for p in o.mentions)
                if phrases:
                    table.append((question.fact, phrases))
        return table

    def _mentioned(self, session: Session, question: Question, text: str) -> str | None:
        """The first red flag the text states that is not asked yet and not asked here."""
        for fact, phrases in self._mentions:
            if fact in session.facts or fact in session.early or fact in question.facts:
                continue
            if lay.mentions(text, phrases):
                return fact
        return None

    def _maybe_detour(
        self, session: Session, replies: list[Reply], fact: str | None
    ) -> tuple[Session, list[Reply]]:
        """Ask about a red flag the person typed now, before anything else, if still open."""
        if fact is None or session.done or fact in session.facts:
            return session, replies
        moved = session.evolve(detour=fact, turn=session.turn + 1)
        return moved, [self._question_reply(moved)]

    def _detour_values(self, fact: str) -> tuple[str, ...]:
        return tuple(c.id for c in self._detour_choices(fact))

    def _detour_choices(self, fact: str) -> list[lay.Choice]:
        item = self.flow.item(fact)
        if item is None:
            question = self.flow.asker[fact]
            return [lay.Choice(o.id, o.label, o.synonyms) for o in question.options]
        values = self.flow.facts[fact]
        return [
            lay.Choice(v, label, {"yes": item.synonyms, "no": item.no_synonyms}.get(v, ()))
            for v, label in YES_NO
            if v in values
        ]

    def _unsure(self, fact: str) -> str | None:
        return UNSURE if fact in self.flow.unsure else None

    def _on_detour_answer(self, session: Session, value: str) -> tuple[Session, list[Reply]]:
        """Keep the answer for when the flow reaches it; end at once if it is an emergency."""
        fact = session.detour or ""
        early = {**session.early, fact: value}
        entry = f"{DETOUR_PREFIX}{fact}@{session.state}"
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
                return done, [self._disposition_reply(done, outcome)]
        moved = session.evolve(
            detour=None,
            early=early,
            history=(*session.history, entry),
            turn=session.turn + 1,
            trail=(),
        )
        thanks = Reply("info", "Thank you. Now back to where we were.")
        return moved, [thanks, self._question_reply(moved)]

    def _on_back(self, session: Session) -> tuple[Session, list[Reply]]:
        if session.detour is not None:
            back = session.evolve(detour=None, turn=session.turn + 1)
            return back, [self._question_reply(back)]
        if not session.history:
            return session, [Reply("info", "There is nothing to undo yet."), *self._resume(session)]
        last = session.history[-1]
        detour = self._detour_entry(last)
        if detour is not None:
            fact, state = detour
            back = session.evolve(
                state=state,
                facts={k: v for k, v in session.facts.items() if k != fact},
                early={k: v for k, v in session.early.items() if k != fact},
                history=session.history[:-1],
                turn=session.turn + 1,
                outcome=None,
                route=None,
                pending={},
            )
            return back, [self._question_reply(back)]
        question = self.flow.questions[last]
        back = session.evolve(
            state=question.id,
            facts={k: v for k, v in session.facts.items() if k not in question.facts},
            history=session.history[:-1],
            turn=session.turn + 1,
            outcome=None,
            route=None,
            pending={},
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

    def _question_text(self, question: Question) -> str:
        if question.content is not None:
            return self.content[question.content].body
        return question.text

    def _question_reply(self, session: Session) -> Reply:
        progress = self.progress(session)
        if session.detour is not None:
            return self._detour_reply(session, progress)
        question = self.flow.questions[session.state]
        if question.is_checklist:
            items = tuple(
                ChecklistItem(i.fact, i.label, session.pending.get(i.fact, ""))
                for i in question.visible_items(session.facts)
            )
            return Reply(
                "question",
                self._fill(question.text, session),
                options=CHECKLIST_BUTTONS,
                question=question.id,
                turn=session.turn,
                checklist=items,
                progress=progress,
            )
        return Reply(
            "question",
            self._fill(self._question_text(question), session),
            options=tuple(ReplyOption(o.id, o.label) for o in question.options),
            asks=question.fact,
            question=question.id,
            turn=session.turn,
            progress=progress,
        )

    def _detour_reply(self, session: Session, progress: tuple[int, int]) -> Reply:
        fact = session.detour or ""
        item = self.flow.item(fact)
        asked = (
            f"Is this true now: **{item.label}**?"
            if item is not None
            else self._question_text(self.flow.asker[fact])
        )
        text = f"You mentioned something that matters, so I will ask about it first.\n\n{asked}"
        return Reply(
            "question",
            self._fill(text, session),
            options=tuple(ReplyOption(c.id, c.label) for c in self._detour_choices(fact)),
            asks=fact,
            question=self._open_id(session),
            turn=session.turn,
            progress=progress,
        )

    def _resume(self, session: Session, *, menu: bool = True) -> list[Reply]:
        """Put the person back where they were: the open question, or the topic menu."""
        if not session.done:
            return [self._question_reply(session)]
        if not menu:
            return []
        return [Reply("info", "What would you like to read next?", self._menu_options(session))]

    def _not_understood(self, session: Session, hint: str = "") -> Reply:
        if session.done:
            return Reply(
                "reask",
                "Sorry, I didn't catch that. Choose a topic below, or /restart to start again.",
                self._menu_options(session),
            )
        question = self._question_reply(session)
        if question.checklist:
            listed = "\n".join(
                f"{i}. {item.label}" for i, item in enumerate(question.checklist, start=1)
            )
            how = (
                "Choose the numbers or names of the ones that apply, separated by spaces or "
                "commas. Add ? to one you are not sure about (like 2?). Or answer none."
            )
        else:
            listed = "\n".join(f"{i}. {o.label}" for i, o in enumerate(question.options, start=1))
            how = "Please choose one of these (the number or the words both work):"
        opener = "Sorry, I didn't catch that."
        if hint:
            opener = f"{opener} {hint}"
        long_question = self.flow.questions.get(session.state)
        repeat = (
            ""
            if session.detour is None and long_question is not None and long_question.content
            else f"\n\n{question.text}"
        )
        return Reply(
            "reask",
            f"{opener}\n\n{how}\n\n{listed}{repeat}",
            question.options,
            asks=question.asks,
            question=question.question,
            turn=question.turn,
            checklist=question.checklist,
            progress=question.progress,
        )

    def _ticked_but_none(self, session: Session) -> Reply:
        question = self._question_reply(session)
        ticked = ", ".join(i.label for i in question.checklist if i.mark)
        return Reply(
            "reask",
            f"You ticked: {ticked}. Tap Done to send them, or untick them first.",
            question.options,
            question=question.question,
            turn=question.turn,
            checklist=question.checklist,
            progress=question.progress,
        )

    def _summaries(self) -> dict[str, str]:
        """A short name per fact, for /why and the "not sure" note."""
        names: dict[str, str] = {}
        for question in self.flow.questions.values():
            for item in question.items:
                names[item.fact] = item.label
            if question.fact:
                names[question.fact] = question.summary or question.text.splitlines()[0]
        return names

    def disposition_text(self, session: Session, outcome: Outcome) -> str:
        """What to do first, then why, the rule's paragraph and the safety net."""
        region = self.region_of(session)
        region_line = (
            f"Emergency number ({region.name}): **{region.emergency_number}**. "
            "Change it with /region."
        )
        text = compose(
            self.flow, self.content, outcome, session.facts, self._summaries(), region_line
        )
        return self._fill(text, session)

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
            question = self.flow.questions.get(session.state)
            reason = question.why if question is not None else ""
            if session.detour is not None:
                reason = "You mentioned a sign that can need care quickly, so I ask about it first."
            text = (
                f"**Why I ask this:** {reason}\n\nOnce the questions are done, /why explains the advice."
                if reason
                else "There is no advice yet. Once the questions are done, /why explains it."
            )
            return Reply("info", text)
        route = self.flow.route(session.route or "")
        read = facts_of(route.when) if route is not None else frozenset(session.facts)
        seen = counted(self.flow, session.facts)
        names = self._summaries()
        lines = []
        for fact, value in session.facts.items():
            if fact not in read:
                continue
            label = self._value_label(fact, value)
            if value == UNSURE:
                label = f"not sure (counted as {self._value_label(fact, seen[fact]).lower()})"
            lines.append(f"- {names.get(fact, fact)}: **{label}**")
        answers = "\n".join(lines) if lines else "- (this advice applies whatever the answers)"
        text = (
            f"**Why this advice** (rule {outcome.rule})\n\n{outcome.reason}\n\n"
            f"The answers that led here:\n{answers}\n\n"
            "This is education, not a diagnosis: a clinician who examines you may advise otherwise."
        )
        return Reply("info", text)

    def _value_label(self, fact: str, value: str) -> str:
        question = self.flow.asker.get(fact)
        if question is None or question.is_checklist:
            return dict(YES_NO).get(value, value)
        option = question.option(value)
        return option.label if option else value

    def read_typed(self, fact: str, text: str) -> lay.Reading:
        """How a typed answer about `fact` is read where the flow asks it on its own (its
        question, or, for a checklist item, the yes/no question a detour would ask)."""
        question = self.flow.asker[fact]
        if question.is_checklist:
            return self._read_detour(fact, text)
        return self._read_single(question, text)

    def _read_single(self, question: Question, text: str) -> lay.Reading:
        return lay.read_answer(
            text,
            [lay.Choice(o.id, o.label, o.synonyms) for o in question.options],
            scale=_scale(question),
            unsure=self._unsure(question.fact),
        )

    def _read_detour(self, fact: str, text: str) -> lay.Reading:
        return lay.read_answer(text, self._detour_choices(fact), unsure=self._unsure(fact))

    def _item_choices(self, question: Question, session: Session) -> list[lay.Choice]:
        return [
            lay.Choice(i.fact, i.label, i.synonyms) for i in question.visible_items(session.facts)
        ]


def _scale(question: Question) -> lay.NumberScale | None:
    if question.scale is None or question.scale.unit not in ("years", "days"):
        return None
    unit: Any = question.scale.unit
    return lay.NumberScale(unit, question.scale.bands)


def _predicate(when: Any) -> Callable[[Any], bool]:
    compiled = compile_condition(when)
    return lambda event: compiled(event.model.facts)


def _recorder(route_id: str) -> Callable[[Any], None]:
    return lambda event: event.model.trail.append(route_id)


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
