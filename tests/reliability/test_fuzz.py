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
from bme_bot.core.callbacks import parse_payload, question_payload
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
    Topics,
    Why,
    parse_command,
)
from bme_bot.core.flow import urgency
from bme_bot.core.regions import REGIONS
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


@functools.cache
def paths_to_outcomes() -> dict[str, tuple[str, ...]]:
    """One answer path to each outcome of the flow (a depth-first search, once, about 1 s)."""
    paths: dict[str, tuple[str, ...]] = {}
    seen: set[tuple[str, tuple[tuple[str, str], ...]]] = set()
    stack: list[tuple[Session, tuple[str, ...]]] = [(ENGINE.new_session(), ())]
    for _ in range(100_000):
        if not stack or len(paths) == len(FLOW.outcomes):
            break
        session, path = stack.pop()
        if session.outcome:
            paths.setdefault(session.outcome, path)
            continue
        for option in FLOW.questions[session.state].options:
            moved, _ = ENGINE.step(session, Answer(option.id))
            key = (moved.state, tuple(sorted(moved.facts.items())))
            if key not in seen:
                seen.add(key)
                stack.append((moved, (*path, option.id)))
    assert set(paths) == set(FLOW.outcomes), sorted(set(FLOW.outcomes) - set(paths))
    return paths


def session_json(session: Session) -> str:
    return json.dumps(session.to_dict(), ensure_ascii=False, separators=(",", ":"))


def replay(session: Session) -> Session:
    """The session reached by answering the history's questions, in order, from scratch."""
    fresh = ENGINE.new_session(session.region)
    for question_id in session.history:
        assert fresh.state == question_id, (fresh.state, session.history)
        fact = FLOW.questions[question_id].fact
        fresh, _ = ENGINE.step(fresh, Answer(session.facts[fact]))
    return fresh


def check_session(session: Session) -> None:
    """What must hold of any session the service returns."""
    text = session_json(session)
    assert len(text.encode()) < MAX_SESSION_BYTES, len(text.encode())
    assert Session.from_dict(json.loads(text)) == session
    assert session.state in FLOW.questions or session.state in FLOW.outcomes
    asked = [FLOW.questions[q].fact for q in session.history]
    assert len(asked) == len(set(asked)), session.history
    assert set(session.facts) == set(asked), (session.facts, session.history)
    for fact, value in session.facts.items():
        assert value in FLOW.facts[fact], (fact, value)
    again = replay(session)
    assert (again.state, again.facts, again.outcome, again.route) == (
        session.state,
        session.facts,
        session.outcome,
        session.route,
    )
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
        self.shown: list[tuple[str, int, tuple[str, ...]]] = []
        """Question replies shown to this chat: (question, turn, option ids), for stale taps."""


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
        )

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
        for reply in replies:
            if reply.kind in ("question", "reask") and reply.question is not None:
                assert reply.question == session.state and reply.turn == session.turn
                model.shown.append((reply.question, reply.turn, tuple(o.id for o in reply.options)))
        model.session = session
        model.region = session.region
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

    @rule(
        chat=st.sampled_from(CHATS),
        pick=st.integers(0, 10),
        how=st.sampled_from(["button", "bare", "number", "label", "synonym", "id", "payload"]),
    )
    def answer(self, chat: str, pick: int, how: str) -> None:
        """Answer the current question the way a person could."""
        session = self.chats[chat].session
        if session is None or session.state not in FLOW.questions:
            self.send(chat, Start())
            return
        question = FLOW.questions[session.state]
        index = pick % len(question.options)
        option = question.options[index]
        event: Event
        if how == "button":
            event = Answer(option.id, question=question.id, turn=session.turn)
        elif how == "payload":
            parsed = parse_payload(question_payload(question.id, session.turn, option.id))
            assert parsed == Answer(option.id, question=question.id, turn=session.turn)
            event = parsed
        elif how == "bare":
            event = Answer(option.id)
        elif how == "number":
            event = Text(f" {index + 1} ")
        elif how == "label":
            event = Text(option.label.upper())
        elif how == "synonym" and option.synonyms:
            event = Text(option.synonyms[pick % len(option.synonyms)])
        else:
            event = Text(option.id)
        replies = self.send(chat, event)
        after = self.chats[chat].session
        assert after is not None
        assert after.history[-1] == question.id and after.facts[question.fact] == option.id, (
            how,
            event,
            [r.kind for r in replies],
        )

    @rule(
        chat=st.sampled_from(CHATS),
        picks=st.lists(st.integers(0, 10), min_size=1, max_size=25),
        typed=st.booleans(),
    )
    def answer_run(self, chat: str, picks: list[int], typed: bool) -> None:
        """Answer question after question (buttons or numbers), usually up to an outcome."""
        for pick in picks:
            session = self.chats[chat].session
            if session is None or session.state not in FLOW.questions:
                return
            question = FLOW.questions[session.state]
            index = pick % len(question.options)
            option = question.options[index]
            event: Event = (
                Text(str(index + 1))
                if typed
                else Answer(option.id, question=question.id, turn=session.turn)
            )
            self.send(chat, event)
            after = self.chats[chat].session
            assert after is not None and after.facts.get(question.fact) == option.id

    @rule(
        chat=st.sampled_from(CHATS),
        goal=st.sampled_from(sorted(FLOW.outcomes)),
        stop_at=st.integers(0, 30),
    )
    def walk_to(self, chat: str, goal: str, stop_at: int) -> None:
        """Start again and tap along a path to one outcome, stopping anywhere on the way: the
        other rules then act on deep states, and every outcome's invariants get checked."""
        self.send(chat, Start())
        for option_id in paths_to_outcomes()[goal][:stop_at]:
            session = self.chats[chat].session
            assert session is not None and session.state in FLOW.questions
            self.send(chat, Answer(option_id, question=session.state, turn=session.turn))
        session = self.chats[chat].session
        if stop_at >= len(paths_to_outcomes()[goal]):
            assert session is not None and session.outcome == goal

    @precondition(lambda self: any(m.shown for m in self.chats.values()))
    @rule(chat=st.sampled_from(CHATS), pick=st.integers(0, 1000), option=st.integers(0, 10))
    def stale_tap(self, chat: str, pick: int, option: int) -> None:
        """Tap a button from an earlier message: 'moved on' and nothing changes."""
        model = self.chats[chat]
        if not model.shown:
            return
        question, turn, options = model.shown[pick % len(model.shown)]
        before = model.session
        replies = self.send(chat, Answer(options[option % len(options)], question, turn))
        current = before is not None and (question, turn) == (before.state, before.turn)
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
        if before is not None and before.history and ENGINE.is_current(before):
            assert after is not None and after.history == before.history[:-1]
            assert after.state == before.history[-1] and after.outcome is None

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
        for option in question.options:
            for turn in (0, 1, 9_999_999):
                data = question_payload(question.id, turn, option.id)
                assert parse_payload(data) == Answer(option.id, question.id, turn)
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
    """Forged callback data is None or an Answer with an ASCII turn: never an exception."""
    parsed = parse_payload(data)
    assert parsed is None or isinstance(parsed, Answer)
    if parsed is not None and parsed.turn is not None:
        assert re.fullmatch(r"q\|[^|]+\|[0-9]+\|[^|]+", data), data
