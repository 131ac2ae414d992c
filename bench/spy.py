"""Read py-spy's collapsed stacks (`--format raw`): the share of samples in named places.

    python -m bench.spy PROFILE.txt [PROFILE.txt ...]

A sample counts for a place when any frame of its stack matches; places overlap (a Bot API
call inside a handler counts for both), so the shares do not add up to 100%.
"""

from __future__ import annotations

import sys
from pathlib import Path

PLACES: dict[str, tuple[str, ...]] = {
    "executor: answer the tap": ("answer_query (bme_bot/adapters/telegram/executor.py",),
    "executor: edit": ("_edit (bme_bot/adapters/telegram/executor.py",),
    "executor: send": ("send (bme_bot/adapters/telegram/executor.py",),
    "any Bot API request (PTB Bot._post)": ("_post (telegram/_bot.py",),
    "httpcore pool: assign (idle checks)": ("_assign_requests_to_connections",),
    "httpcore: has_expired / is_readable": ("has_expired", "is_socket_readable"),
    "PTB AIORateLimiter": ("_aioratelimiter.py",),
    "service.handle (engine + store)": ("handle (bme_bot/service.py",),
    "store (sqlite)": ("bme_bot/storage/sqlite.py",),
    "worker-thread hop (to_thread / run_in_executor)": ("to_thread", "run_in_executor"),
    "engine step": ("bme_bot/core/engine.py",),
    "planner": ("bme_bot/adapters/telegram/planner.py",),
    "logging": ("logging/__init__.py", "bme_bot/logs.py"),
    "webhook server (aiohttp in, JSON out)": ("bme_bot/adapters/telegram/webhook.py",),
    "Update.de_json": ("de_json",),
    "event loop idle (select)": ("select (selectors.py",),
}


def shares(path: Path) -> tuple[int, dict[str, float]]:
    total = 0
    hits = dict.fromkeys(PLACES, 0)
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        n = int(count)
        total += n
        for place, needles in PLACES.items():
            if any(needle in stack for needle in needles):
                hits[place] += n
    return total, {p: 100 * h / total if total else 0.0 for p, h in hits.items()}


def main(argv: list[str]) -> None:
    for name in argv:
        total, got = shares(Path(name))
        print(f"{name}: {total} samples")
        for place, share in got.items():
            print(f"  {share:5.1f}%  {place}")


if __name__ == "__main__":
    main(sys.argv[1:])
