// bme-bot flow studio: the conversation and the wiring (graph.js draws, panels.js explains).
// No libraries, no network beyond this server.
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  const chatId = Array.from(crypto.getRandomValues(new Uint8Array(12)),
    (b) => b.toString(16).padStart(2, "0")).join("");
  const state = { flow: null, view: null, check: null };
  const MARK = { "": "☐", yes: "☑", unsure: "?" };
  const el = StudioPanels.el;

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
    const locale = $("locale-select");
    locale.replaceChildren(...flow.locales.map((name) =>
      el("option", { value: name, selected: name === flow.locale, text: name })));
    locale.parentElement.hidden = flow.locales.length < 2;
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
    StudioGraph.mount($("graph"), text, showNode);
    markCoverage();
  }
  const highlight = (view) => StudioGraph.highlight(view, $("follow").checked);
  const markCoverage = () => StudioGraph.coverage(state.check && state.check.coverage, $("coverage").checked);

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
    $("knows").replaceChildren(...StudioPanels.knows(view));
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

  // --- proofs --------------------------------------------------------------------------------
  async function loadCheck() {
    const pane = $("proofs");
    pane.replaceChildren(el("p", { text: "Running check…" }));
    state.check = null;
    try {
      state.check = await json("api/check");
    } catch (error) { pane.replaceChildren(el("p", { text: String(error.message || error) })); return; }
    pane.replaceChildren(...StudioPanels.proofs(state.check, replay));
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
    $("node").replaceChildren(...StudioPanels.node(id, d));
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
    $("locale-select").addEventListener("change", async (event) => {
      try { await loadFlow(await json("api/locale", { name: event.target.value }), true); }
      catch (error) { status(String(error.message || error)); }
    });
    $("save").addEventListener("click", save);
    $("zoom-in").addEventListener("click", () => StudioGraph.zoomBy(1.25));
    $("zoom-out").addEventListener("click", () => StudioGraph.zoomBy(0.8));
    $("fit").addEventListener("click", () => StudioGraph.fit());
    $("coverage").addEventListener("change", markCoverage);
    $("goto").addEventListener("change", (event) => {
      if (event.target.value) { StudioGraph.centreOn(event.target.value, false); showNode(event.target.value); }
    });
    for (const tab of ["knows", "proofs", "node"]) $(`tab-${tab}`).addEventListener("click", () => selectTab(tab));
    StudioGraph.wire($("graph"));
  }

  wire();
  loadFlow().catch((error) => status(String(error.message || error)));
})();
