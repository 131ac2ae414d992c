"""What each attack tried and what held, collected while the tests run (see conftest)."""

from __future__ import annotations

from typing import Any

FIGURES: dict[str, dict[str, Any]] = {}


def record(attack: str, **numbers: Any) -> None:
    """Add counts (ints are summed over calls) or facts (other values are replaced)."""
    entry = FIGURES.setdefault(attack, {})
    for key, value in numbers.items():
        if isinstance(value, int) and not isinstance(value, bool):
            entry[key] = entry.get(key, 0) + value
        elif isinstance(value, float):
            entry[key] = max(entry.get(key, 0.0), value)
        else:
            entry[key] = value
