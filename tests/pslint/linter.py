"""Parse the kit's PowerShell (Jinja templates included) and run every rule over it."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import tree_sitter
import tree_sitter_powershell

ROOT = Path(__file__).resolve().parents[2]
_PARSER = tree_sitter.Parser(tree_sitter.Language(tree_sitter_powershell.language()))
Node = tree_sitter.Node


@dataclass(frozen=True)
class Finding:
    """One trap found: where, which rule, and what to change."""

    path: str
    line: int
    rule: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.rule} {self.message}"


@dataclass(frozen=True)
class Script:
    """A parsed script and what the rules need to know about how it runs."""

    path: str
    tree: tree_sitter.Tree
    # An Ansible module runs under the module wrapper, which sets ErrorActionPreference to
    # Stop (ansible-core executor/powershell/module_wrapper.ps1); a plain script does not.
    is_module: bool

    @property
    def root(self) -> Node:
        """The program node."""
        return self.tree.root_node


Rule = Callable[[Script], Iterator[tuple[Node, str]]]

# Jinja: statements and comments vanish (both branches of an `if` are linted), an
# expression becomes a PowerShell variable; newlines are kept so line numbers stay true.
_JINJA = re.compile(r"\{#.*?#\}|\{%.*?%\}|\{\{.*?\}\}", re.DOTALL)


def strip_jinja(text: str) -> str:
    """A .ps1.j2 template as the PowerShell it renders to, whatever its variables hold."""

    def replace(match: re.Match[str]) -> str:
        newlines = "\n" * match.group(0).count("\n")
        return ("$jinja" if match.group(0).startswith("{{") else "") + newlines

    return _JINJA.sub(replace, text)


def parse(text: str, path: str = "<snippet>", *, is_module: bool | None = None) -> Script:
    """Parse PowerShell; a syntax error is an error here, never a silent pass."""
    if path.endswith(".j2"):
        text = strip_jinja(text)
    tree = _PARSER.parse(text.encode("utf-8"))
    if tree.root_node.has_error:
        error = _first_error(tree.root_node)
        raise SyntaxError(f"{path}:{error.start_point[0] + 1}: PowerShell syntax error near "
                          f"{error.text[:60]!r}")
    if is_module is None:
        is_module = text.startswith("#!powershell")
    return Script(path, tree, is_module)


def _first_error(node: Node) -> Node:
    if node.type == "ERROR" or node.is_missing:
        return node
    for child in node.children:
        if child.has_error:
            return _first_error(child)
    return node


def lint(script: Script, rules: dict[str, Rule]) -> list[Finding]:
    """Every finding of `rules` in `script`, in line order."""
    findings = [Finding(script.path, node.start_point[0] + 1, name, message)
                for name, rule in rules.items() for node, message in rule(script)]
    return sorted(set(findings), key=lambda f: (f.line, f.rule, f.message))


def kit_scripts() -> list[Path]:
    """Every PowerShell file the kit ships: modules, module utils and role templates."""
    patterns = ("*.ps1", "*.psm1", "*.ps1.j2")
    roots = (ROOT / "plugins", ROOT / "roles", ROOT / "scripts")
    return sorted(p for root in roots for pattern in patterns for p in root.rglob(pattern))


# Tree helpers the rules share.

def walk(node: Node, *, into_functions: bool = True) -> Iterator[Node]:
    """`node` and everything under it (optionally not into nested function definitions)."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        children = [c for c in current.children
                    if into_functions or c.type != "function_statement" or c == node]
        stack.extend(reversed(children))


def text(node: Node) -> str:
    """The node's source text."""
    return node.text.decode("utf-8") if node.text is not None else ""


def unquote(node: Node) -> str | None:
    """The value of a string literal without variables in it, else None."""
    while node.type != "string_literal" and node.named_child_count == 1:
        node = node.named_children[0]
    if node.type != "string_literal":
        return None
    raw = text(node)
    if raw[:1] == '"' and ("$" in raw or "`" in raw):
        return None
    return raw[1:-1]


def command_name(command: Node) -> str:
    """The command's name as written, lowercased, without quotes, path or `.exe`."""
    for child in command.children:
        if child.type in ("command_name", "command_name_expr"):
            name = text(child).strip("'\"&. ").lower().replace("\\", "/").rsplit("/", 1)[-1]
            return name.removesuffix(".exe")
    return ""


def raw_command_name(command: Node) -> str:
    """The command's name exactly as written."""
    for child in command.children:
        if child.type in ("command_name", "command_name_expr"):
            return text(child)
    return ""


def elements(command: Node) -> list[Node]:
    """The command's parameters and arguments, separators dropped."""
    for child in command.children:
        if child.type == "command_elements":
            return [c for c in child.children if c.type != "command_argument_sep"]
    return []


def parameters(command: Node) -> dict[str, Node | None]:
    """-Name -> the argument after it (None for a switch), names lowercased."""
    found: dict[str, Node | None] = {}
    items = elements(command)
    for index, item in enumerate(items):
        if item.type == "command_parameter":
            name = text(item).lower().rstrip(":")
            following = items[index + 1] if index + 1 < len(items) else None
            found[name] = following if following is not None and \
                following.type not in ("command_parameter", "redirection") else None
    return found


def enclosing(node: Node, *types: str) -> Node | None:
    """The nearest ancestor of one of `types`."""
    parent = node.parent
    while parent is not None and parent.type not in types:
        parent = parent.parent
    return parent


def functions(root: Node) -> dict[str, Node]:
    """Function name (lowercased) -> its function_statement."""
    return {text(n.child_by_field_name("name") or _name(n)).lower(): n
            for n in walk(root) if n.type == "function_statement"}


def _name(function: Node) -> Node:
    return next(c for c in function.children if c.type == "function_name")
