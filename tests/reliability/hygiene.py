"""The log scan: no token, no webhook secret, no raw chat id, no user names, no typed text."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable

from .tgkit import CANARY_FIRST_NAME, CANARY_USERNAME, TOKEN, WEBHOOK_SECRET


def scan_logs(text: str, *, chat_ids: Iterable[int], typed: Iterable[str]) -> list[str]:
    """Every problem found, as 'what: where' (empty: clean)."""
    needles = {
        "token": TOKEN,
        "token secret part": TOKEN.split(":", 1)[1],
        "webhook secret": WEBHOOK_SECRET,
        "first name": CANARY_FIRST_NAME,
        "username": CANARY_USERNAME,
    }
    for chat in chat_ids:
        needles[f"chat id {chat}"] = str(chat)
    for n, canary in enumerate(typed):
        needles[f"typed text {n}"] = canary
    problems = []
    for number, line in enumerate(text.splitlines(), start=1):
        for what, needle in needles.items():
            if needle and needle in line:
                problems.append(f"{what}: line {number}: {line[:160]}")
    return problems


def structured_share(text: str) -> tuple[int, int]:
    """(lines that are one JSON object, all non-empty lines)."""
    total = structured = 0
    for line in text.splitlines():
        if not line.strip():
            continue
        total += 1
        with contextlib.suppress(ValueError):
            structured += isinstance(json.loads(line), dict)
    return structured, total
