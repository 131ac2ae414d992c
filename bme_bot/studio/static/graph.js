// bme-bot flow studio: the picture. The server draws the SVG; this only zooms, pans and
// adds classes by id (the current state, the path so far, transcript coverage).
"use strict";
window.StudioGraph = (function () {
  const state = { zoom: { s: 1, x: 0, y: 0 }, size: null };
  const holder = () => document.getElementById("graph");

  function mount(container, text, onNode) {
    container.innerHTML = text;
    const svg = container.querySelector("svg");
    svg.removeAttribute("width"); svg.removeAttribute("height");
    const box = svg.viewBox.baseVal; // live: copy it before the attribute goes
    state.size = { width: box.width, height: box.height };
    svg.removeAttribute("viewBox");
    svg.addEventListener("click", (event) => {
      const node = event.target.closest(".node");
      if (node) onNode(node.dataset.state);
    });
    fit();
  }

  function applyZoom() {
    const g = document.getElementById("viewport");
    const z = state.zoom;
    if (g) g.setAttribute("transform", `translate(${z.x},${z.y}) scale(${z.s})`);
  }
  function fit() {
    const box = holder().getBoundingClientRect();
    if (!state.size || !box.width) return;
    const s = Math.min(box.width / state.size.width, box.height / state.size.height, 1);
    state.zoom = { s, x: (box.width - state.size.width * s) / 2, y: (box.height - state.size.height * s) / 2 };
    applyZoom();
  }
  function zoomBy(factor, cx, cy) {
    const box = holder().getBoundingClientRect();
    const z = state.zoom;
    const px = cx === undefined ? box.width / 2 : cx, py = cy === undefined ? box.height / 2 : cy;
    const s = Math.min(4, Math.max(0.08, z.s * factor));
    state.zoom = { s, x: px - (px - z.x) * (s / z.s), y: py - (py - z.y) * (s / z.s) };
    applyZoom();
  }
  function centreOn(id, onlyIfHidden) {
    const node = document.querySelector(`#graph .node[data-state="${CSS.escape(id)}"]`);
    if (!node) return;
    const b = node.getBBox(), box = holder().getBoundingClientRect(), z = state.zoom;
    const sx = (b.x + b.width / 2) * z.s + z.x, sy = (b.y + b.height / 2) * z.s + z.y;
    if (onlyIfHidden && sx > 40 && sy > 20 && sx < box.width - 40 && sy < box.height - 20) return;
    if (z.s < 0.6) z.s = 0.9;
    state.zoom = { s: z.s, x: box.width / 2 - (b.x + b.width / 2) * z.s, y: box.height / 2 - (b.y + b.height / 2) * z.s };
    applyZoom();
  }

  function highlight(view, follow) {
    const svg = document.querySelector("#graph svg");
    if (!svg || !view) return;
    svg.querySelectorAll(".current,.visited,.taken").forEach((n) => n.classList.remove("current", "visited", "taken"));
    const visited = new Set(view.path.states);
    for (const id of visited) {
      const node = svg.querySelector(`.node[data-state="${CSS.escape(id)}"]`);
      if (node) node.classList.add("visited");
    }
    for (const route of view.path.routes) {
      svg.querySelectorAll(`.edge[data-route="${CSS.escape(route)}"]`).forEach((edge) => {
        if (visited.has(edge.dataset.target)) {
          edge.classList.add("taken");
          const source = svg.querySelector(`.node[data-state="${CSS.escape(edge.dataset.source)}"]`);
          if (source) source.classList.add("visited");
        }
      });
    }
    const now = view.question ? view.question.id : view.state;
    const current = svg.querySelector(`.node[data-state="${CSS.escape(now)}"]`);
    if (current) current.classList.add("current");
    svg.dataset.current = now;
    if (follow) centreOn(now, true);
  }

  function coverage(coverage, show) {
    const svg = document.querySelector("#graph svg");
    if (!svg) return;
    svg.classList.toggle("show-coverage", show && !!coverage);
    if (!coverage || !coverage.routes_never) return;
    const never = new Set(coverage.routes_never), outcomes = new Set(coverage.outcomes_never);
    svg.querySelectorAll(".edge").forEach((edge) => {
      edge.classList.toggle("uncovered", never.has(edge.dataset.route));
      edge.classList.toggle("covered", !never.has(edge.dataset.route));
    });
    svg.querySelectorAll(".node.outcome").forEach((node) =>
      node.classList.toggle("uncovered", outcomes.has(node.dataset.state)));
  }

  function wire(graph) {
    graph.addEventListener("wheel", (event) => {
      event.preventDefault();
      const box = graph.getBoundingClientRect();
      zoomBy(event.deltaY < 0 ? 1.15 : 0.87, event.clientX - box.left, event.clientY - box.top);
    }, { passive: false });
    let drag = null;
    graph.addEventListener("pointerdown", (event) => {
      if (event.target.closest(".node")) return;
      drag = { x: event.clientX, y: event.clientY, zx: state.zoom.x, zy: state.zoom.y };
      graph.setPointerCapture(event.pointerId);
    });
    graph.addEventListener("pointermove", (event) => {
      if (!drag) return;
      state.zoom.x = drag.zx + event.clientX - drag.x; state.zoom.y = drag.zy + event.clientY - drag.y;
      applyZoom();
    });
    graph.addEventListener("pointerup", () => { drag = null; });
    graph.addEventListener("keydown", (event) => {
      const step = 60, z = state.zoom;
      const moves = { ArrowLeft: [step, 0], ArrowRight: [-step, 0], ArrowUp: [0, step], ArrowDown: [0, -step] };
      if (moves[event.key]) { z.x += moves[event.key][0]; z.y += moves[event.key][1]; applyZoom(); }
      else if (event.key === "+" || event.key === "=") zoomBy(1.25);
      else if (event.key === "-") zoomBy(0.8);
      else if (event.key === "0") fit();
      else return;
      event.preventDefault();
    });
  }

  return { mount, fit, zoomBy, centreOn, highlight, coverage, wire };
})();
