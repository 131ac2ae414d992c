"""The flow studio: one local web page where clinicians and flow authors see the flow, talk to
it through the real engine, and see why (facts, routes, rules and the proofs of `check`).

Run with `bme-bot studio [FLOW_OR_DIR]`; docs/STUDIO.md explains the page. Everything it serves
comes from this package (no CDN, no fonts, no tracking): the graph is drawn as SVG here, in
Python, and a small script in `static/` does zoom, pan and highlighting.
"""
