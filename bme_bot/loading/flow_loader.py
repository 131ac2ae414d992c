"""YAML flow file -> validated `Flow`, or a `FlowError` listing every problem with file:line.

Checks, in order: YAML syntax; the schema (unknown keys, missing keys, types); names (facts,
option ids, condition values, route targets, content ids); structure (unreachable states,
states with no way out, button payloads over Telegram's 64 bytes); and, by exploring every
path, facts asked twice on one path and answers that no route handles.

The reading is split by part of the file: `flow_schema` (keys and the issue-collecting
reader), `flow_conditions`, `flow_questions`, `flow_sections` (facts, routers, outcomes,
invariants, topics, notes, dispositions) and `flow_checks` (structure and paths).
"""

from __future__ import annotations

from pathlib import Path

import yaml

from bme_bot.core.content import ContentLibrary
from bme_bot.core.flow import Flow
from bme_bot.loading.errors import FlowError, Issue
from bme_bot.loading.flow_checks import check_paths, check_structure
from bme_bot.loading.flow_checks import content_ids_used as content_ids_used
from bme_bot.loading.flow_conditions import ConditionReader
from bme_bot.loading.flow_locales import DEFAULT_LOCALE, localize_flow
from bme_bot.loading.flow_questions import read_questions, read_routes
from bme_bot.loading.flow_schema import TOP_KEYS, Reader
from bme_bot.loading.flow_sections import (
    INVARIANTS,
    NOTES,
    OUTCOMES,
    TOPICS,
    read_dispositions,
    read_facts,
    read_routers,
    read_section,
)
from bme_bot.loading.yaml_lines import LineList, LineMap, load_yaml


def load_flow(
    path: Path | str, content: ContentLibrary | None = None, *, locale: str = DEFAULT_LOCALE
) -> Flow:
    """Load and validate a flow file; content ids are checked when a library is given.

    With another `locale`, the same flow (structure, ids, routes) gets the texts of
    `locales/<locale>/<file>` beside it; FlowError lists every problem of that file
    (structural keys, unknown ids, missing texts with the English file:line)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise FlowError([Issue(str(path), 0, "", f"cannot read: {exc.strerror}")]) from exc
    return localize_flow(parse_flow(text, str(path), content), path, locale)


def parse_flow(text: str, file: str = "<flow>", content: ContentLibrary | None = None) -> Flow:
    reader = Reader(file)
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
        check_structure(reader, top, flow, content)
    if not reader.issues:
        check_paths(reader, top, flow)
    if reader.issues:
        raise FlowError(reader.issues)
    return flow


def _build(reader: Reader, top: LineMap) -> Flow:
    """Every section in file-format order; issues are collected, not raised, on the way."""
    facts, unsure, presets = read_facts(reader, top)
    conditions = ConditionReader(reader, facts, unsure)
    questions = read_questions(reader, conditions, facts, top)
    routers = read_routers(reader, conditions, top)
    short_circuits = read_routes(
        reader,
        conditions,
        top.get("short_circuits", LineList()),
        top.lines.get("short_circuits", 1),
        "short_circuits",
        "short_circuit",
    )
    outcomes = read_section(reader, conditions, top, OUTCOMES)
    invariants = read_section(reader, conditions, top, INVARIANTS)
    topics = read_section(reader, conditions, top, TOPICS)
    notes = read_section(reader, conditions, top, NOTES)
    disposition_content = read_dispositions(reader, top)
    safety_net = top.get("safety_net")
    follows = top.get("follows")
    return Flow(
        id=reader.ident(top.get("id"), top.lines.get("id", 1), "id"),
        version=reader.text(top.get("version"), top.lines.get("version", 1), "version"),
        start=reader.text(top.get("start"), top.lines.get("start", 1), "start"),
        facts=facts,
        questions=questions,
        routers=routers,
        outcomes=outcomes,
        short_circuits=short_circuits,
        invariants=tuple(invariants.values()),
        topics=tuple(topics.values()),
        notes=tuple(notes.values()),
        disposition_content=disposition_content,
        safety_net=None
        if safety_net is None
        else reader.ident(safety_net, top.lines["safety_net"], "safety_net"),
        title=str(top.get("title", "")),
        source=reader.file,
        unsure=unsure,
        presets=presets,
        follows="" if follows is None else reader.ident(follows, top.lines["follows"], "follows"),
    )
