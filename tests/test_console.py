"""The console simulator, run as a real process: JSON lines, interactive, transcripts."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

TRANSCRIPTS = sorted((Path(__file__).parent / "transcripts").glob("*.yaml"))


def console(*args: str, stdin: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bme_bot", "console", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_json_mode_one_object_at_start_then_one_per_line() -> None:
    lines = [
        "agree",
        "2",
        "hip",
        "no",
        "normal",
        "no",
        "gradual",
        "nonsense",
        "no",
        "no",
        "no",
        "no",
        "no",
        "no",
        "no",
        "no",
        "improving",
        "under_1_week",
    ]
    run = console("--json", stdin="\n".join(lines) + "\n")
    assert run.returncode == 0, run.stderr
    records = [json.loads(line) for line in run.stdout.splitlines()]
    assert len(records) == len(lines) + 1
    assert records[0]["asks"] == "consent" and records[0]["done"] is False
    assert records[0]["options"][0] == {"id": "agree", "label": "I understand, continue"}
    reask = records[8]
    assert reask["asks"] == "immunosuppressed" and "didn't catch" in reask["text"]
    last = records[-1]
    assert last["done"] is True and last["disposition"] == "self_care" and last["rule"] == "C2"
    assert "112" in last["text"] and "**" not in last["text"]
    for key in ("text", "options", "asks", "state", "disposition", "rule", "done"):
        assert key in last


def test_json_mode_end_of_input_right_away_exits_zero() -> None:
    run = console("--json", stdin="")
    assert run.returncode == 0
    assert len(run.stdout.splitlines()) == 1


def test_interactive_mode_reads_numbers_and_fits_80_columns() -> None:
    run = console(stdin="1\n2\n2\n2\n3\n/why\n/quit\n")
    assert run.returncode == 0, run.stderr
    out = run.stdout
    assert "1. I understand, continue" in out and "Get help now" in out and "rule E2" in out
    assert max(len(line) for line in out.splitlines()) <= 80
    assert out.rstrip().endswith("Goodbye. Take care.")


def test_console_does_not_import_telegram() -> None:
    code = (
        "import sys, io; from bme_bot.cli import main; sys.stdin = io.StringIO('');"
        "main(['console', '--json']); print('telegram' in sys.modules, 'redis' in sys.modules)"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert run.stdout.strip().splitlines()[-1] == "False False"


@pytest.mark.parametrize("path", TRANSCRIPTS, ids=[p.stem for p in TRANSCRIPTS])
def test_golden_transcript_through_console_json(path: Path) -> None:
    """Feed the transcript's inputs to `console --json` and check every turn's expectations."""
    import yaml

    transcript = yaml.safe_load(path.read_text(encoding="utf-8"))
    inputs = [str(step["input"]) for step in transcript["steps"]]
    prefix = [f"/region {transcript['region']}"] if transcript.get("region") else []
    run = console("--json", stdin="\n".join(prefix + inputs) + "\n")
    assert run.returncode == 0, run.stderr
    records = [json.loads(line) for line in run.stdout.splitlines()][len(prefix) :]
    if prefix:
        records[0]["asks"] = "consent"
    expectations = [transcript.get("start", {})] + [
        {k: v for k, v in step.items() if k != "input"} for step in transcript["steps"]
    ]
    assert len(records) == len(expectations)
    for number, (record, expect) in enumerate(zip(records, expectations, strict=True)):
        for key in ("asks", "state", "disposition", "rule", "done"):
            if key in expect:
                assert record[key] == expect[key], f"turn {number}: {key}"
        for fragment in expect.get("contains", []):
            assert str(fragment) in record["text"], f"turn {number}: missing {fragment!r}"


def test_transcript_replay_shows_the_first_divergence(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "name: wrong\nsteps:\n  - {input: agree, asks: age_group}\n  - {input: adult, asks: fever}\n"
    )
    run = subprocess.run(
        [sys.executable, "-m", "bme_bot", "console", "--transcript", str(bad)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert run.returncode == 1
    assert "step 2 (input 'adult'): asks: expected 'fever', got 'site'" in run.stdout


def test_run_without_token_is_the_console_on_the_embedded_store(tmp_path: Path) -> None:
    """`make run` with no token: the interactive console, saving to SQLite under BME_DATA_DIR."""
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "STORE_URL"))}
    env["BME_DATA_DIR"] = str(tmp_path / "data")
    run = subprocess.run(
        [sys.executable, "-m", "bme_bot", "run"],
        input="agree\nadult\nknee\nno\nno\n/quit\n",
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    assert "Get help now" in run.stdout
    assert (tmp_path / "data" / "bme-bot.sqlite3").is_file()
    stats = subprocess.run(
        [sys.executable, "-m", "bme_bot", "stats"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )
    assert stats.returncode == 0, stats.stderr
    assert "Conversations started: 1" in stats.stdout
    assert re.search(r"^E2 +emergency +1$", stats.stdout, re.MULTILINE)
