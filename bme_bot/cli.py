"""`bme-bot`: one entry point for the bot, the console simulator and the checks.

Every command that runs the bot builds it with `bme_bot.bootstrap` (the one place the store
is opened). Any `BmeBotError` (a bad setting, a flow that does not load, a store that cannot
be opened or reached) is one line on stderr and exit 2, never a traceback. Heavy imports
(python-telegram-bot, redis) happen inside the commands that need them, so `bme-bot console`
shows its first prompt quickly.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from bme_bot.config import Settings, load_settings
from bme_bot.errors import BmeBotError, ConfigError, describe
from bme_bot.loading.errors import LoadError
from bme_bot.paths import PACKAGE_DIR

EXIT_USAGE = 2


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    command = args.command or "run"
    if command == "health":
        return _health(args)
    try:
        settings = load_settings()
        if command == "run":
            use_telegram = bool(
                os.environ.get("TELEGRAM_BOT_TOKEN") or os.environ.get("TELEGRAM_BOT_TOKEN_FILE")
            )
            return _telegram(args, settings) if use_telegram else _console(args, settings)
        handler = {
            "console": _console,
            "check": _check,
            "diagram": _diagram,
            "stats": _stats,
            "telegram": _telegram,
            "studio": _studio,
        }[command]
        return handler(args, settings)
    except BmeBotError as exc:
        print(f"bme-bot: {describe(exc)}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:
        return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bme-bot",
        description="Triage education for hip, knee, ankle and foot pain. It never diagnoses.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.add_parser("run", help="Telegram if a token is set, else the console simulator")
    console = sub.add_parser("console", help="talk to the bot in this terminal")
    console.add_argument("--json", action="store_true", help="one JSON object per line")
    console.add_argument("--transcript", type=Path, help="replay a YAML transcript and compare")
    console.add_argument("--flow", type=Path, help="a flow file other than the shipped one")
    console.add_argument(
        "--record", type=Path, metavar="FILE", help="save the conversation as a golden transcript"
    )
    console.add_argument("--force", action="store_true", help="let --record replace FILE")
    console.add_argument("--lang", help="start in this language (en, es, de)")
    console.add_argument(
        "--debug",
        action="store_true",
        help="after each answer show the state, the facts and the routes taken "
        "(to stderr with --json)",
    )
    check = sub.add_parser("check", help="prove the flow's invariants and lint the content")
    check.add_argument("target", nargs="?", type=Path, help="a flow file or a directory of flows")
    check.add_argument("--content", type=Path, help="content directory (default: shipped)")
    check.add_argument("--transcripts", type=Path, help="golden transcripts directory")
    diagram = sub.add_parser("diagram", help="print a Mermaid flowchart of a flow")
    diagram.add_argument("flow", nargs="?", type=Path)
    sub.add_parser("health", help="configuration valid, flows load, store reachable")
    sub.add_parser("stats", help="anonymous counters as a table")
    from bme_bot.studio.options import add_arguments as studio_arguments

    studio_arguments(
        sub.add_parser("studio", help="a local web page: the flow, a chat beside it, the proofs")
    )
    telegram = sub.add_parser("telegram", help="run the Telegram bot (polling or webhook)")
    telegram.add_argument("--base-url", help="Bot API base URL (default: TELEGRAM_API_BASE_URL)")
    telegram.add_argument("--webhook-url", help="public webhook URL (default: WEBHOOK_URL)")
    return parser


def _console(args: argparse.Namespace, settings: Settings) -> int:
    from bme_bot.adapters import console

    record: Path | None = getattr(args, "record", None)
    if record is not None and getattr(args, "transcript", None):
        print("bme-bot: --record and --transcript do not go together", file=sys.stderr)
        return EXIT_USAGE
    if record is not None and record.exists() and not getattr(args, "force", False):
        print(f"bme-bot: {record} exists; add --force to replace it", file=sys.stderr)
        return EXIT_USAGE
    if record is not None and not record.parent.is_dir():
        print(f"bme-bot: no directory {record.parent} for {record.name}", file=sys.stderr)
        return EXIT_USAGE
    options = console.Options(
        debug=getattr(args, "debug", False),
        recorder=console.Recorder(record, force=args.force) if record is not None else None,
        locale=getattr(args, "lang", None),
    )
    from bme_bot.bootstrap import build, build_engine

    flow_path: Path | None = getattr(args, "flow", None)
    if getattr(args, "transcript", None):
        from bme_bot.transcripts import load_transcript, run_transcript

        engine = build_engine(settings, flow_path=flow_path)
        result = run_transcript(engine, load_transcript(args.transcript))
        if result.divergence:
            print(f"DIVERGES {result.divergence}")
            return 1
        print(f"OK {args.transcript}: {len(result.transcript.steps)} steps as expected")
        return 0
    if getattr(args, "json", False):
        if isinstance(sys.stdin, io.TextIOWrapper):
            sys.stdin.reconfigure(errors="replace")  # a bad byte is a bad line, not a crash
        app = build(settings, store_url="memory://", flow_path=flow_path)  # a script's run
        return console.run_json(app.engine, sys.stdin, sys.stdout, options, service=app.service)
    app = build(settings, flow_path=flow_path)
    return console.run_interactive(app.engine, service=app.service, options=options)


def _check(args: argparse.Namespace, settings: Settings) -> int:
    from bme_bot.checking import run_check

    target: Path | None = args.target
    if target is None:
        flows = sorted(settings.flows_dir.glob("*.yaml"))
        content: Path | None = args.content or settings.content_locale_dir
        default_transcripts = PACKAGE_DIR.parent / "tests" / "transcripts"
        transcripts = args.transcripts or (
            default_transcripts if default_transcripts.is_dir() else None
        )
    else:
        flows = sorted(target.glob("*.yaml")) if target.is_dir() else [target]
        content = args.content
        transcripts = args.transcripts
    if not flows:
        print(f"bme-bot: no flow files found in {target or settings.flows_dir}", file=sys.stderr)
        return EXIT_USAGE
    return run_check(flows, content, transcripts, sys.stdout)


def _diagram(args: argparse.Namespace, settings: Settings) -> int:
    from bme_bot.diagram import mermaid
    from bme_bot.loading.flow_loader import load_flow

    sys.stdout.write(mermaid(load_flow(args.flow or settings.flow_path)))
    return 0


def _health(args: argparse.Namespace) -> int:
    """For HEALTHCHECK: one line on stdout, exit 0 (healthy) or 1 (anything else).

    Checks what starting the bot checks: every setting (the Telegram ones too when a token is
    set), the data directory writable when it is used (the default SQLite store, or the
    poller's heartbeat), the flow and content, the store reachable, and, when a poller wrote a
    heartbeat there, that its last successful getUpdates is recent (docs/RELIABILITY.md)."""
    from bme_bot.adapters.telegram.heartbeat import heartbeat_path, read_poller_state
    from bme_bot.bootstrap import build
    from bme_bot.config import check_writable_dir

    try:
        settings = load_settings()
        polling = False
        if os.environ.get("TELEGRAM_BOT_TOKEN") or os.environ.get("TELEGRAM_BOT_TOKEN_FILE"):
            from bme_bot.adapters.telegram.settings import load_telegram_settings

            polling = not load_telegram_settings().webhook
        if polling:
            check_writable_dir(settings.data_dir)
    except BmeBotError as exc:
        print(f"unhealthy: {describe(exc)}")
        return 1
    try:
        app = build(settings)
    except LoadError as exc:
        print(f"unhealthy: flow or content does not load: {exc.issues[0]}")
        return 1
    except ConfigError as exc:  # STORE_URL malformed, or the data directory not writable
        print(f"unhealthy: {describe(exc)}")
        return 1
    except BmeBotError as exc:  # the store cannot be opened
        print(f"unhealthy: store unreachable: {exc.one_line()}")
        return 1

    async def ping() -> None:
        try:
            await app.store.ping()
        finally:
            await app.close()

    try:
        asyncio.run(ping())
    except Exception as exc:
        print(f"unhealthy: store unreachable: {type(exc).__name__}: {exc}")
        return 1
    poller = read_poller_state(heartbeat_path(settings.data_dir))
    problem = poller.verdict()
    if problem is not None:
        print(f"unhealthy: {problem}")
        return 1
    flow = app.engine.flow
    polled = "" if poller.age is None else f", poller ok ({poller.age:.0f} s ago)"
    print(f"ok: flow {flow.id} v{flow.version} loads, store reachable{polled}")
    return 0


def _stats(args: argparse.Namespace, settings: Settings) -> int:
    from bme_bot.bootstrap import SECONDS_PER_DAY, build
    from bme_bot.checkins.url import open_checkin_store
    from bme_bot.stats import collect_checkin_stats, collect_stats, format_stats_table

    app = build(settings)
    # The check-in counters live beside the schedule, in the same store (docs/CHECKINS.md).
    schedule = open_checkin_store(
        settings.effective_store_url, settings.session_ttl_days * SECONDS_PER_DAY
    )

    async def show() -> str:
        try:
            rows = await collect_stats(app.store, app.engine.flow)
            rows += await collect_checkin_stats(schedule)
            return format_stats_table(rows)
        finally:
            await schedule.close()
            await app.close()

    print(asyncio.run(show()))
    return 0


def _studio(args: argparse.Namespace, settings: Settings) -> int:
    from bme_bot.studio.run import run_studio

    return run_studio(args, settings)


def _telegram(args: argparse.Namespace, settings: Settings) -> int:
    from bme_bot.adapters.telegram import run_telegram

    return int(run_telegram(args, settings))


if __name__ == "__main__":
    raise SystemExit(main())
