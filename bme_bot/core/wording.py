"""What the engine says: questions, re-asks, advice, /why and menus, built from the flow and
the reviewed content. The engine decides what happens; this module only words it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from functools import cached_property
from typing import Final

from bme_bot.core.advice import compose, counted
from bme_bot.core.asking import Alert
from bme_bot.core.conditions import evaluate, facts_of
from bme_bot.core.content import ContentLibrary
from bme_bot.core.flow import UNSURE, Flow, Outcome, Question
from bme_bot.core.regions import REGIONS, Region
from bme_bot.core.replies import (
    CHECKLIST_DONE,
    CHECKLIST_NONE,
    ChecklistItem,
    Found,
    Reply,
    ReplyOption,
)
from bme_bot.core.retrieval import Hit, quote
from bme_bot.core.session import Session
from bme_bot.core.typed_answers import YES_NO, TypedAnswers

EMERGENCY_PLACEHOLDER: Final = "{emergency_number}"
CHECKLIST_BUTTONS: Final = (
    ReplyOption(CHECKLIST_NONE, "None of these"),
    ReplyOption(CHECKLIST_DONE, "Done"),
)
# --- typed questions (docs/FLOWS.md, "Questions answered from content") -------------------
# The only sentences the bot writes itself when it answers a question; every answer is a
# quote of a content section.
NO_GOOD_MATCH: Final = (
    "I could not find a good answer to that in what I can share. "
    "These are the topics I can tell you about:"
)
DOSE_DECLINE: Final = (
    "I can't advise on medicine doses. Please ask a pharmacist or a doctor: "
    "they can check what is safe with your health and other medicines."
)
DIAGNOSIS_DECLINE: Final = (
    "I can't tell what is causing the pain. Only a clinician who examines you can say that."
)
DIAGNOSIS_NEAREST: Final = "This part of what I can share comes closest:"
ALERT_OPENING: Final = "What you describe can need care quickly, so this comes first."
OFFER_CHECK_AGAIN: Final = (
    "If you want, I can go through the questions again to see which care fits now."
)
ASK_HOW: Final = "Type your question after /ask, like this: /ask how long does recovery take?"
SOURCES_LABEL: Final = "Sources:"
READ_ALL: Final = "Read all: {title}"
QUOTE_CUT: Final = " …"

DETOUR_PREFIX: Final = "!"
"""A red flag asked out of order is bound to `!fact` (its buttons) and recorded in the
history as `!fact@state`, for /back."""


def open_id(session: Session) -> str:
    """The id a button must carry to answer what is open now (a detour has its own)."""
    if session.detour is not None:
        return f"{DETOUR_PREFIX}{session.detour}"
    return session.state


class Wording:
    """Turns sessions into replies for one flow; holds no per-person state."""

    def __init__(
        self,
        flow: Flow,
        content: ContentLibrary,
        default_region: Region,
        typed: TypedAnswers,
        progress: Callable[[Session], tuple[int, int]],
    ) -> None:
        self.flow = flow
        self.content = content
        self.default_region = default_region
        self.typed = typed
        self.progress = progress

    def region_of(self, session: Session) -> Region:
        return REGIONS.get(session.region or "", self.default_region)

    def fill(self, text: str, session: Session) -> str:
        return text.replace(EMERGENCY_PLACEHOLDER, self.region_of(session).emergency_number)

    def question_text(self, question: Question) -> str:
        if question.content is not None:
            return self.content[question.content].body
        return question.text

    def question_reply(self, session: Session) -> Reply:
        progress = self.progress(session)
        if session.detour is not None:
            return self.detour_reply(session, progress)
        question = self.flow.questions[session.state]
        if question.is_checklist:
            items = tuple(
                ChecklistItem(i.fact, i.label, session.pending.get(i.fact, ""))
                for i in question.visible_items(session.facts)
            )
            return Reply(
                "question",
                self.fill(question.text, session),
                options=CHECKLIST_BUTTONS,
                question=question.id,
                turn=session.turn,
                checklist=items,
                progress=progress,
            )
        return Reply(
            "question",
            self.fill(self.question_text(question), session),
            options=tuple(ReplyOption(o.id, o.label) for o in question.options),
            asks=question.fact,
            question=question.id,
            turn=session.turn,
            progress=progress,
        )

    def detour_reply(self, session: Session, progress: tuple[int, int]) -> Reply:
        fact = session.detour or ""
        item = self.flow.item(fact)
        asked = (
            f"Is this true now: **{item.label}**?"
            if item is not None
            else self.question_text(self.flow.asker[fact])
        )
        text = f"You mentioned something that matters, so I will ask about it first.\n\n{asked}"
        return Reply(
            "question",
            self.fill(text, session),
            options=tuple(ReplyOption(c.id, c.label) for c in self.typed.single_choices(fact)),
            asks=fact,
            question=open_id(session),
            turn=session.turn,
            progress=progress,
        )

    def resume(self, session: Session, *, menu: bool = True) -> list[Reply]:
        """Put the person back where they were: the open question, or the topic menu."""
        if not session.done:
            return [self.question_reply(session)]
        if not menu:
            return []
        return [Reply("info", "What would you like to read next?", self.menu_options(session))]

    def not_understood(self, session: Session, hint: str = "") -> Reply:
        if session.done:
            return Reply(
                "reask",
                "Sorry, I didn't catch that. Choose a topic below, or /restart to start again.",
                self.menu_options(session),
            )
        question = self.question_reply(session)
        if question.checklist:
            listed = "\n".join(
                f"{i}. {item.label}" for i, item in enumerate(question.checklist, start=1)
            )
            how = (
                "Choose the numbers or names of the ones that apply, separated by spaces or "
                "commas. Add ? to one you are not sure about (like 2?). Or answer none."
            )
        else:
            listed = "\n".join(f"{i}. {o.label}" for i, o in enumerate(question.options, start=1))
            how = "Please choose one of these (the number or the words both work):"
        opener = "Sorry, I didn't catch that."
        if hint:
            opener = f"{opener} {hint}"
        long_question = self.flow.questions.get(session.state)
        repeat = (
            ""
            if session.detour is None and long_question is not None and long_question.content
            else f"\n\n{question.text}"
        )
        return replace(question, kind="reask", text=f"{opener}\n\n{how}\n\n{listed}{repeat}")

    def ticked_but_none(self, session: Session) -> Reply:
        question = self.question_reply(session)
        ticked = ", ".join(i.label for i in question.checklist if i.mark)
        text = f"You ticked: {ticked}. Tap Done to send them, or untick them first."
        return replace(question, kind="reask", text=text)

    @cached_property
    def summaries(self) -> dict[str, str]:
        """A short name per fact, for /why and the "not sure" note."""
        names: dict[str, str] = {}
        for question in self.flow.questions.values():
            for item in question.items:
                names[item.fact] = item.label
            if question.fact:
                names[question.fact] = question.summary or question.text.splitlines()[0]
        return names

    def disposition_text(self, session: Session, outcome: Outcome) -> str:
        """What to do first, then why, the rule's paragraph and the safety net."""
        region = self.region_of(session)
        region_line = (
            f"Emergency number ({region.name}): **{region.emergency_number}**. "
            "Change it with /region."
        )
        text = compose(self.flow, self.content, outcome, session.facts, self.summaries, region_line)
        return self.fill(text, session)

    def disposition_reply(self, session: Session, outcome: Outcome) -> Reply:
        return Reply(
            "disposition",
            self.disposition_text(session, outcome),
            options=self.menu_options(session),
        )

    def topic_ids(self, session: Session) -> list[str]:
        ids = [t.content for t in self.flow.topics]
        outcome = self.flow.outcomes.get(session.outcome or "")
        if outcome is not None:
            extra = [*outcome.content]
            extra += [n.content for n in self.flow.notes if evaluate(n.when, session.facts)]
            ids[:0] = [c for c in dict.fromkeys(extra) if c not in ids]
        return ids

    def menu_options(self, session: Session) -> tuple[ReplyOption, ...]:
        labels = {t.content: t.label for t in self.flow.topics}
        options = [
            ReplyOption(f"topic:{cid}", labels.get(cid) or self.content[cid].title)
            for cid in self.topic_ids(session)
        ]
        if session.done:
            options.append(ReplyOption("why", "Why this advice?"))
        options.append(ReplyOption("restart", "Start again"))
        return tuple(options)

    def topics_reply(self, session: Session) -> Reply:
        return Reply("info", "Topics you can read:", self.menu_options(session))

    def content_reply(self, content_id: str) -> Reply:
        doc = self.content[content_id]
        return Reply("content", f"**{doc.title}**\n\n{doc.body}")

    def why_reply(self, session: Session) -> Reply:
        outcome = self.flow.outcomes.get(session.outcome or "")
        if outcome is None:
            question = self.flow.questions.get(session.state)
            reason = question.why if question is not None else ""
            if session.detour is not None:
                reason = "You mentioned a sign that can need care quickly, so I ask about it first."
            text = (
                f"**Why I ask this:** {reason}\n\nOnce the questions are done, /why explains the advice."
                if reason
                else "There is no advice yet. Once the questions are done, /why explains it."
            )
            return Reply("info", text)
        route = self.flow.route(session.route or "")
        read = facts_of(route.when) if route is not None else frozenset(session.facts)
        seen = counted(self.flow, session.facts)
        names = self.summaries
        lines = []
        for fact, value in session.facts.items():
            if fact not in read:
                continue
            label = self.value_label(fact, value)
            if value == UNSURE:
                label = f"not sure (counted as {self.value_label(fact, seen[fact]).lower()})"
            lines.append(f"- {names.get(fact, fact)}: **{label}**")
        answers = "\n".join(lines) if lines else "- (this advice applies whatever the answers)"
        text = (
            f"**Why this advice** (rule {outcome.rule})\n\n{outcome.reason}\n\n"
            f"The answers that led here:\n{answers}\n\n"
            "This is education, not a diagnosis: a clinician who examines you may advise otherwise."
        )
        return Reply("info", text)

    def value_label(self, fact: str, value: str) -> str:
        question = self.flow.asker.get(fact)
        if question is None or question.is_checklist:
            return dict(YES_NO).get(value, value)
        option = question.option(value)
        return option.label if option else value

    # --- answers to typed questions --------------------------------------------------------

    def answer_reply(self, hits: list[Hit], intro: str = "") -> Reply:
        """The best section quoted (at most about 80 words, cut at a sentence), the topic's
        title and sources, a button to read the whole topic, and the other matches."""
        best = hits[0].section
        doc = self.content[best.topic]
        text, cut = quote(best)
        parts = [intro] if intro else []
        parts += [
            f"**{doc.title}**",
            text + (QUOTE_CUT if cut else ""),
            "\n".join([SOURCES_LABEL, *(f"- {source}" for source in doc.sources)]),
        ]
        options = [ReplyOption(f"topic:{best.topic}", READ_ALL.format(title=doc.title))]
        options += [
            ReplyOption(f"topic:{h.section.topic}", self.content[h.section.topic].title)
            for h in hits[1:3]
        ]
        found = tuple(Found(h.section.topic, h.section.heading, h.score) for h in hits[:3])
        return Reply("content", "\n\n".join(parts), tuple(options), found=found)

    def no_match_reply(self, session: Session) -> Reply:
        return Reply("info", NO_GOOD_MATCH, self.menu_options(session))

    def alert_reply(self, session: Session, alert: Alert) -> Reply:
        """What to do first, for a red flag typed in free text: the flow's advice for what
        was said (or the disposition's default), why, its guidance, and the region's number."""
        region = self.region_of(session)
        outcome = alert.outcome
        advice = (outcome.advice if outcome is not None else None) or (
            self.flow.disposition_content.get(alert.level)
        )
        parts = [ALERT_OPENING]
        if advice is not None and advice in self.content:
            parts.append(self.content[advice].body)
        if outcome is not None:
            parts.append(f"**Why:** {outcome.reason}")
        if alert.guidance is not None and alert.guidance in self.content:
            parts.append(self.content[alert.guidance].body)
        parts.append(
            f"Emergency number ({region.name}): **{region.emergency_number}**. "
            "Change it with /region."
        )
        return Reply("content", self.fill("\n\n".join(parts), session), alert=alert.level)

    def offer_check(self, session: Session) -> list[Reply]:
        """After an alert or a diagnosis question: the check, where the person is."""
        if session.done:
            return [Reply("info", OFFER_CHECK_AGAIN, (ReplyOption("restart", "Start again"),))]
        return [self.question_reply(session)]
