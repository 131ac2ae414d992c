"""Realistic event sequences through the shipped flow, for the storage and service tests."""

from __future__ import annotations

from bme_bot.core.engine import Engine
from bme_bot.core.events import Answer, Back, Event, Start, Why


def path_to_outcome(engine: Engine, choice: int = 0) -> list[Event]:
    """Start, then answer every question with option `choice` (mod the options) to an outcome."""
    events: list[Event] = [Start()]
    session, replies = engine.step(None, Start())
    for _ in range(100):
        if session.done:
            return events
        options = replies[-1].options
        # Always agree to the consent question, or the conversation ends at once.
        option = options[0] if session.state == "consent" else options[choice % len(options)]
        event = Answer(option.id)
        events.append(event)
        session, replies = engine.step(session, event)
    raise AssertionError("no outcome within 100 answers")


def busy_conversation(engine: Engine) -> list[Event]:
    """A path with detours: /why, /back and a different answer, then on to an outcome."""
    first = path_to_outcome(engine, 1)
    events: list[Event] = [*first[:4], Back(), Why(), *first[3:]]
    return [*events, Why(), Start(), *path_to_outcome(engine, 0)[1:]]
