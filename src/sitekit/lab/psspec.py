"""A module's argument spec as its PowerShell source hands it to Ansible.Basic.

The lab checks arguments against what the module's code declares, not its documentation:
the two disagree (win_package's `required_by` is in its code only), and the code is what
runs. The source is parsed with tree-sitter's PowerShell grammar and the `$spec = @{...}`
literal evaluated the way PowerShell would (`@(...)` flattens, a leading comma wraps),
then the fragments passed to `[Ansible.Basic.AnsibleModule]::Create($args, $spec,
@(Get-...))` are read from the module_utils the module requires and merged as
Ansible.Basic's MergeFragmentSpec merges them. A value that is no literal (win_package's
`choices = $providerInfo.Keys + "auto"`) is kept as `Unresolved` for the caller to decide.
"""

from __future__ import annotations

import functools
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tree_sitter
import tree_sitter_powershell

# Wrapper nodes the grammar puts around every expression; each passes its one operand on.
_WRAPPERS = frozenset({
    "pipeline", "pipeline_chain", "logical_expression", "bitwise_expression",
    "comparison_expression", "additive_expression", "multiplicative_expression",
    "format_expression", "range_expression", "array_literal_expression", "unary_expression",
    "string_literal", "integer_literal", "parenthesized_expression", "sub_expression",
    "statement_list",
})
_CREATE = re.compile(r"AnsibleModule\]::Create\s*\(", re.I)
_FUNCTION_CALL = re.compile(r"\b(Get-[A-Za-z0-9]+)\b")
_REQUIRES = re.compile(
    r"^#(?:AnsibleRequires\s+-PowerShell|Requires\s+-Modules?)\s+(\S+)\s*$", re.I | re.M)


class SpecSourceError(LookupError):
    """The source has no argument spec this reader can find."""


@dataclass(frozen=True)
class Unresolved:
    """A value only running the module could compute; its source text."""

    text: str


@dataclass
class CodeSpec:
    """What the module's code hands Ansible.Basic: the spec with fragments merged in."""

    spec: dict[str, Any]
    path: Path
    fragments: list[str] = field(default_factory=list)
    # Statements that change $spec at run time (inside if/foreach): the spec above lacks them.
    dynamic: list[str] = field(default_factory=list)


@functools.cache
def _parser() -> tree_sitter.Parser:
    return tree_sitter.Parser(tree_sitter.Language(tree_sitter_powershell.language()))


_PARSE_LOCK = threading.Lock()


def parse(source: bytes) -> tree_sitter.Tree:
    """Parse PowerShell source; one parser, one thread at a time (the lab serves many)."""
    with _PARSE_LOCK:
        return _parser().parse(source)


@functools.cache
def read(path: Path, collections: tuple[Path, ...] = (), own_utils: Path | None = None) -> CodeSpec:
    """Read a module's spec from its .ps1, fragments from the module_utils it requires.

    `collections` are the ansible_collections roots to resolve module_utils in;
    `own_utils` is the kit's plugins/module_utils. Cached: parsed once per process.
    """
    source = path.read_bytes()
    root = parse(source).root_node
    spec: dict[str, Any] | None = None
    dynamic: list[str] = []
    for statement in _statements(root):
        target, operator, value = _assignment(statement)
        if target is None or value is None:
            continue
        if target.lower() == "$spec" and operator == "=":
            evaluated = evaluate(value)
            if isinstance(evaluated, dict):
                spec = evaluated
        elif spec is not None and target.lower().startswith("$spec."):
            _apply(spec, target[len("$spec."):], operator, evaluate(value))
    if spec is None:
        raise SpecSourceError(f"{path.name} has no `$spec = @{{...}}` (a legacy module?)")
    for node in _nodes(root, "assignment_expression"):
        target = (node.children[0].text or b"").decode(errors="replace").lower()
        if target.startswith("$spec.") and not _is_top_level(node):
            dynamic.append((node.text or b"").decode(errors="replace").splitlines()[0])
    _own_utils_present(path, source.decode(errors="replace"), own_utils)
    fragments = _fragment_names(source.decode(errors="replace"))
    for name in fragments:
        fragment = _fragment(name, path, source.decode(errors="replace"), collections, own_utils)
        merge_fragment(spec, fragment)
    return CodeSpec(spec, path, fragments, dynamic)


def merge_fragment(spec: dict[str, Any], fragment: dict[str, Any]) -> None:
    """Ansible.Basic's MergeFragmentSpec: new keys added, dicts merged, lists extended."""
    for key, value in fragment.items():
        if key not in spec:
            spec[key] = value
        elif isinstance(value, dict) and isinstance(spec[key], dict):
            merge_fragment(spec[key], value)
        elif isinstance(value, list) and isinstance(spec[key], list):
            spec[key].extend(value)


# -- evaluating literals -------------------------------------------------------------


def evaluate(node: tree_sitter.Node) -> Any:
    """A PowerShell literal as Python; anything computed is Unresolved."""
    kind = node.type
    text = node.text.decode(errors="replace") if node.text else ""
    if kind == "hash_literal_expression":
        return _hashtable(node)
    if kind == "array_expression":  # @( ... ): each statement's output, enumerated
        items: list[Any] = []
        for body in (c for c in node.named_children if c.type == "statement_list"):
            for statement in body.named_children:
                value = evaluate(statement)
                items.extend(value if isinstance(value, list) else [value])
        return items
    if kind == "array_literal_expression" and node.named_child_count > 1:
        return [evaluate(c) for c in node.named_children]
    if kind == "expression_with_unary_operator" and node.children[0].type == ",":
        return [evaluate(node.named_children[0])]  # the unary comma wraps its operand
    if kind == "expression_with_unary_operator" and node.children[0].type == "-" \
            and node.named_child_count == 1:
        value = evaluate(node.named_children[0])
        return -value if isinstance(value, int | float) and not isinstance(value, bool) \
            else Unresolved(text)
    if kind in _WRAPPERS and node.named_child_count == 1:
        return evaluate(node.named_children[0])
    return _scalar(kind, text)


def _scalar(kind: str, text: str) -> Any:
    """Strings, numbers and $true/$false/$null; anything else (a command call) Unresolved."""
    if kind == "verbatim_string_characters":
        return text[1:-1].replace("''", "'")
    if kind == "expandable_string_literal":
        return Unresolved(text) if "$" in text or "`" in text else text[1:-1]
    if kind == "variable":
        constants = {"$true": True, "$false": False, "$null": None}
        return constants.get(text.lower(), Unresolved(text))
    if kind == "decimal_integer_literal":
        return int(text)
    if kind == "real_literal":
        return float(text)
    return Unresolved(text)


def _hashtable(node: tree_sitter.Node) -> dict[str, Any]:
    entries: dict[str, Any] = {}
    for body in (c for c in node.children if c.type == "hash_literal_body"):
        for entry in (c for c in body.children if c.type == "hash_entry"):
            key = next(c for c in entry.children if c.type == "key_expression")
            value = entry.children[entry.children.index(key) + 2]
            name = key.text.decode() if key.text else ""
            entries[name.strip("'\"")] = evaluate(value)
    return entries


# -- finding the spec and its changes -------------------------------------------------


def _nodes(root: tree_sitter.Node, kind: str) -> list[tree_sitter.Node]:
    """Every node of a type, in source order: a tree-sitter query, in C (modules are large)."""
    captures = tree_sitter.QueryCursor(_query(kind)).captures(root)
    return sorted(captures.get("node", []), key=lambda n: n.start_byte)


@functools.cache
def _query(kind: str) -> tree_sitter.Query:
    return tree_sitter.Query(tree_sitter.Language(tree_sitter_powershell.language()),
                             f"({kind}) @node")


def _statements(root: tree_sitter.Node) -> list[tree_sitter.Node]:
    """The script's top-level statements, in order."""
    return [s for body in root.children if body.type == "statement_list"
            for s in body.named_children]


def _is_top_level(node: tree_sitter.Node) -> bool:
    parent = node.parent
    return parent is not None and parent.type == "pipeline" and parent.parent is not None \
        and parent.parent.type == "statement_list" and parent.parent.parent is not None \
        and parent.parent.parent.type == "program"


def _assignment(statement: tree_sitter.Node) -> tuple[str | None, str, tree_sitter.Node | None]:
    """`target op value` of a top-level assignment statement, else (None, "", None)."""
    node = statement
    if node.type == "pipeline" and node.named_child_count == 1:
        node = node.named_children[0]
    if node.type != "assignment_expression" or len(node.children) < 3:
        return None, "", None
    target = (node.children[0].text or b"").decode().strip()
    operator = (node.children[1].text or b"").decode().strip()
    return target, operator, node.children[2]


def _apply(spec: dict[str, Any], path: str, operator: str, value: Any) -> None:
    """`$spec.a.b = v` or `$spec.a += @{...}` at the top level of the script."""
    keys = path.split(".")
    parent = spec
    for key in keys[:-1]:
        parent = parent.setdefault(key, {})
    last = keys[-1]
    if operator == "=":
        parent[last] = value
    elif operator == "+=" and isinstance(value, dict):
        parent.setdefault(last, {}).update(value)
    elif operator == "+=" and isinstance(value, list):
        parent.setdefault(last, []).extend(value)
    else:
        parent[last] = Unresolved(f"$spec.{path} {operator} ...")


# -- fragments from module_utils -------------------------------------------------------


def _fragment_names(source: str) -> list[str]:
    """The Get-* functions passed as fragments to AnsibleModule::Create."""
    match = _CREATE.search(source)
    if match is None:
        return []
    depth, end = 1, match.end()
    while end < len(source) and depth:
        depth += {"(": 1, ")": -1}.get(source[end], 0)
        end += 1
    arguments = source[match.end():end - 1]
    return _FUNCTION_CALL.findall(arguments)


def _util_paths(module: Path, source: str, collections: tuple[Path, ...],
                own_utils: Path | None) -> list[Path]:
    """The module_utils files a module requires, where they are installed."""
    paths: list[Path] = []
    for name in _REQUIRES.findall(source):
        if name.startswith("ansible_collections."):
            _, ns, coll, *rest = name.split(".")
            paths += [r / ns / coll / "/".join(rest[:-1]) / f"{rest[-1]}.psm1" for r in collections]
        elif name.startswith(".."):  # relative to the collection's plugins/modules
            rest = name.lstrip(".").split(".")
            paths.append(module.parent.parent / "/".join(rest[:-1]) / f"{rest[-1]}.psm1")
        elif name.startswith("Ansible.ModuleUtils.") and own_utils is not None:
            paths.append(own_utils / f"{name}.psm1")
    return [p for p in paths if p.is_file()]


def _own_utils_present(module: Path, source: str, own_utils: Path | None) -> None:
    """Every kit util the module requires exists, as ansible needs to build its payload.

    ansible-core's module_manifest.py fails the task on the controller with "Could not find
    imported module util" otherwise; the lab fails the same way, before the module runs.
    """
    # Only the kit's own modules: the collections' also require ansible-core's own utils
    # (Ansible.ModuleUtils.Legacy ...), which are not in the kit's folder.
    if own_utils is None or module.parent.parent != own_utils.parent:
        return
    for name in _REQUIRES.findall(source):
        if name.startswith("Ansible.ModuleUtils.") and not (own_utils / f"{name}.psm1").is_file():
            raise SpecSourceError(f"Could not find imported module util '{name}'"
                                  f" (required by {module.name}) in {own_utils}")


def _fragment(name: str, module: Path, source: str, collections: tuple[Path, ...],
              own_utils: Path | None) -> dict[str, Any]:
    """The hashtable a module_util's Get-*Spec function outputs."""
    for util in _util_paths(module, source, collections, own_utils):
        for node in _nodes(_parse_util(util).root_node, "function_statement"):
            function = next((c for c in node.children if c.type == "function_name"), None)
            if function is None or (function.text or b"").decode().lower() != name.lower():
                continue
            body = next((c for c in node.children if c.type == "script_block"), None)
            literal = _first_hashtable(body) if body is not None else None
            if literal is None:
                break
            value = evaluate(literal)
            if isinstance(value, dict):
                return value
    raise SpecSourceError(f"the fragment {name} of {module.name} is in no module_util it requires")


@functools.cache
def _parse_util(path: Path) -> tree_sitter.Tree:
    """A module_util, parsed once: many modules share one (WebRequest.psm1)."""
    return parse(path.read_bytes())


def _first_hashtable(node: tree_sitter.Node) -> tree_sitter.Node | None:
    """The first hashtable literal a function outputs, outside its help comment."""
    for child in node.children:
        if child.type == "hash_literal_expression":
            return child
        found = _first_hashtable(child)
        if found is not None:
            return found
    return None
