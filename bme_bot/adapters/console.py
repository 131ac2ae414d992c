"""The console simulator: interactive, JSON lines for scripts, and transcript replay.

It runs the same service and engine as Telegram, on the memory store, and never imports
python-telegram-bot, so the first prompt comes quickly. Flow authors can record a conversation
as a golden transcript (`--record`) and watch the state, facts and routes after every answer
(`--debug`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import sys
import textwrap
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from bme_bot.adapters.plain import to_plain
from bme_bot.core.engine import Engine
from bme_bot.core.events import Answer, Event, Start, Text
from bme_bot.core.replies import Reply, ReplyOption
from bme_bot.core.session import Session
from bme_bot.service import Service, ServiceUnavailable
from bme_bot.storage.base import Store
from bme_bot.storage.memory import MemoryStore

CHAT = "console"
WIDTH = 80
QUIT = {"/quit", "/exit", "quit", "exit"}
GOODBYE = "Goodbye. Take care."
COMMANDS_LINE = "Commands: /back /restart /why /topics /region /privacy /forget /help /quit"
BANNER = (
    "bme-bot console: education, not a diagnosis.\n"
    "Type a number or an answer in your own words.\n"
    f"{COMMANDS_LINE}\n\n"
)
CHECKLIST_HINT = "Type the numbers or names, add ? for not sure (2?), or none."
TOOK_NOTHING = {True: "(no route recorded)", False: "(no answer)"}
MARKS = {"": "[ ]", "yes": "[x]", "unsure": "[?]"}
COMMAND_OF = {"restart": "/restart", "why": "/why", "topics": "/topics"}
"""The command that does what a menu button does, for lists that are not numbered."""
MENU_ID = re.compile(r"^(?:topic|region):\S+$")
"""A menu entry's id ('topic:what_is_bme', 'region:UK'): typed, it picks that entry as a
button would, so the topics listed mid-conversation can be opened from the console too."""


def console_event(line: str) -> Event:
    """One console line as an event: a menu id picks that entry; anything else is typed."""
    stripped = line.strip()
    if MENU_ID.match(stripped):
        return Answer(stripped)
    return Text(line)


# --- the JSON record of a turn ----------------------------------------------------------


def turn_record(engine: Engine, replies: list[Reply], session: Session | None) -> dict[str, Any]:
    """One JSON object for one turn: the fields scripts and golden transcripts rely on.

    `asks` is the fact of a single question or the list of facts of a checklist; `options`
    are the last reply's choices (for a checklist: its items with their marks, then none and
    done); `topics` are the topics this turn listed (by /topics, or the menu after the advice);
    `facts` are the answers as given (`unsure` kept); `progress` counts answers given and the
    most a conversation from here can take in all.
    """
    last = replies[-1] if replies else None
    outcome = engine.flow.outcomes.get(session.outcome or "") if session else None
    answered, at_most = engine.progress(session if session is not None else engine.new_session())
    return {
        "text": "\n\n".join(to_plain(r.text) for r in replies),
        "options": _options(last) if last else [],
        "asks": _asks(replies),
        "topics": _topics(replies),
        "state": session.state if session else None,
        "disposition": outcome.disposition if outcome else None,
        "rule": outcome.rule if outcome else None,
        "done": outcome is not None,
        "facts": dict(session.facts) if session else {},
        "progress": {"answered": answered, "at_most": at_most},
        "kinds": [r.kind for r in replies],
    }


def _asks(replies: list[Reply]) -> str | list[str] | None:
    for reply in reversed(replies):
        if reply.checklist:
            return [item.fact for item in reply.checklist]
        if reply.asks:
            return reply.asks
    return None


def _options(reply: Reply) -> list[dict[str, str]]:
    items = [{"id": i.fact, "label": i.label, "mark": i.mark} for i in reply.checklist]
    return [*items, *({"id": o.id, "label": o.label} for o in reply.options)]


def _topics(replies: list[Reply]) -> list[dict[str, str]]:
    seen: dict[str, str] = {}
    for reply in replies:
        for option in reply.options:
            if option.id.startswith("topic:"):
                seen.setdefault(option.id, option.label)
    return [{"id": oid, "label": label} for oid, label in seen.items()]


def debug_record(before: Session | None, after: Session | None) -> dict[str, Any]:
    """What a flow author needs after an answer: where the flow is, the facts, and the
    routes and rules the answer took (empty when the input answered nothing)."""
    if after is None:
        return {"state": None, "facts": {}, "pending": {}, "answered": False, "trail": []}
    answered = before is None or (after.history, after.facts) != (before.history, before.facts)
    return {
        "state": after.state,
        "facts": dict(after.facts),
        "pending": dict(after.pending),
        "answered": answered,
        "trail": list(after.trail) if answered else [],
    }


def _debug_line(debug: dict[str, Any]) -> str:
    facts = ", ".join(f"{k}={v}" for k, v in debug["facts"].items()) or "(none)"
    pending = ", ".join(f"{k}={v}" for k, v in debug["pending"].items())
    text = (
        f"[debug] state: {debug['state']}; facts: {facts}"
        + (f"; ticked: {pending}" if pending else "")
        + f"; took: {' -> '.join(debug['trail']) or TOOK_NOTHING[debug['answered']]}"
    )
    return textwrap.fill(text, WIDTH, subsequent_indent="        ") + "\n"


# --- the interactive rendering ------------------------------------------------------------


def render_turn(replies: Iterable[Reply], progress: tuple[int, int] | None = None) -> str:
    """Wrap text to 80 columns, for a person at a terminal.

    Every reply's choices are shown: the last reply's are numbered (a number picks one), the
    earlier ones (the topics listed mid-conversation) are listed with the id that opens them.
    A question says how far along it is; `progress` stands in for a reply that has none.
    """
    replies = list(replies)
    chosen = max((i for i, r in enumerate(replies) if r.options or r.checklist), default=-1)
    lines: list[str] = []
    for index, reply in enumerate(replies):
        counted = reply.progress or progress
        if reply.question is not None and counted is not None:
            lines += [f"Question {counted[0] + 1} of at most {counted[1]}", ""]
        text = to_plain(reply.text)
        for paragraph in text.split("\n"):
            indent = "  " if paragraph.startswith("- ") else ""
            lines.append(
                textwrap.fill(paragraph, WIDTH, subsequent_indent=indent) if paragraph else ""
            )
        lines.append("")
        if reply.checklist:
            lines += _checklist_lines(reply)
        elif reply.options and not _listed_in_text(reply, text):
            lines += _option_lines(reply.options, numbered=index == chosen)
    return "\n".join(lines).rstrip() + "\n"


def _checklist_lines(reply: Reply) -> list[str]:
    lines = [
        textwrap.fill(
            f"  {i}. {MARKS.get(item.mark, '[ ]')} {item.label}", WIDTH, subsequent_indent="       "
        )
        for i, item in enumerate(reply.checklist, start=1)
    ]
    return [*lines, "", CHECKLIST_HINT, ""]


def _option_lines(options: tuple[ReplyOption, ...], *, numbered: bool) -> list[str]:
    if numbered and not any(o.id.startswith("region:") for o in options):
        return [f"  {i}. {o.label}" for i, o in enumerate(options, start=1)] + [""]
    lines = []
    for option in options:
        kind, _, value = option.id.partition(":")
        hint = (
            {"topic": option.id, "region": f"/region {value}"}.get(kind)
            if value
            else COMMAND_OF.get(option.id)
        )
        lines.append(f"  - {option.label}" + (f"  (type {hint})" if hint else ""))
    return [*lines, ""]


def _listed_in_text(reply: Reply, text: str) -> bool:
    """A re-ask that already lists its numbered options need not list them twice."""
    return reply.kind == "reask" and all(
        f"{i}. {o.label}" in text for i, o in enumerate(reply.options, start=1)
    )


# --- one console chat ------------------------------------------------------------------


class Console:
    """One console chat, through the same service as Telegram (built by bme_bot.bootstrap)."""

    def __init__(self, service: Service) -> None:
        self.engine = service.engine
        self.service = service

    async def send(self, text: str) -> tuple[list[Reply], Session | None]:
        turn = await self.service.handle(CHAT, console_event(text))
        return turn.replies, turn.session

    async def start(self) -> tuple[list[Reply], Session | None]:
        turn = await self.service.handle(CHAT, Start())
        return turn.replies, turn.session

    async def choose(self, option_id: str) -> tuple[list[Reply], Session | None]:
        turn = await self.service.handle(CHAT, Answer(option_id))
        return turn.replies, turn.session


@dataclass
class Recorder:
    """Collects a conversation as a golden transcript (written once, when the console ends)."""

    path: Path
    force: bool = False
    start: dict[str, Any] = field(default_factory=dict)
    steps: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    region: str | None = None

    def started(self, record: dict[str, Any], session: Session | None) -> None:
        self.start = record
        self.region = session.region if session else None

    def turn(self, line: str, record: dict[str, Any]) -> None:
        self.steps.append((line, record))

    def save(self) -> None:
        from bme_bot.transcripts import save_transcript, transcript_text

        text = transcript_text(
            f"Recorded: {self.path.stem}", self.start, self.steps, region=self.region
        )
        save_transcript(self.path, text, force=self.force)


@dataclass
class Options:
    """How a console session runs, beyond the engine: debug output and recording."""

    debug: bool = False
    recorder: Recorder | None = None


def run_json(
    engine: Engine,
    lines: IO[str],
    out: IO[str],
    options: Options | None = None,
    err: IO[str] | None = None,
    *,
    service: Service | None = None,
) -> int:
    """One JSON object at start, then exactly one per input line; end of input exits 0.

    With `debug`, one more JSON object per line goes to `err` (stderr), never to `out`.
    Without a `service` the conversation lives in a fresh memory store."""
    options = options or Options()
    err = err if err is not None else sys.stderr
    loop = asyncio.new_event_loop()
    console = Console(service or Service(engine, MemoryStore()))
    try:
        replies, session = loop.run_until_complete(console.start())
        record = turn_record(engine, replies, session)
        _write_json(out, record)
        if options.recorder:
            options.recorder.started(record, session)
        for raw in lines:
            line = raw.rstrip("\r\n")
            before = session
            replies, session = loop.run_until_complete(console.send(line))
            record = turn_record(engine, replies, session)
            _write_json(out, record)
            if options.debug:
                _write_json(err, {"debug": debug_record(before, session)})
            if options.recorder:
                options.recorder.turn(line, record)
    except KeyboardInterrupt:
        pass
    finally:
        _close(loop, console.service.store)
        if options.recorder:
            options.recorder.save()
    return 0


def _write_json(out: IO[str], record: dict[str, Any]) -> None:
    out.write(json.dumps(record, ensure_ascii=False) + "\n")
    out.flush()


def line_reader(stdin: IO[str], out: IO[str]) -> Callable[[str], str | None]:
    """Read one line after a prompt; None at end of input.

    At a terminal this is `input()` with the standard `readline` module loaded, so arrow keys
    and history work (kept in memory only: answers never go to a history file). From a pipe
    it is a plain `readline()`, so tests and scripts see exactly what they sent.
    """
    if stdin is sys.stdin and out is sys.stdout and stdin.isatty() and out.isatty():
        with contextlib.suppress(ImportError):  # platforms without readline: plain input()
            import readline  # noqa: F401 - importing it gives input() line editing and history

        def read_tty(prompt: str) -> str | None:
            try:
                return input(prompt)
            except EOFError:
                return None

        return read_tty

    def read_pipe(prompt: str) -> str | None:
        out.write(prompt)
        out.flush()
        raw = stdin.readline()
        return raw.rstrip("\r\n") if raw else None

    return read_pipe


def run_interactive(
    engine: Engine,
    stdin: IO[str] = sys.stdin,
    out: IO[str] = sys.stdout,
    options: Options | None = None,
    *,
    service: Service | None = None,
) -> int:
    """A plain 80-column conversation: type a number, an answer, or a command.

    The store of `service` (default: a fresh memory store) is closed at the end.

    The event loop only runs while a turn is handled; lines are read outside it, so a single
    Ctrl-C at the prompt ends the console at once (inside `asyncio.run` the first Ctrl-C would
    only cancel a task that is not running).
    """
    options = options or Options()
    loop = asyncio.new_event_loop()
    read = line_reader(stdin, out)
    console = Console(service or Service(engine, MemoryStore()))
    try:
        out.write(BANNER)
        replies, session = loop.run_until_complete(console.start())
        if options.recorder:
            options.recorder.started(turn_record(engine, replies, session), session)
        out.write(render_turn(replies, _progress(engine, session)))
        while True:
            raw = read("> ")
            if raw is None or raw.strip().lower() in QUIT:
                break
            before = session
            try:
                replies, session = loop.run_until_complete(console.send(raw.strip()))
            except ServiceUnavailable:
                replies = [Service.unavailable_reply()]
            if options.recorder:
                options.recorder.turn(raw.strip(), turn_record(engine, replies, session))
            out.write("\n")
            if options.debug:
                out.write(_debug_line(debug_record(before, session)) + "\n")
            out.write(render_turn(replies, _progress(engine, session)))
    except KeyboardInterrupt:
        pass
    finally:
        out.write(f"\n{GOODBYE}\n")
        out.flush()
        _close(loop, console.service.store)
        if options.recorder:
            options.recorder.save()
    return 0


def _progress(engine: Engine, session: Session | None) -> tuple[int, int] | None:
    if session is None or session.done:
        return None
    return engine.progress(session)


def _close(loop: asyncio.AbstractEventLoop, store: Store) -> None:
    """Finish what a Ctrl-C interrupted, close the store, then the loop."""
    try:
        pending = asyncio.all_tasks(loop)
        for task in pending:
            task.cancel()
        if pending:
            loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        loop.run_until_complete(store.close())
    finally:
        loop.close()
