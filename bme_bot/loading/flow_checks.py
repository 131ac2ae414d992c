"""Checks on a built flow: structure (targets, ways out, payload sizes, reachability, content
ids) and, by exploring every path, facts asked twice and answers no route handles."""

from __future__ import annotations

from collections.abc import Iterable

from bme_bot.core.callbacks import (
    MAX_CALLBACK_BYTES,
    MAX_TURN_DIGITS,
    longest_question_payload,
    menu_payload,
    toggle_payload,
)
from bme_bot.core.content import ContentLibrary
from bme_bot.core.flow import Flow
from bme_bot.core.verifier import explore, format_answers
from bme_bot.loading.flow_schema import RESERVED_OPTIONS, Reader
from bme_bot.loading.yaml_lines import LineMap


def check_structure(
    reader: Reader, top: LineMap, flow: Flow, content: ContentLibrary | None
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
    for question in flow.questions.values():
        for fact in question.facts:
            if fact in flow.presets:
                reader.issue(
                    question.line,
                    f"questions.{question.id}",
                    f"asks {fact!r}, a preset fact: whoever starts the conversation sets it",
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


def check_paths(reader: Reader, top: LineMap, flow: Flow) -> None:
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
