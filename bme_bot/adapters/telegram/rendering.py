"""The engine's small Markdown subset -> Telegram HTML, split under Telegram's 4096 limit.

The subset: paragraphs separated by blank lines, `- ` bullets, `**bold**`, `*italic*` and
`[text](url)` links. Everything else is text, escaped (`&`, `<`, `>`), so a stray `<` in content
can never break a message. Links other than http(s), mailto and tg are shown as their text.

Long texts are split between paragraphs; a single paragraph too long for one message is split
between lines, then between words, then anywhere. Every piece is rendered on its own, so a tag
never spans two messages.
"""

from __future__ import annotations

import html
import re

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bme_bot.core.callbacks import MAX_CALLBACK_BYTES, menu_payload, question_payload
from bme_bot.core.replies import Reply

MAX_MESSAGE = 4096
SAFE_SCHEMES = ("http://", "https://", "mailto:", "tg://")

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


def button_payload(reply: Reply, option_id: str) -> str:
    """Question buttons are bound to the question and turn; other buttons are menu buttons."""
    if reply.question is not None and reply.turn is not None:
        return question_payload(reply.question, reply.turn, option_id)
    return menu_payload(option_id)


def keyboard(reply: Reply) -> InlineKeyboardMarkup | None:
    """One button per row (labels can be long); options whose payload is too long are left out
    (the loader refuses such flows, so this is only a guard: they can still be typed)."""
    rows = []
    for option in reply.options:
        data = button_payload(reply, option.id)
        if len(data.encode()) <= MAX_CALLBACK_BYTES:
            rows.append([InlineKeyboardButton(option.label, callback_data=data)])
    return InlineKeyboardMarkup(rows) if rows else None


def answered(question_html: str, label: str) -> str:
    """A question message as a record of the answer: its text, then the choice, no buttons."""
    suffix = f"\n\n✅ <b>{escape(label)}</b>"
    if len(question_html) + len(suffix) > MAX_MESSAGE:
        question_html = question_html[: MAX_MESSAGE - len(suffix) - 1].rsplit("\n", 1)[0]
    return question_html + suffix
