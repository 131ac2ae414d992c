"""What a click on a node shows: the question and why it is asked, its answers and where each
leads, or the outcome's rule and reason; each with file:line in the flow."""

from __future__ import annotations

from typing import Any

from bme_bot.core.conditions import facts_of
from bme_bot.core.engine import Engine
from bme_bot.studio.graph import ANY_ANSWER, Graph


def node_details(engine: Engine, graph: Graph, source: str) -> dict[str, dict[str, Any]]:
    flow = engine.flow
    details: dict[str, dict[str, Any]] = {}
    out: dict[str, list[dict[str, Any]]] = {}
    for edge in graph.edges:
        out.setdefault(edge.source, []).append(
            {
                "id": edge.route,
                "target": edge.target,
                "condition": edge.condition,
                "where": f"{source}:{edge.line}" if edge.line else "",
            }
        )
    for question in flow.questions.values():
        text = engine.words.question_text(question)
        answers = (
            [{"id": i.fact, "label": i.label} for i in question.items]
            if question.is_checklist
            else [{"id": o.id, "label": o.label} for o in question.options]
        )
        details[question.id] = {
            "kind": "checklist" if question.is_checklist else "question",
            "title": question.summary or question.id,
            "text": text,
            "why": question.why,
            "answers": answers,
            "routes": out.get(question.id, []),
            "short_circuits": [
                route
                for route, sc in zip(out.get(ANY_ANSWER, []), flow.short_circuits, strict=True)
                if question.id == flow.start or facts_of(sc.when) & set(question.facts)
            ],
            "where": f"{source}:{question.line}",
        }
    for router in flow.routers.values():
        details[router.id] = {
            "kind": "router",
            "title": f"Decision table {router.id}",
            "text": "Asks nothing: the first row whose condition holds is taken.",
            "routes": out.get(router.id, []),
            "where": f"{source}:{router.line}",
        }
    if ANY_ANSWER in graph.nodes:
        details[ANY_ANSWER] = {
            "kind": "any",
            "title": "After every answer",
            "text": "Short-circuits: checked after every answer, before the question's routes.",
            "routes": out.get(ANY_ANSWER, []),
            "where": source,
        }
    for outcome in flow.outcomes.values():
        details[outcome.id] = {
            "kind": "outcome",
            "title": f"{outcome.rule}: {outcome.disposition}",
            "text": outcome.reason,
            "disposition": outcome.disposition,
            "rule": outcome.rule,
            "routes": [],
            "where": f"{source}:{outcome.line}",
        }
    return details
