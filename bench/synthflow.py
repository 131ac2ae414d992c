"""Synthetic flows of any size, shaped like the shipped triage flow, for the verifier benchmark.

`generate(n)` writes a flow of exactly `n` questions:

- a preamble: consent (decline ends at once), age (3 values), the painful area (one value per
  area; with more than 4 complaint branches, a second 'site' question per area picks one);
- red flags: 15% of the questions, yes/no. Even ones short-circuit to an emergency on "yes";
  odd ones short-circuit only for a child (a conjunction) and otherwise jump straight to the
  decision table on "yes". One invariant per red flag;
- complaint branches of about 10 questions each (their number grows with `n`, as a real flow
  grows by covering more complaints): a repeating pattern of a yes/no screen ("yes" jumps to
  the decision table), a 3- or 4-valued fact that only shapes the advice, and a conditional
  follow-up pair (the follow-up is asked only after "yes", then both paths join again);
- a decision router: the red-flag rows, then per branch one urgent row per screen, one soon
  row per follow-up, a routine row over a shaping fact and age; a self-care default.
  One invariant per screen and per follow-up.

The flow is deterministic (no randomness), loads without content and passes `bme-bot check`.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

YES_NO = [{"id": "yes", "label": "Yes"}, {"id": "no", "label": "No"}]


def _options(values: list[str]) -> list[dict[str, str]]:
    return [{"id": v, "label": f"Answer {v}"} for v in values]


def _branch_items(size: int) -> list[str]:
    """screen, shape, pair (2 questions), repeated; a last single slot is a screen."""
    pattern = ["screen", "shape", "pair"]
    items: list[str] = []
    used = 0
    index = 0
    while used < size:
        kind = pattern[index % len(pattern)]
        index += 1
        if kind == "pair" and size - used < 2:
            kind = "screen"
        items.append(kind)
        used += 2 if kind == "pair" else 1
    return items


def build(n: int) -> dict[str, Any]:
    if n < 12:
        raise ValueError("a synthetic flow needs at least 12 questions")
    red = max(2, round(0.15 * n))
    body = n - 3 - red
    branches = max(2, round(body / 10))
    areas = branches if branches <= 4 else math.ceil(branches / 4)
    per_area = [0] * areas
    for b in range(branches):
        per_area[b % areas] += 1
    site_questions = sum(1 for count in per_area if count > 1) if branches > 4 else 0
    branch_sizes = [(body - site_questions) // branches] * branches
    for b in range((body - site_questions) % branches):
        branch_sizes[b] += 1

    facts: dict[str, list[str]] = {
        "consent": ["agree", "decline"],
        "age": ["child", "adult", "older"],
        "area": [f"a{a}" for a in range(areas)],
    }
    questions: dict[str, Any] = {}
    outcomes: dict[str, Any] = {
        "D0": {"rule": "D0", "disposition": "soon", "reason": "Declined."},
        "E1": {"rule": "E1", "disposition": "emergency", "reason": "A red flag."},
        "E2": {"rule": "E2", "disposition": "emergency", "reason": "A red flag in a child."},
        "U0": {"rule": "U0", "disposition": "urgent", "reason": "A red flag in an adult."},
        "C0": {"rule": "C0", "disposition": "self_care", "reason": "Nothing worrying."},
    }
    short_circuits: list[dict[str, Any]] = []
    invariants: list[dict[str, Any]] = []
    rules: list[dict[str, Any]] = []

    def question(qid: str, fact: str, values: list[str] | None, nxt: list[dict[str, Any]]) -> None:
        if values is not None:
            facts[fact] = values
        options = YES_NO if facts[fact] == ["yes", "no"] else _options(facts[fact])
        questions[qid] = {"fact": fact, "text": f"Question {qid}?", "options": options, "next": nxt}

    # Preamble and red flags, in order.
    question(
        "consent",
        "consent",
        None,
        [{"when": {"consent": "decline"}, "goto": "D0"}, {"goto": "age"}],
    )
    question("age", "age", None, [{"goto": "rf0"}])
    for k in range(red):
        fact = f"rf{k}"
        nxt_q = f"rf{k + 1}" if k + 1 < red else "area"
        facts[fact] = ["yes", "no"]
        if k % 2 == 0:
            short_circuits.append({"id": f"SC{k}", "when": {fact: "yes"}, "goto": "E1"})
            invariants.append(
                {
                    "id": f"P_rf{k}",
                    "description": f"{fact} is an emergency",
                    "when": {fact: "yes"},
                    "at_least": "emergency",
                }
            )
            question(fact, fact, None, [{"goto": nxt_q}])
        else:
            short_circuits.append(
                {"id": f"SC{k}", "when": {fact: "yes", "age": "child"}, "goto": "E2"}
            )
            invariants.append(
                {
                    "id": f"P_rf{k}c",
                    "description": f"{fact} in a child is an emergency",
                    "when": {fact: "yes", "age": "child"},
                    "at_least": "emergency",
                }
            )
            invariants.append(
                {
                    "id": f"P_rf{k}",
                    "description": f"{fact} is urgent",
                    "when": {fact: "yes"},
                    "at_least": "urgent",
                }
            )
            rules.append({"id": f"R_rf{k}", "when": {fact: "yes"}, "goto": "U0"})
            question(fact, fact, None, [{"when": {fact: "yes"}, "goto": "decide"}, {"goto": nxt_q}])

    # Areas, sites and the complaint branches.
    firsts = [f"b{b}q0" for b in range(branches)]
    area_routes: list[dict[str, Any]] = []
    for a in range(areas):
        mine = [b for b in range(branches) if b % areas == a]
        if len(mine) == 1:
            area_routes.append({"when": {"area": f"a{a}"}, "goto": firsts[mine[0]]})
            continue
        site = f"site{a}"
        area_routes.append({"when": {"area": f"a{a}"}, "goto": site})
        values = [f"s{b}" for b in mine]
        site_routes = [
            {"when": {site: v}, "goto": firsts[b]} for v, b in zip(values, mine, strict=True)
        ]
        question(site, site, values, [*site_routes[:-1], {"goto": firsts[mine[-1]]}])
    question("area", "area", None, [*area_routes[:-1], {"goto": area_routes[-1]["goto"]}])

    shape_rules: list[dict[str, Any]] = []
    for b, size in enumerate(branch_sizes):
        items = _branch_items(size)
        ids = [f"b{b}q{i}" for i in range(len(items))]
        outcomes[f"U_b{b}"] = {"rule": f"U{b}", "disposition": "urgent", "reason": "A screen."}
        outcomes[f"S_b{b}"] = {"rule": f"S{b}", "disposition": "soon", "reason": "A follow-up."}
        outcomes[f"R_b{b}"] = {"rule": f"R{b}", "disposition": "routine", "reason": "Shaped."}
        have_shape = have_pair = False
        for i, kind in enumerate(items):
            qid = ids[i]
            nxt = ids[i + 1] if i + 1 < len(items) else "decide"
            if kind == "screen":
                fact = f"{qid}_s"
                question(
                    qid,
                    fact,
                    ["yes", "no"],
                    [{"when": {fact: "yes"}, "goto": "decide"}, {"goto": nxt}],
                )
                rules.append({"id": f"R_{fact}", "when": {fact: "yes"}, "goto": f"U_b{b}"})
                invariants.append(
                    {
                        "id": f"P_{fact}",
                        "description": f"{fact} is urgent",
                        "when": {fact: "yes"},
                        "at_least": "urgent",
                    }
                )
            elif kind == "shape":
                fact = f"{qid}_v"
                width = 3 + (i // 3) % 2
                question(qid, fact, [f"v{v}" for v in range(width)], [{"goto": nxt}])
                if not have_shape:
                    shape_rules.append(
                        {"id": f"R_{fact}", "when": {fact: "v0", "age": "older"}, "goto": f"R_b{b}"}
                    )
                    have_shape = True
                else:
                    shape_rules.append(
                        {"id": f"R_{fact}", "when": {fact: ["v1", "v2"]}, "goto": f"R_b{b}"}
                    )
            else:
                ask, follow = f"{qid}_p", f"{qid}_f"
                facts[ask] = ["yes", "no"]
                facts[follow] = ["yes", "no"]
                questions[qid] = {
                    "fact": ask,
                    "text": f"Question {qid}?",
                    "options": YES_NO,
                    "next": [{"when": {ask: "yes"}, "goto": f"{qid}f"}, {"goto": nxt}],
                }
                questions[f"{qid}f"] = {
                    "fact": follow,
                    "text": f"Follow-up {qid}?",
                    "options": YES_NO,
                    "next": [{"when": {follow: "yes"}, "goto": "decide"}, {"goto": nxt}],
                }
                rules.append({"id": f"R_{follow}", "when": {follow: "yes"}, "goto": f"S_b{b}"})
                invariants.append(
                    {
                        "id": f"P_{follow}",
                        "description": f"{follow} needs care soon",
                        "when": {follow: "yes"},
                        "at_least": "soon",
                    }
                )
                have_pair = True
        if not have_pair:
            outcomes.pop(f"S_b{b}")
        if not have_shape:
            outcomes.pop(f"R_b{b}")

    rules.extend(shape_rules)
    rules.append({"id": "R_default", "goto": "C0"})
    flow = {
        "id": f"synthetic_{n}",
        "version": "1",
        "title": f"Synthetic flow of {n} questions",
        "start": "consent",
        "facts": facts,
        "short_circuits": short_circuits,
        "questions": questions,
        "routers": {"decide": rules},
        "outcomes": outcomes,
        "invariants": invariants,
    }
    assert len(questions) == n, (len(questions), n)
    return flow


def generate(n: int, directory: Path) -> Path:
    """Write the flow as YAML (JSON is YAML; quoted ids stay strings) and return its path."""
    path = directory / f"synthetic_{n}.yaml"
    path.write_text(json.dumps(build(n), indent=1) + "\n")
    return path
