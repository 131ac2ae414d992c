"""The engine's small Markdown subset as plain text, for terminals and JSON."""

from __future__ import annotations

import re

LINK = re.compile(r"\[([^\]]+)\]\(([^)\s]+)\)")


def to_plain(text: str) -> str:
    """Drop **bold** markers and show links as 'text (url)'."""
    return LINK.sub(r"\1 (\2)", text).replace("**", "")
