"""A counterexample replays itself in the chat: its answers, in order, tapped as a person
would (an option, or a checklist's ticks then Done), through the same actions as the page."""

from __future__ import annotations

from bme_bot.core.flow import UNSURE
from bme_bot.studio.chat import StudioChat


async def replay_answers(chat: StudioChat, answers: list[tuple[str, str]]) -> int:
    """Tap `answers` into a fresh conversation; return how many questions were answered."""
    await chat.start()
    flow = chat.engine.flow
    wanted = dict(answers)
    answered = 0
    for _ in range(len(answers) + 1):
        session = chat.session
        shown = chat.shown
        if session is None or session.done or shown is None:
            break
        base = {"question": shown.question, "turn": shown.turn}
        if shown.checklist:
            for item in shown.checklist:
                value = wanted.get(item.fact, "no")
                taps = {"yes": 1, UNSURE: 2 if item.fact in flow.unsure else 1}.get(value, 0)
                for _ in range(taps):
                    await chat.act({"kind": "toggle", "fact": item.fact, **base})
            ticked = chat.session is not None and bool(chat.session.pending)
            await chat.act({"kind": "choose", "option": "done" if ticked else "none", **base})
        else:
            fact = shown.asks or ""
            if fact not in wanted:
                break
            await chat.act({"kind": "choose", "option": wanted[fact], **base})
        answered += 1
    return answered
