"""The evaluation of issue 14, as assertions: typed questions find the right topic, questions
about something else get "no good match", and red flags in free text are all caught.

The question set (tests/fixtures/questions_eval.yaml) has a tuning part, used to set the
threshold and weights, and a held-out part written afterwards and never tuned on; the targets
hold on both together. The figures are in docs/FLOWS.md ("Questions answered from content").
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from bme_bot.core.engine import Engine

FIXTURES = Path(__file__).resolve().parent / "fixtures"
EVAL = yaml.safe_load((FIXTURES / "questions_eval.yaml").read_text(encoding="utf-8"))
FLAGS = yaml.safe_load((FIXTURES / "questions_red_flags.yaml").read_text(encoding="utf-8"))
RANK = {None: 0, "urgent": 1, "emergency": 2}


def _scores(engine: Engine, answerable: list[dict[str, Any]], none: list[str]) -> dict[str, float]:
    top1 = top3 = 0
    for item in answerable:
        found = [h.section.topic for h in engine.asking.search(item["q"])]
        top1 += bool(found) and found[0] in item["topic"]
        top3 += any(topic in item["topic"] for topic in found)
    wrong = sum(bool(engine.asking.search(q)) for q in none)
    return {
        "top1": top1 / len(answerable),
        "top3": top3 / len(answerable),
        "none_answered": wrong / len(none),
    }


def test_the_sets_are_as_large_as_the_issue_asks() -> None:
    answerable = EVAL["answerable"] + EVAL["held_out"]
    assert len(answerable) + len(EVAL["none"]) + len(EVAL["held_out_none"]) >= 80
    assert len(EVAL["none"]) + len(EVAL["held_out_none"]) >= 15
    assert len(FLAGS["red_flags"]) >= 40


def test_every_expected_topic_is_one_the_bot_answers_from(engine: Engine) -> None:
    topics = set(engine.asking.topics)
    for item in EVAL["answerable"] + EVAL["held_out"]:
        assert set(item["topic"]) <= topics, item


def test_targets_hold_on_all_questions(engine: Engine) -> None:
    got = _scores(
        engine,
        EVAL["answerable"] + EVAL["held_out"],
        EVAL["none"] + EVAL["held_out_none"],
    )
    assert got["top1"] >= 0.80, got
    assert got["top3"] >= 0.95, got
    assert got["none_answered"] <= 0.10, got


def test_held_out_questions_are_mostly_answered(engine: Engine) -> None:
    """Questions the weights were not fitted to: lower, but far from a guess (measured 83%
    top-1, 90% top-3, 2 of 10 'none' answered when they were written)."""
    got = _scores(engine, EVAL["held_out"], EVAL["held_out_none"])
    assert got["top1"] >= 0.75, got
    assert got["top3"] >= 0.85, got
    assert got["none_answered"] <= 0.20, got


@pytest.mark.parametrize("case", FLAGS["red_flags"], ids=lambda c: c["text"][:40])
def test_red_flag_in_free_text_is_caught_at_least_as_urgent(
    engine: Engine, case: dict[str, str]
) -> None:
    alert = engine.asking.alert(case["text"])
    assert alert is not None
    assert RANK[alert.level] >= RANK[case["level"]], (alert.level, dict(alert.facts))


@pytest.mark.parametrize("text", FLAGS["no_red_flag"])
def test_a_question_without_a_red_flag_raises_no_alert(engine: Engine, text: str) -> None:
    assert engine.asking.alert(text) is None
