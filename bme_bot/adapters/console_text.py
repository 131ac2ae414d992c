"""What the console shows: a turn as text for a person (80 columns, numbered choices) and as
one JSON object for scripts and golden transcripts, and the flow author's debug line."""

from __future__ import annotations

import textwrap
from collections.abc import Iterable
from typing import Any

from bme_bot.adapters.plain import to_plain
from bme_bot.core.catalogue import ENGLISH, N_, Catalogue
from bme_bot.core.engine import Engine
from bme_bot.core.replies import Reply, ReplyOption
from bme_bot.core.session import Session

WIDTH = 80
CHECKLIST_HINT = N_("Type the numbers or names, add ? for not sure (2?), or none.")
TOOK_NOTHING = {True: "(no route recorded)", False: "(no answer)"}
MARKS = {"": "[ ]", "yes": "[x]", "unsure": "[?]"}
COMMAND_OF = {"restart": "/restart", "why": "/why", "topics": "/topics"}
"""The command that does what a menu button does, for lists that are not numbered."""


# --- the JSON record of a turn ----------------------------------------------------------


def turn_record(engine: Engine, replies: list[Reply], session: Session | None) -> dict[str, Any]:
    """One JSON object for one turn: the fields scripts and golden transcripts rely on.

    `asks` is the fact of a single question or the list of facts of a checklist; `options`
    are the last reply's choices (for a checklist: its items with their marks, then none and
    done); `topics` are the topics this turn listed (by /topics, or the menu after the advice);
    `facts` are the answers as given (`unsure` kept); `progress` counts answers given and the
    most a conversation from here can take in all. `found` lists the content sections that
    answer a typed question, best first (`[]` otherwise); `alert` is "emergency" or "urgent"
    when the turn answered a red flag found in typed text, else null.
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
        "found": [
            {"topic": f.topic, "section": f.section, "score": f.score}
            for r in replies
            for f in r.found
        ],
        "alert": next((r.alert for r in replies if r.alert), None),
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


def debug_line(debug: dict[str, Any]) -> str:
    facts = ", ".join(f"{k}={v}" for k, v in debug["facts"].items()) or "(none)"
    pending = ", ".join(f"{k}={v}" for k, v in debug["pending"].items())
    text = (
        f"[debug] state: {debug['state']}; facts: {facts}"
        + (f"; ticked: {pending}" if pending else "")
        + f"; took: {' -> '.join(debug['trail']) or TOOK_NOTHING[debug['answered']]}"
    )
    return textwrap.fill(text, WIDTH, subsequent_indent="        ") + "\n"


# --- the interactive rendering ------------------------------------------------------------


def render_turn(
    replies: Iterable[Reply],
    progress: tuple[int, int] | None = None,
    catalogue: Catalogue = ENGLISH,
) -> str:
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
            heading = catalogue.ngettext(
                "Question {number} of at most {count}",
                "Question {number} of at most {count}",
                counted[1],
            )
            lines += [heading.format(number=counted[0] + 1, count=counted[1]), ""]
        text = to_plain(reply.text)
        for paragraph in text.split("\n"):
            indent = "  " if paragraph.startswith("- ") else ""
            lines.append(
                textwrap.fill(paragraph, WIDTH, subsequent_indent=indent) if paragraph else ""
            )
        lines.append("")
        if reply.checklist:
            lines += _checklist_lines(reply, catalogue)
        elif reply.options and not _listed_in_text(reply, text):
            lines += _option_lines(reply.options, catalogue, numbered=index == chosen)
    return "\n".join(lines).rstrip() + "\n"


def _checklist_lines(reply: Reply, catalogue: Catalogue) -> list[str]:
    lines = [
        textwrap.fill(
            f"  {i}. {MARKS.get(item.mark, '[ ]')} {item.label}", WIDTH, subsequent_indent="       "
        )
        for i, item in enumerate(reply.checklist, start=1)
    ]
    return [*lines, "", catalogue.gettext(CHECKLIST_HINT), ""]


def _option_lines(
    options: tuple[ReplyOption, ...], catalogue: Catalogue, *, numbered: bool
) -> list[str]:
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
        typed = "  " + catalogue.gettext("(type {command})").format(command=hint) if hint else ""
        lines.append(f"  - {option.label}{typed}")
    return [*lines, ""]


def _listed_in_text(reply: Reply, text: str) -> bool:
    """A re-ask that already lists its numbered options need not list them twice."""
    return reply.kind == "reask" and all(
        f"{i}. {o.label}" in text for i, o in enumerate(reply.options, start=1)
    )
