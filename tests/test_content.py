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
    from bme_bot.checking import ENGINE_CONTENT
    from bme_bot.loading.flow_loader import content_ids_used

    issues, reports = lint_content(
        dict(engine.content), content_ids_used(engine.flow) | ENGINE_CONTENT
    )
    assert issues == []
    assert all(r.average_sentence_words < 15 for r in reports)


def test_lint_flags_banned_phrasing_and_unused_files() -> None:
    doc = ContentDoc(
        "x", "X", "Rest well.\n\nYou have bone marrow edema. Take 400 mg.", ("s",), "2026-01-01", ""
    )
    issues, _ = lint_content({"x": doc}, set())
    messages = " | ".join(i.message for i in issues)
    assert "diagnostic claim" in messages and "drug dose" in messages and "not used" in messages


def test_content_loader_refuses_missing_sources(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text(
        "---\nid: a\ntitle: A\nsources: []\nreviewed: 2026-01-01\n---\nBody.\n"
    )
    (tmp_path / "b.md").write_text("---\nid: c\ntitle: B\nsources: [s]\n---\nBody.\n")
    with pytest.raises(ContentError) as info:
        load_content(tmp_path)
    text = str(info.value)
    assert "a.md:4: sources: needs a non-empty list" in text
    assert "b.md:1: reviewed: missing front matter key" in text
    assert "b.md:2: id: id 'c' differs from the file name 'b'" in text
