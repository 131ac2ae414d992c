"""Anonymous usage counts as a plain-text table: `bme-bot stats`.

The store keeps only counters with no chat ids: `conversations_started`, `outcome:<id>`,
`asked:<question>`, `answered:<question>`; the check-in schedule keeps `checkin:<name>`
(bme_bot.checkins.base.COUNTERS). The flow turns outcome ids into rules and
dispositions; drop-off per question is how often it was asked and not answered.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from bme_bot.checkins.base import COUNTERS as CHECKIN_COUNTERS
from bme_bot.checkins.base import CheckinStore, counter_name
from bme_bot.core.flow import DISPOSITIONS, Flow
from bme_bot.storage.base import Store


@dataclass(frozen=True)
class StatsRow:
    """One line of the table: `section` is conversations, disposition, rule or question."""

    section: str
    name: str
    count: int
    answered: int | None = None
    detail: str = ""

    @property
    def dropped(self) -> int | None:
        return None if self.answered is None else max(0, self.count - self.answered)


async def collect_stats(store: Store, flow: Flow) -> list[StatsRow]:
    """Read the store's counters and arrange them by the flow (raises StoreError)."""
    counts = await store.counters()
    rows = [StatsRow("conversations", "started", counts.get("conversations_started", 0))]
    by_disposition: Counter[str] = Counter()
    by_rule: Counter[str] = Counter()
    rule_disposition: dict[str, str] = {}
    for outcome in flow.outcomes.values():
        reached = counts.get(f"outcome:{outcome.id}", 0)
        by_disposition[outcome.disposition] += reached
        by_rule[outcome.rule] += reached
        rule_disposition[outcome.rule] = outcome.disposition
    unknown = sum(
        v for k, v in counts.items() if k.startswith("outcome:") and k[8:] not in flow.outcomes
    )
    for disposition in reversed(DISPOSITIONS):
        rows.append(StatsRow("disposition", disposition, by_disposition[disposition]))
    if unknown:
        rows.append(StatsRow("disposition", "(outcomes no longer in the flow)", unknown))
    for rule in sorted(by_rule):
        rows.append(StatsRow("rule", rule, by_rule[rule], detail=rule_disposition[rule]))
    for question in flow.questions:
        rows.append(
            StatsRow(
                "question",
                question,
                counts.get(f"asked:{question}", 0),
                answered=counts.get(f"answered:{question}", 0),
            )
        )
    return rows


async def collect_checkin_stats(schedule: CheckinStore) -> list[StatsRow]:
    """The check-in counters (offered, accepted, sent, answered, better/same/worse, ...),
    kept beside the schedule, never with a chat id (raises StoreError)."""
    counts = await schedule.counters()
    return [
        StatsRow("checkin", name, counts.get(counter_name(name), 0)) for name in CHECKIN_COUNTERS
    ]


def format_stats_table(rows: list[StatsRow]) -> str:
    """Plain text: conversations, then advice by disposition and rule, then questions."""
    out: list[str] = []
    started = [r for r in rows if r.section == "conversations"]
    for row in started:
        out.append(f"Conversations started: {row.count}")
    dispositions = [r for r in rows if r.section == "disposition"]
    if dispositions:
        table: list[list[str | int]] = [[r.name, r.count] for r in dispositions]
        out += ["", *_table(["Disposition", "Reached"], table)]
    rules = [r for r in rows if r.section == "rule"]
    if rules:
        body: list[list[str | int]] = [[r.name, r.detail, r.count] for r in rules]
        out += ["", *_table(["Rule", "Disposition", "Reached"], body)]
    questions = [r for r in rows if r.section == "question"]
    if questions:
        rows_q: list[list[str | int]] = [
            [r.name, r.count, r.answered or 0, r.dropped or 0] for r in questions
        ]
        out += [
            "",
            *_table(["Question", "Asked", "Answered", "Left here"], rows_q),
            "",
            "Left here = asked minus answered: conversations that stopped at this question "
            "(or went /back past it).",
        ]
    checkins = [r for r in rows if r.section == "checkin"]
    if checkins:
        body_c: list[list[str | int]] = [[r.name, r.count] for r in checkins]
        out += ["", *_table(["Check-ins", "Count"], body_c)]
    return "\n".join(out) + "\n"


def _table(header: list[str], body: list[list[str | int]]) -> list[str]:
    cells = [header, *[[str(c) for c in row] for row in body]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]

    def line(row: list[str]) -> str:
        parts = [
            c.rjust(w) if i and c.isdigit() else c.ljust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=True))
        ]
        return "  ".join(parts).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return [line(header), rule, *[line(row) for row in cells[1:]]]
