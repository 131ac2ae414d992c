"""`bme-bot telegram` with one performance change switched on, to measure it on its own.

    BENCH_ANSWER_IN_RESPONSE=1 python -m bench.bme_variant   # taps answered in the webhook reply
    BENCH_POOL=8 python -m bench.bme_variant                 # Bot API pool of 8 connections
    BENCH_HTTP_VERSION=2 python -m bench.bme_variant         # HTTP/2 to the Bot API (needs h2)

The switches are set here, on the classes, before the bot starts (a benchmark may do that; the
bot's own code reads none of these variables). Without any, it is plain `bme-bot telegram`.
"""

from __future__ import annotations

import os
import sys
from typing import Any


def apply() -> list[str]:
    """Patch the classes for the switches set in the environment; returns their names."""
    applied: list[str] = []
    if os.environ.get("BENCH_ANSWER_IN_RESPONSE") == "1":
        from bme_bot.adapters.telegram import webhook

        original = webhook.WebhookServer.__init__

        def init(self: webhook.WebhookServer, *args: Any, **kwargs: Any) -> None:
            original(self, *args, **kwargs)
            self.answer_in_response = True

        webhook.WebhookServer.__init__ = init  # type: ignore[method-assign]
        applied.append("answer_in_response")
    pool = os.environ.get("BENCH_POOL")
    version = os.environ.get("BENCH_HTTP_VERSION")
    if pool or version:
        from bme_bot.adapters.telegram import request

        original_request = request.RetryingRequest.__init__

        def request_init(self: request.RetryingRequest, *args: Any, **kwargs: Any) -> None:
            if pool:
                kwargs["connection_pool_size"] = int(pool)
            if version:
                kwargs["http_version"] = version
            original_request(self, *args, **kwargs)

        request.RetryingRequest.__init__ = request_init  # type: ignore[method-assign]
        applied.append(f"pool={pool}" if pool else f"http={version}")
    return applied


def main() -> int:
    apply()
    from bme_bot.cli import main as cli_main

    return cli_main(["telegram"])


if __name__ == "__main__":
    sys.exit(main())
