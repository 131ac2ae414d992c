// bme-bot flow studio: the side panels, built from the server's JSON: what the engine knows,
// the proofs of `check`, and one state's details. Text goes in as text; only the server's
// escaped markup goes in as HTML.
"use strict";
window.StudioPanels = (function () {
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

  function knows(view) {
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
    return parts;
  }

  function proofs(c, replay) {
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
        el("p", { class: "where", text: "Answers per conversation, by ending (a checklist is one answer)" }),
        el("table", { id: "paths" }, el("thead", {}, el("tr", {}, ...["to", "paths", "min", "median", "max"].map((h) => el("th", { text: h })))),
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
    return parts;
  }

  function node(id, d) {
    const parts = [el("h3", { text: `${d.title}` }), el("div", { class: "where", text: `${d.kind} ${id} · ${d.where}` }),
      el("p", { text: d.text })];
    if (d.why) parts.push(el("p", {}, el("strong", { text: "Why it is asked: " }), document.createTextNode(d.why)));
    if (d.answers) parts.push(el("h3", { text: "Answers" }), el("ul", {}, ...d.answers.map((a) => el("li", { text: `${a.label} (${a.id})` }))));
    if (d.routes.length) {
      parts.push(el("h3", { text: "Where it leads (first match wins)" }));
      for (const r of d.routes) parts.push(el("div", { class: "step" }, el("code", { text: r.id }),
        document.createTextNode(` → ${r.target} when ${r.condition} `), el("span", { class: "where", text: r.where })));
    }
    if (d.short_circuits && d.short_circuits.length) {
      parts.push(el("h3", { text: "Checked first, right after this answer (short-circuits)" }));
      for (const r of d.short_circuits) parts.push(el("div", { class: "step" }, el("code", { text: r.id }),
        document.createTextNode(` → ${r.target} when ${r.condition} `), el("span", { class: "where", text: r.where })));
    }
    return parts;
  }

  return { el, knows, proofs, node };
})();
