// bme-bot flow studio: the page's only script. No libraries, no network beyond this server.
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  const chatId = Array.from(crypto.getRandomValues(new Uint8Array(12)),
    (b) => b.toString(16).padStart(2, "0")).join("");
  const state = { flow: null, view: null, check: null, zoom: { s: 1, x: 0, y: 0 }, selected: "" };
  const MARK = { "": "☐", yes: "☑", unsure: "?" };

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "text") node.textContent = value;
      else if (key === "html") node.innerHTML = value; // only server-escaped markup
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? "" : value);
    }
    for (const child of children) if (child) node.append(child);
    return node;
  }

  function status(text) { $("status").textContent = text; }

  async function api(path, body) {
    const options = body === undefined ? {} : {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
    };
    const response = await fetch(path, options);
    if (!response.ok) throw new Error((await response.text()) || response.statusText);
    return response;
  }
  const json = async (path, body) => (await api(path, body)).json();

  // --- the flow and its picture ---------------------------------------------------------
  async function loadFlow(info, keep) {
    state.flow = info || await json("api/flow");
    const flow = state.flow;
    $("flow-title").textContent = flow.title ? `${flow.title} (v${flow.version})` : flow.selected;
    $("flow-title").title = flow.source;
    const select = $("flow-select");
    select.replaceChildren(...flow.flows.map((name) =>
      el("option", { value: name, selected: name === flow.selected, text: name })));
    select.parentElement.hidden = flow.flows.length < 2;
    const errors = $("errors");
    errors.hidden = flow.errors.length === 0;
    errors.replaceChildren(el("strong", { text: "The flow does not load:" }),
      el("pre", { id: "load-errors", text: flow.errors.join("\n") }));
    const goto = $("goto");
    goto.replaceChildren(el("option", { value: "", text: "state…" }),
      ...Object.entries(flow.nodes).map(([id, d]) => el("option", { value: id, text: `${d.title} (${id})` })));
    for (const id of ["say", "send", "save"]) $(id).disabled = flow.errors.length > 0;
    if (flow.errors.length) {
      $("graph").replaceChildren(); $("messages").replaceChildren(); $("knows").replaceChildren();
      state.view = null;
    } else {
      await loadGraph();
      await chat(null, !keep);
    }
    loadCheck();
  }

  async function loadGraph() {
    const text = await (await api("api/graph.svg")).text();
    const holder = $("graph");
    holder.innerHTML = text;
    const svg = holder.querySelector("svg");
    svg.removeAttribute("width"); svg.removeAttribute("height");
    const box = svg.viewBox.baseVal; // live: copy it before the attribute goes
    state.size = { width: box.width, height: box.height };
    svg.removeAttribute("viewBox");
    svg.addEventListener("click", (event) => {
      const node = event.target.closest(".node");
      if (node) showNode(node.dataset.state);
    });
    fit();
    markCoverage();
  }

  function applyZoom() {
    const g = document.getElementById("viewport");
    const z = state.zoom;
    if (g) g.setAttribute("transform", `translate(${z.x},${z.y}) scale(${z.s})`);
  }
  function fit() {
    const box = $("graph").getBoundingClientRect();
    if (!state.size || !box.width) return;
    const s = Math.min(box.width / state.size.width, box.height / state.size.height, 1);
    state.zoom = { s, x: (box.width - state.size.width * s) / 2, y: (box.height - state.size.height * s) / 2 };
    applyZoom();
  }
  function zoomBy(factor, cx, cy) {
    const box = $("graph").getBoundingClientRect();
    const z = state.zoom;
    const px = cx === undefined ? box.width / 2 : cx, py = cy === undefined ? box.height / 2 : cy;
    const s = Math.min(4, Math.max(0.08, z.s * factor));
    state.zoom = { s, x: px - (px - z.x) * (s / z.s), y: py - (py - z.y) * (s / z.s) };
    applyZoom();
  }
  function centreOn(id, onlyIfHidden) {
    const node = document.querySelector(`#graph .node[data-state="${CSS.escape(id)}"]`);
    if (!node) return;
    const b = node.getBBox(), box = $("graph").getBoundingClientRect(), z = state.zoom;
    const sx = (b.x + b.width / 2) * z.s + z.x, sy = (b.y + b.height / 2) * z.s + z.y;
    if (onlyIfHidden && sx > 40 && sy > 20 && sx < box.width - 40 && sy < box.height - 20) return;
    if (z.s < 0.6) z.s = 0.9;
    state.zoom = { s: z.s, x: box.width / 2 - (b.x + b.width / 2) * z.s, y: box.height / 2 - (b.y + b.height / 2) * z.s };
    applyZoom();
  }

  function highlight(view) {
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
    if ($("follow").checked) centreOn(now, true);
  }

  function markCoverage() {
    const svg = document.querySelector("#graph svg");
    const coverage = state.check && state.check.coverage;
    if (!svg) return;
    svg.classList.toggle("show-coverage", $("coverage").checked && !!coverage);
    if (!coverage || !coverage.routes_never) return;
    const never = new Set(coverage.routes_never), outcomes = new Set(coverage.outcomes_never);
    svg.querySelectorAll(".edge").forEach((edge) => {
      edge.classList.toggle("uncovered", never.has(edge.dataset.route));
      edge.classList.toggle("covered", !never.has(edge.dataset.route));
    });
    svg.querySelectorAll(".node.outcome").forEach((node) =>
      node.classList.toggle("uncovered", outcomes.has(node.dataset.state)));
  }

  // --- the conversation --------------------------------------------------------------------
  async function chat(action, fresh, typed) {
    try {
      const view = await json("api/chat", { chat: chatId, action: action || null, fresh: !!fresh });
      render(view, typed, action && action.kind === "toggle" ? action.fact : null);
    } catch (error) { status(String(error.message || error)); }
  }
  const act = (action, typed) => chat(action, false, typed);

  function render(view, typed, tapped) {
    state.view = view;
    const box = $("messages");
    const entries = view.entries;
    box.replaceChildren();
    let live = null;
    entries.forEach((entry, e) => {
      if (entry.said) box.append(el("div", { class: "said", text: entry.said }));
      entry.replies.forEach((reply, r) => {
        const isLive = e === entries.length - 1 && (reply.options.length || reply.checklist.length);
        const bubble = el("div", { class: `bot ${reply.kind}`, "data-kind": reply.kind });
        if (reply.progress && reply.question) {
          bubble.append(el("div", { class: "progress", text: `Question ${reply.progress[0] + 1} of at most ${reply.progress[1]}` }));
        }
        bubble.append(el("div", { class: "text", html: reply.html }));
        if (isLive) bubble.append(choices(reply));
        box.append(bubble);
        if (isLive) live = bubble;
      });
    });
    box.scrollTop = box.scrollHeight;
    if (typed) $("say").focus();
    else if (live) {
      // after a tick, stay on that item; after an answer, go to the next question's first button
      const again = tapped && live.querySelector(`.tick[data-fact="${CSS.escape(tapped)}"]`);
      const target = again || live.querySelector("button");
      if (target) target.focus({ preventScroll: true });
    }
    knows(view);
    highlight(view);
  }

  function choices(reply) {
    const wrap = el("div", { class: "choices" });
    const base = { question: reply.question, turn: reply.turn };
    if (reply.checklist.length) {
      const items = el("div", { class: "checklist-items", role: "group", "aria-label": "Tick all that apply; tap twice for not sure" });
      for (const item of reply.checklist) {
        items.append(el("button", {
          type: "button", class: "tick", "data-fact": item.fact, "data-mark": item.mark,
          "aria-pressed": item.mark ? "true" : "false",
          onclick: () => act({ kind: "toggle", fact: item.fact, ...base }),
        }, el("span", { class: "mark", text: MARK[item.mark] || "☐" }),
        item.label + (item.mark === "unsure" ? " (not sure)" : "")));
      }
      wrap.append(items);
    }
    for (const option of reply.options) {
      wrap.append(el("button", {
        type: "button", class: "option", "data-option": option.id, text: option.label,
        onclick: () => act({ kind: "choose", option: option.id, ...base }),
      }));
    }
    return wrap;
  }

  function knows(view) {
    const pane = $("knows");
    const parts = [];
    if (view.question) {
      parts.push(el("h3", { text: `Now asking: ${view.question.summary}` }),
        el("p", { text: view.question.why ? `Why: ${view.question.why}` : "Why: (the flow gives no reason for this question)" }),
        el("div", { class: "where", text: view.question.where }));
      if (view.question.detour) parts.push(el("p", { text: "Asked out of order: the person typed a red flag." }));
    }
    if (view.ending) {
      const end = view.ending;
      parts.push(el("div", { class: `ending disp-${end.disposition}`, id: "ending" },
        el("h3", { text: `Ending: ${end.disposition} · rule ${end.rule}` }),
        el("p", { text: end.reason }),
        el("div", { class: "where", text: `outcome ${end.outcome}, reached by ${end.route || "?"} · ${end.where}` }),
        el("details", {}, el("summary", { text: "The exact message" }), el("div", { class: "bot disposition", html: end.html }))));
    }
    parts.push(el("h3", { text: `Facts so far (${view.progress[0]} of at most ${view.progress[1]} answers)` }));
    if (view.facts.length) {
      const rows = view.facts.map((f) => el("tr", { "data-fact": f.fact },
        el("td", { text: f.name }),
        el("td", { class: f.counted_as ? "unsure" : "", text: f.counted_as ? `not sure (counted as ${f.counted_as})` : f.label })));
      parts.push(el("table", { id: "facts" }, el("tbody", {}, ...rows)));
    } else parts.push(el("p", { id: "facts", text: "No answers yet." }));
    const waiting = Object.entries(view.pending).concat(Object.entries(view.early));
    if (waiting.length) parts.push(el("p", { text: "Ticked or typed, not yet answered: " + waiting.map(([k, v]) => `${k}=${v}`).join(", ") }));
    parts.push(el("h3", { text: "Routes and rules taken" }));
    if (!view.steps.length) parts.push(el("p", { text: "None yet." }));
    for (const step of view.steps) {
      const answers = step.answers.map((a) => `${a.fact} = ${a.label}`).join(", ");
      parts.push(el("div", { class: "step" },
        el("div", {}, el("strong", { text: step.question }), document.createTextNode(answers ? ` → ${answers}` : "")),
        ...step.routes.map((r) => el("div", {},
          el("code", { text: r.id }), document.createTextNode(` ${r.short_circuit ? "(short-circuit) " : ""}to ${r.target} when ${r.condition} `),
          el("span", { class: "where", text: r.where })))));
    }
    pane.replaceChildren(...parts);
  }

  // --- proofs --------------------------------------------------------------------------------
  async function loadCheck() {
    const pane = $("proofs");
    pane.replaceChildren(el("p", { text: "Running check…" }));
    state.check = null;
    try {
      state.check = await json("api/check");
    } catch (error) { pane.replaceChildren(el("p", { text: String(error.message || error) })); return; }
    const c = state.check;
    const parts = [el("p", { id: "check-verdict", class: c.ok ? "" : "bad-text",
      text: (c.flows > 1 ? `check on ${c.flows} flows: ` : "check: ") + (c.ok ? "all checks passed" : "something failed (see below)") }),
      el("div", { class: "where", text: c.command })];
    if (c.load_errors) parts.push(el("pre", { class: "check bad-text", text: c.load_errors.join("\n") }));
    if (c.properties) {
      parts.push(el("h3", { text: "Properties" }));
      for (const p of c.properties) {
        const line = el("div", { class: `prop ${p.proved ? "ok" : "bad"}`, "data-property": p.id },
          el("strong", { text: p.id }), document.createTextNode(` ${p.description}`));
        if (p.detail) line.append(el("div", { class: "bad-text", text: p.detail }));
        if (p.counterexample) {
          line.append(el("div", { class: "where", text: p.counterexample.map(([f, v]) => `${f}=${v}`).join(" → ") }),
            el("button", { type: "button", class: "replay", "data-property": p.id,
              onclick: () => replay(p.counterexample) , text: "Replay in chat" }));
        }
        parts.push(line);
      }
      const paths = c.paths;
      parts.push(el("h3", { text: `Paths: ${paths.total} conversations in ${paths.classes} classes` }),
        el("table", { id: "paths" }, el("thead", {}, el("tr", {}, ...["to", "paths", "shortest", "median", "longest"].map((h) => el("th", { text: h })))),
          el("tbody", {}, ...paths.by_disposition.map((d) => el("tr", {}, ...[d.disposition, d.paths, d.shortest, d.median, d.longest].map((v) => el("td", { text: String(v) })))))));
      if (c.unreached_outcomes.length) parts.push(el("p", { class: "bad-text", text: `Outcomes no path reaches: ${c.unreached_outcomes.join(", ")}` }));
    }
    if (c.coverage) {
      const cov = c.coverage;
      parts.push(el("h3", { text: "Golden transcripts" }));
      if (cov.errors) parts.push(el("pre", { class: "check bad-text", text: cov.errors.join("\n") }));
      else {
        const total = cov.routes.length + cov.routes_never.length;
        parts.push(el("p", { id: "coverage-summary", text: `${cov.transcripts} transcripts, ${cov.diverging.length} diverging; transitions covered ${cov.routes.length}/${total}; outcomes never reached: ${cov.outcomes_never.join(", ") || "none"}` }),
          el("p", { text: `Transitions never covered: ${cov.routes_never.join(", ") || "none"} (tick Coverage to see them on the graph)` }));
        for (const d of cov.diverging) parts.push(el("div", { class: "bad-text where", text: d }));
      }
    } else parts.push(el("p", { class: "where", text: "No transcripts given, so no coverage (start the studio with --transcripts DIR)." }));
    if (c.lint) {
      parts.push(el("h3", { text: `Content lint: ${c.lint.issues.length} problems in ${c.lint.files.length} files` }));
      for (const issue of c.lint.issues) parts.push(el("div", { class: "bad-text where", text: issue }));
      parts.push(el("details", {}, el("summary", { text: "Words and sentence length per file" }),
        el("table", {}, el("tbody", {}, ...c.lint.files.map((f) => el("tr", {}, el("td", { text: f.id }), el("td", { text: `${f.words} words` }), el("td", { text: `${f.sentence} w/sentence` })))))));
    }
    parts.push(el("details", {}, el("summary", { text: "What `bme-bot check` printed" }), el("pre", { class: "check", id: "check-text", text: c.text })));
    pane.replaceChildren(...parts);
    markCoverage();
  }

  async function replay(answers) {
    try {
      const view = await json("api/replay", { chat: chatId, answers });
      render(view);
      selectTab("knows");
      status(`Replayed ${answers.length} answers`);
    } catch (error) { status(String(error.message || error)); }
  }

  // --- state details -------------------------------------------------------------------------
  function showNode(id) {
    const d = state.flow && state.flow.nodes[id];
    if (!d) return;
    document.querySelectorAll("#graph .node.selected").forEach((n) => n.classList.remove("selected"));
    const node = document.querySelector(`#graph .node[data-state="${CSS.escape(id)}"]`);
    if (node) node.classList.add("selected");
    const parts = [el("h3", { text: `${d.title}` }), el("div", { class: "where", text: `${d.kind} ${id} · ${d.where}` }),
      el("p", { text: d.text })];
    if (d.why) parts.push(el("p", {}, el("strong", { text: "Why it is asked: " }), document.createTextNode(d.why)));
    if (d.answers) parts.push(el("h3", { text: "Answers" }), el("ul", {}, ...d.answers.map((a) => el("li", { text: `${a.label} (${a.id})` }))));
    if (d.routes.length) {
      parts.push(el("h3", { text: "Where it leads (first match wins)" }));
      for (const r of d.routes) parts.push(el("div", { class: "step" }, el("code", { text: r.id }),
        document.createTextNode(` → ${r.target} when ${r.condition} `), el("span", { class: "where", text: r.where })));
    }
    $("node").replaceChildren(...parts);
    selectTab("node");
  }

  function selectTab(name) {
    for (const tab of ["knows", "proofs", "node"]) {
      $(tab).hidden = tab !== name;
      $(`tab-${tab}`).setAttribute("aria-selected", String(tab === name));
    }
  }

  async function save() {
    const name = `studio ${new Date().toISOString().slice(0, 16).replace("T", " ")}`;
    try {
      const response = await api(`api/transcript?chat=${chatId}&name=${encodeURIComponent(name)}`);
      const verdict = response.headers.get("X-Transcript-Replay");
      const blob = new Blob([await response.text()], { type: "application/x-yaml" });
      const match = /filename="([^"]+)"/.exec(response.headers.get("Content-Disposition") || "");
      const link = el("a", { href: URL.createObjectURL(blob), download: match ? match[1] : "studio.yaml" });
      document.body.append(link); link.click(); link.remove();
      status(verdict === "OK" ? "Saved: it replays with bme-bot console --transcript" : `Saved, but replay differs: ${verdict}`);
    } catch (error) { status(String(error.message || error)); }
  }

  // --- wiring -------------------------------------------------------------------------------
  function wire() {
    $("composer").addEventListener("submit", (event) => {
      event.preventDefault();
      const text = $("say").value.trim();
      if (!text) return;
      $("say").value = "";
      act({ kind: "text", text }, true);
    });
    document.querySelectorAll("#commands button").forEach((button) =>
      button.addEventListener("click", () => act({ kind: "command", name: button.dataset.command })));
    $("reload").addEventListener("click", async () => {
      status("Reloading…");
      try { await loadFlow(await json("api/reload", {}), true); status(state.flow.errors.length ? "The flow does not load" : "Reloaded"); }
      catch (error) { status(String(error.message || error)); }
    });
    $("flow-select").addEventListener("change", async (event) => {
      try { await loadFlow(await json("api/select", { name: event.target.value })); }
      catch (error) { status(String(error.message || error)); }
    });
    $("save").addEventListener("click", save);
    $("zoom-in").addEventListener("click", () => zoomBy(1.25));
    $("zoom-out").addEventListener("click", () => zoomBy(0.8));
    $("fit").addEventListener("click", fit);
    $("coverage").addEventListener("change", markCoverage);
    $("goto").addEventListener("change", (event) => {
      if (event.target.value) { centreOn(event.target.value, false); showNode(event.target.value); }
    });
    for (const tab of ["knows", "proofs", "node"]) $(`tab-${tab}`).addEventListener("click", () => selectTab(tab));
    const graph = $("graph");
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
    window.addEventListener("resize", () => { if (!state.view) fit(); });
  }

  wire();
  loadFlow().catch((error) => status(String(error.message || error)));
})();
