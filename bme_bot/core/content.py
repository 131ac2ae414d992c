"""Educational content as plain data: the loader reads Markdown files into these."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class ContentDoc:
    id: str
    title: str
    body: str
    sources: tuple[str, ...]
    reviewed: str
    path: str = ""
    reviewed_by: str = ""


ContentLibrary = Mapping[str, ContentDoc]
