"""Content: every disposition message carries the safety net and the region's number; the
content lint is clean on the shipped files and catches banned phrasing."""

from __future__ import annotations

from pathlib import Path

import pytest

from bme_bot.core.content import ContentDoc
from bme_bot.core.engine import Engine
from bme_bot.core.regions import REGIONS
from bme_bot.core.session import Session
from bme_bot.loading.content_loader import lint_content, load_content
from bme_bot.loading.errors import ContentError


@pytest.mark.parametrize("region", sorted(REGIONS))
def test_every_disposition_message_has_safety_net_and_number(engine: Engine, region: str) -> None:
    number = REGIONS[region].emergency_number
    net = engine.content["safety_net"].body.split("{emergency_number}")[0][:40]
    for outcome in engine.flow.outcomes.values():
        session = Session(
            engine.flow.id, engine.flow.version, outcome.id, outcome=outcome.id, region=region
        )
        text = engine.disposition_text(session, outcome)
        assert net in text, outcome.id
        assert f"**{number}**" in text, outcome.id
        assert "{emergency_number}" not in text


def test_shipped_content_lint_is_clean(engine: Engine) -> None:
    """Phrasing, placeholders and reading level; which files a flow uses is the next test's."""
    issues, reports = lint_content(dict(engine.content), set(engine.content))
    assert [str(i) for i in issues] == []
    assert all(r.average_sentence_words < 15 for r in reports), reports


def test_every_shipped_content_file_is_used(engine: Engine) -> None:
    from bme_bot.checking import ENGINE_CONTENT
    from bme_bot.loading.flow_loader import content_ids_used

    issues, _ = lint_content(dict(engine.content), content_ids_used(engine.flow) | ENGINE_CONTENT)
    assert [str(i) for i in issues] == []


def test_shipped_content_names_its_reviewer(engine: Engine) -> None:
    assert all(doc.reviewed_by.strip() for doc in engine.content.values())


def test_lint_flags_banned_phrasing_and_unused_files() -> None:
    doc = ContentDoc(
        "x", "X", "Rest well.\n\nYou have bone marrow edema. Take 400 mg.", ("s",), "2026-01-01", ""
    )
    issues, _ = lint_content({"x": doc}, set())
    messages = " | ".join(i.message for i in issues)
    assert "diagnostic claim" in messages and "drug dose" in messages and "not used" in messages


def test_content_loader_refuses_missing_sources(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text(
        "---\nid: a\ntitle: A\nsources: []\nreviewed: 2026-01-01\nreviewed_by: lead\n---\nBody.\n"
    )
    (tmp_path / "b.md").write_text("---\nid: c\ntitle: B\nsources: [s]\n---\nBody.\n")
    with pytest.raises(ContentError) as info:
        load_content(tmp_path)
    text = str(info.value)
    assert "a.md:4: sources: needs a non-empty list" in text
    assert "b.md:1: reviewed: missing front matter key" in text
    assert "b.md:1: reviewed_by: missing front matter key" in text
    assert "a.md:" in text and "a.md:1: reviewed_by" not in text
    assert "b.md:2: id: id 'c' differs from the file name 'b'" in text


def _file(path: Path, front: str, body: str = "Body.") -> None:
    path.write_text(f"---\n{front}\n---\n{body}\n", encoding="utf-8")


GOOD_FRONT = "id: {id}\ntitle: T\nsources: [s]\nreviewed: 2026-11-30\nreviewed_by: clinical lead"


def test_reviewed_by_is_read_and_must_be_text(tmp_path: Path) -> None:
    _file(tmp_path / "ok.md", GOOD_FRONT.format(id="ok"))
    assert load_content(tmp_path)["ok"].reviewed_by == "clinical lead"
    _file(tmp_path / "blank.md", GOOD_FRONT.format(id="blank").replace("clinical lead", '" "'))
    _file(tmp_path / "num.md", GOOD_FRONT.format(id="num").replace("clinical lead", "[a, b]"))
    _file(tmp_path / "gone.md", GOOD_FRONT.format(id="gone").replace("reviewed_by", "reviewer"))
    with pytest.raises(ContentError) as info:
        load_content(tmp_path)
    text = str(info.value)
    assert "blank.md:6: reviewed_by: needs the reviewer's role" in text
    assert "num.md:6: reviewed_by: needs the reviewer's role" in text
    assert "gone.md:1: reviewed_by: missing front matter key" in text
    assert "gone.md:6: reviewer: unknown front matter key" in text
    assert "ok.md" not in text


def _lint(doc_id: str, body: str) -> list[str]:
    doc = ContentDoc(doc_id, "T", body, ("s",), "2026-11-30", "", "lead")
    issues, _ = lint_content({doc_id: doc}, {doc_id})
    return [i.message for i in issues]


@pytest.mark.parametrize(
    "sentence",
    [
        "See a doctor today, or by tomorrow.",
        "Be seen tomorrow at the latest.",
        "If that is not possible, tomorrow morning is fine.",
        "Wait until Tomorrow if the clinic is shut.",
    ],
)
def test_lint_bans_tomorrow(sentence: str) -> None:
    messages = _lint("advice_urgent_infection", f"Get care today.\n\n{sentence}")
    assert any("same-day advice must not say tomorrow" in m for m in messages), messages


def test_lint_allows_today_without_tomorrow() -> None:
    assert _lint("advice_urgent", "Be seen today. Call {emergency_number} if worse.") == []


def test_fact_tags_are_allowed_only_at_the_start_of_a_safety_net_bullet() -> None:
    net = (
        "**Call {emergency_number} at once if:**\n\n"
        "- {cold_pale_numb} The foot turns cold, pale or numb.\n"
        "- {weight_bearing=unable} You cannot take 4 steps.\n"
        "- You feel much worse."
    )
    assert _lint("safety_net", net) == []
    for bad in (
        "- {Fever} A fever starts.",
        "- {fever=} A fever starts.",
        "- {fever}A fever starts.",
        "- A fever starts {fever}.",
        "* {fever} A fever starts.",
    ):
        messages = _lint("safety_net", f"{net}\n{bad}")
        assert any("placeholder" in m or "fact tag" in m for m in messages), bad


def test_fact_tags_and_other_placeholders_are_refused_outside_the_safety_net() -> None:
    tagged = _lint("advice_soon", "Book a visit.\n\n- {night_pain} The pain wakes you.")
    assert any("fact tag opens a bullet only in safety_net" in m for m in tagged), tagged
    other = _lint("advice_soon", "Call {emergency} or {region_number} now.")
    assert sum("unknown placeholder" in m for m in other) == 2, other
    assert _lint("advice_soon", "Call {emergency_number} now.") == []
