"""Stateful property-based fuzzing of the engine plus the service, across several chats.

Hypothesis drives random sequences of starts, answers (valid, stale, unknown, forged button
payloads read back through `parse_payload`), free text (weird Unicode and per-chat canaries),
back, restart, why, topics, regions, help, privacy, forget and damaged stored sessions. After
every input it checks:

- no exception, at least one reply, every reply has text;
- the stored session is the one returned, JSON round-trips and stays under 2 KB;
- the session's facts are exactly the answers in its history, and replaying those answers on a
  fresh session lands on the same state and outcome (so /back never leaves a stale answer);
- every outcome reached satisfies each of the flow's safety invariants whose condition holds;
- a stale or unknown answer, or text that is not understood, changes nothing;
- no other chat's stored session changes, each chat sees only its own emergency number, and no
  typed canary text is ever shown or stored anywhere.

CI runs a short profile; `FUZZ_LONG=1 .venv/bin/pytest tests/reliability -k fuzz` runs the long
one (see docs/RELIABILITY.md).
"""

from __future__ import annotations

import asyncio
import functools
import io
import itertools
import json
import os
import re
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from bme_bot.adapters.console import run_json
from bme_bot.app import build_engine
from bme_bot.config import load_settings
from bme_bot.core.callbacks import parse_payload, question_payload, toggle_payload
from bme_bot.core.conditions import evaluate
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
from bme_bot.core.flow import UNSURE, Question, urgency
from bme_bot.core.regions import REGIONS
from bme_bot.core.replies import CHECKLIST_DONE, CHECKLIST_NONE
from bme_bot.core.session import Session
from bme_bot.service import Service
from bme_bot.storage.memory import MemoryStore
from bme_bot.storage.sqlite import SqliteStore

from .figures import record

pytestmark = pytest.mark.fuzz

LONG = os.environ.get("FUZZ_LONG", "").strip() not in ("", "0", "false")

settings.register_profile(
    "reliability-ci",
    max_examples=200,
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    print_blob=True,
)
settings.register_profile(
    "reliability-long",
    max_examples=5000,
    stateful_step_count=120,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    print_blob=True,
)
PROFILE = settings.get_profile("reliability-long" if LONG else "reliability-ci")
SQLITE_PROFILE = settings(
    PROFILE,
    max_examples=1000 if LONG else 25,
    stateful_step_count=80 if LONG else 25,
)
CONSOLE_PROFILE = settings(PROFILE, max_examples=2000 if LONG else 100)

ENGINE = build_engine(load_settings({}))
FLOW = ENGINE.flow
MAX_SESSION_BYTES = 2048
TOTALS: Counter[str] = Counter()
"""What the fuzzer did, over all sequences (answers taken, checklists, detours, ...)."""
ALL_OUTCOMES: set[str] = set()
"""Every outcome any sequence reached (with its safety invariants checked there)."""

CHATS = ("chat-a", "chat-b", "chat-c", "chat-d")
CANARY_REGIONS = {"chat-a": "UK", "chat-b": "US", "chat-c": "AU", "chat-d": "NZ"}
"""Each chat starts in its own region, so a leaked emergency number would show."""
CANARY = "kanari"
"""Typed canaries look like `kanari-chat-b-17`: text that must never be shown or stored."""

EMERGENCY_LINE = re.compile(r"Emergency number \(([^)]*)\): \*\*([^*]+)\*\*")
REGION_SET = re.compile(r"Emergency number set to \*\*([^*]+)\*\* \(([^)]*)\)")

WEIRD_TEXT = st.one_of(
    st.text(max_size=60),
    st.text(
        alphabet=st.characters(
            categories=("Cc", "Cf", "Mn", "Me", "Zs", "Zl", "Zp", "So", "Sk", "Nd", "No")
        ),
        max_size=30,
    ),
    st.sampled_from(
        [
            "",
            " ",
            "\x00",
            "\u200b\u200b",
            "\u202eon\u202c",
            "\u2066yes\u2069",
            "y\u0301e\u0301s\u0301",
            "🦴🦵🏃",
            "ｙｅｓ",
            "YES!!!",
            "0",
            "99",
            "1e9",
            "1.5",
            "½",
            "١",
            "/",
            "//start",
            "/start@other_bot extra words",
            "/REGION uk",
            "/region ",
            "/region atlantis",
            "/forget now",
            "<b>yes</b>",
            "**yes**",
            "[yes](javascript:alert(1))",
            "'; DROP TABLE sessions; --",
            "%s%s%n",
            "{emergency_number}",
            "q|consent|1|agree",
        ]
    ),
    st.text(min_size=2000, max_size=10_000).map(lambda s: (s * 3)[:10_000]),
)

FORGED = st.one_of(
    st.text(max_size=70),
    st.builds(
        lambda q, t, o: f"q|{q}|{t}|{o}",
        st.sampled_from([*FLOW.questions, "", "nope", "consent|x"]),
        st.one_of(
            st.integers(-5, 10**12).map(str),
            st.sampled_from(["", "²", "١", "٣", "1.0", "+1", " 1", "1e3", "0x1"]),
        ),
        st.sampled_from(["agree", "yes", "no", "topic:myths", "region:UK", "why", "", "x" * 50]),
    ),
    st.builds(
        lambda q, t, f: f"t|{q}|{t}|{f}",
        st.sampled_from([*FLOW.questions, "", "!fever", "consent"]),
        st.one_of(st.integers(-5, 10**12).map(str), st.sampled_from(["", "²", "1.0", "+1"])),
        st.sampled_from([*FLOW.asker, "", "done", "none", "x" * 50]),
    ),
    st.builds(
        lambda o: f"m|{o}",
        st.sampled_from(
            [
                "why",
                "restart",
                "topics",
                "topic:myths",
                "topic:../../etc/passwd",
                "topic:",
                "region:US",
                "region:zz",
                "forget",
                "agree",
                "",
            ]
        ),
    ),
)


Step = str | tuple[tuple[str, str], ...]
"""One answer on a path: an option id, or a checklist's marks as (fact, "yes" or "unsure")
pairs (empty: none of these)."""

MENTIONS: tuple[tuple[str, str], ...] = tuple(
    [(i.fact, p) for q in FLOW.questions.values() for i in q.items for p in i.mentions]
    + [(q.fact, p) for q in FLOW.questions.values() for o in q.options for p in o.mentions]
)
"""(fact, phrase): red flags a person may type before they are asked."""


def cycle_of(fact: str) -> list[str]:
    """The marks a checklist item's toggle button steps through, in order."""
    return ["", "yes", UNSURE] if fact in FLOW.unsure else ["", "yes"]


def taps(fact: str, current: str, target: str) -> int:
    """How many toggle taps turn an item's mark from `current` into `target`."""
    cycle = cycle_of(fact)
    return (cycle.index(target) - cycle.index(current)) % len(cycle)


def submitted(fact: str, mark: str) -> str:
    """The fact a checklist mark becomes on Done: blank is no, a doubtful tick on an item
    without "not sure" is the careful yes."""
    if not mark:
        return "no"
    return mark if mark in FLOW.facts[fact] else "yes"


def mark_of(value: str) -> str:
    """The mark that gives a checklist fact its value (the inverse of `submitted`)."""
    return "" if value == "no" else value


def expected_answers(
    question: Question, facts: dict[str, str], marks: dict[str, str]
) -> dict[str, str]:
    """What a question's answer must record: its option, or every visible item's mark."""
    return {i.fact: submitted(i.fact, marks.get(i.fact, "")) for i in question.visible_items(facts)}


def typed_checklist(
    question: Question, facts: dict[str, str], marks: dict[str, str], form: str
) -> str:
    """A checklist answer as a person types it: "1 3 2?", names, or "none"."""
    parts = []
    for index, item in enumerate(question.visible_items(facts), start=1):
        mark = marks.get(item.fact, "")
        if not mark:
            continue
        if form == "number":
            name = str(index)
        elif form == "synonym" and item.synonyms:
            name = item.synonyms[index % len(item.synonyms)]
        else:
            name = item.label
        parts.append(name + ("?" if mark == UNSURE else ""))
    if not parts:
        return "none"
    return (" " if form == "number" else ", ").join(parts)


def scale_text(question: Question, option_id: str) -> str | None:
    """A number in the option's band, with its unit ("36 years"), for a question that reads
    numbers as ages or durations (a bare number there is not an option number)."""
    if question.scale is None:
        return None
    low = 0.0
    for band, high in question.scale.bands:
        if band == option_id:
            value = int((low + high) // 2) if high != float("inf") else int(low) + 10
            return f"{value} {question.scale.unit}"
        low = high
    return None


def typed_option(question: Question, option_id: str) -> str:
    """The surest typed form of an option: its number, or a number in its band."""
    scaled = scale_text(question, option_id)
    if scaled is not None:
        return scaled
    return str([o.id for o in question.options].index(option_id) + 1)


def typed_step(question: Question, facts: dict[str, str], step: Step) -> str:
    """One path step as typed text that the reader must always take."""
    if isinstance(step, str):
        return typed_option(question, step)
    return typed_checklist(question, facts, dict(step), "number")


def tap_events(session: Session, question: Question, marks: dict[str, str]) -> list[Event]:
    """Taps that answer a checklist: toggles from the marks shown to `marks`, then Done (or
    None of these when nothing is, or was, ticked)."""
    events: list[Event] = []
    for item in question.visible_items(session.facts):
        target = marks.get(item.fact, "")
        if target not in cycle_of(item.fact):
            target = "yes"
        for _ in range(taps(item.fact, session.pending.get(item.fact, ""), target)):
            events.append(Toggle(item.fact, question.id, session.turn))
    final = CHECKLIST_NONE if not marks and not session.pending else CHECKLIST_DONE
    events.append(Answer(final, question.id, session.turn))
    return events


@functools.cache
def paths_to_outcomes() -> dict[str, tuple[Step, ...]]:
    """One answer path to each outcome of the flow (a depth-first search, once): every
    option of a question; at a checklist, none of these and each item ticked alone."""
    paths: dict[str, tuple[Step, ...]] = {}
    seen: set[tuple[str, tuple[tuple[str, str], ...]]] = set()
    stack: list[tuple[Session, tuple[Step, ...]]] = [(ENGINE.new_session(), ())]
    for _ in range(200_000):
        if not stack or len(paths) == len(FLOW.outcomes):
            break
        session, path = stack.pop()
        if session.outcome:
            paths.setdefault(session.outcome, path)
            continue
        question = FLOW.questions[session.state]
        steps: list[Step] = []
        if question.is_checklist:
            steps.append(())
            steps += [((i.fact, "yes"),) for i in question.visible_items(session.facts)]
        else:
            steps += [o.id for o in question.options]
        for step in steps:
            moved = session
            events = (
                [Answer(step)]
                if isinstance(step, str)
                else tap_events(session, question, dict(step))
            )
            for event in events:
                moved, _ = ENGINE.step(moved, event)
            key = (moved.state, tuple(sorted(moved.facts.items())))
            if key not in seen:
                seen.add(key)
                stack.append((moved, (*path, step)))
    assert set(paths) == set(FLOW.outcomes), sorted(set(FLOW.outcomes) - set(paths))
    return paths


def session_json(session: Session) -> str:
    return json.dumps(session.to_dict(), ensure_ascii=False, separators=(",", ":"))


def ended_by_detour(session: Session) -> bool:
    """Whether the advice came straight from answering a red flag typed early."""
    return session.done and bool(session.history) and session.history[-1].startswith("!")


def replay(session: Session) -> tuple[Session, set[str]]:
    """The session reached by answering the history's questions, in order, from scratch (a
    checklist by toggles and Done, a red flag typed early by its detour while its answer is
    still kept for later), and the facts those questions asked."""
    fresh = ENGINE.new_session(session.region)
    asked: set[str] = set()
    history = session.history
    # A red flag asked again that ended the conversation keeps what it replaced (`~old`):
    # the question that asked it first was answered with that.
    first = {**session.facts}
    for entry in history:
        fact, _, rest = entry[1:].partition("@")
        if entry.startswith("!") and "~" in rest:
            first[fact] = rest.partition("~")[2]
    while len(fresh.history) < len(history):
        assert fresh.history == history[: len(fresh.history)], (fresh.history, history)
        entry = history[len(fresh.history)]
        if entry.startswith("!"):
            fact, _, state = entry[1:].partition("@")
            state = state.partition("~")[0]  # `~old`: a red flag asked again, and what it replaced
            assert fresh.state == state, (fresh.state, history)
            value = session.early.get(fact)
            later = history[len(fresh.history) + 1 :]
            if value is None and ended_by_detour(session):
                # The advice came straight from a red flag typed early: it read every early
                # answer that no question had taken yet.
                # A red flag typed again, whose answer replaced this one (`~old`), ended it.
                taken = {f for q in later if q in FLOW.questions for f in FLOW.questions[q].facts}
                replaced = [
                    e.partition("~")[2] for e in later if e.startswith(f"!{fact}@") and "~" in e
                ]
                value = None if fact in taken else (replaced or [session.facts.get(fact)])[0]
            if value is None:
                # Used since (its question took it, the person may have changed it there),
                # or undone by /back: the history's own answers say the rest.
                fresh = fresh.evolve(history=(*fresh.history, entry))
                continue
            fresh, _ = ENGINE.step(fresh.evolve(detour=fact, turn=fresh.turn + 1), Answer(value))
            continue
        assert fresh.state == entry, (fresh.state, history)
        question = FLOW.questions[entry]
        if question.is_checklist:
            visible = question.visible_items(fresh.facts)
            asked |= {i.fact for i in visible}
            marks = {i.fact: mark_of(first[i.fact]) for i in visible}
            for event in tap_events(fresh, question, {f: m for f, m in marks.items() if m}):
                fresh, _ = ENGINE.step(fresh, event)
        else:
            fresh, _ = ENGINE.step(fresh, Answer(first[question.fact]))
    for entry in history:
        if not entry.startswith("!") and not FLOW.questions[entry].is_checklist:
            asked.add(FLOW.questions[entry].fact)
    return fresh, asked


def check_session(session: Session) -> None:
    """What must hold of any session the service returns."""
    text = session_json(session)
    assert len(text.encode()) < MAX_SESSION_BYTES, len(text.encode())
    assert Session.from_dict(json.loads(text)) == session
    assert session.state in FLOW.questions or session.state in FLOW.outcomes
    questions = [q for q in session.history if not q.startswith("!")]
    assert len(questions) == len(set(questions)), session.history
    singles = [FLOW.questions[q].fact for q in questions if not FLOW.questions[q].is_checklist]
    assert len(singles) == len(set(singles)), session.history
    for fact, value in (*session.facts.items(), *session.early.items()):
        assert value in FLOW.facts[fact], (fact, value)
    assert not set(session.early) & set(session.facts), (session.early, session.facts)
    again, asked = replay(session)
    if ended_by_detour(session):
        early = {e[1:].partition("@")[0] for e in session.history if e.startswith("!")}
        asked |= early & set(session.facts)
    assert set(session.facts) == asked, (session.facts, session.history)
    assert (again.state, again.facts, again.outcome, again.route, again.early) == (
        session.state,
        session.facts,
        session.outcome,
        session.route,
        session.early,
    ), (again, session)
    current = FLOW.questions.get(session.state)
    if current is not None and current.is_checklist and not session.done:
        shown = {i.fact for i in current.visible_items(session.facts)}
        assert set(session.pending) <= shown, (session.pending, shown)
        assert all(m in ("yes", UNSURE) for m in session.pending.values()), session.pending
    else:
        assert not session.pending, session.pending
    if session.detour is not None:
        assert not session.done and session.detour in FLOW.asker
        # Asked out of order: not answered yet, or answered otherwise before (then it is a
        # red flag typed now that the earlier answer did not report: asked again).
        known = session.facts.get(session.detour, session.early.get(session.detour))
        assert known not in ("yes", UNSURE, "unable", "deformity"), (session.detour, known)
    if session.state in FLOW.outcomes:
        assert session.outcome == session.state
        check_safety(session)
    else:
        assert session.outcome is None


def check_safety(session: Session) -> None:
    outcome = FLOW.outcomes[session.outcome or ""]
    for inv in FLOW.invariants:
        if evaluate(inv.when, session.facts):
            assert urgency(outcome.disposition) >= urgency(inv.at_least), (
                f"{inv.id} broken: {outcome.id} is {outcome.disposition}, facts {session.facts}"
            )


class ChatModel:
    """What the test expects of one chat (the service knows nothing of this)."""

    def __init__(self) -> None:
        self.session: Session | None = None
        self.region: str | None = None
        self.shown: list[tuple[str, int, tuple[str, ...], tuple[str, ...]]] = []
        """Question replies shown to this chat: (question, turn, option ids, checklist item
        facts), for stale taps and stale toggles."""


class ServiceMachine(RuleBasedStateMachine):
    """Several chats talking to one service on one store, in random interleavings."""

    STORE = "memory"

    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.tmp: Path | None = None
        self.store: Any = self.make_store()
        self.service = Service(ENGINE, self.store)
        self.chats = {chat: ChatModel() for chat in CHATS}
        self.typed: set[str] = set()
        self.update_ids = itertools.count(1)
        self.canary_ids = itertools.count(1)
        self.steps = 0
        self.outcomes: set[str] = set()
        self.counts: Counter[str] = Counter()

    def make_store(self) -> Any:
        return MemoryStore()

    def teardown(self) -> None:
        try:
            self.loop.run_until_complete(self.store.close())
        finally:
            self.loop.close()
        record(
            f"fuzz:{self.STORE}",
            sequences=1,
            inputs=self.steps,
            outcomes_reached=len(self.outcomes),
            **self.counts,
        )
        TOTALS.update(self.counts)

    # --- driving ----------------------------------------------------------------------

    def run(self, coro: Any) -> Any:
        return self.loop.run_until_complete(coro)

    def stored(self) -> dict[str, dict[str, Any] | None]:
        async def load_all() -> dict[str, dict[str, Any] | None]:
            out: dict[str, dict[str, Any] | None] = {}
            for chat in CHATS:
                found = await self.store.load(chat)
                out[chat] = found.data if found else None
            return out

        result: dict[str, dict[str, Any] | None] = self.run(load_all())
        return result

    def send(self, chat: str, event: Event) -> list[Any]:
        """One input: handle it, then check everything that must hold after it."""
        model = self.chats[chat]
        before = self.stored()
        turn = self.run(self.service.handle(chat, event, update_id=next(self.update_ids)))
        self.steps += 1
        assert not turn.duplicate
        replies = turn.replies
        assert replies, f"no reply to {event!r}"
        for reply in replies:
            assert isinstance(reply.text, str) and reply.text.strip(), reply
        after = self.stored()
        for other in CHATS:
            if other != chat:
                assert after[other] == before[other], f"{other} changed by {chat}'s {event!r}"
        forgot = isinstance(event, Forget) or (
            isinstance(event, Text) and isinstance(parse_command(event.text), Forget)
        )
        if forgot:
            assert turn.session is None and after[chat] is None
            model.session, model.region, model.shown = None, None, []
            return replies
        session = turn.session
        assert session is not None
        assert after[chat] == session.to_dict()
        check_session(session)
        if session.outcome:
            self.outcomes.add(session.outcome)
            ALL_OUTCOMES.add(session.outcome)
        # Regions: only this chat's emergency number is ever shown to it.
        expected = REGIONS.get(session.region or "", ENGINE.default_region)
        for reply in replies:
            for name, number in EMERGENCY_LINE.findall(reply.text):
                assert (name, number) == (expected.name, expected.emergency_number), reply.text
            for number, name in REGION_SET.findall(reply.text):
                assert (name, number) == (expected.name, expected.emergency_number), reply.text
        # Typed text is never echoed, to anyone, nor stored.
        for reply in replies:
            assert CANARY not in reply.text.lower(), reply.text
        assert CANARY not in json.dumps(after, ensure_ascii=False).lower()
        # Not understood, stale or unknown: nothing changes.
        previous = model.session
        if previous is not None and ENGINE.is_current(previous):
            if all(r.kind in ("reask", "stale") for r in replies):
                assert session == previous, (event, replies[0].kind)
            assert session.turn >= previous.turn
        open_id = f"!{session.detour}" if session.detour else session.state
        for reply in replies:
            if reply.kind in ("question", "reask") and reply.question is not None:
                assert reply.question == open_id and reply.turn == session.turn
                model.shown.append(
                    (
                        reply.question,
                        reply.turn,
                        tuple(o.id for o in reply.options),
                        tuple(i.fact for i in reply.checklist),
                    )
                )
        model.session = session
        model.region = session.region
        self.counts["detours"] += (
            session.detour is not None and previous is not None and (previous.detour is None)
        )
        self.counts["stale"] += any(r.kind == "stale" for r in replies)
        self.counts["toggles"] += isinstance(event, Toggle) and replies[-1].kind == "question"
        return replies

    # --- rules ------------------------------------------------------------------------

    @initialize()
    def set_regions(self) -> None:
        for chat, code in CANARY_REGIONS.items():
            self.send(chat, SetRegion(code))
            assert self.chats[chat].region == code

    @rule(chat=st.sampled_from(CHATS), typed=st.booleans())
    def start(self, chat: str, typed: bool) -> None:
        replies = self.send(chat, Text("/start") if typed else Start())
        assert replies[-1].kind == "question"
        assert self.chats[chat].session is not None
        assert self.chats[chat].session.state == FLOW.start  # type: ignore[union-attr]

    # --- answering ----------------------------------------------------------------------

    def expect_taken(
        self,
        chat: str,
        before: Session,
        question_id: str,
        expected: dict[str, str],
        must: bool,
        event: Event,
        replies: list[Any],
    ) -> None:
        """The answer was recorded as meant; or, for typed words the reader could not settle
        (it never guesses), asked again with nothing changed or a red flag asked first."""
        after = self.chats[chat].session
        assert after is not None
        kinds = [r.kind for r in replies]
        added = after.history[len(before.history) :]
        assert after.history[: len(before.history)] == before.history, (event, kinds)
        if question_id in added:
            got = {f: after.facts.get(f) for f in expected}
            assert got == expected, ("misread", event, got, expected)
            self.counts["checklists_answered" if len(expected) > 1 else "answers_taken"] += 1
            return
        assert not must, ("not taken", event, kinds)
        self.counts["typed_asked_again"] += 1
        assert after.facts == before.facts and after.history == before.history, (event, kinds)

    def answer_single(
        self, chat: str, session: Session, question: Question, pick: int, how: str
    ) -> None:
        index = pick % len(question.options)
        option = question.options[index]
        event: Event
        must = how in ("button", "payload", "bare", "scaled")
        if how == "button":
            event = Answer(option.id, question=question.id, turn=session.turn)
        elif how == "payload":
            parsed = parse_payload(question_payload(question.id, session.turn, option.id))
            assert parsed == Answer(option.id, question=question.id, turn=session.turn)
            event = parsed
        elif how == "bare":
            event = Answer(option.id)
        elif how == "number":
            # An option number is always taken, except where numbers are ages or durations.
            event = Text(f" {index + 1} ")
            must = question.scale is None
        elif how == "scaled":
            event = Text(typed_option(question, option.id))
        elif how == "label":
            event = Text(option.label.upper())
        elif how == "synonym" and option.synonyms:
            event = Text(option.synonyms[pick % len(option.synonyms)])
        else:
            event = Text(option.id)
        replies = self.send(chat, event)
        self.expect_taken(
            chat, session, question.id, {question.fact: option.id}, must, event, replies
        )

    def answer_checklist(
        self, chat: str, session: Session, question: Question, picked: list[str], how: str
    ) -> None:
        visible = question.visible_items(session.facts)
        marks = {i.fact: m for i, m in zip(visible, picked, strict=False) if m}
        expected = expected_answers(question, session.facts, marks)
        if how in ("button", "payload", "bare"):
            events = tap_events(session, question, marks)
            if how == "payload":
                events = [self.through_payload(e) for e in events]
            elif how == "bare":
                events = [
                    Toggle(e.fact) if isinstance(e, Toggle) else Answer(e.option_id)  # type: ignore[union-attr]
                    for e in events
                ]
            for event in events[:-1]:
                replies = self.send(chat, event)
                assert [r.kind for r in replies] == ["question"], (event, replies)
            ticked = self.chats[chat].session
            assert ticked is not None
            wanted = {f: m if m in cycle_of(f) else "yes" for f, m in marks.items()}
            assert ticked.pending == wanted, (ticked.pending, wanted)
            replies = self.send(chat, events[-1])
            self.expect_taken(chat, session, question.id, expected, True, events[-1], replies)
            return
        form = how if how in ("number", "label", "synonym") else "number"
        text = typed_checklist(question, session.facts, marks, form)
        if how == "none" and not marks:
            text = ("none", "no", "None of these", "no to all")[len(picked) % 4]
        event = Text(text)
        replies = self.send(chat, event)
        # Numbers and "none" are always taken; names may be asked again.
        must = form == "number" and (text in ("none", "no") or text[0].isdigit())
        self.expect_taken(chat, session, question.id, expected, must, event, replies)

    def through_payload(self, event: Event) -> Event:
        """A tap as Telegram sends it back: the button's payload, parsed."""
        if isinstance(event, Toggle):
            assert event.question is not None and event.turn is not None
            data = toggle_payload(event.question, event.turn, event.fact)
        else:
            assert isinstance(event, Answer) and event.question and event.turn is not None
            data = question_payload(event.question, event.turn, event.option_id)
        parsed = parse_payload(data)
        assert parsed == event, (data, parsed)
        return parsed

    def answer_detour(self, chat: str, session: Session, pick: int, how: str) -> None:
        """Answer a red flag asked out of order: kept for later, or the emergency at once."""
        fact = session.detour or ""
        values = FLOW.values(fact)
        index = pick % len(values)
        value = values[index]
        open_id = f"!{fact}"
        event: Event
        if how in ("button", "payload"):
            event = Answer(value, open_id, session.turn)
            if how == "payload":
                event = self.through_payload(event)
        elif how == "bare":
            event = Answer(value)
        elif how == "number":
            event = Text(str(index + 1))
        else:
            event = Text(value)
        replies = self.send(chat, event)
        after = self.chats[chat].session
        assert after is not None
        if how not in ("button", "payload", "bare", "number") and after.detour == fact:
            assert after == session, (event, [r.kind for r in replies])  # asked again
            return
        earlier = session.facts.get(fact)
        assert after.detour is None, (event, after)
        if earlier == value:  # asked again, answered as before: nothing changes
            assert (after.history, after.facts, after.state) == (
                session.history,
                session.facts,
                session.state,
            )
            return
        if after.done:
            outcome = FLOW.outcomes[after.outcome or ""]
            assert outcome.disposition == "emergency" and after.facts[fact] == value
            # What the emergency replaced: an answer taken by a question, or one typed early.
            before = earlier if earlier is not None else session.early.get(fact)
            replaced = f"~{before}" if before is not None else ""
            assert after.history == (*session.history, f"!{fact}@{session.state}{replaced}")
        elif earlier is None:
            assert after.history == (*session.history, f"!{fact}@{session.state}")
            assert after.early[fact] == value and after.state == session.state
        else:  # answered otherwise now: back to the question that asked it, answer waiting
            assert after.early[fact] == value and fact not in after.facts
            assert after.history[-1] == f"!{fact}@{after.state}"
            assert after.history[:-1] == session.history[: len(after.history) - 1]
            assert fact in FLOW.questions[after.state].facts

    @rule(
        chat=st.sampled_from(CHATS),
        pick=st.integers(0, 10),
        picked=st.lists(st.sampled_from(["", "", "yes", UNSURE]), max_size=12),
        how=st.sampled_from(
            ["button", "bare", "number", "scaled", "label", "synonym", "id", "payload", "none"]
        ),
    )
    def answer(self, chat: str, pick: int, picked: list[str], how: str) -> None:
        """Answer what is open now the way a person could: buttons (a checklist's toggles
        and Done), or typed numbers, labels, synonyms, ids or "none"."""
        session = self.chats[chat].session
        if session is None or session.state not in FLOW.questions:
            self.send(chat, Start())
            return
        if session.detour is not None:
            self.answer_detour(chat, session, pick, how)
            return
        question = FLOW.questions[session.state]
        if question.is_checklist:
            self.answer_checklist(chat, session, question, picked, how)
        else:
            self.answer_single(chat, session, question, pick, how)

    @rule(
        chat=st.sampled_from(CHATS),
        picks=st.lists(st.integers(0, 10), min_size=1, max_size=25),
        typed=st.booleans(),
    )
    def answer_run(self, chat: str, picks: list[int], typed: bool) -> None:
        """Answer question after question (buttons, or typed numbers: option numbers, a
        checklist's item numbers, an age or a duration), usually up to an outcome."""
        for pick in picks:
            session = self.chats[chat].session
            if session is None or session.state not in FLOW.questions:
                return
            if session.detour is not None:
                self.answer_detour(chat, session, pick, "number" if typed else "button")
                continue
            question = FLOW.questions[session.state]
            step: Step
            if question.is_checklist:
                visible = question.visible_items(session.facts)
                step = tuple(
                    (item.fact, UNSURE if (pick + n) % 3 == 0 else "yes")
                    for n, item in enumerate(visible)
                    if (pick >> n) & 1
                )
                expected = expected_answers(question, session.facts, dict(step))
            else:
                step = question.options[pick % len(question.options)].id
                expected = {question.fact: step}
            events: list[Event]
            if not typed:
                events = (
                    [Answer(step, question.id, session.turn)]
                    if isinstance(step, str)
                    else tap_events(session, question, dict(step))
                )
            else:
                events = [Text(typed_step(question, session.facts, step))]
                if question.is_checklist:
                    # Typed ticks add to those already on the message; a "yes" stays.
                    kept = {**session.pending, **dict(step)}
                    kept |= {f: m for f, m in session.pending.items() if m == "yes"}
                    expected = expected_answers(question, session.facts, kept)
            for event in events:
                replies = self.send(chat, event)
            # Typed "none" while ticks are on the message is asked about, not taken.
            contradicts = typed and question.is_checklist and not step and bool(session.pending)
            self.expect_taken(
                chat, session, question.id, expected, not contradicts, events[-1], replies
            )

    @rule(
        chat=st.sampled_from(CHATS),
        goal=st.sampled_from(sorted(FLOW.outcomes)),
        stop_at=st.integers(0, 30),
    )
    def walk_to(self, chat: str, goal: str, stop_at: int) -> None:
        """Start again and tap along a path to one outcome, stopping anywhere on the way: the
        other rules then act on deep states, and every outcome's invariants get checked."""
        self.send(chat, Start())
        for step in paths_to_outcomes()[goal][:stop_at]:
            session = self.chats[chat].session
            assert session is not None and session.state in FLOW.questions
            question = FLOW.questions[session.state]
            events = (
                [Answer(step, question.id, session.turn)]
                if isinstance(step, str)
                else tap_events(session, question, dict(step))
            )
            for event in events:
                self.send(chat, event)
        session = self.chats[chat].session
        if stop_at >= len(paths_to_outcomes()[goal]):
            assert session is not None and session.outcome == goal

    @rule(
        chat=st.sampled_from(CHATS),
        pick=st.integers(0, 10_000),
        prefix=st.sampled_from(["", "also ", "and my ", "I think "]),
    )
    def mention(self, chat: str, pick: int, prefix: str) -> None:
        """Type a red flag before it is asked: it is asked next, before anything else."""
        before = self.chats[chat].session
        fact, phrase = MENTIONS[pick % len(MENTIONS)]
        self.send(chat, Text(prefix + phrase))
        after = self.chats[chat].session
        if before is None or before.done or before.detour is not None:
            return
        here = FLOW.questions[before.state].facts
        if fact in before.facts or fact in before.early or fact in here:
            return
        if after is not None and after.history == before.history:
            assert after.detour is not None, (phrase, before.state)

    @precondition(lambda self: any(m.shown for m in self.chats.values()))
    @rule(chat=st.sampled_from(CHATS), pick=st.integers(0, 1000), option=st.integers(0, 30))
    def stale_tap(self, chat: str, pick: int, option: int) -> None:
        """Tap a button or tick an item on an earlier message: 'moved on', nothing changes."""
        model = self.chats[chat]
        if not model.shown:
            return
        question, turn, options, items = model.shown[pick % len(model.shown)]
        taps_: list[Event] = [Answer(o, question, turn) for o in options]
        taps_ += [Toggle(f, question, turn) for f in items]
        before = model.session
        replies = self.send(chat, taps_[option % len(taps_)])
        open_id = (f"!{before.detour}" if before.detour else before.state) if before else None
        current = before is not None and (question, turn) == (open_id, before.turn)
        if not current:
            assert [r.kind for r in replies] == ["stale"]
            assert model.session == before

    @rule(chat=st.sampled_from(CHATS), option=st.text(max_size=20), bound=st.booleans())
    def unknown_answer(self, chat: str, option: str, bound: bool) -> None:
        session = self.chats[chat].session
        turn = session.turn if session else None
        state = session.state if session else None
        event = Answer(option, question=state, turn=turn) if bound else Answer(option)
        self.send(chat, event)

    @rule(chat=st.sampled_from(CHATS), data=FORGED)
    def forged_payload(self, chat: str, data: str) -> None:
        """Callback data that is not ours: parsed to None, or to an answer that changes
        nothing it should not (the engine checks question, turn and option)."""
        parsed = parse_payload(data)
        if parsed is not None:
            self.send(chat, parsed)

    @rule(chat=st.sampled_from(CHATS), text=WEIRD_TEXT)
    def free_text(self, chat: str, text: str) -> None:
        self.send(chat, Text(text))

    @rule(chat=st.sampled_from(CHATS), prefix=WEIRD_TEXT)
    def canary_text(self, chat: str, prefix: str) -> None:
        """Text carrying a canary: it must be shown to nobody and stored nowhere."""
        canary = f"{CANARY}-{chat}-{next(self.canary_ids)}"
        self.typed.add(canary)
        self.send(chat, Text(f"{prefix[:50]} {canary}"))

    @rule(chat=st.sampled_from(CHATS), typed=st.booleans())
    def back(self, chat: str, typed: bool) -> None:
        before = self.chats[chat].session
        self.send(chat, Text("/back") if typed else Back())
        after = self.chats[chat].session
        if before is None or not ENGINE.is_current(before):
            return
        assert after is not None and not after.pending and after.detour is None
        if before.detour is not None:  # a red flag asked out of order: back to the question
            assert (after.state, after.history) == (before.state, before.history)
        elif before.history:
            last = before.history[-1]
            assert after.history == before.history[:-1] and after.outcome is None
            expected = (
                last[1:].partition("@")[2].partition("~")[0] if last.startswith("!") else last
            )
            assert after.state == expected
            # Only what the undone step answered goes; an answer typed early waits again.
            assert set(after.facts) <= set(before.facts)
            for fact in set(before.facts) - set(after.facts):
                assert fact not in after.early or after.early[fact] == before.facts[fact]

    @rule(chat=st.sampled_from(CHATS), typed=st.booleans())
    def restart(self, chat: str, typed: bool) -> None:
        region = self.chats[chat].region
        self.send(chat, Text("/restart") if typed else Restart())
        after = self.chats[chat].session
        assert after is not None and after.state == FLOW.start and not after.facts
        assert after.region == region

    @rule(chat=st.sampled_from(CHATS), which=st.sampled_from(["why", "topics", "help", "privacy"]))
    def menu(self, chat: str, which: str) -> None:
        before = self.chats[chat].session
        event = {"why": Why(), "topics": Topics(), "help": Help(), "privacy": Privacy()}[which]
        self.send(chat, event)
        if before is not None and ENGINE.is_current(before):
            assert self.chats[chat].session == before

    @rule(
        chat=st.sampled_from(CHATS),
        topic=st.one_of(
            st.sampled_from([t.content for t in FLOW.topics] + ["help", "privacy", "nope"]),
            st.text(max_size=15),
        ),
        via=st.sampled_from(["event", "menu"]),
    )
    def topic(self, chat: str, topic: str, via: str) -> None:
        self.send(chat, ShowTopic(topic) if via == "event" else Answer(f"topic:{topic}"))

    @rule(
        chat=st.sampled_from(CHATS),
        code=st.one_of(
            st.sampled_from([*REGIONS, "gb", " usa ", "United Kingdom", "zz", "", "🇬🇧"]),
            st.text(max_size=8),
        ),
        via=st.sampled_from(["event", "command", "menu"]),
    )
    def region(self, chat: str, code: str, via: str) -> None:
        event: Event
        if via == "event":
            event = SetRegion(code or None)
        elif via == "command":
            event = Text(f"/region {code}")
        else:
            event = Answer(f"region:{code}")
        self.send(chat, event)

    @rule(chat=st.sampled_from(CHATS), typed=st.booleans())
    def forget(self, chat: str, typed: bool) -> None:
        replies = self.send(chat, Text("/forget") if typed else Forget())
        assert "erased" in replies[0].text

    @rule(
        chat=st.sampled_from(CHATS),
        damage=st.sampled_from(["old_version", "unknown_state", "not_a_session", "bad_facts"]),
    )
    def damaged_store(self, chat: str, damage: str) -> None:
        """A stored session from an older flow, or one that is not a session at all."""
        region = self.chats[chat].region
        data: dict[str, Any] = {
            "old_version": {"flow": FLOW.id, "v": "0-old", "state": "gone", "region": region},
            "unknown_state": {"flow": FLOW.id, "v": FLOW.version, "state": "nowhere"},
            "not_a_session": {"hello": "world"},
            "bad_facts": {"flow": FLOW.id, "v": FLOW.version, "state": "site", "facts": [1]},
        }[damage]

        async def overwrite() -> None:
            current = await self.store.load(chat)
            await self.store.save(chat, data, expected_version=current.version if current else 0)

        self.run(overwrite())
        self.chats[chat].session = None
        replies = self.send(chat, Why())
        after = self.chats[chat].session
        assert after is not None and after.state == FLOW.start and not after.history
        if damage == "old_version":
            assert "updated" in replies[0].text and after.region == region

    @invariant()
    def nothing_typed_is_kept(self) -> None:
        if self.typed:
            dump = json.dumps(self.stored(), ensure_ascii=False)
            assert not any(c in dump for c in self.typed)


class SqliteServiceMachine(ServiceMachine):
    """The same attacks on the embedded SQLite store (one file per sequence)."""

    STORE = "sqlite"

    def make_store(self) -> Any:
        import tempfile

        self._dir = tempfile.TemporaryDirectory(prefix="bme-fuzz-")
        return SqliteStore(Path(self._dir.name) / "fuzz.sqlite3")

    def teardown(self) -> None:
        try:
            super().teardown()
        finally:
            self._dir.cleanup()


def test_fuzz_service_memory() -> None:
    started = time.monotonic()
    run_state_machine_as_test(ServiceMachine, settings=PROFILE)
    record(
        "fuzz:memory",
        seconds=round(time.monotonic() - started, 1),
        distinct_outcomes=sorted(ALL_OUTCOMES),
        **TOTALS,
    )


def test_fuzz_service_sqlite() -> None:
    started = time.monotonic()
    run_state_machine_as_test(SqliteServiceMachine, settings=SQLITE_PROFILE)
    record("fuzz:sqlite", seconds=round(time.monotonic() - started, 1))


@settings(CONSOLE_PROFILE)
@given(lines=st.lists(WEIRD_TEXT.map(lambda s: s.replace("\n", " ")), max_size=25))
def test_fuzz_console_json_one_line_per_input(lines: list[str]) -> None:
    """The console's JSON mode writes one object at start, then exactly one per input line."""
    out = io.StringIO()
    stdin = io.StringIO("".join(f"{line}\n" for line in lines), newline="\n")
    assert run_json(ENGINE, stdin, out) == 0
    records = out.getvalue().split("\n")
    assert records[-1] == ""
    records = records[:-1]
    assert len(records) == len(lines) + 1
    for raw in records:
        item = json.loads(raw)
        assert item["text"] and isinstance(item["kinds"], list) and item["kinds"]
        if item["state"] is None:  # after /forget nothing is stored
            assert "erased" in item["text"]
        else:
            assert item["state"] in FLOW.questions or item["state"] in FLOW.outcomes
    record("fuzz:console-json", sequences=1, inputs=len(lines))


def test_parse_payload_reads_back_every_payload_the_flow_can_make() -> None:
    """Not random: every button of every question, at small and at huge turns."""
    count = 0
    for question in FLOW.questions.values():
        answers = [o.id for o in question.options]
        if question.is_checklist:
            answers += [CHECKLIST_DONE, CHECKLIST_NONE]
        for turn in (0, 1, 9_999_999):
            for option_id in answers:
                data = question_payload(question.id, turn, option_id)
                assert parse_payload(data) == Answer(option_id, question.id, turn)
                count += 1
            for item in question.items:
                data = toggle_payload(question.id, turn, item.fact)
                assert parse_payload(data) == Toggle(item.fact, question.id, turn)
                count += 1
            for fact in question.facts if question.items else ():
                for value in FLOW.values(fact):  # the same item asked out of order
                    data = question_payload(f"!{fact}", turn, value)
                    assert parse_payload(data) == Answer(value, f"!{fact}", turn)
                    count += 1
    record("fuzz:payloads", round_trips=count)


def test_a_session_from_an_edited_flow_restarts_instead_of_crashing() -> None:
    async def run() -> list[str]:
        store = MemoryStore()
        service = Service(ENGINE, store)
        stale = {
            "flow": FLOW.id,
            "v": FLOW.version,
            "state": "site",
            "facts": {"consent": "agree", "renamed_fact": "x"},
            "history": ["consent", "renamed_question"],
            "turn": 3,
        }
        kinds = []
        for event in (Back(), Why(), Text("1")):
            current = await store.load("c")
            await store.save("c", stale, expected_version=current.version if current else 0)
            turn = await service.handle("c", event)
            assert turn.session is not None and turn.session.state == FLOW.start
            kinds.append(turn.replies[0].text)
        return kinds

    texts = asyncio.run(run())
    assert all("updated" in t for t in texts), texts


def test_back_over_a_checklist_keeps_an_earlier_checklists_answers() -> None:
    """Found by the fuzzer: a child's hip, a fever, walking normally, none of the higher-risk
    items, an injury with a crack, none of the background items (U1); /back must reopen the
    background checklist and keep the higher-risk answers, which its history still lists."""
    session = ENGINE.new_session()
    path: tuple[Step, ...] = ("agree", "child", "hip", (("fever", "yes"),), "normal", ())
    for step in (*path, "sudden_injury", "crack", ()):
        question = FLOW.questions[session.state]
        events = (
            [Answer(step, question.id, session.turn)]
            if isinstance(step, str)
            else tap_events(session, question, dict(step))
        )
        for event in events:
            session, _ = ENGINE.step(session, event)
    assert session.outcome == "U1" and "high_risk" in session.history
    back, _ = ENGINE.step(session, Back())
    assert back.state == "background" and "high_risk" in back.history
    assert {"immunosuppressed", "sickle_cell"} <= set(back.facts), back.facts


NON_ASCII_TURNS = (
    "q|consent|²|agree",
    "q|consent|¹²|agree",
    "q|consent|١|agree",
    "q|consent|３|agree",
)


def test_parse_payload_rejects_non_ascii_turns() -> None:
    """Found by the fuzzer: callback data that is not ours must be None, never an exception."""
    for data in NON_ASCII_TURNS:
        assert parse_payload(data) is None, data


@settings(PROFILE, max_examples=300)
@example(data="q|consent|²|agree")
@given(data=FORGED)
def test_fuzz_parse_payload_never_raises(data: str) -> None:
    """Forged callback data is None, or an Answer or Toggle with an ASCII turn: never an
    exception."""
    parsed = parse_payload(data)
    assert parsed is None or isinstance(parsed, Answer | Toggle)
    if parsed is not None and parsed.turn is not None:
        assert re.fullmatch(r"[qt]\|[^|]+\|[0-9]+\|[^|]+", data), data
