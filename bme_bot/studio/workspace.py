"""What the studio has loaded: the flow files, the selected flow's engine (built by
`bme_bot.bootstrap`, like every entry point), its graph, the conversations, and the proofs.

Reload reads the YAML from disk again: a flow that no longer loads keeps its errors (file:line)
for the page and no engine, so nothing runs on a half-read flow. The proofs are computed once
per load, in a worker thread, since `check` takes seconds on a large flow.
"""

from __future__ import annotations

import asyncio
import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bme_bot.bootstrap import build_engine
from bme_bot.checking import issue_lines
from bme_bot.config import Settings
from bme_bot.core.engine import Engine
from bme_bot.paths import PACKAGE_DIR
from bme_bot.service import Service
from bme_bot.storage.memory import MemoryStore
from bme_bot.studio.chat import StudioChat
from bme_bot.studio.graph import Graph, build_graph
from bme_bot.studio.proofs import CheckInputs, run_proofs
from bme_bot.studio.svg import render_svg

MAX_CHATS = 64
"""Conversations kept at once (one per open tab); the oldest goes first."""


@dataclass
class Workspace:
    settings: Settings
    flows: tuple[Path, ...]
    selected: Path
    content: Path | None = None
    transcripts: Path | None = None
    target: Path | None = None
    engine: Engine | None = None
    graph: Graph | None = None
    svg: str = ""
    errors: list[str] = field(default_factory=list)
    generation: int = 0
    chats: dict[str, StudioChat] = field(default_factory=dict)
    service: Service | None = None
    _proofs: asyncio.Task[dict[str, Any]] | None = None
    _carry: dict[str, list[tuple[str, str]]] = field(default_factory=dict)

    @classmethod
    def open(
        cls,
        settings: Settings,
        target: Path | None,
        *,
        content: Path | None = None,
        transcripts: Path | None = None,
    ) -> Workspace:
        """The flows `bme-bot check [target]` would check, with the same defaults."""
        if target is None:
            flows = tuple(sorted(settings.flows_dir.glob("*.yaml")))
            content = content or settings.content_locale_dir
            default = PACKAGE_DIR.parent / "tests" / "transcripts"
            transcripts = transcripts or (default if default.is_dir() else None)
            selected = settings.flow_path if settings.flow_path in flows else flows[0]
        else:
            flows = tuple(sorted(target.glob("*.yaml"))) if target.is_dir() else (target,)
            if not flows:
                raise FileNotFoundError(f"no flow files found in {target}")
            selected = flows[0]
            if transcripts is not None and content is None:
                content = settings.content_locale_dir  # `check` needs content for coverage
        if content is not None and content != settings.content_locale_dir:
            settings = dataclasses.replace(
                settings, content_dir=content.parent, locale=content.name
            )
        space = cls(settings, flows, selected, content, transcripts, target=target)
        space.load()
        return space

    @property
    def source(self) -> str:
        """The selected flow's file as people read it: relative to here when it is below."""
        try:
            return str(self.selected.resolve().relative_to(Path.cwd()))
        except ValueError:
            return str(self.selected)

    def load(self, *, keep_chats: bool = False) -> None:
        """(Re)load the selected flow from disk. With `keep_chats` each conversation is
        replayed on the new flow (the lines a transcript would hold), so an author edits the
        YAML, reloads, and sees the same answers under the new rules."""
        from bme_bot.loading.errors import LoadError

        self.generation += 1
        self._carry = (
            {cid: chat.replay_lines() for cid, chat in self.chats.items()} if keep_chats else {}
        )
        self.chats.clear()
        self._proofs = None
        try:
            self.engine = build_engine(self.settings, flow_path=self.selected)
        except LoadError as exc:
            self.engine, self.graph, self.svg, self.service = None, None, "", None
            self.errors = issue_lines(exc.issues)
            return
        self.errors = []
        self.graph = build_graph(self.engine.flow)
        self.svg = render_svg(self.graph, self.source)
        self.service = Service(self.engine, MemoryStore())

    @property
    def locales(self) -> list[str]:
        """The content languages beside the one in use (folders of Markdown texts)."""
        root = self.settings.content_dir
        if not root.is_dir():
            return [self.settings.locale]
        found = [d.name for d in sorted(root.iterdir()) if d.is_dir() and any(d.glob("*.md"))]
        return found or [self.settings.locale]

    def select_locale(self, locale: str) -> bool:
        """Talk in another language: its content, reloaded; the conversations are replayed."""
        if locale not in self.locales:
            return False
        default = self.content == self.settings.content_locale_dir
        self.settings = dataclasses.replace(self.settings, locale=locale)
        if default:
            self.content = self.settings.content_locale_dir  # check lints the same texts
        self.load(keep_chats=True)
        return True

    def select(self, name: str) -> bool:
        """Switch to another flow of the directory, by file name."""
        for path in self.flows:
            if path.name == name:
                self.selected = path
                self.load()
                return True
        return False

    async def chat(self, chat_id: str, *, fresh: bool = False) -> StudioChat | None:
        """The conversation of one tab, started on first use; None while the flow is broken."""
        if self.service is None:
            return None
        chat = self.chats.get(chat_id)
        if chat is None or fresh:
            while len(self.chats) >= MAX_CHATS:
                self.chats.pop(next(iter(self.chats)))
            chat = StudioChat(self.service, chat_id)
            await chat.start()
            self.chats[chat_id] = chat
            for said, line in [] if fresh else self._carry.pop(chat_id, []):
                await chat.act({"kind": "text", "text": line, "said": said})
        return chat

    def proofs(self) -> asyncio.Task[dict[str, Any]]:
        """The check result of this load, computed once in a worker thread."""
        if self._proofs is None:
            inputs = CheckInputs(
                self.target, self.flows, self.selected, self.content, self.transcripts
            )
            self._proofs = asyncio.get_running_loop().create_task(
                asyncio.to_thread(run_proofs, inputs)
            )
        return self._proofs
