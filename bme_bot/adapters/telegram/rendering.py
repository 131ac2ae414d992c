"""The engine's small Markdown subset -> Telegram HTML, split under Telegram's 4096 limit.

The subset: paragraphs separated by blank lines, `- ` bullets, `**bold**`, `*italic*` and
`[text](url)` links. Everything else is text, escaped (`&`, `<`, `>`), so a stray `<` in content
can never break a message. Links other than http(s), mailto and tg are shown as their text.

Long texts are split between paragraphs; a single paragraph too long for one message is split
between lines, then between words, then anywhere. Every piece is rendered on its own, so a tag
never spans two messages.

Keyboards are plain data here (rows of (label, callback_data)): no python-telegram-bot, so the
planner and its tests can use them; the executor turns them into InlineKeyboardMarkup.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from typing import Final

from bme_bot.core.callbacks import (
    MAX_CALLBACK_BYTES,
    menu_payload,
    question_payload,
    toggle_payload,
)
from bme_bot.core.catalogue import ENGLISH, Catalogue
from bme_bot.core.replies import CHECKLIST_NONE, ChecklistItem, Reply

MAX_MESSAGE = 4096
SAFE_SCHEMES = ("http://", "https://", "mailto:", "tg://")

Button = tuple[str, str]
"""(label, callback_data)."""
Keyboard = tuple[tuple[Button, ...], ...]
"""Rows of buttons; empty: no keyboard."""

MARKS: Final = {"yes": "✓ ", "unsure": "? ", "": "▫️ "}
"""A checklist item's button starts with its mark: ticked, not sure, blank."""
NONE_OF_THESE: Final = "None of these"

_INLINE = re.compile(
    r"\*\*(?P<bold>.+?)\*\*"
    r"|(?<![\w*])\*(?P<italic>[^*\s](?:[^*]*[^*\s])?)\*(?![\w*])"
    r"|\[(?P<label>[^\]\n]+)\]\((?P<url>[^)\s]+)\)"
)


def escape(text: str) -> str:
    return html.escape(text, quote=False)


def _inline(text: str) -> str:
    out: list[str] = []
    pos = 0
    for match in _INLINE.finditer(text):
        out.append(escape(text[pos : match.start()]))
        if match.group("bold") is not None:
            out.append(f"<b>{_inline(match.group('bold'))}</b>")
        elif match.group("italic") is not None:
            out.append(f"<i>{_inline(match.group('italic'))}</i>")
        else:
            label, url = match.group("label"), match.group("url")
            if url.lower().startswith(SAFE_SCHEMES):
                out.append(f'<a href="{html.escape(url, quote=True)}">{_inline(label)}</a>')
            else:
                out.append(_inline(label))
        pos = match.end()
    out.append(escape(text[pos:]))
    return "".join(out)


def render(markdown: str) -> str:
    """Render Markdown-subset text to Telegram HTML (no length limit applied)."""
    lines = []
    for line in markdown.strip("\n").split("\n"):
        stripped = line.lstrip()
        indent = len(line) - len(stripped)
        if stripped.startswith(("- ", "* ")):
            lines.append("  " * (indent // 2) + "• " + _inline(stripped[2:]))
        else:
            lines.append(_inline(line.rstrip()))
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines))


def _pieces(markdown: str, limit: int) -> list[str]:
    """Cut Markdown into units whose rendering fits `limit`: paragraphs, lines, words, chars."""
    result: list[str] = []
    for separator in ("\n\n", "\n", " ", ""):
        if len(render(markdown)) <= limit:
            return [markdown]
        if separator == "":
            step = max(1, limit // 6)  # worst case: every char escapes to 5 or 6
            return [markdown[i : i + step] for i in range(0, len(markdown), step)]
        parts = [p for p in markdown.split(separator) if p.strip()]
        if len(parts) > 1:
            for part in parts:
                result.extend(_pieces(part, limit))
            return result
    return [markdown]


def render_chunks(markdown: str, limit: int = MAX_MESSAGE) -> list[str]:
    """Render and split into messages of at most `limit` characters, at paragraph boundaries."""
    paragraphs = [p for p in re.split(r"\n\s*\n", markdown.strip()) if p.strip()]
    units: list[str] = []
    for paragraph in paragraphs:
        units.extend(render(piece) for piece in _pieces(paragraph, limit))
    chunks: list[str] = []
    current = ""
    for unit in units:
        candidate = f"{current}\n\n{unit}" if current else unit
        if len(candidate) <= limit:
            current = candidate
        else:
            if current:
                chunks.append(current)
            current = unit
    if current:
        chunks.append(current)
    return chunks or [""]


def progress_line(progress: tuple[int, int] | None, catalogue: Catalogue = ENGLISH) -> str | None:
    """'Question n of at most m' from (answers given so far, at most how many in all)."""
    if progress is None:
        return None
    answered, at_most = progress
    number = answered + 1
    count = max(number, at_most)
    heading = catalogue.ngettext(
        "Question {number} of at most {count}", "Question {number} of at most {count}", count
    )
    return heading.format(number=number, count=count)


def render_reply(reply: Reply, catalogue: Catalogue = ENGLISH) -> list[str]:
    """A reply's messages in HTML: a question's progress line on top, then its text."""
    line = progress_line(reply.progress, catalogue)
    text = f"*{line}*\n\n{reply.text}" if line is not None else reply.text
    return render_chunks(text)


def button_payload(reply: Reply, option_id: str) -> str:
    """Question buttons are bound to the question and turn; other buttons are menu buttons."""
    if reply.question is not None and reply.turn is not None:
        return question_payload(reply.question, reply.turn, option_id)
    return menu_payload(option_id)


def _fits(data: str) -> bool:
    return len(data.encode()) <= MAX_CALLBACK_BYTES


def keyboard(reply: Reply) -> Keyboard:
    """One button per row (labels can be long); a checklist: one toggle per item, then None of
    these and Done side by side. Buttons whose payload is too long are left out (the loader
    refuses such flows, so this is only a guard: they can still be typed)."""
    rows: list[tuple[Button, ...]] = []
    if reply.checklist and reply.question is not None and reply.turn is not None:
        for item in reply.checklist:
            data = toggle_payload(reply.question, reply.turn, item.fact)
            if _fits(data):
                rows.append(((marked(item), data),))
        last = [(o.label, button_payload(reply, o.id)) for o in reply.options]
        if any(_fits(data) for _, data in last):
            rows.append(tuple((label, data) for label, data in last if _fits(data)))
        return tuple(rows)
    for option in reply.options:
        data = button_payload(reply, option.id)
        if _fits(data):
            rows.append(((option.label, data),))
    return tuple(rows)


def marked(item: ChecklistItem) -> str:
    """A checklist item's button label: its mark, then its label."""
    return MARKS.get(item.mark, MARKS[""]) + item.label


def unmarked(label: str) -> tuple[str, str]:
    """(mark, label) of a checklist button label: `marked` read back."""
    for mark, prefix in MARKS.items():
        if label.startswith(prefix):
            return mark, label[len(prefix) :]
    return "", label


def ticked(items: Iterable[ChecklistItem], labels: dict[str, str] | None = None) -> str:
    """What a submitted checklist says: '✓ Fever, ? Calf swelling', or 'None of these'."""
    chosen = [marked(item) for item in items if item.mark in ("yes", "unsure")]
    none = (labels or {}).get(CHECKLIST_NONE, NONE_OF_THESE)
    return ", ".join(chosen) if chosen else none


def answered(question_html: str, label: str, mark: str = "✅ ") -> str:
    """A question message as a record of the answer: its text, then the choice, no buttons."""
    suffix = f"\n\n{mark}<b>{escape(label)}</b>"
    if len(question_html) + len(suffix) > MAX_MESSAGE:
        question_html = question_html[: MAX_MESSAGE - len(suffix) - 1].rsplit("\n", 1)[0]
    return question_html + suffix
