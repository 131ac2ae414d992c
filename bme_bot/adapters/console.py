"""The console simulator: interactive, JSON lines for scripts, and transcript replay.

It runs the same service and engine as Telegram, on the memory store, and never imports
python-telegram-bot, so the first prompt comes quickly.
"""

from __future__ import annotations

import asyncio
import json
import sys
import textwrap
from collections.abc import Iterable
from typing import IO, Any

from bme_bot.adapters.plain import to_plain
from bme_bot.core.engine import Engine
from bme_bot.core.events import Answer, Start, Text
from bme_bot.core.replies import Reply
from bme_bot.core.session import Session
from bme_bot.service import Service, ServiceUnavailable
from bme_bot.storage.base import Store
from bme_bot.storage.memory import MemoryStore

CHAT = "console"
WIDTH = 80
QUIT = {"/quit", "/exit", "quit", "exit"}


def turn_record(engine: Engine, replies: list[Reply], session: Session | None) -> dict[str, Any]:
    """One JSON object for one turn: the fields scripts and golden transcripts rely on."""
    last = replies[-1] if replies else None
    outcome = engine.flow.outcomes.get(session.outcome or "") if session else None
    return {
        "text": "\n\n".join(to_plain(r.text) for r in replies),
        "options": [{"id": o.id, "label": o.label} for o in (last.options if last else ())],
        "asks": next((r.asks for r in reversed(replies) if r.asks), None),
        "state": session.state if session else None,
        "disposition": outcome.disposition if outcome else None,
        "rule": outcome.rule if outcome else None,
        "done": outcome is not None,
        "kinds": [r.kind for r in replies],
    }


def render_turn(replies: Iterable[Reply]) -> str:
    """Wrap text to 80 columns and number the options, for a person at a terminal."""
    blocks: list[str] = []
    options: list[str] = []
    for reply in replies:
        for paragraph in to_plain(reply.text).split("\n"):
            indent = "  " if paragraph.startswith("- ") else ""
            blocks.append(
                textwrap.fill(paragraph, WIDTH, subsequent_indent=indent) if paragraph else ""
            )
        blocks.append("")
        options = [f"  {i}. {o.label}" for i, o in enumerate(reply.options, start=1)]
    return "\n".join([*blocks, *options]).rstrip() + "\n"


class Console:
    """One console chat, through the same service as Telegram (memory store unless given)."""

    def __init__(self, engine: Engine, store: Store | None = None) -> None:
        self.engine = engine
        self.service = Service(engine, store if store is not None else MemoryStore())

    async def send(self, text: str) -> tuple[list[Reply], Session | None]:
        turn = await self.service.handle(CHAT, Text(text))
        return turn.replies, turn.session

    async def start(self) -> tuple[list[Reply], Session | None]:
        turn = await self.service.handle(CHAT, Start())
        return turn.replies, turn.session

    async def choose(self, option_id: str) -> tuple[list[Reply], Session | None]:
        turn = await self.service.handle(CHAT, Answer(option_id))
        return turn.replies, turn.session


def run_json(engine: Engine, lines: IO[str], out: IO[str]) -> int:
    """One JSON object at start, then exactly one per input line; end of input exits 0."""

    async def main() -> None:
        console = Console(engine)
        replies, session = await console.start()
        _write_json(out, turn_record(engine, replies, session))
        for raw in lines:
            replies, session = await console.send(raw.rstrip("\r\n"))
            _write_json(out, turn_record(engine, replies, session))

    asyncio.run(main())
    return 0


def _write_json(out: IO[str], record: dict[str, Any]) -> None:
    out.write(json.dumps(record, ensure_ascii=False) + "\n")
    out.flush()


def run_interactive(
    engine: Engine,
    stdin: IO[str] = sys.stdin,
    out: IO[str] = sys.stdout,
    store: Store | None = None,
) -> int:
    """A plain 80-column conversation: type a number, an answer, or /back /why /help /quit."""

    async def main() -> None:
        try:
            await converse(Console(engine, store))
        finally:
            if store is not None:
                await store.close()

    async def converse(console: Console) -> None:
        out.write(
            "bme-bot console: education, not a diagnosis.\n"
            "Type a number or an answer; /back, /restart, /why, /help, /quit.\n\n"
        )
        replies, _ = await console.start()
        out.write(render_turn(replies))
        while True:
            out.write("> ")
            out.flush()
            raw = stdin.readline()
            if not raw or raw.strip().lower() in QUIT:
                out.write("\nGoodbye. Take care.\n")
                return
            try:
                replies, _ = await console.send(raw.strip())
            except ServiceUnavailable:
                replies = [Service.unavailable_reply()]
            out.write("\n" + render_turn(replies))

    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        out.write("\nGoodbye. Take care.\n")
    return 0
