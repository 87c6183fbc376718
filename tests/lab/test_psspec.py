"""Reading a module's argument spec from its PowerShell, as PowerShell would evaluate it."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from sitekit.lab import psspec
from tests.conftest import ROOT


def _value(source: str) -> Any:
    statement = psspec._statements(psspec.parse(f"$x = {source}".encode()).root_node)[0]
    _, _, node = psspec._assignment(statement)
    assert node is not None
    return psspec.evaluate(node)


@pytest.mark.parametrize(
    ("source", "value"),
    [
        ("'it''s'", "it's"),
        ('"plain"', "plain"),
        ("42", 42),
        ("-1", -1),
        ("$true", True),
        ("$null", None),
        ('"a", "b"', ["a", "b"]),
        ("@(0, 3010)", [0, 3010]),
        ("@('a')", ["a"]),
        # @() enumerates what it holds: one inner array is flattened into it...
        ("@(@('u', 'p'))", ["u", "p"]),
        # ...unless the unary comma wraps it (lowlydba's required_together).
        ("@(\n  , @('u', 'p')\n)", [["u", "p"]]),
        ("@(@('a'), @('b'))", [["a"], ["b"]]),
        ("@{ a = 1; 'b' = @{ c = $false } }", {"a": 1, "b": {"c": False}}),
    ],
)
def test_literals_evaluate_as_powershell_would(source: str, value: Any) -> None:
    assert _value(source) == value


@pytest.mark.parametrize("source", ['"x$y"', "$providerInfo.Keys + 'auto'", "$uint32Type",
                                    "(Get-Thing)"])
def test_computed_values_are_unresolved(source: str) -> None:
    assert isinstance(_value(source), psspec.Unresolved)


def test_spec_fragments_and_top_level_changes(tmp_path: Path) -> None:
    utils = tmp_path / "plugins" / "module_utils"
    utils.mkdir(parents=True)
    (utils / "Frag.psm1").write_text(
        "Function Get-FragSpec {\n    <# .SYNOPSIS the spec #>\n    @{\n"
        "        options = @{ name = @{ type = 'str' }; extra = @{ type = 'int' } }\n"
        "        required_together = @(, @('name', 'extra'))\n    }\n}\n")
    module = tmp_path / "plugins" / "modules" / "thing.ps1"
    module.parent.mkdir()
    module.write_text(
        "#!powershell\n#AnsibleRequires -PowerShell ..module_utils.Frag\n"
        "$spec = @{\n    options = @{ name = @{ type = 'path'; required = $true } }\n"
        "    required_together = @(, @('a', 'b'))\n}\n"
        "$spec.options.added = @{ type = 'bool' }\n"
        "if ($x) { $spec.options.maybe = @{ type = 'raw' } }\n"
        "$module = [Ansible.Basic.AnsibleModule]::Create($args, $spec, @(Get-FragSpec))\n")
    code = psspec.read(module)
    assert code.fragments == ["Get-FragSpec"]
    # The module's own entry wins over the fragment's; lists are extended (MergeFragmentSpec).
    assert code.spec["options"] == {"name": {"type": "path", "required": True},
                                    "added": {"type": "bool"}, "extra": {"type": "int"}}
    assert code.spec["required_together"] == [["a", "b"], ["name", "extra"]]
    assert code.dynamic == ["$spec.options.maybe = @{ type = 'raw' }"]


def test_a_module_without_spec_is_an_error(tmp_path: Path) -> None:
    legacy = tmp_path / "legacy.ps1"
    legacy.write_text("#!powershell\n$params = Parse-Args $args -supports_check_mode $true\n")
    with pytest.raises(psspec.SpecSourceError, match="legacy"):
        psspec.read(legacy)


def test_a_fragment_nowhere_to_be_found_is_an_error(tmp_path: Path) -> None:
    module = tmp_path / "thing.ps1"
    module.write_text("$spec = @{ options = @{} }\n$module ="
                      " [Ansible.Basic.AnsibleModule]::Create($args, $spec, @(Get-NoSpec))\n")
    with pytest.raises(psspec.SpecSourceError, match="Get-NoSpec"):
        psspec.read(module)


def test_a_kit_util_that_is_not_there_fails_as_ansible_would(tmp_path: Path) -> None:
    utils = tmp_path / "module_utils"
    utils.mkdir()
    (utils / "Ansible.ModuleUtils.SitekitTime.psm1").write_text("Function Get-SitekitUtcNow {}\n")
    (tmp_path / "modules").mkdir()
    module = tmp_path / "modules" / "thing.ps1"
    module.write_text("#!powershell\n#Requires -Module Ansible.ModuleUtils.SitekitTime\n"
                      "#Requires -Module Ansible.ModuleUtils.SitekitGone\n"
                      "$spec = @{ options = @{} }\n"
                      "$module = [Ansible.Basic.AnsibleModule]::Create($args, $spec)\n")
    missing = "Could not find imported module util 'Ansible.ModuleUtils.SitekitGone'"
    with pytest.raises(psspec.SpecSourceError, match=re.escape(missing)):
        psspec.read(module, own_utils=utils)


@pytest.mark.parametrize("module", sorted((ROOT / "plugins" / "modules").glob("*.ps1")),
                         ids=lambda p: p.name)
def test_every_own_module_resolves_its_utils(module: Path) -> None:
    """The utils moved into plugins/module_utils resolve from the kit's own modules."""
    psspec.read(module, own_utils=ROOT / "plugins" / "module_utils")
