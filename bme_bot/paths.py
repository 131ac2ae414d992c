"""Where the shipped flows and content live, wherever bme-bot is installed.

A wheel (and so the Docker image) carries them inside the package under `_shipped/`; an
editable install or a source checkout finds them beside the package. Settings can point
elsewhere (`BME_FLOWS_DIR`, `BME_CONTENT_DIR`).
"""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent


def shipped(name: str) -> Path:
    """The shipped `flows` or `content` directory."""
    inside = PACKAGE_DIR / "_shipped" / name
    if inside.is_dir():
        return inside
    return PACKAGE_DIR.parent / name
