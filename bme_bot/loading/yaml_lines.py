"""YAML that remembers where each key and item was, so errors can name file:line.

A subclass of PyYAML's SafeLoader: it builds only plain mappings, lists and scalars (nothing is
ever instantiated from tags), and records line numbers beside them.
"""

from __future__ import annotations

from typing import Any

import yaml


class LineMap(dict[Any, Any]):
    """A mapping with the line of itself, of each key, and any keys given twice."""

    line: int = 0

    def __init__(self) -> None:
        super().__init__()
        self.lines: dict[Any, int] = {}
        self.duplicates: list[tuple[Any, int]] = []


class LineList(list[Any]):
    """A list with the line of itself and of each item."""

    line: int = 0

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[int] = []


_SafeBase: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's safe loader where PyYAML has it: about 8x faster, same data and marks."""


class LineLoader(_SafeBase):  # type: ignore[misc]
    """SafeLoader that records line numbers (1-based)."""


def _mapping(loader: LineLoader, node: yaml.MappingNode) -> LineMap:
    loader.flatten_mapping(node)
    result = LineMap()
    result.line = node.start_mark.line + 1
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        value = loader.construct_object(value_node, deep=True)
        line = key_node.start_mark.line + 1
        try:
            if key in result:
                result.duplicates.append((key, line))
        except TypeError:
            key = str(key)
        result[key] = value
        result.lines[key] = line
    return result


def _sequence(loader: LineLoader, node: yaml.SequenceNode) -> LineList:
    result = LineList()
    result.line = node.start_mark.line + 1
    for item in node.value:
        result.append(loader.construct_object(item, deep=True))
        result.lines.append(item.start_mark.line + 1)
    return result


LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)
LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _sequence)


def load_yaml(text: str) -> Any:
    """Parse YAML safely, keeping line numbers; raises yaml.YAMLError with a mark."""
    return yaml.load(text, Loader=LineLoader)  # noqa: S506 - LineLoader is a SafeLoader


def load_plain_yaml(text: str) -> Any:
    """Parse YAML safely into plain data (no line numbers), with libyaml where available."""
    return yaml.load(text, Loader=_SafeBase)  # noqa: S506 - a safe loader
