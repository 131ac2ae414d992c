"""One studio conversation: the real engine through the service on a memory store, and what
the page needs beyond the replies: what the person did, the console line that does the same
(for a golden transcript), and the routes each answer took (the path drawn on the graph).

A tap is an event as in Telegram (`Answer`, `Toggle`); each is also written down as the line
`bme-bot console` would need to do the same, so the conversation saves as a transcript that
`console --transcript` replays: an option is its number, a checklist the numbers it ticked
(`1 3?`) or `none`, a menu button its id or command.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bme_bot.adapters.console import console_event, turn_record
from bme_bot.core.engine import Engine
from bme_bot.core.events import Answer, Event, Start, Text, Toggle
from bme_bot.core.flow import UNSURE
from bme_bot.core.replies import Reply
from bme_bot.core.session import Session
from bme_bot.service import Service

COMMANDS = ("why", "back", "restart", "topics", "help", "privacy", "region")
MENU_COMMANDS = {"why": "/why", "restart": "/restart", "topics": "/topics"}


class ActionError(ValueError):
    """An action the page sent that is not one (a bad kind or missing field)."""


@dataclass
class Entry:
    """One exchange on screen: what the person did, and what the bot said."""

    said: str | None
    line: str | None
    replies: list[Reply]
    record: dict[str, Any] | None = None


@dataclass
class Step:
    """An answer that moved the conversation: the history after it and the routes it took."""

    history: tuple[str, ...]
    trail: tuple[str, ...]
    answers: dict[str, str]
    landed: str


@dataclass
class StudioChat:
    service: Service
    chat_id: str
    session: Session | None = None
    entries: list[Entry] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)
    start_record: dict[str, Any] = field(default_factory=dict)
    shown: Reply | None = None
    """The last reply with buttons or a checklist: what a tap or a number refers to."""

    @property
    def engine(self) -> Engine:
        return self.service.engine

    async def start(self) -> None:
        turn = await self.service.handle(self.chat_id, Start())
        self.session = turn.session
        self.entries = [Entry(None, None, turn.replies)]
        self.steps = []
        self.start_record = turn_record(self.engine, turn.replies, turn.session)
        self._note_shown(turn.replies)

    async def act(self, action: dict[str, Any]) -> None:
        """Apply one action from the page: text, choose, toggle or command."""
        kind = action.get("kind")
        if kind == "text":
            text = str(action.get("text", "")).strip()
            said = action.get("said")
            if text:
                await self._send(console_event(text), said if isinstance(said, str) else text, text)
        elif kind == "command":
            name = str(action.get("name", ""))
            if name not in COMMANDS:
                raise ActionError(f"unknown command {name!r}")
            await self._send(Text(f"/{name}"), f"/{name}", f"/{name}")
        elif kind == "choose":
            option = _field(action, "option")
            event = Answer(option, _opt(action, "question"), _turn(action))
            said, line = self._choice_words(option)
            await self._send(event, said, line)
        elif kind == "toggle":
            await self._toggle(
                Toggle(_field(action, "fact"), _opt(action, "question"), _turn(action))
            )
        else:
            raise ActionError(f"unknown action {kind!r}")

    async def _send(self, event: Event, said: str, line: str | None) -> None:
        before, shown = self.session, self.shown
        turn = await self.service.handle(self.chat_id, event)
        after = turn.session
        if after is None:  # /forget erased the chat: start again, as the console would
            await self.start()
            return
        line = _equivalent_line(event, line, shown, before, after, turn.replies)
        record = turn_record(self.engine, turn.replies, after)
        self.entries.append(Entry(said, line, turn.replies, record))
        self.session = after
        self._track(before, after)
        self._note_shown(turn.replies)

    async def _toggle(self, event: Toggle) -> None:
        turn = await self.service.handle(self.chat_id, event)
        self.session = turn.session
        fresh = turn.replies[-1] if turn.replies else None
        last = self.entries[-1] if self.entries else None
        if fresh is not None and fresh.checklist and last is not None:
            for index in range(len(last.replies) - 1, -1, -1):
                if last.replies[index].checklist:
                    last.replies[index] = fresh  # a tap edits the message, as in Telegram
                    self.shown = fresh
                    return
        self.entries.append(Entry(None, None, turn.replies))

    def _track(self, before: Session | None, after: Session) -> None:
        if before is not None and after.history != before.history and after.trail:
            changed = {k: v for k, v in after.facts.items() if before.facts.get(k) != v}
            self.steps.append(Step(after.history, tuple(after.trail), changed, after.state))
        self.steps = [s for s in self.steps if after.history[: len(s.history)] == s.history]

    def _note_shown(self, replies: list[Reply]) -> None:
        for reply in reversed(replies):
            if reply.options or reply.checklist:
                self.shown = reply
                return

    def _choice_words(self, option: str) -> tuple[str, str]:
        """(what the person chose, as shown; the console line that chooses the same)."""
        reply = self.shown
        label = option
        if reply is not None:
            label = next((o.label for o in reply.options if o.id == option), option)
        if ":" in option:
            return label, option
        if option in MENU_COMMANDS:
            return label, MENU_COMMANDS[option]
        if reply is not None and reply.checklist:
            ticked = [
                i.label + (" (not sure)" if i.mark == UNSURE else "")
                for i in reply.checklist
                if i.mark
            ]
            if option == "done" and ticked:
                label = "Ticked: " + "; ".join(ticked)
            return label, option  # none or done; done becomes the marks line once answered
        if reply is not None:
            ids = [o.id for o in reply.options]
            if option in ids:
                return label, str(ids.index(option) + 1)
        return label, option

    def transcript_steps(self) -> list[tuple[str, dict[str, Any]]]:
        return [(e.line, e.record) for e in self.entries if e.line is not None and e.record]

    def replay_lines(self) -> list[tuple[str, str]]:
        """(what was shown as said, the console line) of every turn a transcript keeps."""
        return [(e.said or e.line, e.line) for e in self.entries if e.line is not None]

    def path_routes(self) -> list[str]:
        return [route for step in self.steps for route in step.trail]


def _equivalent_line(
    event: Event,
    line: str | None,
    shown: Reply | None,
    before: Session | None,
    after: Session,
    replies: list[Reply],
) -> str | None:
    """The console line that does what this turn did; None when there is none (a stale tap,
    or a checklist button that answered nothing), so the transcript leaves the turn out."""
    if any(r.kind == "stale" for r in replies):
        return None
    at_checklist = (
        shown is not None
        and bool(shown.checklist)
        and before is not None
        and before.detour is None
        and shown.question == before.state
    )
    if not at_checklist or shown is None or before is None:
        return line
    answered = len(after.history) > len(before.history)
    if isinstance(event, Answer):
        return _marks_line(shown, after.facts) if answered else None
    if isinstance(event, Text) and before.pending and answered:
        return _marks_line(shown, after.facts)  # typed, with ticks already on the message
    return line


def _marks_line(shown: Reply, facts: dict[str, str]) -> str:
    """The typed checklist answer that gives the same facts: `1 3?`, or `none`."""
    marks = []
    for number, item in enumerate(shown.checklist, start=1):
        value = facts.get(item.fact)
        if value == "yes":
            marks.append(str(number))
        elif value == UNSURE:
            marks.append(f"{number}?")
    return " ".join(marks) or "none"


def _field(action: dict[str, Any], name: str) -> str:
    value = action.get(name)
    if not isinstance(value, str) or not value:
        raise ActionError(f"{name} is missing")
    return value


def _opt(action: dict[str, Any], name: str) -> str | None:
    value = action.get(name)
    return value if isinstance(value, str) and value else None


def _turn(action: dict[str, Any]) -> int | None:
    value = action.get("turn")
    return value if isinstance(value, int) and not isinstance(value, bool) else None
