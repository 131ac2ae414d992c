"""The console simulator, run as a real process: JSON lines, interactive, transcripts."""

from __future__ import annotations

import itertools
import json
import os
import re
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bme_bot.adapters.console import BANNER, CHECKLIST_HINT, render_turn
from bme_bot.core.replies import ChecklistItem, Reply, ReplyOption

TRANSCRIPTS = sorted((Path(__file__).parent / "transcripts").glob("*.yaml"))
EXAMPLE = Path(__file__).parent / "fixtures" / "flows_doc_example.yaml"
TO_SELF_CARE = [
    "agree",
    "adult",
    "knee",
    "none",
    "normal",
    "gradual",
    "none",
    "improving",
    "under_1_week",
]


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
    lines = [*TO_SELF_CARE[:7], "nonsense", *TO_SELF_CARE[7:]]
    run = console("--json", stdin="\n".join(lines) + "\n")
    assert run.returncode == 0, run.stderr
    records = [json.loads(line) for line in run.stdout.splitlines()]
    assert len(records) == len(lines) + 1
    assert records[0]["asks"] == "consent" and records[0]["done"] is False
    assert records[0]["options"][0]["id"] == "agree"
    reask = records[8]
    assert reask["asks"] == "trend" and "didn't catch" in reask["text"]
    assert reask["kinds"] == ["reask"]
    last = records[-1]
    assert last["done"] is True and last["disposition"] == "self_care" and last["rule"] == "C2"
    assert "112" in last["text"] and "**" not in last["text"]
    for key in ("text", "options", "asks", "state", "disposition", "rule", "done", "topics"):
        assert key in last


def test_json_mode_end_of_input_right_away_exits_zero() -> None:
    run = console("--json", stdin="")
    assert run.returncode == 0
    assert len(run.stdout.splitlines()) == 1


def test_interactive_mode_reads_numbers_and_fits_80_columns() -> None:
    run = console(stdin="1\nadult\n2\nnone\n3\n/why\n/quit\n")
    assert run.returncode == 0, run.stderr
    out = run.stdout
    assert "  1. Start" in out and "Call 112 now" in out and "rule E2" in out
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
        for key in ("asks", "state", "disposition", "rule", "done", "facts"):
            if key in expect:
                assert record[key] == expect[key], f"turn {number}: {key}"
        if "progress" in expect:
            want = expect["progress"]
            pair = [want["answered"], want["at_most"]] if isinstance(want, dict) else want
            assert [record["progress"]["answered"], record["progress"]["at_most"]] == pair
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
        input="agree\nadult\nknee\nnone\n3\n/quit\n",
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    assert "Call 112 now" in run.stdout
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


def test_every_turn_carries_the_facts_as_given_and_the_progress() -> None:
    run = console("--json", stdin="\n".join(TO_SELF_CARE) + "\n")
    assert run.returncode == 0, run.stderr
    records = [json.loads(line) for line in run.stdout.splitlines()]
    assert records[0]["facts"] == {}
    assert records[0]["progress"]["answered"] == 0
    assert records[1]["facts"] == {"consent": "agree"}
    assert records[2]["facts"] == {"consent": "agree", "age_group": "adult"}
    answered = [r["progress"]["answered"] for r in records]
    assert answered == sorted(answered) and answered[-1] == len(TO_SELF_CARE)
    for record in records[:-1]:
        progress = record["progress"]
        assert progress["answered"] < progress["at_most"], record["progress"]
        assert progress["answered"] <= len(record["facts"])
    last = records[-1]
    assert last["done"] and last["progress"]["answered"] == last["progress"]["at_most"]
    assert last["facts"]["trend"] == "improving" and last["facts"]["fever"] == "no"
    checklists = [r for r in records if isinstance(r["asks"], list)]
    assert len(checklists) == 2
    assert len(last["facts"]) == len(TO_SELF_CARE) - 2 + sum(len(r["asks"]) for r in checklists)


def test_at_most_never_grows_as_answers_come() -> None:
    run = console("--json", stdin="\n".join(TO_SELF_CARE) + "\n")
    at_most = [json.loads(line)["progress"]["at_most"] for line in run.stdout.splitlines()]
    assert all(a >= b for a, b in itertools.pairwise(at_most)), at_most


def test_topics_mid_conversation_are_listed_in_json_and_the_question_stays_open() -> None:
    run = console("--json", stdin="agree\n/topics\ntopic:myths\nadult\n")
    records = [json.loads(line) for line in run.stdout.splitlines()]
    before, listed, opened, answered = records[1:]
    assert before["topics"] == []
    assert {"id": "topic:myths", "label": "Myths"} in listed["topics"]
    assert all(t["id"].startswith("topic:") for t in listed["topics"])
    assert listed["asks"] == "age_group" and listed["options"] == before["options"]
    assert "Myths" in opened["text"] and opened["asks"] == "age_group"
    assert answered["facts"] == {"consent": "agree", "age_group": "adult"}


def test_interactive_shows_progress_banner_and_topics_then_the_open_question() -> None:
    run = console(stdin="1\n/topics\n/quit\n")
    out = run.stdout
    for command in ("/back", "/restart", "/why", "/topics", "/region", "/privacy", "/forget"):
        assert command in out.split("\n\n")[0], command
    assert out.startswith(BANNER)
    assert re.search(r"^Question 1 of at most \d+$", out, re.MULTILINE)
    assert re.search(r"^Question 2 of at most \d+$", out, re.MULTILINE)
    topics = out.index("Topics you can read:")
    assert "  - Myths  (type topic:myths)" in out[topics:]
    assert out.index("How old", topics) > out.index("Myths", topics)
    assert max(len(line) for line in out.splitlines()) <= 80


def test_render_checklist_numbers_items_with_marks_and_explains_typing() -> None:
    checklist = Reply(
        "question",
        "Do any of these apply now?",
        (ReplyOption("none", "None of these"), ReplyOption("done", "Done")),
        question="flags",
        turn=3,
        checklist=(
            ChecklistItem("fever", "A fever", "unsure"),
            ChecklistItem("hot_swollen", "Warm and swollen", "yes"),
            ChecklistItem("cold_numb", "Cold or numb"),
        ),
        progress=(2, 5),
    )
    lines = render_turn([checklist]).splitlines()
    assert lines[0] == "Question 3 of at most 5"
    assert "  1. [?] A fever" in lines and "  2. [x] Warm and swollen" in lines
    assert "  3. [ ] Cold or numb" in lines and CHECKLIST_HINT in lines
    assert not any("Done" in line for line in lines)


def test_render_numbers_only_the_last_choices_and_never_region_lists() -> None:
    topics = Reply("info", "Topics:", (ReplyOption("topic:a", "A"), ReplyOption("restart", "R")))
    question = Reply(
        "question", "Q?", (ReplyOption("x", "X"), ReplyOption("y", "Y")), asks="f", question="q"
    )
    text = render_turn([topics, question], progress=(0, 4))
    assert "  - A  (type topic:a)" in text and "  - R  (type /restart)" in text
    assert "  1. X" in text and "  2. Y" in text and "Question 1 of at most 4" in text
    regions = Reply("info", "Which region?", (ReplyOption("region:UK", "United Kingdom (999)"),))
    assert "  - United Kingdom (999)  (type /region UK)" in render_turn([regions])


def test_one_ctrl_c_ends_the_interactive_console() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "bme_bot", "console"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    seen = ""
    deadline = time.monotonic() + 30
    while "> " not in seen and time.monotonic() < deadline:
        seen += os.read(process.stdout.fileno(), 4096).decode()
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert (seen + out).rstrip().endswith("Goodbye. Take care.")
    assert "Traceback" not in err


@pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs a pseudo-terminal")
def test_at_a_terminal_arrow_up_recalls_the_previous_line() -> None:
    """readline is on at a TTY: up-arrow + Enter sends /help again; Ctrl-D says goodbye."""
    import pty

    pid, fd = pty.fork()
    if pid == 0:  # the child: the console, with the pty as its terminal
        os.execv(sys.executable, [sys.executable, "-m", "bme_bot", "console"])
    output = b""

    def read_until(marker: bytes, count: int = 1) -> None:
        nonlocal output
        deadline = time.monotonic() + 30
        while output.count(marker) < count and time.monotonic() < deadline:
            ready, _, _ = select.select([fd], [], [], 1)
            if ready:
                try:
                    output += os.read(fd, 4096)
                except OSError:
                    return

    try:
        read_until(b"> ")
        os.write(fd, b"/privacy\r")
        read_until(b"> ", 2)
        os.write(fd, b"\x1b[A\r")
        read_until(b"> ", 3)
        os.write(fd, b"\x04")
        read_until(b"Goodbye")
    finally:
        _, status = os.waitpid(pid, 0)
        os.close(fd)
    text = output.decode(errors="replace")
    assert text.count("What I store") >= 2 or text.count("stored") >= 4, text[-2000:]
    assert "didn't catch" not in text
    assert "Goodbye. Take care." in text and os.waitstatus_to_exitcode(status) == 0


def test_debug_goes_to_stderr_in_json_mode_and_inline_interactively() -> None:
    run = console("--json", "--debug", stdin="agree\nadult\n/why\n")
    assert len(run.stdout.splitlines()) == 4
    debug = [json.loads(line)["debug"] for line in run.stderr.splitlines()]
    assert [d["state"] for d in debug] == ["age_group", "site", "site"]
    assert debug[1]["facts"] == {"consent": "agree", "age_group": "adult"}
    assert debug[0]["trail"] and debug[1]["trail"] and debug[2]["trail"] == []
    inline = console("--debug", stdin="agree\n/quit\n")
    assert re.search(
        r"^\[debug\] state: age_group; facts: consent=agree; took: ", inline.stdout, re.M
    )


def test_record_writes_a_transcript_that_replays(tmp_path: Path) -> None:
    target = tmp_path / "recorded.yaml"
    lines = [*TO_SELF_CARE[:3], "/topics", "nonsense", *TO_SELF_CARE[3:]]
    run = console("--json", "--record", str(target), stdin="\n".join(lines) + "\n")
    assert run.returncode == 0, run.stderr
    import yaml

    recorded = yaml.safe_load(target.read_text(encoding="utf-8"))
    assert [s["input"] for s in recorded["steps"]] == lines
    last = recorded["steps"][-1]
    assert last["disposition"] == "self_care" and last["rule"] == "C2" and last["done"] is True
    assert last["facts"]["age_group"] == "adult"
    assert last["progress"][0] == last["progress"][1] == len(TO_SELF_CARE)
    assert recorded["start"]["facts"] == {} and recorded["start"]["asks"] == "consent"
    replay = subprocess.run(
        [sys.executable, "-m", "bme_bot", "console", "--transcript", str(target)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert replay.returncode == 0, replay.stdout + replay.stderr
    assert f"{len(lines)} steps as expected" in replay.stdout


def test_record_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    target = tmp_path / "kept.yaml"
    target.write_text("precious\n", encoding="utf-8")
    refused = console("--json", "--record", str(target), stdin="agree\n")
    assert refused.returncode == 2 and "--force" in refused.stderr
    assert target.read_text(encoding="utf-8") == "precious\n" and refused.stdout == ""
    forced = console("--json", "--record", str(target), "--force", stdin="agree\n")
    assert forced.returncode == 0, forced.stderr
    assert "input: agree" in target.read_text(encoding="utf-8")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kept.yaml"]


def test_record_from_the_interactive_console(tmp_path: Path) -> None:
    target = tmp_path / "typed.yaml"
    run = console("--record", str(target), stdin="agree\nadult\n/quit\n")
    assert run.returncode == 0, run.stderr
    text = target.read_text(encoding="utf-8")
    assert "input: agree" in text and "input: adult" in text and "/quit" not in text


def test_checklist_in_json_lists_facts_items_marks_none_and_done() -> None:
    """The doc example's checklist through `console --json` (shipped content)."""
    run = console("--json", "--flow", str(EXAMPLE), stdin="agree\nnormal\n1? 2\n")
    assert run.returncode == 0, run.stderr
    records = [json.loads(line) for line in run.stdout.splitlines()]
    checklist = records[2]
    assert checklist["asks"] == ["fever", "hot_swollen"]
    ids = [o["id"] for o in checklist["options"]]
    assert ids[:2] == ["fever", "hot_swollen"] and "none" in ids and "done" in ids
    assert checklist["options"][0]["mark"] == "" and "label" in checklist["options"][0]
    answered = records[3]
    assert answered["facts"]["fever"] == "unsure" and answered["facts"]["hot_swollen"] == "yes"
    assert answered["done"] is True and answered["disposition"] == "emergency"


def test_checklist_interactively_shows_numbered_items_and_the_hint() -> None:
    run = console("--flow", str(EXAMPLE), stdin="agree\nlimp\n/quit\n")
    assert run.returncode == 0, run.stderr
    assert "  1. [ ] A fever, or feeling hot and shivery" in run.stdout
    assert "  3. [ ] The foot is cold, pale or numb" in run.stdout
    assert CHECKLIST_HINT in run.stdout


def test_checkin_now_after_self_care_opens_the_checkin_flow() -> None:
    from tests.checkins.layer import checkin_engine

    followup = checkin_engine().flow
    run = console("--json", stdin="\n".join([*TO_SELF_CARE, "/checkin-now"]) + "\n")
    assert run.returncode == 0, run.stderr
    records = [json.loads(line) for line in run.stdout.splitlines()]
    advice, checkin = records[-2], records[-1]
    assert advice["disposition"] == "self_care" and advice["asks"] == "checkin"
    assert checkin["asks"] == followup.start
    assert checkin["facts"] == {"original": "self_care"}
    assert checkin["done"] is False and checkin["disposition"] is None
    assert checkin["progress"]["answered"] == 0 and checkin["progress"]["at_most"] >= 1


def test_lang_starts_the_console_in_that_language() -> None:
    english = console("--json", stdin="")
    spanish = console("--json", "--lang", "es", stdin="")
    assert english.returncode == 0 and spanish.returncode == 0, spanish.stderr
    first_en, first_es = json.loads(english.stdout), json.loads(spanish.stdout)
    assert first_es["asks"] == first_en["asks"] == "consent"
    assert first_es["text"] != first_en["text"]
    assert [o["id"] for o in first_es["options"]] == [o["id"] for o in first_en["options"]]


def test_banner_lists_the_checkin_commands() -> None:
    for command in ("/checkins", "/stop", "/checkin-now"):
        assert command in BANNER
