"""Questions of a flow file: single questions (options, scales) and checklists (items), and
the routes that leave them."""

from __future__ import annotations

from typing import Any

from bme_bot.core.conditions import ALWAYS
from bme_bot.core.flow import UNSURE, Item, Option, Question, Route, Scale
from bme_bot.loading.flow_conditions import ConditionReader
from bme_bot.loading.flow_schema import (
    ITEM_KEYS,
    OPTION_KEYS,
    QUESTION_KEYS,
    ROUTE_KEYS,
    SCALE_KEYS,
    SCALE_UNITS,
    STATE_ID,
    Reader,
)
from bme_bot.loading.yaml_lines import LineList, LineMap


def read_questions(
    reader: Reader, conditions: ConditionReader, facts: dict[str, tuple[str, ...]], top: LineMap
) -> dict[str, Question]:
    """The `questions:` mapping, by question id."""
    raw = reader.mapping(top.get("questions"), top.lines.get("questions", 1), "questions", None)
    if raw is None:
        return {}
    return {qid: read_question(reader, conditions, facts, raw, qid) for qid in raw}


def read_question(
    reader: Reader,
    conditions: ConditionReader,
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
    routes = read_routes(
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


def optional_id(reader: Reader, body: LineMap, name: str, key: str) -> str | None:
    if name not in body:
        return None
    return reader.ident(body[name], body.lines[name], f"{key}.{name}")


def _optional_text(reader: Reader, body: LineMap, name: str, key: str) -> str:
    if name not in body:
        return ""
    return reader.text(body[name], body.lines[name], f"{key}.{name}")


def _phrases(reader: Reader, body: LineMap, name: str, key: str) -> tuple[str, ...]:
    line = body.lines.get(name, body.line)
    items = reader.seq(body.get(name, LineList()), line, f"{key}.{name}")
    return tuple(reader.text(s, items.lines[i], f"{key}.{name}[{i}]") for i, s in enumerate(items))


def _options(
    reader: Reader,
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
    reader: Reader,
    conditions: ConditionReader,
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


def _scale(reader: Reader, body: LineMap, key: str, option_ids: set[str]) -> Scale | None:
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


def read_routes(
    reader: Reader,
    conditions: ConditionReader,
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


def read_content_ids(reader: Reader, raw: Any, line: int, key: str) -> tuple[str, ...]:
    items = reader.seq(raw, line, key)
    return tuple(reader.ident(v, items.lines[i], f"{key}[{i}]") for i, v in enumerate(items))
