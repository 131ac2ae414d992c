"""One error root for everything loading can refuse, with messages naming file:line and key."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Issue:
    file: str
    line: int
    key: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.key}: {self.message}" if self.key else f"{where}: {self.message}"


class LoadError(Exception):
    """A flow or content file was refused; `issues` lists every problem found."""

    def __init__(self, issues: list[Issue]) -> None:
        self.issues = issues
        super().__init__("\n".join(str(i) for i in issues))


class FlowError(LoadError):
    """A flow file was refused."""


class ContentError(LoadError):
    """A content file was refused."""
