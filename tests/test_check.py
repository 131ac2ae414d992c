"""`bme-bot check` reports each real problem once: no cascades, one line per alias error."""

from __future__ import annotations

import io
import re
from pathlib import Path

from bme_bot.checking import run_check

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ROOT / "flows" / "bme_triage.yaml"
CONTENT = ROOT / "content" / "en"


def check(flow: Path, content: Path | None = CONTENT) -> tuple[int, list[str]]:
    out = io.StringIO()
    code = run_check([flow], content, None, out)
    return code, out.getvalue().splitlines()


def test_one_wrong_route_is_one_failure_and_no_unused_content(tmp_path: Path) -> None:
    text = SHIPPED.read_text(encoding="utf-8")
    routes = list(re.finditer(r"goto: ([A-Za-z0-9_]+)\}", text))
    assert routes, "the shipped flow has flow-style routes"
    wrong = routes[len(routes) // 2]
    flow = tmp_path / "bme_triage.yaml"
    flow.write_text(text[: wrong.start(1)] + "no_such_state" + text[wrong.end(1) :], "utf-8")
    code, lines = check(flow)
    failures = [line for line in lines if line.startswith("FAIL")]
    assert code == 1
    assert len(failures) == 1, failures
    assert "no_such_state" in failures[0]
    assert not any("not used by any flow" in line for line in lines)
    assert "content: the unused-content check is skipped: bme_triage.yaml did not load" in lines


def test_the_unused_content_check_still_runs_when_every_flow_loads(tmp_path: Path) -> None:
    code, lines = check(SHIPPED)
    assert code == 0, [line for line in lines if line.startswith("FAIL")]
    assert not any("unused-content check is skipped" in line for line in lines)
    spare = tmp_path / "content"
    spare.mkdir()
    for doc in CONTENT.glob("*.md"):
        (spare / doc.name).write_text(doc.read_text(encoding="utf-8"), "utf-8")
    extra = (CONTENT / "myths.md").read_text(encoding="utf-8")
    (spare / "spare.md").write_text(extra.replace("id: myths", "id: spare"), "utf-8")
    code, lines = check(SHIPPED, spare)
    assert code == 1
    assert [line for line in lines if line.startswith("FAIL")] == [
        f"FAIL {spare / 'spare.md'}:1: content 'spare' is not used by any flow or by the bot"
    ]


def test_an_error_in_a_yaml_anchor_is_reported_once_naming_its_users(tmp_path: Path) -> None:
    flow = tmp_path / "aliased.yaml"
    flow.write_text(
        'id: aliased\nversion: "1"\nstart: a\n'
        'facts:\n  a: ["yes", "no"]\n  b: ["yes", "no"]\n  c: ["yes", "no"]\n'
        "questions:\n"
        "  a:\n    fact: a\n    text: A?\n    options: &yes_no\n"
        '      - {id: "yes", label: "Yes"}\n      - {id: "no", label: "No"}\n'
        '      - {id: "maybe", label: "Maybe"}\n'
        "    next: [{goto: b}]\n"
        "  b: {fact: b, text: B?, options: *yes_no, next: [{goto: c}]}\n"
        "  c: {fact: c, text: C?, options: *yes_no, next: [{goto: end}]}\n"
        "outcomes:\n  end: {rule: R1, disposition: soon, reason: Done.}\n",
        encoding="utf-8",
    )
    code, lines = check(flow, None)
    failures = [line for line in lines if line.startswith("FAIL")]
    assert code == 1 and len(failures) == 1, failures
    assert failures[0].startswith(f"FAIL {flow}:15: options[2].id: 'maybe' is not a value")
    assert failures[0].endswith("by 3 keys: questions.a, questions.b, questions.c)")
