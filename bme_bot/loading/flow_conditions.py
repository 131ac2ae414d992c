"""The condition language of a flow file -> `Condition` objects, with file:line issues."""

from __future__ import annotations

from typing import Any

from bme_bot.core.conditions import ALWAYS, All, Answered, AnyOf, Condition, Eq, In, Not
from bme_bot.core.flow import UNSURE
from bme_bot.loading.flow_schema import Reader, kind_of
from bme_bot.loading.yaml_lines import LineList, LineMap


class ConditionReader:
    """Parses the condition language: `{fact: value}`, `{fact: [values]}`, `all`, `any`,
    `not`, `answered`; several keys in one mapping must all hold.

    A fact that may be answered "not sure" is read with its cautious value: a condition on
    that value also holds for `unsure`, so every route, table row, invariant and note sees
    "not sure" exactly as the cautious answer (the engine and the verifier need no special
    case)."""

    def __init__(
        self, reader: Reader, facts: dict[str, tuple[str, ...]], unsure: dict[str, str]
    ) -> None:
        self.reader = reader
        self.facts = facts
        self.unsure = unsure

    def read(self, raw: Any, line: int, key: str) -> Condition:
        if not isinstance(raw, LineMap) or not raw:
            self.reader.issue(
                line, key, f"a condition must be a non-empty mapping, got {kind_of(raw)}"
            )
            return ALWAYS
        parts = [self._one(name, raw[name], raw.lines[name], f"{key}.{name}") for name in raw]
        return parts[0] if len(parts) == 1 else All(tuple(parts))

    def _one(self, name: Any, value: Any, line: int, key: str) -> Condition:
        if name in ("all", "any"):
            items = self.reader.seq(value, line, key)
            parts = tuple(self.read(v, items.lines[i], f"{key}[{i}]") for i, v in enumerate(items))
            if not parts:
                self.reader.issue(line, key, f"'{name}' needs at least one condition")
            return All(parts) if name == "all" else AnyOf(parts)
        if name == "not":
            return Not(self.read(value, line, key))
        if name == "answered":
            fact = self.reader.text(value, line, key)
            self._fact(fact, line, key)
            return Answered(fact)
        fact = str(name)
        if not self._fact(fact, line, key):
            return ALWAYS
        if isinstance(value, LineList):
            values = [
                self._value(fact, v, value.lines[i], f"{key}[{i}]") for i, v in enumerate(value)
            ]
            if not values:
                self.reader.issue(line, key, "an empty list of values matches nothing")
            return self._widen(fact, frozenset(values))
        return self._widen(fact, frozenset({self._value(fact, value, line, key)}))

    def _widen(self, fact: str, values: frozenset[str]) -> Condition:
        if self.unsure.get(fact) in values:
            values = values | {UNSURE}
        if len(values) == 1:
            return Eq(fact, next(iter(values)))
        return In(fact, values)

    def _fact(self, fact: str, line: int, key: str) -> bool:
        if fact not in self.facts:
            self.reader.issue(line, key, f"undeclared fact {fact!r}")
            return False
        return True

    def _value(self, fact: str, value: Any, line: int, key: str) -> str:
        text = self.reader.text(value, line, key)
        if text == UNSURE and fact in self.unsure:
            self.reader.issue(
                line,
                key,
                f"conditions see {UNSURE!r} as {self.unsure[fact]!r}: name that value instead",
            )
        elif text and text not in self.facts[fact]:
            allowed = ", ".join(self.facts[fact])
            self.reader.issue(
                line, key, f"{text!r} is not a value of fact {fact!r} (values: {allowed})"
            )
        return text
