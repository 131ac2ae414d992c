"""The flow file's schema (its keys, which are required, the id patterns) and `Reader`, which
walks the parsed YAML collecting every problem as an `Issue` (file:line, key) instead of
stopping at the first."""

from __future__ import annotations

import re
from typing import Any

from bme_bot.core.replies import CHECKLIST_DONE, CHECKLIST_NONE
from bme_bot.loading.errors import Issue
from bme_bot.loading.yaml_lines import LineList, LineMap

ID = re.compile(r"^[a-z0-9_]{1,40}$")
STATE_ID = re.compile(r"^[A-Za-z0-9_]{1,40}$")
OPERATORS = frozenset({"all", "any", "not", "answered"})

TOP_KEYS = {
    "id": True,
    "version": True,
    "title": False,
    "follows": False,
    "start": True,
    "facts": True,
    "questions": True,
    "routers": False,
    "short_circuits": False,
    "outcomes": True,
    "invariants": False,
    "topics": False,
    "notes": False,
    "dispositions": False,
    "safety_net": False,
}
QUESTION_KEYS = {
    "fact": False,
    "checklist": False,
    "text": False,
    "content": False,
    "summary": False,
    "why": False,
    "if_unsure": False,
    "scale": False,
    "options": False,
    "next": True,
}
OPTION_KEYS = {"id": True, "label": True, "synonyms": False, "mentions": False}
ITEM_KEYS = {
    "fact": True,
    "label": True,
    "synonyms": False,
    "mentions": False,
    "when": False,
    "if_unsure": False,
    "no_synonyms": False,
}
FACT_KEYS = {"values": True, "unsure_counts_as": False, "preset": False}
SCALE_KEYS = {"unit": True, "bands": True}
SCALE_UNITS = ("years", "days")
ROUTE_KEYS = {"id": False, "when": False, "goto": True}
OUTCOME_KEYS = {
    "rule": True,
    "disposition": True,
    "reason": True,
    "content": False,
    "advice": False,
    "guidance": False,
    "offer_checkin": False,
}
RESERVED_OPTIONS = frozenset({CHECKLIST_DONE, CHECKLIST_NONE})
INVARIANT_KEYS = {"id": True, "description": True, "when": True, "at_least": True}
TOPIC_KEYS = {"id": True, "label": True, "content": True}
NOTE_KEYS = {"when": True, "content": True}


class Reader:
    """Walks the parsed YAML, collecting issues instead of stopping at the first."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.issues: list[Issue] = []

    def issue(self, line: int, key: str, message: str) -> None:
        self.issues.append(Issue(self.file, line, key, message))

    def mapping(
        self, value: Any, line: int, key: str, schema: dict[str, bool] | None
    ) -> LineMap | None:
        """Check a mapping; `schema` maps allowed keys to required, None allows any id."""
        if not isinstance(value, LineMap):
            self.issue(line, key, f"expected a mapping, got {kind_of(value)}")
            return None
        for name, dup_line in value.duplicates:
            self.issue(dup_line, f"{key}.{name}", "key given twice")
        if schema is None:
            return value
        for name in value:
            if name not in schema:
                allowed = ", ".join(schema)
                self.issue(value.lines[name], f"{key}.{name}", f"unknown key (allowed: {allowed})")
        for name, required in schema.items():
            if required and name not in value:
                self.issue(value.line, key, f"missing required key {name!r}")
        return value

    def text(self, value: Any, line: int, key: str) -> str:
        if isinstance(value, bool):
            self.issue(line, key, 'got a boolean: quote "yes" and "no" in YAML')
            return ""
        if not isinstance(value, str | int) or str(value).strip() == "":
            self.issue(line, key, f"expected non-empty text, got {kind_of(value)}")
            return ""
        return str(value)

    def ident(self, value: Any, line: int, key: str, pattern: re.Pattern[str] = ID) -> str:
        text = self.text(value, line, key)
        if text and not pattern.match(text):
            self.issue(line, key, f"{text!r} is not a valid id ({pattern.pattern})")
        return text

    def seq(self, value: Any, line: int, key: str) -> LineList:
        if not isinstance(value, LineList):
            self.issue(line, key, f"expected a list, got {kind_of(value)}")
            empty = LineList()
            empty.line = line
            return empty
        return value


def kind_of(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"a boolean ({value})"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return f"{type(value).__name__} {value!r}"
