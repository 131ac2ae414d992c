"""What to do in Telegram for one update: a pure function from facts to a list of actions.

The planner decides; the executor (`handlers.TelegramBot`) only performs. Its inputs are plain
data: the engine's turn (replies and the session after them), the facts of the incoming update
(`Incoming`) and what was last asked in the chat (`Asked`, which may have been lost). Its output
is a list of plain actions, in order. No python-telegram-bot here: keyboards are rows of
(label, callback_data), so every decision is tested without a bot, a network or a clock.
The actions themselves are in `actions.py`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Final

from bme_bot.core.callbacks import MOVED_ON, is_menu_answer, parse_payload
from bme_bot.core.catalogue import ENGLISH, Catalogue
from bme_bot.core.events import Answer, Toggle
from bme_bot.core.replies import ChecklistItem, Reply
from bme_bot.core.session import Session

from .actions import (
    Action,
    AnswerQuery,
    EditKeyboard,
    EditMessage,
    ForgetAsked,
    Handled,
    Incoming,
    Note,
    Notify,
    Remember,
    SendChunks,
    ShowTyping,
)
from .budget import Verdict
from .memory import Asked
from .rendering import Keyboard, answered, keyboard, render_reply, ticked, unmarked
from .texts import FLOOD_NOTICE, PRIVATE_ONLY, UNAVAILABLE, UNAVAILABLE_RETRYING

LONG_CONTENT: Final = 600
"""Replies longer than this get a typing indicator first."""

# --- before the engine ----------------------------------------------------------------------


def plan_tap(data: str, *, private: bool, link: str) -> Answer | Toggle | list[Action]:
    """A button tap: the event it carries, or what to do instead (a tap in a group, forged or
    foreign data: answered, and nothing reaches the engine)."""
    if not private:
        return [AnswerQuery(PRIVATE_ONLY.format(link=link))]
    event = parse_payload(data)
    if event is None or (
        isinstance(event, Answer)
        and event.question is None
        and not is_menu_answer(event)
        and not is_language_answer(event)
    ):
        return [Note("callback_forged"), AnswerQuery(MOVED_ON)]
    return event


def is_language_answer(answer: Answer) -> bool:
    """A /language button (`language:<code>`): the engine refuses a code it does not ship."""
    kind, _, code = answer.option_id.partition(":")
    return kind == "language" and code.isascii() and code.replace("-", "").isalpha()


def plan_flood(verdict: Verdict, *, tap: bool, catalogue: Catalogue = ENGLISH) -> list[Action]:
    """A chat over its budget: a tap is answered (silently), the first time a notice is sent."""
    actions: list[Action] = [AnswerQuery()] if tap else []
    if verdict == "notice":
        actions.append(Notify(catalogue.gettext(FLOOD_NOTICE)))
    return actions


def plan_unavailable(
    *, tap: bool, redelivered: bool, told: bool, catalogue: Catalogue = ENGLISH
) -> list[Action]:
    """The store failed. When Telegram delivers the update again (webhook), say so once per
    update and ask for nothing; when it does not (polling), ask to try again."""
    if redelivered and told:
        return []
    text = catalogue.gettext(UNAVAILABLE_RETRYING if redelivered else UNAVAILABLE)
    return [*([AnswerQuery(text)] if tap else []), Notify(text)]


# --- after the engine -----------------------------------------------------------------------


def plan_turn(
    replies: Sequence[Reply],
    session: Session | None,
    incoming: Incoming,
    asked: Asked | None,
    *,
    duplicate: bool = False,
    catalogue: Catalogue = ENGLISH,
) -> list[Action]:
    """The engine's turn -> answer the tap, take the buttons off what was answered, send the
    replies and remember the question now waiting. `catalogue` is the chat's language."""
    if duplicate:
        return _duplicate(replies, incoming, asked, catalogue)
    shown = [r for r in replies if r.kind != "stale"]
    actions: list[Action] = []
    if incoming.tap:
        if replies and not shown:
            return [Note("callback_stale"), AnswerQuery(catalogue.gettext(MOVED_ON))]
        actions.append(AnswerQuery())
    toggled = _toggled(shown, incoming, asked)
    if toggled is not None:
        return [*actions, *toggled, Handled(("toggle",))]
    actions.extend(_mark_answered(session, incoming, asked))
    for reply in shown:
        actions.extend(_send(reply, catalogue))
    return [*actions, Handled(tuple(r.kind for r in shown))]


def _duplicate(
    replies: Sequence[Reply],
    incoming: Incoming,
    asked: Asked | None,
    catalogue: Catalogue = ENGLISH,
) -> list[Action]:
    """An update whose step was already saved, delivered again (webhook redelivery, polling
    after a crash): show where the chat is now, unless this process already showed that very
    question (then the person has it, and a second copy would only repeat it)."""
    actions: list[Action] = [Note("update_duplicate"), *([AnswerQuery()] if incoming.tap else [])]
    shown = [r for r in replies if r.kind != "stale"]
    questions = [(r.question, r.turn) for r in shown if r.question is not None]
    if not shown or (asked is not None and questions[-1:] == [(asked.question, asked.turn)]):
        return actions
    for reply in shown:
        actions.extend(_send(reply, catalogue))
    return [*actions, Handled(("resent",))]


def _toggled(shown: list[Reply], incoming: Incoming, asked: Asked | None) -> list[Action] | None:
    """A tick on a checklist that is still open: its buttons change in place, nothing is sent."""
    event = incoming.event
    if not (incoming.tap and isinstance(event, Toggle) and incoming.message_id is not None):
        return None
    if len(shown) != 1 or not shown[0].checklist:
        return None
    reply = shown[0]
    if (reply.question, reply.turn) != (event.question, event.turn):
        return None
    buttons = keyboard(reply)
    actions: list[Action] = [EditKeyboard(incoming.message_id, buttons)]
    if asked is not None and (asked.question, asked.turn) == (reply.question, reply.turn):
        if asked.message_id not in (None, incoming.message_id):  # asked again: both agree
            actions.append(EditKeyboard(asked.message_id, buttons))
        actions.append(Remember(replace(asked, items=reply.checklist)))
    return actions


def _mark_answered(
    session: Session | None, incoming: Incoming, asked: Asked | None
) -> list[Action]:
    """Once a question is answered, edit its message: the choice shown, buttons gone."""
    turn_now = session.turn if session is not None else None
    actions: list[Action] = [ForgetAsked()] if session is None else []
    edited: int | None = None
    event = incoming.event
    if (
        incoming.tap
        and isinstance(event, Answer)
        and event.question is not None
        and turn_now != event.turn
        and incoming.message_id is not None
    ):
        mine = asked is not None and asked.message_id == incoming.message_id
        html = asked.html if asked is not None and mine else incoming.message_html
        items = asked.items if asked is not None and mine else checklist_of(incoming.keyboard)
        label = incoming.label
        if items:
            labels = asked.labels if asked is not None and mine else _labels(incoming.keyboard)
            record = _checklist_record(html, items, session, event.question, labels)
        else:
            record = answered(html, label) if label is not None and html is not None else None
        if record is not None:
            actions.append(EditMessage(incoming.message_id, record))
            edited = incoming.message_id
    if asked is None or session is None or turn_now == asked.turn:
        return actions
    actions.append(ForgetAsked())
    if asked.message_id is None or asked.message_id == edited:
        return actions
    html = asked.html
    if asked.items:
        record = _checklist_record(asked.html, asked.items, session, asked.question, asked.labels)
        html = record or html
    elif asked.asks and session.history[-1:] == (asked.question,):
        label = asked.labels.get(session.facts.get(asked.asks, ""))
        html = answered(asked.html, label) if label is not None else html
    actions.append(EditMessage(asked.message_id, html))
    return actions


def _checklist_record(
    html: str | None,
    items: tuple[ChecklistItem, ...],
    session: Session | None,
    question: str,
    labels: dict[str, str],
) -> str | None:
    """A submitted checklist as a record of what was ticked, as the session has it; None if
    the checklist was not what was just answered."""
    if html is None or session is None or session.history[-1:] != (question,):
        return None
    final = tuple(replace(item, mark=session.facts.get(item.fact, item.mark)) for item in items)
    any_ticked = any(item.mark in ("yes", "unsure") for item in final)
    return answered(html, ticked(final, labels), mark="" if any_ticked else "✅ ")


def _labels(buttons: Keyboard) -> dict[str, str]:
    """Option id -> label of a keyboard's question buttons."""
    labels = {}
    for row in buttons:
        for label, data in row:
            event = parse_payload(data)
            if isinstance(event, Answer) and event.question is not None:
                labels[event.option_id] = label
    return labels


def checklist_of(buttons: Keyboard) -> tuple[ChecklistItem, ...]:
    """The checklist items a message's keyboard shows (none for other keyboards)."""
    items = []
    for row in buttons:
        for label, data in row:
            event = parse_payload(data)
            if isinstance(event, Toggle):
                mark, text = unmarked(label)
                items.append(ChecklistItem(event.fact, text, mark))
    return tuple(items)


def _send(reply: Reply, catalogue: Catalogue = ENGLISH) -> list[Action]:
    chunks = tuple(render_reply(reply, catalogue))
    actions: list[Action] = []
    if reply.kind in ("content", "disposition") and len(reply.text) > LONG_CONTENT:
        actions.append(ShowTyping())
    actions.append(SendChunks(chunks, keyboard(reply)))
    if reply.question is not None and reply.turn is not None:
        labels = {o.id: o.label for o in reply.options}
        asked = Asked(None, reply.question, reply.turn, chunks[-1], reply.asks, labels)
        actions.append(Remember(replace(asked, items=reply.checklist)))
    return actions
