"""A conversation as the page shows it: the chat, and what the engine knows (the facts with
"not sure" counted, the routes and rules each answer took, why the open question is asked,
and at the end the disposition, the rule and the exact message)."""

from __future__ import annotations

from typing import Any

from bme_bot.core.engine import Engine
from bme_bot.core.flow import UNSURE, Flow
from bme_bot.core.replies import Reply
from bme_bot.studio.chat import StudioChat
from bme_bot.studio.graph import Graph
from bme_bot.studio.markup import to_html


def chat_view(chat: StudioChat, engine: Engine, graph: Graph, source: str) -> dict[str, Any]:
    session = chat.session
    flow = engine.flow
    entries = [{"said": e.said, "replies": [_reply(r) for r in e.replies]} for e in chat.entries]
    routes = chat.path_routes()
    states = [flow.start, *(_target(graph, r) for r in routes)]
    view: dict[str, Any] = {
        "entries": entries,
        "state": session.state if session else flow.start,
        "detour": session.detour if session else None,
        "done": bool(session and session.done),
        "path": {"routes": routes, "states": [s for s in states if s]},
        "facts": _facts(flow, engine, session.facts if session else {}),
        "pending": dict(session.pending) if session else {},
        "early": dict(session.early) if session else {},
        "steps": [_step(flow, engine, graph, source, s) for s in chat.steps],
        "question": None,
        "ending": None,
        "progress": list(engine.progress(session)) if session else [0, 0],
    }
    if session is None:
        return view
    asked = flow.asker.get(session.detour) if session.detour else flow.questions.get(session.state)
    if asked is not None and not session.done:
        view["question"] = {
            "id": asked.id,
            "summary": asked.summary or asked.id,
            "why": asked.why,
            "where": f"{source}:{asked.line}" if asked.line else source,
            "detour": session.detour,
        }
    outcome = flow.outcomes.get(session.outcome or "")
    if outcome is not None:
        view["ending"] = {
            "outcome": outcome.id,
            "disposition": outcome.disposition,
            "rule": outcome.rule,
            "reason": outcome.reason,
            "route": session.route,
            "where": f"{source}:{outcome.line}" if outcome.line else source,
            "html": to_html(engine.disposition_text(session, outcome)),
        }
    return view


def _reply(reply: Reply) -> dict[str, Any]:
    return {
        "kind": reply.kind,
        "html": to_html(reply.text),
        "options": [{"id": o.id, "label": o.label} for o in reply.options],
        "checklist": [{"fact": i.fact, "label": i.label, "mark": i.mark} for i in reply.checklist],
        "question": reply.question,
        "turn": reply.turn,
        "progress": list(reply.progress) if reply.progress else None,
    }


def _target(graph: Graph, route: str) -> str:
    edges = graph.sources_of(route)
    return edges[0].target if edges else ""


def _facts(flow: Flow, engine: Engine, facts: dict[str, str]) -> list[dict[str, Any]]:
    names = engine.words.summaries
    rows = []
    for fact, value in facts.items():
        counted = flow.unsure.get(fact) if value == UNSURE else None
        rows.append(
            {
                "fact": fact,
                "name": names.get(fact, fact),
                "value": value,
                "label": engine.words.value_label(fact, value),
                "counted_as": counted,
            }
        )
    return rows


def _step(flow: Flow, engine: Engine, graph: Graph, source: str, step: Any) -> dict[str, Any]:
    routes = []
    for route_id in step.trail:
        edge = next(iter(graph.sources_of(route_id)), None)
        if edge is None:
            continue
        routes.append(
            {
                "id": route_id,
                "source": edge.source,
                "target": edge.target,
                "condition": edge.condition,
                "short_circuit": edge.short_circuit,
                "where": f"{source}:{edge.line}" if edge.line else "",
            }
        )
    entry = step.history[-1] if step.history else ""
    question = flow.questions.get(entry)
    return {
        "question": (question.summary or question.id) if question else entry,
        "answers": [
            {"fact": f, "label": engine.words.value_label(f, v), "value": v}
            for f, v in step.answers.items()
        ],
        "routes": routes,
        "landed": step.landed,
    }
