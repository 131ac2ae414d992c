"""The graph as one self-contained SVG: boxes coloured by disposition, edges as curves.

Every node carries `data-state` and every edge `data-route`, `data-source` and `data-target`,
so the page highlights the current state, the path so far and transcript coverage by adding
classes; the colours themselves live in `static/studio.css`.
"""

from __future__ import annotations

from html import escape

from bme_bot.studio.graph import NODE_H, NODE_W, Edge, Graph, Node

MAX_TITLE, MAX_DETAIL = 22, 26


def render_svg(graph: Graph, source: str = "") -> str:
    """The whole picture; `source` (the flow's file) goes into tooltips as file:line."""
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" id="flow-svg" class="flow" '
        f'viewBox="0 0 {graph.width:.0f} {graph.height:.0f}" '
        f'width="{graph.width:.0f}" height="{graph.height:.0f}" role="group" '
        'aria-label="The flow: questions, checklists, decision tables and outcomes">',
        "<defs>",
        '<marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="9" markerUnits="userSpaceOnUse" '
        'markerHeight="9" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z"/></marker>',
        "</defs>",
        '<g id="viewport">',
        '<g class="edges">',
    ]
    parts += [_edge(graph, edge, source) for edge in graph.edges]
    parts.append('</g><g class="nodes">')
    parts += [_node(node, source) for node in graph.nodes.values()]
    parts.append("</g></g></svg>")
    return "\n".join(parts)


def _edge(graph: Graph, edge: Edge, source: str) -> str:
    a, b = graph.nodes.get(edge.source), graph.nodes.get(edge.target)
    if a is None or b is None:
        return ""
    x1, y1 = a.x + NODE_W, a.y + NODE_H / 2
    x2, y2 = b.x, b.y + NODE_H / 2
    if b.layer <= a.layer:  # a back edge: loop under both boxes
        x1, y1, x2, y2 = a.x + NODE_W / 2, a.y + NODE_H, b.x + NODE_W / 2, b.y + NODE_H
        low = max(y1, y2) + 40
        path = f"M{x1:.0f},{y1:.0f} C{x1:.0f},{low:.0f} {x2:.0f},{low:.0f} {x2:.0f},{y2:.0f}"
    else:
        bend = max(30.0, (x2 - x1) / 2)
        path = f"M{x1:.0f},{y1:.0f} C{x1 + bend:.0f},{y1:.0f} {x2 - bend:.0f},{y2:.0f} {x2:.0f},{y2:.0f}"
    kind = "edge sc" if edge.short_circuit else "edge"
    where = f" ({source}:{edge.line})" if edge.line and source else ""
    tip = f"{edge.route}: {edge.source} → {edge.target} when {edge.condition}{where}"
    return (
        f'<g class="{kind}" data-route="{escape(edge.route)}" data-key="{escape(edge.key)}" '
        f'data-source="{escape(edge.source)}" data-target="{escape(edge.target)}">'
        f"<title>{escape(tip)}</title>"
        f'<path class="hit" d="{path}"/><path class="line" d="{path}" marker-end="url(#arrow)"/>'
        "</g>"
    )


def _node(node: Node, source: str) -> str:
    x, y = node.x, node.y
    disposition = f" disp-{node.disposition}" if node.disposition else ""
    shape = _shape(node.kind, x, y)
    where = f" ({source}:{node.line})" if node.line and source else ""
    label = f"{node.kind} {node.id}: {node.title} ({node.detail}){where}"
    return (
        f'<g class="node {node.kind}{disposition}" data-state="{escape(node.id)}" '
        f'tabindex="-1" role="button" aria-label="{escape(label)}">'
        f"<title>{escape(label)}</title>{shape}"
        f'<text x="{x + 8:.0f}" y="{y + 16:.0f}" class="t1">{escape(_cut(node.title, MAX_TITLE))}</text>'
        f'<text x="{x + 8:.0f}" y="{y + 32:.0f}" class="t2">{escape(_cut(node.detail, MAX_DETAIL))}</text>'
        "</g>"
    )


def _shape(kind: str, x: float, y: float) -> str:
    w, h = NODE_W, NODE_H
    if kind == "router":
        d = 10
        points = f"{x + d},{y} {x + w - d},{y} {x + w},{y + h / 2} {x + w - d},{y + h} {x + d},{y + h} {x},{y + h / 2}"
        return f'<polygon class="box" points="{points}"/>'
    radius = {"outcome": 14, "any": 20, "checklist": 2}.get(kind, 6)
    box = f'<rect class="box" x="{x:.0f}" y="{y:.0f}" width="{w}" height="{h}" rx="{radius}"/>'
    if kind == "checklist":
        box += f'<rect class="inner" x="{x + 3:.0f}" y="{y + 3:.0f}" width="{w - 6}" height="{h - 6}" rx="1"/>'
    return box


def _cut(text: str, size: int) -> str:
    return text if len(text) <= size else text[: size - 1] + "…"
