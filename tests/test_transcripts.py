"""Golden transcripts: `facts` and `progress` expectations, their messages, and recording."""

from __future__ import annotations

from pathlib import Path

import pytest

from bme_bot.core.engine import Engine
from bme_bot.transcripts import (
    TranscriptError,
    load_transcript,
    run_transcript,
    save_transcript,
    transcript_text,
)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "t.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_facts_and_progress_that_hold_pass(tmp_path: Path, demo_engine: Engine) -> None:
    path = write(
        tmp_path,
        "steps:\n"
        "  - {input: normal, asks: fever, facts: {walk: normal}, progress: [1, 3]}\n"
        "  - {input: 'yes', facts: {walk: normal, fever: 'yes'},"
        " progress: {answered: 2, at_most: 3}}\n",
    )
    result = run_transcript(demo_engine, load_transcript(path))
    assert result.divergence is None
    assert result.records[1]["progress"] == {"answered": 1, "at_most": 3}


def test_a_wrong_fact_names_only_the_facts_that_differ(tmp_path: Path, demo_engine: Engine) -> None:
    path = write(
        tmp_path,
        "steps:\n  - {input: normal}\n  - {input: 'no', facts: {walk: unable, pain: mild}}\n",
    )
    result = run_transcript(demo_engine, load_transcript(path))
    assert result.divergence is not None
    assert result.divergence.endswith(
        "step 2 (input 'no'): facts: fever not expected, got 'no'; "
        "pain expected 'mild', missing; walk expected 'unable', got 'normal'"
    )


def test_a_wrong_progress_says_both_counts(tmp_path: Path, demo_engine: Engine) -> None:
    path = write(tmp_path, "start: {progress: [0, 9]}\nsteps: []\n")
    result = run_transcript(demo_engine, load_transcript(path))
    assert result.divergence is not None
    assert "start: progress: expected 0 of at most 9, got 0 of at most 3" in result.divergence


@pytest.mark.parametrize(
    "step",
    [
        "{input: a, progress: [1]}",
        "{input: a, progress: [1, 'x']}",
        "{input: a, progress: {answered: 1}}",
        "{input: a, progress: 3}",
        "{input: a, facts: [walk]}",
        "{input: a, facts: {fever: yes}}",
    ],
)
def test_malformed_facts_or_progress_are_refused(tmp_path: Path, step: str) -> None:
    with pytest.raises(TranscriptError) as caught:
        load_transcript(write(tmp_path, f"steps:\n  - {step}\n"))
    assert "steps[0]." in str(caught.value)


def test_a_recorded_transcript_loads_and_replays(tmp_path: Path, demo_engine: Engine) -> None:
    """What `--record` writes is what `load_transcript` reads, "yes" and "no" quoted."""
    source = write(tmp_path, "steps:\n  - {input: normal}\n  - {input: 'yes'}\n  - {input: bad}\n")
    played = run_transcript(demo_engine, load_transcript(source))
    assert played.divergence is None
    steps = [("normal", played.records[1]), ("yes", played.records[2]), ("bad", played.records[3])]
    text = transcript_text("demo", played.records[0], steps, region="UK")
    target = tmp_path / "recorded.yaml"
    save_transcript(target, text)
    recorded = load_transcript(target)
    assert recorded.region == "UK"
    assert recorded.steps[1].expect["facts"] == {"walk": "normal", "fever": "yes"}
    assert recorded.steps[2].expect == {
        "disposition": "urgent",
        "rule": "U3",
        "done": True,
        "facts": {"walk": "normal", "fever": "yes", "pain": "bad"},
        "progress": {"answered": 3, "at_most": 3},
    }
    assert run_transcript(demo_engine, recorded).divergence is None


def test_save_never_replaces_without_force_and_leaves_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "kept.yaml"
    target.write_text("old\n", encoding="utf-8")
    with pytest.raises(FileExistsError):
        save_transcript(target, "new\n")
    assert target.read_text(encoding="utf-8") == "old\n"
    save_transcript(target, "new\n", force=True)
    assert target.read_text(encoding="utf-8") == "new\n"
    assert [p.name for p in tmp_path.iterdir()] == ["kept.yaml"]
