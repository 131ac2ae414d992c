"""Reliability and security attacks: shared fixtures, the `fuzz` marker and the figures.

Set `RELIABILITY_FIGURES=path.json` to write what every attack tried and what held (the numbers
in docs/RELIABILITY.md come from such runs). Set `FUZZ_LONG=1` for the long fuzzing profile.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

TELEGRAM_TESTS = Path(__file__).resolve().parent.parent / "telegram"
if str(TELEGRAM_TESTS) not in sys.path:  # the fake Bot API server lives there; imported, not copied
    sys.path.insert(0, str(TELEGRAM_TESTS))

from .figures import FIGURES  # noqa: E402


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "fuzz: property-based fuzzing (FUZZ_LONG=1 selects the long profile)"
    )


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    target = os.environ.get("RELIABILITY_FIGURES")
    if target and FIGURES:
        Path(target).write_text(json.dumps(FIGURES, indent=2, sort_keys=True) + "\n")
