"""Everything loading can refuse, with messages naming file:line and key.

`LoadError` is the loading leaf of bme-bot's one error root (`bme_bot.errors.BmeBotError`).
"""

from __future__ import annotations

from dataclasses import dataclass

from bme_bot.errors import BmeBotError


@dataclass(frozen=True)
class Issue:
    file: str
    line: int
    key: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.key}: {self.message}" if self.key else f"{where}: {self.message}"


class LoadError(BmeBotError):
    """A flow or content file was refused; `issues` lists every problem found."""

    kind = "cannot load the flow or content"

    def __init__(self, issues: list[Issue]) -> None:
        self.issues = issues
        super().__init__("\n".join(str(i) for i in issues))

    def one_line(self) -> str:
        """The first problem, and how to see the others."""
        more = len(self.issues) - 1
        first = str(self.issues[0]) if self.issues else "refused"
        return first + (f" (and {more} more: `bme-bot check FILE` lists them)" if more else "")


class FlowError(LoadError):
    """A flow file was refused."""


class ContentError(LoadError):
    """A content file was refused."""
