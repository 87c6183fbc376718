"""A strict YAML loader for site files.

PyYAML reads YAML 1.1, where `no` is false, `0123` is octal 83 and `10:30` is the number
630. In a site file those are almost always accidents, so this loader refuses them: such a
scalar becomes a `Coerced` value that fails every type check in the schema, with a message
saying how to write what was meant. Duplicate keys are errors, dates stay text, and every
mapping and list remembers the line of each entry so errors can point at it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import yaml

_SafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# The only spellings that mean what a reader expects.
_PLAIN_BOOL = frozenset({"true", "false"})
_PLAIN_INT = re.compile(r"^[-+]?(0|[1-9][0-9]*)$")
_PLAIN_FLOAT = re.compile(r"^[-+]?([0-9]+\.[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?$")
_OCTAL = re.compile(r"^[-+]?0[0-7_]+$")


@dataclass(frozen=True)
class Coerced:
    """A plain scalar that YAML 1.1 would silently turn into something else."""

    text: str
    value: Any

    def explain(self) -> str:
        """Why the value is refused and how to write what was meant."""
        if isinstance(self.value, bool):
            return (
                f"`{self.text}` is read by YAML as the boolean {str(self.value).lower()}; "
                f'write "{self.text}" in quotes for the text, or true/false for a yes/no value'
            )
        if ":" in self.text:
            return (
                f"`{self.text}` is read by YAML as the base-60 number {self.value}; "
                f'write "{self.text}" in quotes'
            )
        if _OCTAL.match(self.text):
            return (
                f"`{self.text}` is read by YAML as the number {self.value} (a leading 0 means "
                f'octal); write "{self.text}" in quotes for the text, or drop the leading zeros'
            )
        return (
            f"`{self.text}` is read by YAML as the number {self.value}; "
            f'write "{self.text}" in quotes for the text, or a plain number'
        )


class Mapping(dict[str, Any]):
    """A YAML mapping that remembers the line of each key."""

    lines: dict[str, int]


class Sequence(list[Any]):
    """A YAML sequence that remembers the line of each item."""

    lines: list[int]


class DuplicateKeyError(yaml.MarkedYAMLError):
    """The same key twice in one mapping: YAML would silently keep only the last."""


class _StrictLoader(_SafeLoader):  # type: ignore[valid-type,misc]
    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> Mapping:
        self.flatten_mapping(node)
        mapping = Mapping()
        mapping.lines = {}
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=True)
            if not isinstance(key, str):
                key = str(key.text if isinstance(key, Coerced) else key)
            if key in mapping:
                raise DuplicateKeyError(
                    "while reading a mapping",
                    node.start_mark,
                    f"found the key '{key}' a second time (first on line "
                    f"{mapping.lines[key]}); remove one of them",
                    key_node.start_mark,
                )
            mapping[key] = self.construct_object(value_node, deep=True)
            mapping.lines[key] = key_node.start_mark.line + 1
        return mapping

    def construct_sequence(self, node: yaml.SequenceNode, deep: bool = False) -> Sequence:
        sequence = Sequence(self.construct_object(child, deep=True) for child in node.value)
        sequence.lines = [child.start_mark.line + 1 for child in node.value]
        return sequence

    def _strict(self, node: yaml.ScalarNode, value: Any, plain: bool) -> Any:
        # Only an unquoted scalar can be a surprise: quoting says "this is text".
        if plain or node.style not in (None, ""):  # the C parser says "" for plain
            return value
        return Coerced(node.value, value)

    def construct_yaml_bool(self, node: yaml.ScalarNode) -> Any:
        value = super().construct_yaml_bool(node)
        return self._strict(node, value, node.value in _PLAIN_BOOL)

    def construct_yaml_int(self, node: yaml.ScalarNode) -> Any:
        value = super().construct_yaml_int(node)
        return self._strict(node, value, bool(_PLAIN_INT.match(node.value)))

    def construct_yaml_float(self, node: yaml.ScalarNode) -> Any:
        value = super().construct_yaml_float(node)
        return self._strict(node, value, bool(_PLAIN_FLOAT.match(node.value)))

    def construct_yaml_timestamp(self, node: yaml.ScalarNode) -> str:
        # Dates stay text: the schema checks their format and the code parses them.
        return str(node.value)


_StrictLoader.add_constructor("tag:yaml.org,2002:map", _StrictLoader.construct_mapping)
_StrictLoader.add_constructor("tag:yaml.org,2002:seq", _StrictLoader.construct_sequence)
_StrictLoader.add_constructor("tag:yaml.org,2002:bool", _StrictLoader.construct_yaml_bool)
_StrictLoader.add_constructor("tag:yaml.org,2002:int", _StrictLoader.construct_yaml_int)
_StrictLoader.add_constructor("tag:yaml.org,2002:float", _StrictLoader.construct_yaml_float)
_StrictLoader.add_constructor(
    "tag:yaml.org,2002:timestamp", _StrictLoader.construct_yaml_timestamp
)


def load(text: str) -> Any:
    """Parse one YAML document strictly; raises yaml.YAMLError with a line on failure."""
    return yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass


def line_of(data: Any, path: tuple[str | int, ...]) -> int | None:
    """The line of the deepest entry along `path` that has one."""
    line = None
    node = data
    for part in path:
        if isinstance(node, Mapping) and isinstance(part, str) and part in node:
            line = node.lines.get(part, line)
            node = node[part]
        elif isinstance(node, Sequence) and isinstance(part, int) and 0 <= part < len(node):
            line = node.lines[part] if part < len(node.lines) else line
            node = node[part]
        else:
            break
    return line
