"""YAML flow file -> validated `Flow`, or a `FlowError` listing every problem with file:line.

Checks, in order: YAML syntax; the schema (unknown keys, missing keys, types); names (facts,
option ids, condition values, route targets, content ids); structure (unreachable states,
states with no way out, button payloads over Telegram's 64 bytes); and, by exploring every
path, facts asked twice on one path and answers that no route handles.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from bme_bot.core.callbacks import (
    MAX_CALLBACK_BYTES,
    MAX_TURN_DIGITS,
    longest_question_payload,
    menu_payload,
    toggle_payload,
)
from bme_bot.core.conditions import ALWAYS, All, Answered, AnyOf, Condition, Eq, In, Not
from bme_bot.core.content import ContentLibrary
from bme_bot.core.flow import (
    DISPOSITIONS,
    NO_DISPOSITION,
    UNSURE,
    Flow,
    Invariant,
    Item,
    Note,
    Option,
    Outcome,
    Question,
    Route,
    Router,
    Scale,
    Topic,
)
from bme_bot.core.replies import CHECKLIST_DONE, CHECKLIST_NONE
from bme_bot.core.verifier import explore, format_answers
from bme_bot.loading.errors import FlowError, Issue
from bme_bot.loading.yaml_lines import LineList, LineMap, load_yaml

ID = re.compile(r"^[a-z0-9_]{1,40}$")
STATE_ID = re.compile(r"^[A-Za-z0-9_]{1,40}$")
OPERATORS = frozenset({"all", "any", "not", "answered"})

TOP_KEYS = {
    "id": True,
    "version": True,
    "title": False,
    "start": True,
    "facts": True,
    "questions": True,
    "routers": False,
    "short_circuits": False,
    "outcomes": True,
    "invariants": False,
    "topics": False,
    "notes": False,
    "dispositions": False,
    "safety_net": False,
}
QUESTION_KEYS = {
    "fact": False,
    "checklist": False,
    "text": False,
    "content": False,
    "summary": False,
    "why": False,
    "if_unsure": False,
    "scale": False,
    "options": False,
    "next": True,
}
OPTION_KEYS = {"id": True, "label": True, "synonyms": False, "mentions": False}
ITEM_KEYS = {
    "fact": True,
    "label": True,
    "synonyms": False,
    "mentions": False,
    "when": False,
    "if_unsure": False,
    "no_synonyms": False,
}
FACT_KEYS = {"values": True, "unsure_counts_as": False}
SCALE_KEYS = {"unit": True, "bands": True}
SCALE_UNITS = ("years", "days")
ROUTE_KEYS = {"id": False, "when": False, "goto": True}
OUTCOME_KEYS = {
    "rule": True,
    "disposition": True,
    "reason": True,
    "content": False,
    "advice": False,
    "guidance": False,
}
RESERVED_OPTIONS = frozenset({CHECKLIST_DONE, CHECKLIST_NONE})
INVARIANT_KEYS = {"id": True, "description": True, "when": True, "at_least": True}
TOPIC_KEYS = {"id": True, "label": True, "content": True}
NOTE_KEYS = {"when": True, "content": True}


class _Reader:
    """Walks the parsed YAML, collecting issues instead of stopping at the first."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.issues: list[Issue] = []

    def issue(self, line: int, key: str, message: str) -> None:
        self.issues.append(Issue(self.file, line, key, message))

    def mapping(
        self, value: Any, line: int, key: str, schema: dict[str, bool] | None
    ) -> LineMap | None:
        """Check a mapping; `schema` maps allowed keys to required, None allows any id."""
        if not isinstance(value, LineMap):
            self.issue(line, key, f"expected a mapping, got {_kind(value)}")
            return None
        for name, dup_line in value.duplicates:
            self.issue(dup_line, f"{key}.{name}", "key given twice")
        if schema is None:
            return value
        for name in value:
            if name not in schema:
                allowed = ", ".join(schema)
                self.issue(value.lines[name], f"{key}.{name}", f"unknown key (allowed: {allowed})")
        for name, required in schema.items():
            if required and name not in value:
                self.issue(value.line, key, f"missing required key {name!r}")
        return value

    def text(self, value: Any, line: int, key: str) -> str:
        if isinstance(value, bool):
            self.issue(line, key, 'got a boolean: quote "yes" and "no" in YAML')
            return ""
        if not isinstance(value, str | int) or str(value).strip() == "":
            self.issue(line, key, f"expected non-empty text, got {_kind(value)}")
            return ""
        return str(value)

    def ident(self, value: Any, line: int, key: str, pattern: re.Pattern[str] = ID) -> str:
        text = self.text(value, line, key)
        if text and not pattern.match(text):
            self.issue(line, key, f"{text!r} is not a valid id ({pattern.pattern})")
        return text

    def seq(self, value: Any, line: int, key: str) -> LineList:
        if not isinstance(value, LineList):
            self.issue(line, key, f"expected a list, got {_kind(value)}")
            empty = LineList()
            empty.line = line
            return empty
        return value


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"a boolean ({value})"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return f"{type(value).__name__} {value!r}"


def load_flow(path: Path | str, content: ContentLibrary | None = None) -> Flow:
    """Load and validate a flow file; content ids are checked when a library is given."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise FlowError([Issue(str(path), 0, "", f"cannot read: {exc.strerror}")]) from exc
    return parse_flow(text, str(path), content)


def parse_flow(text: str, file: str = "<flow>", content: ContentLibrary | None = None) -> Flow:
    reader = _Reader(file)
    try:
        raw = load_yaml(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 0
        problem = getattr(exc, "problem", None) or str(exc)
        raise FlowError([Issue(file, line, "", f"YAML syntax error: {problem}")]) from exc
    top = reader.mapping(raw, 1, "flow", TOP_KEYS)
    if top is None or reader.issues:
        raise FlowError(reader.issues)
    flow = _build(reader, top)
    if not reader.issues:
        _check_structure(reader, top, flow, content)
    if not reader.issues:
        _check_paths(reader, top, flow)
    if reader.issues:
        raise FlowError(reader.issues)
    return flow


def _build(reader: _Reader, top: LineMap) -> Flow:
    facts, unsure = _facts(reader, top)
    conditions = _ConditionReader(reader, facts, unsure)

    questions: dict[str, Question] = {}
    raw_questions = reader.mapping(
        top.get("questions"), top.lines.get("questions", 1), "questions", None
    )
    if raw_questions is not None:
        for qid in raw_questions:
            questions[qid] = _question(reader, conditions, facts, raw_questions, qid)

    routers: dict[str, Router] = {}
    raw_routers = top.get("routers", LineMap())
    if not isinstance(raw_routers, LineMap):
        reader.issue(top.lines.get("routers", 1), "routers", "expected a mapping of router ids")
        raw_routers = LineMap()
    for rid in raw_routers:
        key = f"routers.{rid}"
        reader.ident(rid, raw_routers.lines[rid], key, STATE_ID)
        routes = _routes(reader, conditions, raw_routers[rid], raw_routers.lines[rid], key, rid)
        routers[rid] = Router(rid, routes, raw_routers.lines[rid])

    short_circuits = _routes(
        reader,
        conditions,
        top.get("short_circuits", LineList()),
        top.lines.get("short_circuits", 1),
        "short_circuits",
        "short_circuit",
    )

    outcomes: dict[str, Outcome] = {}
    raw_outcomes = top.get("outcomes")
    if isinstance(raw_outcomes, LineMap):
        for oid in raw_outcomes:
            key = f"outcomes.{oid}"
            line = raw_outcomes.lines[oid]
            reader.ident(oid, line, key, STATE_ID)
            body = reader.mapping(raw_outcomes[oid], line, key, OUTCOME_KEYS)
            if body is None:
                continue
            disposition = reader.text(
                body.get("disposition"), body.lines.get("disposition", line), f"{key}.disposition"
            )
            if disposition and disposition not in (*DISPOSITIONS, NO_DISPOSITION):
                reader.issue(
                    body.lines["disposition"],
                    f"{key}.disposition",
                    f"{disposition!r} is not one of {', '.join(DISPOSITIONS)} "
                    f"(or {NO_DISPOSITION!r} for an ending without advice)",
                )
            outcomes[oid] = Outcome(
                oid,
                reader.text(body.get("rule"), body.lines.get("rule", line), f"{key}.rule"),
                disposition,
                reader.text(body.get("reason"), body.lines.get("reason", line), f"{key}.reason"),
                _content_ids(
                    reader,
                    body.get("content", LineList()),
                    body.lines.get("content", line),
                    f"{key}.content",
                ),
                line,
                _optional_id(reader, body, "advice", key),
                _optional_id(reader, body, "guidance", key),
            )
    else:
        reader.issue(top.lines.get("outcomes", 1), "outcomes", "expected a mapping of outcome ids")

    invariants: list[Invariant] = []
    raw_invariants = reader.seq(
        top.get("invariants", LineList()), top.lines.get("invariants", 1), "invariants"
    )
    for index, item in enumerate(raw_invariants):
        key = f"invariants[{index}]"
        line = raw_invariants.lines[index]
        body = reader.mapping(item, line, key, INVARIANT_KEYS)
        if body is None:
            continue
        at_least = reader.text(
            body.get("at_least"), body.lines.get("at_least", line), f"{key}.at_least"
        )
        if at_least and at_least not in DISPOSITIONS:
            reader.issue(
                body.lines["at_least"],
                f"{key}.at_least",
                f"{at_least!r} is not one of {', '.join(DISPOSITIONS)}",
            )
        invariants.append(
            Invariant(
                reader.text(body.get("id"), body.lines.get("id", line), f"{key}.id"),
                reader.text(
                    body.get("description"),
                    body.lines.get("description", line),
                    f"{key}.description",
                ),
                conditions.read(body.get("when"), body.lines.get("when", line), f"{key}.when"),
                at_least,
                line,
            )
        )

    topics: list[Topic] = []
    raw_topics = reader.seq(top.get("topics", LineList()), top.lines.get("topics", 1), "topics")
    for index, item in enumerate(raw_topics):
        key = f"topics[{index}]"
        line = raw_topics.lines[index]
        body = reader.mapping(item, line, key, TOPIC_KEYS)
        if body is None:
            continue
        topics.append(
            Topic(
                reader.ident(body.get("id"), body.lines.get("id", line), f"{key}.id"),
                reader.text(body.get("label"), body.lines.get("label", line), f"{key}.label"),
                reader.ident(
                    body.get("content"), body.lines.get("content", line), f"{key}.content"
                ),
            )
        )

    notes: list[Note] = []
    raw_notes = reader.seq(top.get("notes", LineList()), top.lines.get("notes", 1), "notes")
    for index, item in enumerate(raw_notes):
        key = f"notes[{index}]"
        line = raw_notes.lines[index]
        body = reader.mapping(item, line, key, NOTE_KEYS)
        if body is None:
            continue
        notes.append(
            Note(
                conditions.read(body.get("when"), body.lines.get("when", line), f"{key}.when"),
                reader.ident(
                    body.get("content"), body.lines.get("content", line), f"{key}.content"
                ),
            )
        )

    disposition_content: dict[str, str] = {}
    raw_dispositions = top.get("dispositions", LineMap())
    if isinstance(raw_dispositions, LineMap):
        for name in raw_dispositions:
            key = f"dispositions.{name}"
            if name not in DISPOSITIONS:
                reader.issue(
                    raw_dispositions.lines[name],
                    key,
                    f"{name!r} is not one of {', '.join(DISPOSITIONS)}",
                )
            disposition_content[str(name)] = reader.ident(
                raw_dispositions[name], raw_dispositions.lines[name], key
            )
    else:
        reader.issue(top.lines.get("dispositions", 1), "dispositions", "expected a mapping")

    safety_net = top.get("safety_net")
    return Flow(
        id=reader.ident(top.get("id"), top.lines.get("id", 1), "id"),
        version=reader.text(top.get("version"), top.lines.get("version", 1), "version"),
        start=reader.text(top.get("start"), top.lines.get("start", 1), "start"),
        facts=facts,
        questions=questions,
        routers=routers,
        outcomes=outcomes,
        short_circuits=short_circuits,
        invariants=tuple(invariants),
        topics=tuple(topics),
        notes=tuple(notes),
        disposition_content=disposition_content,
        safety_net=None
        if safety_net is None
        else reader.ident(safety_net, top.lines["safety_net"], "safety_net"),
        title=str(top.get("title", "")),
        source=reader.file,
        unsure=unsure,
    )


def _facts(reader: _Reader, top: LineMap) -> tuple[dict[str, tuple[str, ...]], dict[str, str]]:
    """The declared facts and, for those that may be answered "not sure", the value each
    counts as: `fever: {values: ["yes", "no", "unsure"], unsure_counts_as: "yes"}`."""
    facts: dict[str, tuple[str, ...]] = {}
    unsure: dict[str, str] = {}
    raw = reader.mapping(top.get("facts"), top.lines.get("facts", 1), "facts", None)
    if raw is None:
        return facts, unsure
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
        facts[str(name)] = tuple(ids)
    return facts, unsure


def _question(
    reader: _Reader,
    conditions: _ConditionReader,
    facts: dict[str, tuple[str, ...]],
    raw_questions: LineMap,
    qid: str,
) -> Question:
    key = f"questions.{qid}"
    line = raw_questions.lines[qid]
    reader.ident(qid, line, key, STATE_ID)
    body = reader.mapping(raw_questions[qid], line, key, QUESTION_KEYS)
    if body is None:
        return Question(qid, "", "", (), (), line=line)
    if ("text" in body) == ("content" in body):
        reader.issue(line, key, "give exactly one of 'text' or 'content'")
    text = reader.text(body["text"], body.lines["text"], f"{key}.text") if "text" in body else ""
    content = (
        reader.ident(body["content"], body.lines["content"], f"{key}.content")
        if "content" in body
        else None
    )
    routes = _routes(
        reader, conditions, body.get("next"), body.lines.get("next", line), f"{key}.next", qid
    )
    extras: dict[str, Any] = {
        "content": content,
        "summary": str(body.get("summary", "")),
        "line": line,
        "why": _optional_text(reader, body, "why", key),
        "if_unsure": _optional_text(reader, body, "if_unsure", key),
    }
    if "checklist" in body:
        for name in ("fact", "options", "scale"):
            if name in body:
                reader.issue(body.lines[name], f"{key}.{name}", "a checklist has items, not this")
        items = _items(reader, conditions, facts, body, key)
        return Question(qid, "", text, (), routes, items=items, **extras)
    for name in ("fact", "options"):
        if name not in body:
            reader.issue(line, key, f"missing required key {name!r} (or give a 'checklist')")
    fact = reader.text(body.get("fact"), body.lines.get("fact", line), f"{key}.fact")
    if fact and fact not in facts:
        reader.issue(body.lines["fact"], f"{key}.fact", f"undeclared fact {fact!r}")
    options = _options(reader, facts, fact, body, key, line)
    scale = _scale(reader, body, key, {o.id for o in options}) if "scale" in body else None
    return Question(qid, fact, text, tuple(options), routes, scale=scale, **extras)


def _optional_id(reader: _Reader, body: LineMap, name: str, key: str) -> str | None:
    if name not in body:
        return None
    return reader.ident(body[name], body.lines[name], f"{key}.{name}")


def _optional_text(reader: _Reader, body: LineMap, name: str, key: str) -> str:
    if name not in body:
        return ""
    return reader.text(body[name], body.lines[name], f"{key}.{name}")


def _phrases(reader: _Reader, body: LineMap, name: str, key: str) -> tuple[str, ...]:
    line = body.lines.get(name, body.line)
    items = reader.seq(body.get(name, LineList()), line, f"{key}.{name}")
    return tuple(reader.text(s, items.lines[i], f"{key}.{name}[{i}]") for i, s in enumerate(items))


def _options(
    reader: _Reader,
    facts: dict[str, tuple[str, ...]],
    fact: str,
    body: LineMap,
    key: str,
    line: int,
) -> list[Option]:
    options: list[Option] = []
    raw_options = reader.seq(body.get("options"), body.lines.get("options", line), f"{key}.options")
    allowed = facts.get(fact, ())
    for index, item in enumerate(raw_options):
        okey = f"{key}.options[{index}]"
        oline = raw_options.lines[index]
        obody = reader.mapping(item, oline, okey, OPTION_KEYS)
        if obody is None:
            continue
        oid = reader.ident(obody.get("id"), obody.lines.get("id", oline), f"{okey}.id")
        if oid and fact in facts and oid not in allowed:
            reader.issue(
                obody.lines["id"],
                f"{okey}.id",
                f"{oid!r} is not a value of fact {fact!r} (values: {', '.join(allowed)})",
            )
        if any(o.id == oid for o in options):
            reader.issue(obody.lines.get("id", oline), f"{okey}.id", f"option {oid!r} given twice")
        options.append(
            Option(
                oid,
                reader.text(obody.get("label"), obody.lines.get("label", oline), f"{okey}.label"),
                _phrases(reader, obody, "synonyms", okey),
                _phrases(reader, obody, "mentions", okey),
            )
        )
    if raw_options and not options:
        reader.issue(body.lines.get("options", line), f"{key}.options", "a question needs options")
    if UNSURE in allowed and options and all(o.id != UNSURE for o in options):
        reader.issue(
            body.lines.get("options", line),
            f"{key}.options",
            f"fact {fact!r} may be answered {UNSURE!r}: offer a 'Not sure' option",
        )
    return options


def _items(
    reader: _Reader,
    conditions: _ConditionReader,
    facts: dict[str, tuple[str, ...]],
    body: LineMap,
    key: str,
) -> tuple[Item, ...]:
    """Checklist items: each asks one yes/no fact (optionally with "not sure")."""
    raw = reader.seq(body.get("checklist"), body.lines.get("checklist", body.line), key)
    items: list[Item] = []
    for index, entry in enumerate(raw):
        ikey = f"{key}.checklist[{index}]"
        iline = raw.lines[index]
        ibody = reader.mapping(entry, iline, ikey, ITEM_KEYS)
        if ibody is None:
            continue
        fact = reader.ident(ibody.get("fact"), ibody.lines.get("fact", iline), f"{ikey}.fact")
        values = set(facts.get(fact, ()))
        if fact and fact not in facts:
            reader.issue(iline, f"{ikey}.fact", f"undeclared fact {fact!r}")
        elif fact and not ({"yes", "no"} <= values <= {"yes", "no", UNSURE}):
            reader.issue(iline, f"{ikey}.fact", f"checklist items need a yes/no fact, not {fact!r}")
        if any(i.fact == fact for i in items):
            reader.issue(iline, f"{ikey}.fact", f"{fact!r} is listed twice")
        when = (
            conditions.read(ibody["when"], ibody.lines["when"], f"{ikey}.when")
            if "when" in ibody
            else ALWAYS
        )
        items.append(
            Item(
                fact,
                reader.text(ibody.get("label"), ibody.lines.get("label", iline), f"{ikey}.label"),
                _phrases(reader, ibody, "synonyms", ikey),
                _phrases(reader, ibody, "mentions", ikey),
                when,
                _optional_text(reader, ibody, "if_unsure", ikey),
                _phrases(reader, ibody, "no_synonyms", ikey),
            )
        )
    if not items:
        reader.issue(raw.line, f"{key}.checklist", "a checklist needs at least one item")
    return tuple(items)


def _scale(reader: _Reader, body: LineMap, key: str, option_ids: set[str]) -> Scale | None:
    """`scale: {unit: years, bands: [[child, 18], [adult, 55], [older_adult, .inf]]}`."""
    skey = f"{key}.scale"
    raw = reader.mapping(body["scale"], body.lines["scale"], skey, SCALE_KEYS)
    if raw is None:
        return None
    unit = reader.text(raw.get("unit"), raw.lines.get("unit", raw.line), f"{skey}.unit")
    if unit and unit not in SCALE_UNITS:
        reader.issue(raw.lines["unit"], f"{skey}.unit", f"one of {', '.join(SCALE_UNITS)}")
    bands: list[tuple[str, float]] = []
    raw_bands = reader.seq(raw.get("bands"), raw.lines.get("bands", raw.line), f"{skey}.bands")
    for index, band in enumerate(raw_bands):
        bline = raw_bands.lines[index]
        if (
            not isinstance(band, list)
            or len(band) != 2
            or band[0] not in option_ids
            or isinstance(band[1], bool)
            or not isinstance(band[1], int | float)
        ):
            reader.issue(bline, f"{skey}.bands[{index}]", "expected [option id, upper bound]")
            continue
        bands.append((str(band[0]), float(band[1])))
    if [b for _, b in bands] != sorted(b for _, b in bands):
        reader.issue(raw_bands.line, f"{skey}.bands", "bands must rise")
    return Scale(unit, tuple(bands))


def _routes(
    reader: _Reader,
    conditions: _ConditionReader,
    raw: Any,
    line: int,
    key: str,
    owner: str,
) -> tuple[Route, ...]:
    items = reader.seq(raw, line, key)
    routes: list[Route] = []
    for index, item in enumerate(items):
        rkey = f"{key}[{index}]"
        rline = items.lines[index]
        body = reader.mapping(item, rline, rkey, ROUTE_KEYS)
        if body is None:
            continue
        route_id = str(body.get("id") or f"{owner}#{index + 1}")
        when = (
            conditions.read(body["when"], body.lines["when"], f"{rkey}.when")
            if "when" in body
            else ALWAYS
        )
        target = reader.text(body.get("goto"), body.lines.get("goto", rline), f"{rkey}.goto")
        routes.append(Route(route_id, when, target, rline))
    return tuple(routes)


def _content_ids(reader: _Reader, raw: Any, line: int, key: str) -> tuple[str, ...]:
    items = reader.seq(raw, line, key)
    return tuple(reader.ident(v, items.lines[i], f"{key}[{i}]") for i, v in enumerate(items))


class _ConditionReader:
    """Parses the condition language: `{fact: value}`, `{fact: [values]}`, `all`, `any`,
    `not`, `answered`; several keys in one mapping must all hold.

    A fact that may be answered "not sure" is read with its cautious value: a condition on
    that value also holds for `unsure`, so every route, table row, invariant and note sees
    "not sure" exactly as the cautious answer (the engine and the verifier need no special
    case)."""

    def __init__(
        self, reader: _Reader, facts: dict[str, tuple[str, ...]], unsure: dict[str, str]
    ) -> None:
        self.reader = reader
        self.facts = facts
        self.unsure = unsure

    def read(self, raw: Any, line: int, key: str) -> Condition:
        if not isinstance(raw, LineMap) or not raw:
            self.reader.issue(
                line, key, f"a condition must be a non-empty mapping, got {_kind(raw)}"
            )
            return ALWAYS
        parts = [self._one(name, raw[name], raw.lines[name], f"{key}.{name}") for name in raw]
        return parts[0] if len(parts) == 1 else All(tuple(parts))

    def _one(self, name: Any, value: Any, line: int, key: str) -> Condition:
        if name in ("all", "any"):
            items = self.reader.seq(value, line, key)
            parts = tuple(self.read(v, items.lines[i], f"{key}[{i}]") for i, v in enumerate(items))
            if not parts:
                self.reader.issue(line, key, f"'{name}' needs at least one condition")
            return All(parts) if name == "all" else AnyOf(parts)
        if name == "not":
            return Not(self.read(value, line, key))
        if name == "answered":
            fact = self.reader.text(value, line, key)
            self._fact(fact, line, key)
            return Answered(fact)
        fact = str(name)
        if not self._fact(fact, line, key):
            return ALWAYS
        if isinstance(value, LineList):
            values = [
                self._value(fact, v, value.lines[i], f"{key}[{i}]") for i, v in enumerate(value)
            ]
            if not values:
                self.reader.issue(line, key, "an empty list of values matches nothing")
            return self._widen(fact, frozenset(values))
        return self._widen(fact, frozenset({self._value(fact, value, line, key)}))

    def _widen(self, fact: str, values: frozenset[str]) -> Condition:
        if self.unsure.get(fact) in values:
            values = values | {UNSURE}
        if len(values) == 1:
            return Eq(fact, next(iter(values)))
        return In(fact, values)

    def _fact(self, fact: str, line: int, key: str) -> bool:
        if fact not in self.facts:
            self.reader.issue(line, key, f"undeclared fact {fact!r}")
            return False
        return True

    def _value(self, fact: str, value: Any, line: int, key: str) -> str:
        text = self.reader.text(value, line, key)
        if text == UNSURE and fact in self.unsure:
            self.reader.issue(
                line,
                key,
                f"conditions see {UNSURE!r} as {self.unsure[fact]!r}: name that value instead",
            )
        elif text and text not in self.facts[fact]:
            allowed = ", ".join(self.facts[fact])
            self.reader.issue(
                line, key, f"{text!r} is not a value of fact {fact!r} (values: {allowed})"
            )
        return text


def _check_structure(
    reader: _Reader, top: LineMap, flow: Flow, content: ContentLibrary | None
) -> None:
    states = set(flow.states)
    if len(states) != len(flow.states):
        seen: set[str] = set()
        for state in flow.states:
            if state in seen:
                reader.issue(
                    top.line, state, "the same id names two states (question, router or outcome)"
                )
            seen.add(state)
    if flow.start not in flow.questions:
        reader.issue(top.lines.get("start", 1), "start", f"{flow.start!r} is not a question")
        return
    for route in flow.all_routes():
        if route.target not in states:
            reader.issue(route.line, f"route {route.id}", f"goes to unknown state {route.target!r}")
    for route in flow.short_circuits:
        if route.target in flow.questions or route.target in flow.routers:
            reader.issue(route.line, f"route {route.id}", "a short-circuit must go to an outcome")
    for question in flow.questions.values():
        if not question.routes:
            reader.issue(
                question.line, f"questions.{question.id}", "state has no way out (no routes)"
            )
        payloads = [(o.id, longest_question_payload(question.id, o.id)) for o in question.options]
        if question.is_checklist:
            payloads += [
                (c, longest_question_payload(question.id, c)) for c in sorted(RESERVED_OPTIONS)
            ]
            longest_turn = 10**MAX_TURN_DIGITS - 1
            payloads += [
                (i.fact, len(toggle_payload(question.id, longest_turn, i.fact).encode()))
                for i in question.items
            ]
        for name, size in payloads:
            if size > MAX_CALLBACK_BYTES:
                reader.issue(
                    question.line,
                    f"questions.{question.id}.options.{name}",
                    f"button payload would be {size} bytes, over Telegram's {MAX_CALLBACK_BYTES}: shorten the ids",
                )
    for router in flow.routers.values():
        if not router.routes:
            reader.issue(router.line, f"routers.{router.id}", "state has no way out (no routes)")
    for topic in flow.topics:
        size = len(menu_payload(f"topic:{topic.content}").encode())
        if size > MAX_CALLBACK_BYTES:
            reader.issue(
                top.lines.get("topics", 1),
                f"topics.{topic.id}",
                f"button payload would be {size} bytes, over {MAX_CALLBACK_BYTES}",
            )
    if reader.issues:
        return
    reachable = _reachable(flow)
    for state in flow.states:
        if state not in reachable:
            reader.issue(_line_of(flow, state), state, "unreachable state: no route leads here")
    if content is not None:
        for key, line, cid in _content_refs(top, flow):
            if cid not in content:
                reader.issue(line, key, f"missing content id {cid!r}")


def _reachable(flow: Flow) -> set[str]:
    seen = {flow.start}
    todo = [flow.start]
    while todo:
        for route in flow.routes_of(todo.pop()):
            if route.target not in seen:
                seen.add(route.target)
                todo.append(route.target)
    return seen


def _line_of(flow: Flow, state: str) -> int:
    for table in (flow.questions, flow.routers, flow.outcomes):
        if state in table:
            return int(getattr(table[state], "line", 0))
    return 0


def _content_refs(top: LineMap, flow: Flow) -> Iterable[tuple[str, int, str]]:
    for question in flow.questions.values():
        if question.content is not None:
            yield f"questions.{question.id}.content", question.line, question.content
    for outcome in flow.outcomes.values():
        for cid in outcome.content:
            yield f"outcomes.{outcome.id}.content", outcome.line, cid
        for name in ("advice", "guidance"):
            cid = getattr(outcome, name)
            if cid is not None:
                yield f"outcomes.{outcome.id}.{name}", outcome.line, cid
    for topic in flow.topics:
        yield f"topics.{topic.id}", top.lines.get("topics", 1), topic.content
    for note in flow.notes:
        yield "notes", top.lines.get("notes", 1), note.content
    for disposition, cid in flow.disposition_content.items():
        yield f"dispositions.{disposition}", top.lines.get("dispositions", 1), cid
    if flow.safety_net is not None:
        yield "safety_net", top.lines.get("safety_net", 1), flow.safety_net


def content_ids_used(flow: Flow) -> set[str]:
    """Every content id the flow refers to (the content lint reports files nobody uses)."""
    return {cid for _, _, cid in _content_refs(LineMap(), flow)}


def _check_paths(reader: _Reader, top: LineMap, flow: Flow) -> None:
    exploration = explore(flow)
    reported: set[tuple[str, str]] = set()
    for problem in exploration.problems:
        if (problem.kind, problem.state) in reported:
            continue
        reported.add((problem.kind, problem.state))
        label = {
            "asked_twice": "a fact asked twice on one path",
            "no_way_out": "state with no way out for some answers",
            "router_loop": "routers loop without asking anything",
            "empty_checklist": "a checklist with no item to show",
        }.get(problem.kind, problem.kind)
        reader.issue(
            _line_of(flow, problem.state),
            problem.state,
            f"{label}: {problem.detail}; example: {format_answers(problem.answers)}",
        )
