"""The planner's answer to a duplicate (issue 13, finding 2): a redelivered update whose step
was saved shows where the chat is, unless this process already showed that very question."""

from __future__ import annotations

from bme_bot.adapters.telegram.actions import (
    AnswerQuery,
    Handled,
    Incoming,
    Note,
    Remember,
    SendChunks,
)
from bme_bot.adapters.telegram.memory import Asked
from bme_bot.adapters.telegram.planner import plan_turn
from bme_bot.core.events import Text
from bme_bot.core.replies import Reply, ReplyOption

OPEN = Reply(
    "question", "Where is the pain?", (ReplyOption("hip", "Hip"),), question="site", turn=3
)
TYPED = Incoming("text", Text("1"))
TAP = Incoming("callback", Text("1"))


def test_a_duplicate_sends_the_open_question_when_this_process_has_not() -> None:
    actions = plan_turn([OPEN], None, TYPED, None, duplicate=True)
    assert actions[0] == Note("update_duplicate")
    sends = [a for a in actions if isinstance(a, SendChunks)]
    assert len(sends) == 1 and "Where is the pain?" in sends[0].chunks[-1]
    remembered = [a for a in actions if isinstance(a, Remember)]
    assert [(r.asked.question, r.asked.turn) for r in remembered] == [("site", 3)]
    assert actions[-1] == Handled(("resent",))


def test_a_duplicate_of_a_question_already_shown_sends_nothing() -> None:
    shown = Asked(41, "site", 3, "Where is the pain?")
    assert plan_turn([OPEN], None, TAP, shown, duplicate=True) == [
        Note("update_duplicate"),
        AnswerQuery(),
    ]
    older = Asked(40, "age_group", 2, "How old?")  # shown, but an earlier question
    assert any(
        isinstance(a, SendChunks) for a in plan_turn([OPEN], None, TAP, older, duplicate=True)
    )


def test_a_duplicate_with_nothing_to_show_is_only_noted() -> None:
    assert plan_turn([], None, TYPED, None, duplicate=True) == [Note("update_duplicate")]
