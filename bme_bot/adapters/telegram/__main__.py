"""`python -m bme_bot.adapters.telegram [--base-url URL] [--webhook-url URL]`."""

from __future__ import annotations

import argparse
import sys

from bme_bot.adapters.telegram.run import EXIT_USAGE, run_telegram
from bme_bot.config import ConfigError, load_settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bme-bot telegram")
    parser.add_argument("--base-url", help="Bot API base URL (default: TELEGRAM_API_BASE_URL)")
    parser.add_argument("--webhook-url", help="public webhook URL (default: WEBHOOK_URL)")
    args = parser.parse_args(argv)
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(f"bme-bot: configuration error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    return run_telegram(args, settings)


if __name__ == "__main__":
    raise SystemExit(main())
