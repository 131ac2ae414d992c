"""The console simulator: interactive, JSON lines for scripts, and transcript replay.

It runs the same service and engine as Telegram (built by `bme_bot.bootstrap`; a memory store
unless given another), and never imports python-telegram-bot, so the first prompt comes
quickly. What a turn looks like, as text or JSON, is in `console_text`. Flow authors can record a conversation
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
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from bme_bot.adapters.console_text import CHECKLIST_HINT as CHECKLIST_HINT
from bme_bot.adapters.console_text import debug_line, debug_record
from bme_bot.adapters.console_text import render_turn as render_turn
from bme_bot.adapters.console_text import turn_record as turn_record
from bme_bot.checkins.conversation import CheckinService
from bme_bot.core.catalogue import ENGLISH, N_, Catalogue
from bme_bot.core.engine import Engine
from bme_bot.core.events import Answer, Event, Start, Text
from bme_bot.core.replies import Reply
from bme_bot.core.session import Session
from bme_bot.service import Service, ServiceUnavailable
from bme_bot.storage.memory import MemoryStore

CHAT = "console"
QUIT = {"/quit", "/exit", "quit", "exit"}
GOODBYE = N_("Goodbye. Take care.")
COMMANDS_LINE = (
    "/ask /back /restart /why /topics /region /language /checkins /stop /checkin-now "
    "/privacy /forget /help /quit"
)
CHECKIN_NOW = "/checkin-now"
"""Open a check-in at once (no waiting for the schedule): for trying the check-in flow."""
BANNER_LINES = (
    N_("bme-bot console: education, not a diagnosis."),
    N_("Type a number or an answer in your own words, or ask a question (/ask ...)."),
    N_("Commands: {commands}"),
)


def banner(catalogue: Catalogue = ENGLISH) -> str:
    """The console's first lines, in the console's language."""
    first, second, commands = (catalogue.gettext(line) for line in BANNER_LINES)
    listed = textwrap.fill(commands.format(commands=COMMANDS_LINE), 80, subsequent_indent="  ")
    return f"{first}\n{second}\n{listed}\n\n"


BANNER = banner()
MENU_ID = re.compile(r"^(?:topic|region):\S+$")
"""A menu entry's id ('topic:what_is_bme', 'region:UK'): typed, it picks that entry as a
button would, so the topics listed mid-conversation can be opened from the console too."""


def console_event(line: str) -> Event:
    """One console line as an event: a menu id picks that entry; anything else is typed."""
    stripped = line.strip()
    if MENU_ID.match(stripped):
        return Answer(stripped)
    return Text(line)


# --- one console chat ------------------------------------------------------------------


class Console:
    """One console chat, through the same service as Telegram (built by bme_bot.bootstrap)."""

    def __init__(self, service: Service, locale: str | None = None) -> None:
        self.engine = service.engine
        self.service = service
        self.locale = locale
        """The language a new conversation starts in (`--lang`); /language changes it."""

    async def send(self, text: str) -> tuple[list[Reply], Session | None]:
        if text.strip().lower() == CHECKIN_NOW and isinstance(self.service, CheckinService):
            replies = await self.service.checkin_now(CHAT)
            return replies, await self.service.checkin_session(CHAT)
        turn = await self.service.handle(CHAT, console_event(text), locale=self.locale)
        return turn.replies, turn.session

    def engine_of(self, session: Session | None) -> Engine:
        """The engine of the session's flow (a check-in's or the triage's): what the JSON
        record and the progress are computed with."""
        if isinstance(self.service, CheckinService):
            return self.service.engine_of(session)
        return self.engine

    async def start(self) -> tuple[list[Reply], Session | None]:
        turn = await self.service.handle(CHAT, Start(), locale=self.locale)
        return turn.replies, turn.session

    async def choose(self, option_id: str) -> tuple[list[Reply], Session | None]:
        turn = await self.service.handle(CHAT, Answer(option_id), locale=self.locale)
        return turn.replies, turn.session

    def catalogue(self, session: Session | None) -> Catalogue:
        """The interface strings of the chat's language (the console's until it starts)."""
        if session is None:
            return self.engine.for_locale(self.locale).catalogue
        return self.engine.for_session(session).catalogue


@dataclass
class Recorder:
    """Collects a conversation as a golden transcript (written once, when the console ends)."""

    path: Path
    force: bool = False
    start: dict[str, Any] = field(default_factory=dict)
    steps: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    region: str | None = None
    locale: str | None = None

    def started(self, record: dict[str, Any], session: Session | None) -> None:
        self.start = record
        self.region = session.region if session else None
        self.locale = session.locale if session else None

    def turn(self, line: str, record: dict[str, Any]) -> None:
        self.steps.append((line, record))

    def save(self) -> None:
        from bme_bot.transcripts import save_transcript, transcript_text

        text = transcript_text(
            f"Recorded: {self.path.stem}",
            self.start,
            self.steps,
            region=self.region,
            locale=self.locale,
        )
        save_transcript(self.path, text, force=self.force)


@dataclass
class Options:
    """How a console session runs, beyond the engine: debug output and recording."""

    debug: bool = False
    recorder: Recorder | None = None
    locale: str | None = None
    """The language to start in (`--lang es`): a shipped locale, else the default."""


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
    owned = service or Service(engine, MemoryStore())
    console = Console(_recordable(owned, options), options.locale)
    try:
        replies, session = loop.run_until_complete(console.start())
        record = turn_record(console.engine_of(session), replies, session)
        _write_json(out, record)
        engine.asking.warm()  # the question index, built while the first line is read
        if options.recorder:
            options.recorder.started(record, session)
        for raw in lines:
            line = raw.rstrip("\r\n")
            before = session
            replies, session = loop.run_until_complete(console.send(line))
            record = turn_record(console.engine_of(session), replies, session)
            _write_json(out, record)
            if options.debug:
                _write_json(err, {"debug": debug_record(before, session)})
            if options.recorder:
                options.recorder.turn(line, record)
    except KeyboardInterrupt:
        pass
    finally:
        _close(loop, owned)
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
    owned = service or Service(engine, MemoryStore())
    console = Console(_recordable(owned, options), options.locale)
    session: Session | None = None
    try:
        out.write(banner(console.catalogue(None)))
        replies, session = loop.run_until_complete(console.start())
        if options.recorder:
            options.recorder.started(turn_record(engine, replies, session), session)
        out.write(render_turn(replies, _progress(console, session), console.catalogue(session)))
        out.flush()
        engine.asking.warm()  # the question index, built while the person reads the prompt
        while True:
            raw = read("> ")
            if raw is None or raw.strip().lower() in QUIT:
                break
            before = session
            try:
                replies, session = loop.run_until_complete(console.send(raw.strip()))
            except ServiceUnavailable:
                replies = [Service.unavailable_reply(console.catalogue(session))]
            if options.recorder:
                record = turn_record(console.engine_of(session), replies, session)
                options.recorder.turn(raw.strip(), record)
            out.write("\n")
            if options.debug:
                out.write(debug_line(debug_record(before, session)) + "\n")
            out.write(render_turn(replies, _progress(console, session), console.catalogue(session)))
    except KeyboardInterrupt:
        pass
    finally:
        out.write(f"\n{console.catalogue(session).gettext(GOODBYE)}\n")
        out.flush()
        _close(loop, owned)
        if options.recorder:
            options.recorder.save()
    return 0


def _recordable(service: Service, options: Options) -> Service:
    """The service the console talks to: while recording, the triage alone (a transcript
    replays the flow's engine, which never offers a check-in)."""
    if options.recorder is not None and isinstance(service, CheckinService):
        return service.main
    return service


def _progress(console: Console, session: Session | None) -> tuple[int, int] | None:
    if session is None or session.done:
        return None
    return console.engine_of(session).progress(session)


def _close(loop: asyncio.AbstractEventLoop, service: Service) -> None:
    """Finish what a Ctrl-C interrupted, close the stores, then the loop."""
    try:
        pending = asyncio.all_tasks(loop)
        for task in pending:
            task.cancel()
        if pending:
            loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        if isinstance(service, CheckinService):
            loop.run_until_complete(service.checkins.close())
        loop.run_until_complete(service.store.close())
    finally:
        loop.close()
