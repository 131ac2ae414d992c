"""The flow's top-level sections other than questions: facts, routers, dispositions, and the
entry sections (outcomes, invariants, topics, notes) read by one table-driven reader.

Each entry section is a `Section`: its name, the keys an entry may have, whether entries are
a list or a mapping of ids, and a function that turns one checked `Entry` into its object.
`read_section` walks any of them the same way, so a new section is one row, not a new loop.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from bme_bot.core.conditions import Condition
from bme_bot.core.flow import (
    DISPOSITIONS,
    NO_DISPOSITION,
    UNSURE,
    Invariant,
    Note,
    Outcome,
    Router,
    Topic,
)
from bme_bot.loading.flow_conditions import ConditionReader
from bme_bot.loading.flow_questions import optional_id, read_content_ids, read_routes
from bme_bot.loading.flow_schema import (
    FACT_KEYS,
    INVARIANT_KEYS,
    NOTE_KEYS,
    OPERATORS,
    OUTCOME_KEYS,
    STATE_ID,
    TOPIC_KEYS,
    Reader,
    kind_of,
)
from bme_bot.loading.yaml_lines import LineList, LineMap

T = TypeVar("T")


@dataclass(frozen=True)
class Entry:
    """One entry of a section, its keys already checked; its fields are read by name, each
    issue naming `key.field` and the field's line (or the entry's, when it is missing)."""

    reader: Reader
    conditions: ConditionReader
    body: LineMap
    name: str
    """The entry's id in a mapping section; its `section[index]` in a list section."""
    key: str
    line: int

    def _field(self, name: str) -> tuple[Any, int, str]:
        return self.body.get(name), self.body.lines.get(name, self.line), f"{self.key}.{name}"

    def text(self, name: str) -> str:
        return self.reader.text(*self._field(name))

    def ident(self, name: str) -> str:
        return self.reader.ident(*self._field(name))

    def condition(self, name: str) -> Condition:
        return self.conditions.read(*self._field(name))

    def optional_id(self, name: str) -> str | None:
        return optional_id(self.reader, self.body, name, self.key)

    def content_ids(self, name: str) -> tuple[str, ...]:
        _, line, key = self._field(name)
        return read_content_ids(self.reader, self.body.get(name, LineList()), line, key)

    def flag(self, name: str) -> bool:
        """An optional true/false key (absent is false)."""
        value, line, key = self._field(name)
        if value is None:
            return False
        if not isinstance(value, bool):
            self.reader.issue(line, key, f"expected true or false, got {kind_of(value)}")
            return False
        return value

    def disposition(self, name: str, *, ending: bool = False) -> str:
        """A disposition's name; with `ending`, also NO_DISPOSITION (an ending, no advice)."""
        value = self.text(name)
        allowed = (*DISPOSITIONS, NO_DISPOSITION) if ending else DISPOSITIONS
        if value and value not in allowed:
            hint = f" (or {NO_DISPOSITION!r} for an ending without advice)" if ending else ""
            self.reader.issue(
                self.body.lines[name],
                f"{self.key}.{name}",
                f"{value!r} is not one of {', '.join(DISPOSITIONS)}{hint}",
            )
        return value


@dataclass(frozen=True)
class Section(Generic[T]):
    """A top-level section whose entries are mappings with the keys `keys`."""

    name: str
    keys: dict[str, bool]
    read: Callable[[Entry], T]
    ids: re.Pattern[str] | None = None
    """None: a list of entries; a pattern: a mapping from ids matching it to entries."""


def read_section(
    reader: Reader, conditions: ConditionReader, top: LineMap, section: Section[T]
) -> dict[str, T]:
    """Every well-formed entry of `section`, by id (or `name[index]`), in file order."""
    name = section.name
    line = top.lines.get(name, 1)
    raw = top.get(name, LineList() if section.ids is None else LineMap())
    found: list[tuple[str, Any, int]] = []
    if section.ids is None:
        items = reader.seq(raw, line, name)
        found = [(f"{name}[{i}]", item, items.lines[i]) for i, item in enumerate(items)]
    elif isinstance(raw, LineMap):
        found = [(str(i), raw[i], raw.lines[i]) for i in raw]
    else:
        reader.issue(line, name, f"expected a mapping of {name.removesuffix('s')} ids")
    entries: dict[str, T] = {}
    for label, value, entry_line in found:
        key = label if section.ids is None else f"{name}.{label}"
        if section.ids is not None:
            reader.ident(label, entry_line, key, section.ids)
        body = reader.mapping(value, entry_line, key, section.keys)
        if body is not None:
            entry = Entry(reader, conditions, body, label, key, entry_line)
            entries[label] = section.read(entry)
    return entries


def _outcome(e: Entry) -> Outcome:
    disposition = e.disposition("disposition", ending=True)
    return Outcome(
        e.name,
        e.text("rule"),
        disposition,
        e.text("reason"),
        e.content_ids("content"),
        e.line,
        e.optional_id("advice"),
        e.optional_id("guidance"),
        e.flag("offer_checkin"),
    )


def _invariant(e: Entry) -> Invariant:
    at_least = e.disposition("at_least")
    return Invariant(e.text("id"), e.text("description"), e.condition("when"), at_least, e.line)


def _topic(e: Entry) -> Topic:
    return Topic(e.ident("id"), e.text("label"), e.ident("content"))


def _note(e: Entry) -> Note:
    return Note(e.condition("when"), e.ident("content"))


OUTCOMES = Section("outcomes", OUTCOME_KEYS, _outcome, ids=STATE_ID)
INVARIANTS = Section("invariants", INVARIANT_KEYS, _invariant)
TOPICS = Section("topics", TOPIC_KEYS, _topic)
NOTES = Section("notes", NOTE_KEYS, _note)


def read_routers(reader: Reader, conditions: ConditionReader, top: LineMap) -> dict[str, Router]:
    """`routers:`: states that only route (no question), by id."""
    raw = top.get("routers", LineMap())
    if not isinstance(raw, LineMap):
        reader.issue(top.lines.get("routers", 1), "routers", "expected a mapping of router ids")
        return {}
    routers: dict[str, Router] = {}
    for rid in raw:
        key = f"routers.{rid}"
        reader.ident(rid, raw.lines[rid], key, STATE_ID)
        routes = read_routes(reader, conditions, raw[rid], raw.lines[rid], key, rid)
        routers[rid] = Router(rid, routes, raw.lines[rid])
    return routers


def read_dispositions(reader: Reader, top: LineMap) -> dict[str, str]:
    """`dispositions:`: the content id that explains each disposition."""
    raw = top.get("dispositions", LineMap())
    if not isinstance(raw, LineMap):
        reader.issue(top.lines.get("dispositions", 1), "dispositions", "expected a mapping")
        return {}
    content: dict[str, str] = {}
    for name in raw:
        key = f"dispositions.{name}"
        if name not in DISPOSITIONS:
            reader.issue(raw.lines[name], key, f"{name!r} is not one of {', '.join(DISPOSITIONS)}")
        content[str(name)] = reader.ident(raw[name], raw.lines[name], key)
    return content


def read_facts(
    reader: Reader, top: LineMap
) -> tuple[dict[str, tuple[str, ...]], dict[str, str], tuple[str, ...]]:
    """The declared facts; for those that may be answered "not sure", the value each counts
    as (`fever: {values: ["yes", "no", "unsure"], unsure_counts_as: "yes"}`); and the preset
    facts, which no question asks (`original: {values: [soon, routine], preset: true}`)."""
    facts: dict[str, tuple[str, ...]] = {}
    unsure: dict[str, str] = {}
    presets: list[str] = []
    raw = reader.mapping(top.get("facts"), top.lines.get("facts", 1), "facts", None)
    if raw is None:
        return facts, unsure, ()
    for name in raw:
        key = f"facts.{name}"
        line = raw.lines[name]
        reader.ident(name, line, key)
        if name in OPERATORS:
            reader.issue(line, key, f"{name!r} is reserved by the condition language")
        declared = raw[name]
        counts_as: str | None = None
        if isinstance(declared, LineMap):
            body = reader.mapping(declared, line, key, FACT_KEYS)
            declared = body.get("values") if body is not None else None
            if body is not None and "preset" in body:
                preset = body["preset"]
                if not isinstance(preset, bool):
                    reader.issue(
                        body.lines["preset"],
                        f"{key}.preset",
                        f"expected true or false, got {kind_of(preset)}",
                    )
                elif preset:
                    presets.append(str(name))
            if body is not None and "unsure_counts_as" in body:
                counts_as = reader.text(
                    body["unsure_counts_as"],
                    body.lines["unsure_counts_as"],
                    f"{key}.unsure_counts_as",
                )
        values = reader.seq(declared, line, key)
        ids = [reader.ident(v, values.lines[i], f"{key}[{i}]") for i, v in enumerate(values)]
        if not ids:
            reader.issue(line, key, "a fact needs at least one value")
        if len(set(ids)) != len(ids):
            reader.issue(line, key, "a value is listed twice")
        if (UNSURE in ids) != (counts_as is not None):
            reader.issue(
                line,
                key,
                f"a fact with the value {UNSURE!r} must say what it counts as "
                "(unsure_counts_as), and only such a fact may",
            )
        elif counts_as is not None:
            if counts_as == UNSURE or counts_as not in ids:
                others = ", ".join(i for i in ids if i != UNSURE)
                reader.issue(
                    line,
                    f"{key}.unsure_counts_as",
                    f"{counts_as!r} must be another value of the fact ({others})",
                )
            else:
                unsure[str(name)] = counts_as
        if str(name) in presets and UNSURE in ids:
            reader.issue(line, key, f"a preset fact is never answered, so it cannot be {UNSURE!r}")
        facts[str(name)] = tuple(ids)
    return facts, unsure, tuple(presets)
