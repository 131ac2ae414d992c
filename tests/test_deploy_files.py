"""The deployment files and the commands the docs give for them are what the docs promise.

- deploy/bme-bot.service parses as a systemd unit, runs `bme-bot telegram` (or `run`), and has
  every `Key=value` that docs/TELEGRAM.md names; systemd-analyze accepts it where installed.
- Every setting the deploy files set is one the code reads.
- The `tg` shell helper of docs/TELEGRAM.md reaches the Bot API path with the token read from
  a file, against a small local Bot API fake.
- The documented WebhookInfo fields and Bot API methods are python-telegram-bot's.
- deploy/compose.custom-content.yaml is the block shown in docs/DOCKER.md and mounts what it
  points the bot at, read-only.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest
import telegram
import yaml

from bme_bot.adapters.telegram.settings import TOKEN_PATTERN
from bme_bot.adapters.telegram.updates import ALLOWED_UPDATES

ROOT = Path(__file__).resolve().parent.parent
UNIT = ROOT / "deploy" / "bme-bot.service"
ENV_EXAMPLE = ROOT / "deploy" / "bme-bot.env.example"
OVERRIDE = ROOT / "deploy" / "compose.custom-content.yaml"
TELEGRAM_DOC = ROOT / "docs" / "TELEGRAM.md"
DOCKER_DOC = ROOT / "docs" / "DOCKER.md"
SYSTEMD_HEADING = "## 4. Run it with systemd (without Docker)\n"
FENCE = re.compile(r"^```(\w*)\n(.*?)^```$", re.DOTALL | re.MULTILINE)
UNIT_KEY = re.compile(r"`([A-Z][a-z][A-Za-z]*)=([^`]*)`")  # CamelCase keys, not NAME=
FAKE_TOKEN = "123456789:" + "A" * 35
PYTHON_OWN = {"PYTHONUNBUFFERED"}

Unit = dict[str, list[tuple[str, str]]]


def parse_unit(text: str) -> Unit:
    """A systemd unit as {section: [(key, value), ...]}; keys may repeat, as systemd allows."""
    unit: Unit = {}
    section: str | None = None
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1]
            assert section not in unit, f"line {number}: section [{section}] twice"
            unit[section] = []
            continue
        assert section is not None, f"line {number}: a setting before any [Section]"
        assert not line.endswith("\\"), f"line {number}: keep each setting on one line"
        key, sep, value = line.partition("=")
        assert sep and re.fullmatch(r"[A-Z][A-Za-z]+", key.strip()), f"line {number}: {raw!r}"
        unit[section].append((key.strip(), value.strip()))
    return unit


def values(unit: Unit, key: str) -> list[str]:
    return [v for entries in unit.values() for k, v in entries if k == key]


def only(unit: Unit, key: str) -> str:
    found = values(unit, key)
    assert len(found) == 1, f"{key}= should appear once, found {found}"
    return found[0]


def unit_environment(unit: Unit) -> dict[str, str]:
    pairs = (v.partition("=") for v in values(unit, "Environment"))
    return {name: value for name, _, value in pairs}


def systemd_section() -> str:
    text = TELEGRAM_DOC.read_text(encoding="utf-8")
    assert text.count(SYSTEMD_HEADING) == 1
    return text.split(SYSTEMD_HEADING, 1)[1].split("\n## ", 1)[0]


def code_reads(name: str) -> bool:
    """True if some module of the package names this environment variable."""
    quoted = (f'"{name}"', f"'{name}'")
    return any(
        q in path.read_text(encoding="utf-8")
        for path in (ROOT / "bme_bot").rglob("*.py")
        for q in quoted
    )


@pytest.fixture(scope="module")
def unit() -> Unit:
    return parse_unit(UNIT.read_text(encoding="utf-8"))


# --- the systemd unit -------------------------------------------------------------------


def test_the_unit_has_the_three_sections(unit: Unit) -> None:
    assert list(unit) == ["Unit", "Service", "Install"]
    assert only(unit, "WantedBy") == "multi-user.target"
    assert "network-online.target" in only(unit, "After")


def test_the_unit_runs_the_telegram_bot_from_the_documented_venv(unit: Unit) -> None:
    argv = shlex.split(only(unit, "ExecStart"))
    assert Path(argv[0]).name == "bme-bot"
    assert argv[1:] in (["telegram"], ["run"])
    venv = Path(argv[0]).parent.parent
    assert f"| `{venv}` |" in systemd_section(), "the docs' path table names another venv"
    assert f"sudo python3 -m venv {venv}" in systemd_section()
    # the subcommand exists in this version of the CLI
    run = subprocess.run(
        [sys.executable, "-m", "bme_bot", *argv[1:], "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert run.returncode == 0, run.stderr


def test_the_unit_runs_as_its_own_user_and_restarts_on_failure(unit: Unit) -> None:
    assert only(unit, "User") == "bme-bot" == only(unit, "Group")
    assert "--user-group --home-dir /var/lib/bme-bot" in systemd_section()
    assert only(unit, "Restart") == "on-failure"
    assert only(unit, "RestartPreventExitStatus") == "2"  # bme-bot's exit code for bad settings


def test_the_unit_is_hardened_and_writes_only_its_data_dir(unit: Unit) -> None:
    assert only(unit, "NoNewPrivileges") == "yes"
    assert only(unit, "ProtectSystem") == "strict"
    assert only(unit, "PrivateTmp") == "yes"
    assert only(unit, "CapabilityBoundingSet") == ""
    data_dir = unit_environment(unit)["BME_DATA_DIR"]
    assert only(unit, "ReadWritePaths").split() == [data_dir]
    assert data_dir == "/var/lib/" + only(unit, "StateDirectory")


def test_the_token_comes_from_a_credential_file_never_from_the_unit(unit: Unit) -> None:
    credential, _, source = only(unit, "LoadCredential").partition(":")
    assert source == "/etc/bme-bot/telegram_bot_token"
    assert unit_environment(unit)["TELEGRAM_BOT_TOKEN_FILE"] == f"%d/{credential}"
    assert "TELEGRAM_BOT_TOKEN" not in unit_environment(unit)
    assert only(unit, "EnvironmentFile").lstrip("-") == "/etc/bme-bot/bme-bot.env"


def test_every_key_the_docs_name_is_in_the_unit(unit: Unit) -> None:
    prose = FENCE.sub("", systemd_section())
    promised = UNIT_KEY.findall(prose)
    assert len(promised) >= 15, "the systemd section should name the unit's keys"
    for key, value in promised:
        assert values(unit, key), f"the docs name {key}= but the unit has none"
        if value:
            assert value in values(unit, key), f"the docs promise {key}={value}"


def test_every_setting_the_deploy_files_set_is_read_by_the_code(unit: Unit) -> None:
    names = set(unit_environment(unit)) - PYTHON_OWN
    for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        match = re.match(r"^#?([A-Z][A-Z0-9_]+)=", line)
        if match:
            names.add(match.group(1))
    override = yaml.safe_load(OVERRIDE.read_text(encoding="utf-8"))
    for service in override["services"].values():
        names |= set(service.get("environment", {}))
    assert {"BME_DATA_DIR", "DEFAULT_REGION", "BME_FLOWS_DIR", "WEBHOOK_SECRET"} <= names
    unread = sorted(n for n in names if not code_reads(n))
    assert not unread, f"no module reads {unread}"
    assert not re.search(r"^#?TELEGRAM_BOT_TOKEN=", ENV_EXAMPLE.read_text(), re.MULTILINE)


def test_systemd_analyze_accepts_the_unit(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed")
    here = Path(sys.executable).parent / "bme-bot"
    if not here.exists():
        pytest.skip("no bme-bot script beside this Python")
    # verify wants ExecStart's program to exist: point it at this venv's, nothing else changes
    text = UNIT.read_text(encoding="utf-8")
    unit = parse_unit(text)
    program = shlex.split(only(unit, "ExecStart"))[0]
    copy = tmp_path / "bme-bot.service"
    copy.write_text(text.replace(program, str(here)), encoding="utf-8")
    run = subprocess.run(
        [analyze, "verify", str(copy)], capture_output=True, text=True, timeout=60, check=False
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "" and run.stderr.strip() == "", run.stdout + run.stderr


def test_parse_unit_refuses_what_systemd_would_not_read() -> None:
    for bad in ("Restart=on-failure\n", "[Service]\nno equals sign\n", "[A]\n[A]\n"):
        with pytest.raises(AssertionError):
            parse_unit(bad)


# --- no token anywhere ------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [TELEGRAM_DOC, DOCKER_DOC, UNIT, ENV_EXAMPLE, OVERRIDE],
    ids=lambda p: p.name,
)
def test_no_real_looking_token_is_written_down(path: Path) -> None:
    assert not TOKEN_PATTERN.search(path.read_text(encoding="utf-8"))


# --- the tg helper and getWebhookInfo ---------------------------------------------------


class FakeBotApi(BaseHTTPRequestHandler):
    """Answers every Bot API method like Telegram does for a webhook-less bot."""

    seen: list[tuple[str, str, str]]

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode()
        self.seen.append((self.command, self.path, body))
        method = self.path.rsplit("/", 1)[-1]
        result: Any = True
        if method == "getWebhookInfo":
            result = {"url": "", "has_custom_certificate": False, "pending_update_count": 3}
        data = json.dumps({"ok": True, "result": result}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = _answer

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: a test's output is its assertions."""


@pytest.fixture
def bot_api() -> Iterator[tuple[str, list[tuple[str, str, str]]]]:
    seen: list[tuple[str, str, str]] = []
    handler = type("Handler", (FakeBotApi,), {"seen": seen})
    server = HTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/bot", seen
    finally:
        server.shutdown()
        server.server_close()


def tg_function() -> str:
    blocks = [b for lang, b in FENCE.findall(TELEGRAM_DOC.read_text("utf-8")) if "tg() {" in b]
    assert len(blocks) == 1, "docs/TELEGRAM.md should define tg() once"
    return str(blocks[0])


def run_tg(args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    bash = shutil.which("bash")
    if bash is None or shutil.which("curl") is None:
        pytest.skip("needs bash and curl")
    return subprocess.run(
        [bash, "-c", f"{tg_function()}\n{args}"],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin:/usr/local/bin", **env},
        check=False,
    )


def test_tg_reads_the_token_file_and_calls_the_method(
    bot_api: tuple[str, list[tuple[str, str, str]]], tmp_path: Path
) -> None:
    base, seen = bot_api
    token_file = tmp_path / "telegram_bot_token"
    token_file.write_text(f"  {FAKE_TOKEN} \r\n", encoding="utf-8")  # spaces and a CRLF
    env = {"TELEGRAM_API_BASE_URL": base, "TELEGRAM_BOT_TOKEN_FILE": str(token_file)}
    run = run_tg("tg getWebhookInfo", env)
    assert run.returncode == 0, run.stderr
    assert seen == [("GET", f"/bot{FAKE_TOKEN}/getWebhookInfo", "")]
    assert json.loads(run.stdout)["result"]["pending_update_count"] == 3

    run = run_tg("tg deleteWebhook -d drop_pending_updates=true", env)
    assert run.returncode == 0, run.stderr
    assert seen[-1] == ("POST", f"/bot{FAKE_TOKEN}/deleteWebhook", "drop_pending_updates=true")


def test_tg_prefers_the_token_variable_like_the_bot(
    bot_api: tuple[str, list[tuple[str, str, str]]], tmp_path: Path
) -> None:
    base, seen = bot_api
    other = "987654321:" + "B" * 35
    env = {
        "TELEGRAM_API_BASE_URL": base,
        "TELEGRAM_BOT_TOKEN": other,
        "TELEGRAM_BOT_TOKEN_FILE": str(tmp_path / "missing"),
    }
    run = run_tg("tg getMe", env)
    assert run.returncode == 0, run.stderr
    assert seen == [("GET", f"/bot{other}/getMe", "")]


def test_the_documented_webhook_fields_are_the_bot_apis() -> None:
    text = TELEGRAM_DOC.read_text(encoding="utf-8")
    fields = set(telegram.WebhookInfo.__init__.__code__.co_varnames)
    table = text.split("What the fields mean:", 1)[1].split("\n\n", 2)[1]
    named = re.findall(r"^\| `([a-z_]+)` \|", table, re.MULTILINE)
    assert {"url", "pending_update_count", "last_error_date", "last_error_message"} <= set(named)
    assert {"max_connections", "ip_address"} <= set(named)
    assert set(named) <= fields
    answers = [json.loads(b) for lang, b in FENCE.findall(text) if '"pending_update_count"' in b]
    assert len(answers) == 2, "a healthy webhook answer and a healthy polling answer"
    for answer in answers:
        assert answer["ok"] is True
        assert set(answer["result"]) <= fields
    webhook = next(a["result"] for a in answers if a["result"]["url"])
    assert webhook["allowed_updates"] == ALLOWED_UPDATES
    assert "last_error_date" not in webhook
    source = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "bme_bot").rglob("*.py"))
    asked = set(re.findall(r"max_connections=(\d+)", source))
    assert asked == {str(webhook["max_connections"])}
    assert f"bme-bot asks for {webhook['max_connections']}" in text


def test_the_documented_bot_api_methods_exist() -> None:
    text = TELEGRAM_DOC.read_text(encoding="utf-8") + DOCKER_DOC.read_text(encoding="utf-8")
    methods = set(re.findall(r"\btg ([a-z][a-zA-Z]+)", text))
    methods |= set(re.findall(r"`(get[A-Z]\w+|set[A-Z]\w+|delete[A-Z]\w+)`", text))
    assert {"getWebhookInfo", "getMe", "deleteWebhook", "setWebhook", "getUpdates"} <= methods
    for method in methods:
        assert callable(getattr(telegram.Bot, method, None)), f"no Bot API method {method}"


# --- your own flows and content in the image --------------------------------------------


def test_the_compose_override_is_the_documented_one() -> None:
    blocks = [
        yaml.safe_load(b)
        for lang, b in FENCE.findall(DOCKER_DOC.read_text("utf-8"))
        if lang == "yaml" and "BME_FLOWS_DIR" in b
    ]
    assert blocks == [yaml.safe_load(OVERRIDE.read_text(encoding="utf-8"))]


def test_the_override_mounts_read_only_what_it_points_the_bot_at() -> None:
    override = yaml.safe_load(OVERRIDE.read_text(encoding="utf-8"))
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))
    assert set(override["services"]) == {"bot", "bot-webhook"}
    assert set(override["services"]) <= set(compose["services"])
    for name, service in override["services"].items():
        mounts = {}
        for volume in service["volumes"]:
            source, target, mode = volume.split(":")
            assert source.startswith("./custom/"), volume
            mounts[target] = mode
        for variable in ("BME_FLOWS_DIR", "BME_CONTENT_DIR"):
            assert mounts.get(service["environment"][variable]) == "ro", (name, variable)


def test_check_runs_against_a_flows_and_content_dir_given_by_the_variables(
    tmp_path: Path,
) -> None:
    """What `docker compose run --rm bot check` does with the override, outside the image."""
    shutil.copytree(ROOT / "flows", tmp_path / "flows")
    shutil.copytree(ROOT / "content", tmp_path / "content")
    env = {
        "PATH": "/usr/bin:/bin",
        "BME_FLOWS_DIR": str(tmp_path / "flows"),
        "BME_CONTENT_DIR": str(tmp_path / "content"),
    }

    def check() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "bme_bot", "check"],
            capture_output=True,
            text=True,
            timeout=120,
            env=env,
            cwd=tmp_path,
            check=False,
        )

    run = check()
    assert run.returncode == 0, run.stdout + run.stderr
    assert "OK: all checks passed" in run.stdout
    assert str(tmp_path / "flows") in run.stdout  # it read the given folder, not the shipped one
    # a text the flow needs is missing: check names it and fails
    advice = next((tmp_path / "content" / "en").glob("advice_*.md"))
    advice.unlink()
    run = check()
    assert run.returncode == 1
    assert f"missing content id '{advice.stem}'" in run.stdout


def test_the_log_events_and_messages_the_troubleshooting_quotes_exist() -> None:
    text = TELEGRAM_DOC.read_text(encoding="utf-8")
    trouble = text.split("## Troubleshooting\n", 1)[1].split("\n## ", 1)[0]
    source = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "bme_bot").rglob("*.py"))
    events = set(re.findall(r'"event": "(\w+)"', trouble)) | set(
        re.findall(r"`(\w+_\w+)` line", trouble)
    )
    events |= set(re.findall(r"logs `(\w+)`", trouble))
    assert {"polling_error", "update_handled", "webhook_listening"} <= events
    for event in events:
        assert f'"{event}"' in source, f"no module logs {event}"
    assert "Telegram refused the token (check TELEGRAM_BOT_TOKEN with\nBotFather)" in trouble
    assert "Telegram refused the token (check TELEGRAM_BOT_TOKEN with BotFather)" in source
    assert "configuration error: TELEGRAM_BOT_TOKEN_FILE is malformed" in trouble
    assert "{source} is malformed" in source and "configuration error: " in source
