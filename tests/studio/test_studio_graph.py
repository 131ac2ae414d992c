"""The graph data: every state and route of the flow, laid out without overlaps, left to
right except where the flow's own graph has a cycle no path takes."""

from __future__ import annotations

from bme_bot.core.engine import Engine
from bme_bot.core.flow import Flow
from bme_bot.studio.graph import ANY_ANSWER, NODE_H, NODE_W, build_graph
from bme_bot.studio.markup import to_html
from bme_bot.studio.svg import render_svg


def _check_graph(flow: Flow) -> None:
    graph = build_graph(flow)
    assert (
        set(graph.nodes) == {*flow.states, ANY_ANSWER} if flow.short_circuits else set(flow.states)
    )
    for outcome in flow.outcomes.values():
        node = graph.nodes[outcome.id]
        assert (node.kind, node.disposition) == ("outcome", outcome.disposition)
    pairs = sorted((e.source, e.route, e.target) for e in graph.edges)
    expected = [(q.id, r.id, r.target) for q in flow.questions.values() for r in q.routes]
    expected += [(x.id, r.id, r.target) for x in flow.routers.values() for r in x.routes]
    expected += [(ANY_ANSWER, r.id, r.target) for r in flow.short_circuits]
    assert pairs == sorted(expected)
    boxes = [(n.x, n.y) for n in graph.nodes.values()]
    for i, (x1, y1) in enumerate(boxes):
        for x2, y2 in boxes[i + 1 :]:
            assert abs(x1 - x2) >= NODE_W or abs(y1 - y2) >= NODE_H, "boxes overlap"
        assert 0 <= x1 <= graph.width - NODE_W and 0 <= y1 <= graph.height - NODE_H
    start = graph.nodes[flow.start]
    assert all(start.layer <= n.layer for n in graph.nodes.values())
    outcome_layers = {graph.nodes[o].layer for o in flow.outcomes}
    assert min(outcome_layers) > max(
        n.layer for n in graph.nodes.values() if n.kind not in ("outcome", "any")
    )
    svg = render_svg(graph, flow.source)
    assert svg.count('class="node ') == len(graph.nodes)
    assert svg.count("data-key=") == len(graph.edges)


def test_the_shipped_flow_as_a_graph(engine: Engine) -> None:
    flow = engine.flow
    _check_graph(flow)
    graph = build_graph(flow)
    backward = [
        e for e in graph.edges if graph.nodes[e.target].layer <= graph.nodes[e.source].layer
    ]
    # the one cycle in the shipped state graph: after_background -> wound, taken only when
    # the wound is not yet answered (wound -> after_background needs onset answered)
    assert [(e.source, e.target) for e in backward] == [("after_background", "wound")]


def test_the_docs_example_as_a_graph(demo_engine: Engine) -> None:
    _check_graph(demo_engine.flow)


def test_markup_escapes_everything_it_does_not_render() -> None:
    html = to_html('**Call 112** <script>x</script>\n- one\n- [two](https://a.example/"x)\n\nend')
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert html.startswith("<p><strong>Call 112</strong>")
    assert "<ul><li>one</li>" in html and "href" not in html  # a quote in a URL: left as text
    link = to_html("[NHS](https://www.nhs.uk/a?b=1&c=2)")
    assert link == (
        '<p><a href="https://www.nhs.uk/a?b=1&amp;c=2" rel="noopener noreferrer" '
        'target="_blank">NHS</a></p>'
    )
