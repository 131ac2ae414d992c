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
    translated_from: str = ""
    """A translation's English review date ("" in English, the original)."""
    locale: str = "en"

    @property
    def clinically_reviewed(self) -> bool:
        """Whether a clinician checked this text in its language (`reviewed_by` is filled in);
        a translation stays unreviewed until one does."""
        return bool(self.reviewed_by.strip())


ContentLibrary = Mapping[str, ContentDoc]


def unreviewed(content: ContentLibrary) -> tuple[str, ...]:
    """The ids of texts no clinician has checked in their language, sorted."""
    return tuple(sorted(cid for cid, doc in content.items() if not doc.clinically_reviewed))


def clinically_reviewed(content: ContentLibrary) -> bool:
    """Whether every text of a library is clinically reviewed: when not, the bot shows a
    short "not yet reviewed" note (its wording is the message catalogue's)."""
    return not unreviewed(content)
