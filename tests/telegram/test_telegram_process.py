"""The bot as a process: start-up errors, graceful SIGTERM/SIGINT, logs; plus settings,
rendering and log redaction units."""

from __future__ import annotations

import asyncio
import io
import logging
import os
import signal
import sys
import time
from pathlib import Path

import pytest
from fake_bot_api import FakeBotApi
from tg_harness import TOKEN

from bme_bot.adapters.telegram.rendering import MAX_MESSAGE, render, render_chunks
from bme_bot.adapters.telegram.settings import load_telegram_settings
from bme_bot.config import ConfigError
from bme_bot.logs import hash_chat, log_event, setup_logging, teardown_logging

ROOT = Path(__file__).resolve().parents[2]


def bot_env(**extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TELEGRAM_", "WEBHOOK_", "STORE_", "BME_"))
    }
    env.update({"STORE_URL": "memory://", "LOG_LEVEL": "DEBUG", "PYTHONUNBUFFERED": "1"})
    env.update(extra)
    return env


async def run_bot(env: dict[str, str], within: float = 20) -> tuple[int, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bme_bot.adapters.telegram",
        env=env,
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _, err = await asyncio.wait_for(proc.communicate(), within)
    assert proc.returncode is not None
    return proc.returncode, err.decode()


@pytest.mark.parametrize(
    ("extra", "needle"),
    [
        ({}, "no Telegram token"),
        ({"TELEGRAM_BOT_TOKEN": "not-a-token"}, "TELEGRAM_BOT_TOKEN is malformed"),
        ({"TELEGRAM_BOT_TOKEN_FILE": "/nonexistent/token"}, "cannot be read"),
        (
            {"TELEGRAM_BOT_TOKEN": TOKEN, "WEBHOOK_URL": "https://x.example/hook"},
            "WEBHOOK_SECRET is required",
        ),
    ],
)
async def test_bad_setup_is_one_line_and_exit_2(extra: dict[str, str], needle: str) -> None:
    code, err = await run_bot(bot_env(**extra))
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0], err
    assert "Traceback" not in err and TOKEN not in err


async def test_refused_token_is_exit_2() -> None:
    fake = FakeBotApi("999:" + "B" * 35)  # knows another token: answers 401
    base = await fake.start()
    try:
        code, err = await run_bot(bot_env(TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_BASE_URL=base))
    finally:
        await fake.stop()
    assert code == 2 and "refused the token" in err and "Traceback" not in err
    assert TOKEN not in err


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
async def test_signal_stops_gracefully_within_10_seconds(
    sig: signal.Signals, tmp_path: Path
) -> None:
    fake = FakeBotApi(TOKEN)
    base = await fake.start()
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN + "\n")
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bme_bot.adapters.telegram",
        env=bot_env(TELEGRAM_BOT_TOKEN_FILE=str(token_file), TELEGRAM_API_BASE_URL=base),
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        await fake.wait_for(lambda: bool(fake.of("getUpdates")), within=15)
        fake.push(fake.text(4321, "/start"))
        await fake.wait_for(lambda: bool(fake.sent(4321)), within=10)
        # the whole composition (bootstrap, check-ins layer, handlers) answered with the first
        # question, not with "something went wrong"
        first = fake.sent(4321)[0]
        assert "q|consent|" in str(first.params.get("reply_markup")), first.text[:200]
        began = time.monotonic()
        proc.send_signal(sig)
        _, err_bytes = await asyncio.wait_for(proc.communicate(), 10)
        took = time.monotonic() - began
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
        await fake.stop()
    err = err_bytes.decode()
    assert proc.returncode == 0, err
    assert took < 10
    assert '"bot_stopped"' in err
    assert TOKEN not in err and TOKEN.split(":")[1] not in err
    assert "/start" not in err.replace('"command"', "")


def test_settings_from_the_environment(tmp_path: Path) -> None:
    token_file = tmp_path / "t"
    token_file.write_text(f"  {TOKEN}\n")
    tg = load_telegram_settings({"TELEGRAM_BOT_TOKEN_FILE": str(token_file)})
    assert tg.token.reveal() == TOKEN and not tg.webhook
    assert TOKEN not in repr(tg)
    tg = load_telegram_settings(
        {
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_BASE_URL": "http://127.0.0.1:8081/bot",
            "WEBHOOK_URL": "https://bot.example.org/tg/hook",
            "WEBHOOK_SECRET": "abc_DEF-123",
            "WEBHOOK_PORT": "9000",
        }
    )
    assert tg.webhook and tg.webhook_path == "/tg/hook" and tg.webhook_port == 9000
    assert tg.file_base_url == "http://127.0.0.1:8081/file/bot"
    flag = load_telegram_settings({"TELEGRAM_BOT_TOKEN": TOKEN}, base_url="http://h:1/bot")
    assert flag.api_base_url == "http://h:1/bot"
    for bad in (
        {"WEBHOOK_URL": "https://x/h", "WEBHOOK_SECRET": "has space"},
        {"WEBHOOK_PORT": "eighty"},
        {"TELEGRAM_API_BASE_URL": "ftp://x/bot"},
        {"WEBHOOK_URL": "not a url", "WEBHOOK_SECRET": "ok"},
    ):
        with pytest.raises(ConfigError) as caught:
            load_telegram_settings({"TELEGRAM_BOT_TOKEN": TOKEN, **bad})
        assert TOKEN not in str(caught.value)


def test_rendering_escapes_and_formats() -> None:
    assert render("**Bold** and *it* & <tag>") == "<b>Bold</b> and <i>it</i> &amp; &lt;tag&gt;"
    assert render("- one\n- two") == "• one\n• two"
    assert render('[site](https://e.org/?a=1&b="2")') == (
        '<a href="https://e.org/?a=1&amp;b=&quot;2&quot;">site</a>'
    )
    assert render("[bad](javascript:void)") == "bad"
    assert render("2 * 3 * 4 and snake_case_word") == "2 * 3 * 4 and snake_case_word"


def test_long_texts_split_at_paragraphs_under_the_limit() -> None:
    paragraphs = [f"**Part {i}** " + "word & <more> " * 40 for i in range(40)]
    chunks = render_chunks("\n\n".join(paragraphs))
    assert len(chunks) > 1
    assert all(len(c) <= MAX_MESSAGE for c in chunks)
    assert all(c.startswith("<b>Part") for c in chunks)  # each starts a paragraph
    assert sum(c.count("<b>Part") for c in chunks) == 40
    huge = "x&" * 5000  # one paragraph longer than a message
    assert all(len(c) <= MAX_MESSAGE for c in render_chunks(huge))
    assert "".join(render_chunks(huge)).replace("\n", "") == "x&amp;" * 5000


def test_redaction_is_a_second_line_of_defence() -> None:
    stream = io.StringIO()
    setup_logging("DEBUG", [TOKEN], stream=stream)
    try:
        logger = logging.getLogger("bme_bot.test")
        logger.info("calling https://api.telegram.org/bot%s/getMe", TOKEN)
        log_event(logger, "oops", url=f"/bot{TOKEN}/x")
        try:
            raise RuntimeError(f"failed for {TOKEN}")
        except RuntimeError:
            logger.exception("boom")
        logging.getLogger("httpx").info("HTTP Request: POST /bot%s/sendMessage", TOKEN)
    finally:
        teardown_logging()
    out = stream.getvalue()
    assert TOKEN not in out and "[REDACTED]" in out
    assert len(out.strip().splitlines()) == 3  # one line per event, httpx held back
    assert hash_chat(123) == hash_chat(123) != hash_chat(124) and "123" not in hash_chat(123)


def test_send_rate_limiter_is_on_by_default_and_can_be_turned_off() -> None:
    """Outgoing messages respect Telegram's ~30/s by default; 0 turns the counting off (the
    limiter stays, for 429s per chat and dropped notices: issue 13, finding 1)."""
    from bme_bot.adapters.telegram.handlers import TelegramBot
    from bme_bot.adapters.telegram.runtime import build_application
    from bme_bot.adapters.telegram.send_limiter import SendLimiter
    from bme_bot.config import ConfigError

    def limiter(env: dict[str, str]) -> object:
        tg = load_telegram_settings({"TELEGRAM_BOT_TOKEN": TOKEN, **env})
        return build_application(tg, TelegramBot(service=None)).bot.rate_limiter  # type: ignore[arg-type]

    assert load_telegram_settings({"TELEGRAM_BOT_TOKEN": TOKEN}).send_rate == 30
    shipped = limiter({})
    assert isinstance(shipped, SendLimiter)
    assert shipped.overall_rate == 30 and shipped.per_chat
    off = limiter({"TELEGRAM_SEND_RATE": "0"})
    assert isinstance(off, SendLimiter) and off.overall_rate == 0 and not off.per_chat
    with pytest.raises(ConfigError, match="TELEGRAM_SEND_RATE"):
        load_telegram_settings({"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_SEND_RATE": "fast"})


@pytest.mark.parametrize(("setting", "expected"), [(None, 8), ("1", 1), ("3", 3)])
async def test_updates_in_flight_is_a_setting_and_a_bound(
    setting: str | None, expected: int
) -> None:
    """TELEGRAM_UPDATES_IN_FLIGHT bounds how many updates are handled at once (default 8)."""
    from bme_bot.adapters.telegram.runtime import TelegramRuntime

    env = {"TELEGRAM_BOT_TOKEN": TOKEN}
    if setting is not None:
        env["TELEGRAM_UPDATES_IN_FLIGHT"] = setting
    # The runtime's own wiring, from the settings to PTB's processor and the bot's semaphore.
    runtime = TelegramRuntime(load_telegram_settings(env), service=None)  # type: ignore[arg-type]
    assert runtime.application.update_processor.max_concurrent_updates == expected
    bot = runtime.bot

    class CountingApplication:
        """The one method `process` uses, counting how many updates are inside it at once."""

        def __init__(self) -> None:
            self.inside = 0
            self.most = 0

        async def process_update(self, update: object) -> None:
            self.inside += 1
            self.most = max(self.most, self.inside)
            await asyncio.sleep(0.01)
            self.inside -= 1

    application = CountingApplication()
    await asyncio.wait_for(
        asyncio.gather(*(bot.process(application, object()) for _ in range(20))),  # type: ignore[arg-type]
        timeout=10,
    )
    assert application.most == expected


@pytest.mark.parametrize("bad", ["0", "257", "many"])
def test_updates_in_flight_refuses_bad_values(bad: str) -> None:
    with pytest.raises(ConfigError, match="TELEGRAM_UPDATES_IN_FLIGHT"):
        load_telegram_settings({"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_UPDATES_IN_FLIGHT": bad})
