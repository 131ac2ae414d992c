"""The flow as graph data with a small layered layout, from the same flow model that `check`
and `diagram` read. Pure data: `svg.py` draws it, the page highlights it by ids.

Why our own layout: it needs no Graphviz (nothing to install in Docker or CI) and a triage flow
is a small DAG (every path asks a fact at most once), so longest-path layers with a few
barycentre sweeps read well. Outcomes form the last column, most urgent first, so a clinician
reads the endings as one list coloured by disposition.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bme_bot.core.conditions import ALWAYS, describe
from bme_bot.core.flow import Flow, urgency

ANY_ANSWER = "~any_answer"
"""The pseudo-state short-circuits leave from: they are checked after every answer."""
NODE_W, NODE_H, GAP_X, GAP_Y, MARGIN = 156, 40, 52, 12, 24
OUTCOME_ROWS = 12
"""Outcomes wrap into columns of at most this many, so the picture stays about a screen high."""
SWEEPS = 4


@dataclass
class Node:
    id: str
    kind: str  # question | checklist | router | outcome | any
    title: str
    detail: str
    disposition: str = ""
    line: int = 0
    layer: int = 0
    x: float = 0.0
    y: float = 0.0


@dataclass(frozen=True)
class Edge:
    key: str
    route: str
    source: str
    target: str
    condition: str
    short_circuit: bool = False
    line: int = 0


@dataclass
class Graph:
    nodes: dict[str, Node] = field(default_factory=dict)
    edges: list[Edge] = field(default_factory=list)
    width: float = 0.0
    height: float = 0.0

    def sources_of(self, route_id: str) -> list[Edge]:
        return [e for e in self.edges if e.route == route_id]


def build_graph(flow: Flow) -> Graph:
    """Nodes and edges of `flow`, laid out left to right."""
    graph = Graph()
    for q in flow.questions.values():
        kind = "checklist" if q.is_checklist else "question"
        facts = f"{len(q.facts)} items" if q.is_checklist else q.fact
        graph.nodes[q.id] = Node(q.id, kind, q.summary or q.id, facts, line=q.line)
    for r in flow.routers.values():
        graph.nodes[r.id] = Node(r.id, "router", r.id, "decision table", line=r.line)
    if flow.short_circuits:
        graph.nodes[ANY_ANSWER] = Node(ANY_ANSWER, "any", "after every answer", "short-circuits")
    for o in flow.outcomes.values():
        graph.nodes[o.id] = Node(
            o.id, "outcome", f"{o.rule}: {o.disposition}", o.id, o.disposition, o.line
        )
    for source in [*flow.questions, *flow.routers]:
        routes = (
            flow.questions[source].routes
            if source in flow.questions
            else flow.routers[source].routes
        )
        for index, route in enumerate(routes):
            graph.edges.append(_edge(f"{source}>{index}", route.id, source, route, False))
    for index, route in enumerate(flow.short_circuits):
        graph.edges.append(_edge(f"{ANY_ANSWER}>{index}", route.id, ANY_ANSWER, route, True))
    _layout(graph, flow)
    return graph


def _edge(key: str, route_id: str, source: str, route: object, short: bool) -> Edge:
    when = getattr(route, "when", ALWAYS)
    condition = "always" if when == ALWAYS else describe(when)
    target = str(getattr(route, "target", ""))
    return Edge(key, route_id, source, target, condition, short, int(getattr(route, "line", 0)))


def _layout(graph: Graph, flow: Flow) -> None:
    """Longest-path layers from the start; outcomes in one last column; barycentre order."""
    inner = [n for n in graph.nodes.values() if n.kind not in ("outcome", "any")]
    succ: dict[str, list[str]] = {n.id: [] for n in graph.nodes.values()}
    for edge in graph.edges:
        succ[edge.source].append(edge.target)
    layer = _layers(flow.start, [n.id for n in inner], succ, graph)
    last = max(layer.values(), default=0) + 1
    for node in inner:
        node.layer = layer.get(node.id, 0)
    outcomes = sorted(
        (n for n in graph.nodes.values() if n.kind == "outcome"),
        key=lambda n: -urgency(n.disposition),
    )
    wrap = max(1, -(-len(outcomes) // OUTCOME_ROWS))
    rows = -(-len(outcomes) // wrap) if outcomes else 0
    columns: list[list[Node]] = [[] for _ in range(last + wrap)]
    for node in inner:
        columns[node.layer].append(node)
    if ANY_ANSWER in graph.nodes:
        graph.nodes[ANY_ANSWER].layer = last - 1 if last > 1 else 0
        columns[graph.nodes[ANY_ANSWER].layer].insert(0, graph.nodes[ANY_ANSWER])
    for index, node in enumerate(outcomes):
        node.layer = last + index // rows
        columns[node.layer].append(node)
    _order(graph, columns, last)
    _place(graph, columns)


def _layers(
    start: str, inner: list[str], succ: dict[str, list[str]], graph: Graph
) -> dict[str, int]:
    """Longest-path layers over the DAG left when back edges are dropped. A flow's state
    graph may have a cycle that no single path takes (a route guarded by `answered`)."""
    forward: dict[str, list[str]] = {n: [] for n in inner}
    state: dict[str, int] = {}  # 1 on the DFS stack, 2 finished
    order: list[str] = []
    for root in [start, *inner]:
        if root not in forward or root in state:
            continue
        stack = [(root, iter(succ[root]))]
        state[root] = 1
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                state[node] = 2
                order.append(node)
                stack.pop()
            elif child in forward and state.get(child) != 1:
                forward[node].append(child)
                if child not in state:
                    state[child] = 1
                    stack.append((child, iter(succ[child])))
    layer = dict.fromkeys(inner, 0)
    for node in reversed(order):  # topological order of the forward edges
        for child in forward[node]:
            layer[child] = max(layer[child], layer[node] + 1)
    return layer


def _order(graph: Graph, columns: list[list[Node]], last: int) -> None:
    """Sort each inner column by the mean position of its predecessors (fewer crossings)."""
    preds: dict[str, list[str]] = {}
    for edge in graph.edges:
        preds.setdefault(edge.target, []).append(edge.source)
    for _ in range(SWEEPS):
        position = {n.id: i for column in columns for i, n in enumerate(column)}
        for column in columns[1:last]:
            column.sort(
                key=lambda n: (
                    n.kind != "any",
                    _mean([position[p] for p in preds.get(n.id, []) if p in position]),
                )
            )
            position.update({n.id: i for i, n in enumerate(column)})


def _mean(values: list[int]) -> float:
    return sum(values) / len(values) if values else 0.0


def _place(graph: Graph, columns: list[list[Node]]) -> None:
    tallest = max((len(c) for c in columns), default=1)
    height = tallest * (NODE_H + GAP_Y) - GAP_Y
    for index, column in enumerate(columns):
        top = MARGIN + (height - (len(column) * (NODE_H + GAP_Y) - GAP_Y)) / 2
        for row, node in enumerate(column):
            node.x = MARGIN + index * (NODE_W + GAP_X)
            node.y = top + row * (NODE_H + GAP_Y)
    graph.width = 2 * MARGIN + len(columns) * (NODE_W + GAP_X) - GAP_X
    graph.height = 2 * MARGIN + height
