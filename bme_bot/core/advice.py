"""The disposition message, assembled so that its first lines act.

Order: the action (what to do, where, how soon, the emergency number), why, the rule's own
paragraph, a note on "not sure" answers, the safety net without the signs the person already
reported, the emergency number line, and "not a diagnosis". Everything quoted comes from the
reviewed content files or the flow; the engine only joins them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from bme_bot.core.catalogue import ENGLISH, N_, Catalogue
from bme_bot.core.content import ContentLibrary
from bme_bot.core.flow import UNSURE, Flow, Outcome

FACT_TAG = re.compile(r"^- \{([a-z0-9_]+)(?:=([a-z0-9_]+))?\} ")
"""A safety-net bullet tagged with the fact it is about: `- {night_pain} ...`."""

NOT_A_DIAGNOSIS = N_(
    "This is education, not a diagnosis. A clinician who examines you may advise otherwise."
)

DISPOSITION_HEADLINES = {
    "emergency": N_("Get help now"),
    "urgent": N_("Be seen by a clinician today"),
    "soon": N_("Book an appointment within a few days"),
    "routine": N_("Arrange a routine review"),
    "self_care": N_("Self-care, with clear signs to come back"),
}


def counted(flow: Flow, facts: Mapping[str, str]) -> dict[str, str]:
    """The answers as the conditions see them: each "not sure" as its cautious value."""
    return {f: flow.unsure.get(f, v) if v == UNSURE else v for f, v in facts.items()}


def filter_safety_net(body: str, flow: Flow, facts: Mapping[str, str]) -> str:
    """Drop the bullets about signs already reported, and headings left with no bullet.

    `- {fact} text` is dropped when the fact was answered yes (or not sure, counted as yes);
    `- {fact=value} text` when it was answered that value."""
    seen = counted(flow, facts)
    kept: list[str] = []
    for line in body.splitlines():
        tag = FACT_TAG.match(line)
        if tag is None:
            kept.append(line)
            continue
        fact, value = tag.group(1), tag.group(2) or "yes"
        if seen.get(fact) != value:
            kept.append("- " + line[tag.end() :])
    return _drop_empty_headings("\n".join(kept))


def _drop_empty_headings(text: str) -> str:
    """A paragraph that introduces a list ("...if:") goes when its list is empty."""
    blocks = [b for b in re.split(r"\n\s*\n", text.strip()) if b.strip()]
    out: list[str] = []
    for index, block in enumerate(blocks):
        introduces = block.rstrip().rstrip("*").endswith(":") and "\n- " not in f"\n{block}"
        following = blocks[index + 1] if index + 1 < len(blocks) else ""
        if introduces and not following.lstrip().startswith("- "):
            continue
        out.append(block)
    return "\n\n".join(out)


def unsure_note(
    flow: Flow,
    facts: Mapping[str, str],
    summaries: Mapping[str, str],
    catalogue: Catalogue = ENGLISH,
    value_label: Callable[[str, str], str] | None = None,
) -> str:
    """Say once that "not sure" answers were counted as the more careful ones, and what the
    person can check."""
    unsure = [f for f, v in facts.items() if v == UNSURE and f in flow.unsure]
    if not unsure:
        return ""
    shown = value_label or (lambda _fact, value: value)
    names = ", ".join(f"{summaries.get(f, f)} ({shown(f, flow.unsure[f])})" for f in unsure)
    hints = [h for f in unsure if (h := _hint(flow, f))]
    text = catalogue.gettext(
        "You were not sure about: {names}. To be safe, I counted each as the more careful "
        "answer shown in brackets."
    ).format(names=names)
    return "\n\n".join([text, *(f"- {h}" for h in hints)])


def _hint(flow: Flow, fact: str) -> str:
    item = flow.item(fact)
    if item is not None:
        return item.if_unsure
    question = flow.asker.get(fact)
    return question.if_unsure if question is not None else ""


def compose(
    flow: Flow,
    content: ContentLibrary,
    outcome: Outcome,
    facts: Mapping[str, str],
    summaries: Mapping[str, str],
    region_line: str,
    catalogue: Catalogue = ENGLISH,
    value_label: Callable[[str, str], str] | None = None,
) -> str:
    """The whole disposition message in the acting order (placeholders still unfilled)."""
    parts: list[str] = []
    advice = outcome.advice or flow.disposition_content.get(outcome.disposition)
    headline = DISPOSITION_HEADLINES.get(outcome.disposition)
    if advice is not None:
        parts.append(content[advice].body)
    elif headline is not None:
        parts.append(f"**{catalogue.gettext(headline)}.**")
    parts.append(catalogue.gettext("**Why:** {reason}").format(reason=outcome.reason))
    if outcome.guidance is not None:
        parts.append(content[outcome.guidance].body)
    note = unsure_note(flow, facts, summaries, catalogue, value_label)
    if note:
        parts.append(note)
    if flow.safety_net is not None and outcome.disposition in DISPOSITION_HEADLINES:
        net = filter_safety_net(content[flow.safety_net].body, flow, facts)
        if net:
            parts.append(net)
    parts.append(region_line)
    parts.append(catalogue.gettext(NOT_A_DIAGNOSIS))
    return "\n\n".join(parts)
