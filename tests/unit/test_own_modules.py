"""The kit's own modules: real PowerShell, documented by their .py stub, modelled by the lab.

Each plugins/modules/<name>.ps1 is parsed with tree-sitter's PowerShell grammar (a real
parser: a syntax error fails here, not on opening day). The lab validates arguments
against the spec the .ps1 hands Ansible.Basic (sitekit.lab.psspec); the DOCUMENTATION of
its stub, which is what ansible-doc shows, must match it.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import pytest
import tree_sitter
import tree_sitter_powershell
import yaml

from sitekit.lab import psspec
from sitekit.lab.modules import REGISTRY, load_models

MODULES = Path(__file__).resolve().parents[2] / "plugins" / "modules"
SCRIPTS = sorted(MODULES.glob("*.ps1"))
_PARSER = tree_sitter.Parser(tree_sitter.Language(tree_sitter_powershell.language()))


def _parse(path: Path) -> tree_sitter.Tree:
    return _PARSER.parse(path.read_bytes())


def _first_error(node: tree_sitter.Node) -> tree_sitter.Node | None:
    """The first ERROR or missing node under `node`."""
    if node.type == "ERROR" or node.is_missing:
        return node
    for child in node.children:
        if child.has_error:
            return _first_error(child) or child
    return None


def _spec(script: Path) -> dict[str, Any]:
    """The spec the module hands Ansible.Basic, read as the lab reads it."""
    return psspec.read(script, (), MODULES.parent / "module_utils").spec


def _doc(path: Path, variable: str) -> Any:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == variable for t in node.targets):
            return yaml.safe_load(node.value.value)  # type: ignore[attr-defined]
    raise AssertionError(f"{path.name} has no {variable}")


def _shape(options: dict[str, Any]) -> dict[str, Any]:
    """What must agree between the .ps1 spec and DOCUMENTATION for each option."""
    return {
        name: {"type": o.get("type", "str"), "required": bool(o.get("required", False)),
               "elements": o.get("elements"), "no_log": bool(o.get("no_log", False)),
               "options": _shape(o.get("options") or o.get("suboptions") or {})}
        for name, o in options.items()
    }


def test_the_kit_has_own_modules() -> None:
    assert SCRIPTS, f"no own modules in {MODULES}"


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.stem)
def test_module_parses_as_powershell(script: Path) -> None:
    tree = _parse(script)
    error = _first_error(tree.root_node)
    assert error is None, f"{script.name}:{error.start_point[0] + 1}: syntax error near " \
        f"{error.text[:60]!r}"
    assert script.read_text(encoding="utf-8").startswith("#!powershell")


@pytest.mark.parametrize("util", sorted((MODULES.parent / "module_utils").glob("*.psm1")),
                         ids=lambda p: p.stem)
def test_module_util_parses_as_powershell(util: Path) -> None:
    error = _first_error(_parse(util).root_node)
    assert error is None, f"{util.name}:{error.start_point[0] + 1}: syntax error near " \
        f"{error.text[:60]!r}"
    users = [s for s in SCRIPTS if f"#Requires -Module {util.stem}" in s.read_text()]
    assert users, f"no module uses {util.name}"


def test_the_grammar_rejects_broken_powershell(tmp_path: Path) -> None:
    broken = tmp_path / "broken.ps1"
    broken.write_text('#!powershell\n$spec = @{ options = @{ name = @{ type = "str" }\n'
                      'if ($x { $y = 1 }\n')
    assert _first_error(_parse(broken).root_node) is not None


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.stem)
def test_spec_matches_documentation(script: Path) -> None:
    stub = script.with_suffix(".py")
    assert stub.is_file(), f"{script.name} has no documentation stub {stub.name}"
    doc = _doc(stub, "DOCUMENTATION")
    assert doc["module"] == script.stem
    assert _doc(stub, "RETURN") is not None
    assert _doc(stub, "EXAMPLES")
    spec = _spec(script)
    assert _shape(spec.get("options", {})) == _shape(doc.get("options") or {})


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.stem)
def test_lab_models_module(script: Path) -> None:
    load_models()
    registration = REGISTRY.get(f"ansible.legacy.{script.stem}")
    assert registration is not None, f"the lab does not model {script.stem}"
    spec = _spec(script)
    assert registration.supports_check_mode == bool(spec.get("supports_check_mode", False))
