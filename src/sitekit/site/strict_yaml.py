"""A strict YAML loader for site files.

PyYAML reads YAML 1.1, where `no` is false, `0123` is octal 83 and `10:30` is the number
630. In a site file those are almost always accidents, so this loader refuses them: such a
scalar becomes a `Coerced` value that fails every type check in the schema, with a message
saying how to write what was meant. Duplicate keys are errors, dates stay text, and every
mapping and list remembers the line of each entry so errors can point at it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

import yaml
from yaml.constructor import SafeConstructor

_BaseLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_MEMO_LIMIT = 100_000


class _SafeLoader(_BaseLoader):  # type: ignore[misc,valid-type]
    """PyYAML's safe loader (libyaml's C parser where present), its scalars' tags memoised.

    The composer asks the Python resolver for the tag of every scalar, and that was a third
    of composing a site file. A plain scalar's tag depends only on its text and quoting
    (the safe loader has no path resolvers), and site files repeat the same keys and values.
    """

    _tags: dict[tuple[str, tuple[bool, bool]], str] = {}  # noqa: RUF012 - a shared memo

    def resolve(self, kind: type[yaml.Node], value: Any, implicit: Any) -> str:
        if kind is not yaml.ScalarNode:
            return super().resolve(kind, value, implicit)
        key = (value, implicit)
        tag = self._tags.get(key)
        if tag is None:
            if len(self._tags) > _MEMO_LIMIT:
                self._tags.clear()
            tag = self._tags[key] = super().resolve(kind, value, implicit)
        return tag

    # No path resolvers: what these would check for, on every node, is never there.
    def descend_resolver(self, current_node: Any, current_index: Any) -> None:
        return None

    def ascend_resolver(self) -> None:
        return None

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
    # Set on a document's root when any scalar in it was Coerced.
    coerced: bool = False
    # Set on a document's root taken from a cache (no lines): parses the file again, for
    # the lines of a problem found later.
    reread: Callable[[], Any] | None = None


class Sequence(list[Any]):
    """A YAML sequence that remembers the line of each item."""

    lines: list[int]


class DuplicateKeyError(yaml.MarkedYAMLError):
    """The same key twice in one mapping: YAML would silently keep only the last."""


_TAG = "tag:yaml.org,2002:"
_STR, _MAP, _SEQ, _NULL = _TAG + "str", _TAG + "map", _TAG + "seq", _TAG + "null"
_BOOL, _INT, _FLOAT, _TIMESTAMP = _TAG + "bool", _TAG + "int", _TAG + "float", _TAG + "timestamp"


class _Builder:
    """Turns composed YAML nodes into Python values, strictly and fast.

    PyYAML's C parser and its resolver decide each scalar's type; PyYAML's own
    constructor is general (anchors into any object, merge keys, custom tags) and so
    several times slower than this walk over the few tags a site file may use.
    """

    def __init__(self) -> None:
        self.coerced = False
        self._scalars = SafeConstructor()  # YAML 1.1 meaning of ints, floats, bools
        self._open: set[int] = set()

    def build(self, node: yaml.Node) -> Any:
        tag = node.tag
        if tag == _STR:
            return node.value
        # The tag tells the node's class: the composer makes maps and sequences only so.
        if tag == _MAP:
            return self._mapping(cast("yaml.MappingNode", node))
        if tag == _SEQ:
            return self._sequence(cast("yaml.SequenceNode", node))
        if tag == _NULL:
            return None
        if tag == _TIMESTAMP:
            return node.value  # dates stay text: the schema checks their form
        scalar = cast("yaml.ScalarNode", node)
        if tag == _INT:
            if _PLAIN_INT.match(scalar.value):
                return int(scalar.value)
            return self._strict(scalar, self._scalars.construct_yaml_int(scalar), plain=False)
        if tag == _BOOL:
            return self._strict(scalar, self._scalars.construct_yaml_bool(scalar),
                                scalar.value in _PLAIN_BOOL)
        if tag == _FLOAT:
            return self._strict(scalar, self._scalars.construct_yaml_float(scalar),
                                _PLAIN_FLOAT.match(scalar.value) is not None)
        raise yaml.MarkedYAMLError(None, None, f"the YAML tag {tag} is not allowed here; "
                                   "write plain values", node.start_mark)

    def _strict(self, node: yaml.ScalarNode, value: Any, plain: bool) -> Any:
        # Only an unquoted scalar can be a surprise: quoting says "this is text".
        if plain or node.style not in (None, ""):  # the C parser says "" for plain
            return value
        self.coerced = True
        return Coerced(node.value, value)

    def _enter(self, node: yaml.Node) -> None:
        if id(node) in self._open:
            raise yaml.MarkedYAMLError(None, None, "an alias refers to a node that contains "
                                       "it; remove the recursive alias", node.start_mark)
        self._open.add(id(node))

    def _mapping(self, node: yaml.MappingNode) -> Mapping:
        self._enter(node)
        mapping = Mapping()
        lines: dict[str, int] = {}
        for key_node, value_node in node.value:
            key = self.build(key_node) if key_node.tag != _TAG + "merge" else None
            if not isinstance(key, str):
                shown = key.text if isinstance(key, Coerced) else key_node.value
                key = str(shown)
            if key in mapping:
                raise DuplicateKeyError(
                    "while reading a mapping",
                    node.start_mark,
                    f"found the key '{key}' a second time (first on line "
                    f"{lines[key]}); remove one of them",
                    key_node.start_mark,
                )
            mapping[key] = self.build(value_node)
            lines[key] = key_node.start_mark.line + 1
        mapping.lines = lines
        self._open.discard(id(node))
        return mapping

    def _sequence(self, node: yaml.SequenceNode) -> Sequence:
        self._enter(node)
        sequence = Sequence([self.build(child) for child in node.value])
        sequence.lines = [child.start_mark.line + 1 for child in node.value]
        self._open.discard(id(node))
        return sequence


def load(text: str) -> Any:
    """Parse one YAML document strictly; raises yaml.YAMLError with a line on failure."""
    node = yaml.compose(text, Loader=_SafeLoader)
    if node is None:
        return None
    builder = _Builder()
    data = builder.build(node)
    if builder.coerced and isinstance(data, Mapping):
        data.coerced = True
    return data


def plain(data: Any) -> Any:
    """The same data as plain dicts and lists (what Ansible's variable storage accepts)."""
    if isinstance(data, dict):
        return {key: plain(value) for key, value in data.items()}
    if isinstance(data, list):
        return [plain(item) for item in data]
    return data


def line_of(data: Any, path: tuple[str | int, ...]) -> int | None:
    """The line of the deepest entry along `path` that has one."""
    line = None
    reread = getattr(data, "reread", None)
    node = reread() if reread is not None else data
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
