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
from bme_bot.core.catalogue import ENGLISH, N_, Catalogue
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
    ReplyOption(CHECKLIST_NONE, N_("None of these")),
    ReplyOption(CHECKLIST_DONE, N_("Done")),
)
# --- typed questions (docs/FLOWS.md, "Questions answered from content") -------------------
# The only sentences the bot writes itself when it answers a question; every answer is a
# quote of a content section.
NO_GOOD_MATCH: Final = N_(
    "I could not find a good answer to that in what I can share. "
    "These are the topics I can tell you about:"
)
DOSE_DECLINE: Final = N_(
    "I can't advise on medicine doses. Please ask a pharmacist or a doctor: "
    "they can check what is safe with your health and other medicines."
)
DIAGNOSIS_DECLINE: Final = N_(
    "I can't tell what is causing the pain. Only a clinician who examines you can say that."
)
DIAGNOSIS_NEAREST: Final = N_("This part of what I can share comes closest:")
ALERT_OPENING: Final = N_("What you describe can need care quickly, so this comes first.")
OFFER_CHECK_AGAIN: Final = N_(
    "If you want, I can go through the questions again to see which care fits now."
)
ASK_HOW: Final = N_("Type your question after /ask, like this: /ask how long does recovery take?")
SOURCES_LABEL: Final = N_("Sources:")
READ_ALL: Final = N_("Read all: {title}")
QUOTE_CUT: Final = " …"

REGION_NAMES: Final = (
    N_("European Union"),
    N_("United Kingdom"),
    N_("United States"),
    N_("Canada"),
    N_("Australia"),
    N_("New Zealand"),
    N_("India"),
    N_("Ireland"),
    N_("South Africa"),
    N_("Somewhere else"),
)
"""The names of `regions.REGIONS`, for the catalogues (shown with the emergency number)."""
YES_NO_LABELS: Final = (N_("Yes"), N_("No"), N_("Not sure"))
"""The labels of `typed_answers.YES_NO` (a red flag asked on its own), for the catalogues."""
UNREVIEWED_NOTE: Final = N_(
    "Note: this translation has not yet been checked by a clinician. "
    "The English text is the reviewed one."
)
"""Shown once with the first question and with the advice, in a locale whose content waits
for a clinical review (`reviewed_by` empty)."""

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
        catalogue: Catalogue = ENGLISH,
        unreviewed_note: bool = False,
    ) -> None:
        self.flow = flow
        self.catalogue = catalogue
        self.unreviewed_note = unreviewed_note
        """Whether this locale's content waits for a clinical review (a note says so once)."""
        self.content = content
        self.default_region = default_region
        self.typed = typed
        self.progress = progress

    def _(self, message: str) -> str:
        """The catalogue's translation of an English msgid (pybabel extracts `self._(...)`)."""
        return self.catalogue.gettext(message)

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
                options=tuple(ReplyOption(o.id, self._(o.label)) for o in CHECKLIST_BUTTONS),
                question=question.id,
                turn=session.turn,
                checklist=items,
                progress=progress,
            )
        text = self.question_text(question)
        if self.unreviewed_note and not session.history and session.state == self.flow.start:
            text = f"{text}\n\n{self._(UNREVIEWED_NOTE)}"
        return Reply(
            "question",
            self.fill(text, session),
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
            self._("Is this true now: **{label}**?").format(label=item.label)
            if item is not None
            else self.question_text(self.flow.asker[fact])
        )
        opener = self._("You mentioned something that matters, so I will ask about it first.")
        text = f"{opener}\n\n{asked}"
        return Reply(
            "question",
            self.fill(text, session),
            options=tuple(
                ReplyOption(c.id, self._(c.label)) for c in self.typed.single_choices(fact)
            ),
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
        return [
            Reply("info", self._("What would you like to read next?"), self.menu_options(session))
        ]

    def not_understood(self, session: Session, hint: str = "") -> Reply:
        if session.done:
            return Reply(
                "reask",
                self._(
                    "Sorry, I didn't catch that. Choose a topic below, or /restart to start again."
                ),
                self.menu_options(session),
            )
        question = self.question_reply(session)
        if question.checklist:
            listed = "\n".join(
                f"{i}. {item.label}" for i, item in enumerate(question.checklist, start=1)
            )
            how = self._(
                "Choose the numbers or names of the ones that apply, separated by spaces or "
                "commas. Add ? to one you are not sure about (like 2?). Or answer none."
            )
        else:
            listed = "\n".join(f"{i}. {o.label}" for i, o in enumerate(question.options, start=1))
            how = self._("Please choose one of these (the number or the words both work):")
        opener = self._("Sorry, I didn't catch that.")
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
        text = self._("You ticked: {ticked}. Tap Done to send them, or untick them first.").format(
            ticked=ticked
        )
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
        text = compose(
            self.flow,
            self.content,
            outcome,
            session.facts,
            self.summaries,
            self.region_line(region),
            self.catalogue,
            # in a translation the careful answer is named by its label ("sí"), not its id
            None if self.catalogue is ENGLISH else lambda f, v: self.value_label(f, v).lower(),
        )
        if self.unreviewed_note:
            text = f"{text}\n\n{self._(UNREVIEWED_NOTE)}"
        return self.fill(text, session)

    def region_line(self, region: Region) -> str:
        return self._("Emergency number ({region}): **{number}**. Change it with /region.").format(
            region=self._(region.name), number=region.emergency_number
        )

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
            options.append(ReplyOption("why", self._("Why this advice?")))
        options.append(ReplyOption("restart", self._("Start again")))
        return tuple(options)

    def topics_reply(self, session: Session) -> Reply:
        return Reply("info", self._("Topics you can read:"), self.menu_options(session))

    def content_reply(self, content_id: str) -> Reply:
        doc = self.content[content_id]
        return Reply("content", f"**{doc.title}**\n\n{doc.body}")

    def why_reply(self, session: Session) -> Reply:
        outcome = self.flow.outcomes.get(session.outcome or "")
        if outcome is None:
            question = self.flow.questions.get(session.state)
            reason = question.why if question is not None else ""
            if session.detour is not None:
                reason = self._(
                    "You mentioned a sign that can need care quickly, so I ask about it first."
                )
            text = (
                self._(
                    "**Why I ask this:** {reason}\n\n"
                    "Once the questions are done, /why explains the advice."
                ).format(reason=reason)
                if reason
                else self._(
                    "There is no advice yet. Once the questions are done, /why explains it."
                )
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
                label = self._("not sure (counted as {answer})").format(
                    answer=self.value_label(fact, seen[fact]).lower()
                )
            lines.append(f"- {names.get(fact, fact)}: **{label}**")
        answers = (
            "\n".join(lines) if lines else self._("- (this advice applies whatever the answers)")
        )
        text = self._(
            "**Why this advice** (rule {rule})\n\n{reason}\n\n"
            "The answers that led here:\n{answers}\n\n"
            "This is education, not a diagnosis: a clinician who examines you may advise otherwise."
        ).format(rule=outcome.rule, reason=outcome.reason, answers=answers)
        return Reply("info", text)

    def value_label(self, fact: str, value: str) -> str:
        question = self.flow.asker.get(fact)
        if question is None or question.is_checklist:
            return self._(dict(YES_NO).get(value, value))
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
            "\n".join([self._(SOURCES_LABEL), *(f"- {source}" for source in doc.sources)]),
        ]
        options = [ReplyOption(f"topic:{best.topic}", self._(READ_ALL).format(title=doc.title))]
        options += [
            ReplyOption(f"topic:{h.section.topic}", self.content[h.section.topic].title)
            for h in hits[1:3]
        ]
        found = tuple(Found(h.section.topic, h.section.heading, h.score) for h in hits[:3])
        return Reply("content", "\n\n".join(parts), tuple(options), found=found)

    def no_match_reply(self, session: Session) -> Reply:
        return Reply("info", self._(NO_GOOD_MATCH), self.menu_options(session))

    def alert_reply(self, session: Session, alert: Alert) -> Reply:
        """What to do first, for a red flag typed in free text: the flow's advice for what
        was said (or the disposition's default), why, its guidance, and the region's number."""
        region = self.region_of(session)
        outcome = alert.outcome
        advice = (outcome.advice if outcome is not None else None) or (
            self.flow.disposition_content.get(alert.level)
        )
        parts = [self._(ALERT_OPENING)]
        if advice is not None and advice in self.content:
            parts.append(self.content[advice].body)
        if outcome is not None:
            parts.append(self._("**Why:** {reason}").format(reason=outcome.reason))
        if alert.guidance is not None and alert.guidance in self.content:
            parts.append(self.content[alert.guidance].body)
        parts.append(self.region_line(region))
        return Reply("content", self.fill("\n\n".join(parts), session), alert=alert.level)

    def offer_check(self, session: Session) -> list[Reply]:
        """After an alert or a diagnosis question: the check, where the person is."""
        if session.done:
            restart = (ReplyOption("restart", self._("Start again")),)
            return [Reply("info", self._(OFFER_CHECK_AGAIN), restart)]
        return [self.question_reply(session)]
