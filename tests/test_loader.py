"""The loader refuses each kind of bad flow with a message naming file:line and the key."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from bme_bot.core.content import ContentDoc
from bme_bot.loading.errors import FlowError
from bme_bot.loading.flow_loader import load_flow

GOOD = """\
id: t
version: "1"
start: q1
facts:
  f1: ["yes", "no"]
  f2: [a, b]
questions:
  q1:
    fact: f1
    text: "One?"
    options: [{id: "yes", label: "Yes"}, {id: "no", label: "No"}]
    next:
      - {when: {f1: "yes"}, goto: q2}
      - goto: done
  q2:
    fact: f2
    text: "Two?"
    options: [{id: a, label: "A"}, {id: b, label: "B"}]
    next:
      - goto: done
outcomes:
  done: {rule: C1, disposition: self_care, reason: "Fine."}
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "flow.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def refuse(tmp_path: Path, text: str, content: dict | None = None) -> str:
    path = write(tmp_path, text)
    with pytest.raises(FlowError) as info:
        load_flow(path, content)
    return str(info.value)


def test_good_flow_loads(tmp_path: Path) -> None:
    flow = load_flow(write(tmp_path, GOOD))
    assert flow.start == "q1" and set(flow.questions) == {"q1", "q2"}


def test_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    message = refuse(tmp_path, GOOD.replace('text: "Two?"', 'text: "Two?'))
    assert "flow.yaml:" in message and "YAML syntax error" in message


def test_unknown_key(tmp_path: Path) -> None:
    message = refuse(
        tmp_path, GOOD.replace('    text: "One?"', '    text: "One?"\n    colour: red')
    )
    assert "flow.yaml:11: questions.q1.colour: unknown key" in message


def test_undeclared_fact_in_question(tmp_path: Path) -> None:
    message = refuse(tmp_path, GOOD.replace("fact: f2", "fact: f9"))
    assert "flow.yaml:16: questions.q2.fact: undeclared fact 'f9'" in message


def test_undeclared_fact_in_condition(tmp_path: Path) -> None:
    message = refuse(tmp_path, GOOD.replace('{when: {f1: "yes"}', '{when: {f7: "yes"}'))
    assert "flow.yaml:13: questions.q1.next[0].when.f7: undeclared fact 'f7'" in message


def test_option_outside_fact_values(tmp_path: Path) -> None:
    message = refuse(tmp_path, GOOD.replace('{id: b, label: "B"}', '{id: c, label: "C"}'))
    assert "flow.yaml:18: questions.q2.options[1].id: 'c' is not a value of fact 'f2'" in message


def test_bare_yes_is_a_boolean_and_refused(tmp_path: Path) -> None:
    message = refuse(tmp_path, GOOD.replace('f1: ["yes", "no"]', "f1: [yes, no]"))
    assert "flow.yaml:5: facts.f1[0]: got a boolean: quote" in message


def test_route_to_unknown_state(tmp_path: Path) -> None:
    message = refuse(tmp_path, GOOD.replace("goto: q2}", "goto: q3}"))
    assert "flow.yaml:13: route q1#1: goes to unknown state 'q3'" in message


def test_unreachable_state(tmp_path: Path) -> None:
    text = GOOD + '  orphan: {rule: C2, disposition: self_care, reason: "Never."}\n'
    message = refuse(tmp_path, text)
    assert "flow.yaml:23: orphan: unreachable state" in message


def test_state_with_no_way_out(tmp_path: Path) -> None:
    text = GOOD.replace("      - goto: done\n  q2:", "  q2:")
    message = refuse(tmp_path, text)
    assert "flow.yaml:8: q1: state with no way out for some answers" in message
    assert "example: f1=no" in message


def test_fact_asked_twice_on_one_path(tmp_path: Path) -> None:
    message = refuse(
        tmp_path,
        GOOD.replace("fact: f2", "fact: f1").replace(
            '[{id: a, label: "A"}, {id: b, label: "B"}]', '[{id: "yes", label: "Y"}]'
        ),
    )
    assert "flow.yaml:15: q2: a fact asked twice on one path" in message
    assert "f1=yes" in message


def test_missing_content_id(tmp_path: Path) -> None:
    text = GOOD.replace('    text: "One?"', "    content: intro")
    message = refuse(tmp_path, text, content={})
    assert "flow.yaml:8: questions.q1.content: missing content id 'intro'" in message


def test_callback_payload_over_64_bytes(tmp_path: Path) -> None:
    long_id = "a" * 40
    text = (
        GOOD.replace("q2", "q_" + "x" * 30)
        .replace("[a, b]", f"[{long_id}, b]")
        .replace("{id: a,", f"{{id: {long_id},")
    )
    message = refuse(tmp_path, text)
    assert "button payload would be" in message and "over Telegram's 64" in message


def test_every_problem_is_reported_not_just_the_first(tmp_path: Path) -> None:
    text = GOOD.replace("fact: f2", "fact: f9").replace(
        '{id: "no", label: "No"}', '{id: n, label: "No"}'
    )
    message = refuse(tmp_path, text)
    assert "undeclared fact 'f9'" in message and "'n' is not a value of fact 'f1'" in message


def test_content_doc_ids_are_accepted(tmp_path: Path) -> None:
    text = GOOD.replace('    text: "One?"', "    content: intro")
    doc = ContentDoc("intro", "Intro", "Hello.", ("s",), "2026-11-21")
    assert load_flow(write(tmp_path, text), {"intro": doc}).questions["q1"].content == "intro"
