"""Kept for one release: the composition root is `bme_bot.bootstrap`; import from there."""

from __future__ import annotations

from bme_bot.bootstrap import App, build, build_engine

__all__ = ["App", "build", "build_engine"]
