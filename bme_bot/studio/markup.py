"""The engine's small Markdown subset (paragraphs, `- ` bullets, **bold**, [links](url)) as
safe HTML: everything is escaped first, so flow and content text can never inject markup."""

from __future__ import annotations

import re
from html import escape

BOLD = re.compile(r"\*\*(.+?)\*\*")
LINK = re.compile(r"\[([^\]]+)\]\((https?://[^)\s\"<>]+)\)")


def to_html(text: str) -> str:
    blocks: list[str] = []
    bullets: list[str] = []
    lines: list[str] = []

    def flush() -> None:
        if bullets:
            blocks.append("<ul>" + "".join(f"<li>{b}</li>" for b in bullets) + "</ul>")
            bullets.clear()
        if lines:
            blocks.append("<p>" + "<br>".join(lines) + "</p>")
            lines.clear()

    for raw in text.split("\n"):
        line = _inline(raw.rstrip())
        if not line.strip():
            flush()
        elif raw.startswith("- "):
            if lines:
                flush()
            bullets.append(line[2:])
        else:
            if bullets:
                flush()
            lines.append(line)
    flush()
    return "".join(blocks)


def _inline(text: str) -> str:
    html = escape(text, quote=False)
    html = BOLD.sub(r"<strong>\1</strong>", html)
    return LINK.sub(r'<a href="\2" rel="noopener noreferrer" target="_blank">\1</a>', html)
