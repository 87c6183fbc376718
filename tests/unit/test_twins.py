"""Rules that exist as PowerShell on Windows and as Python in the lab, held to be the same.

Two ways: the shared vectors in tests/data/vectors (run here against the Python twin and by
tests/pester against the PowerShell), and contract tests that read the PowerShell's tables
out of its source with the lab's tree-sitter parse and compare them with the twin's.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import tree_sitter

from sitekit import timestamps
from sitekit.audit.published import schema
from sitekit.lab import psspec
from sitekit.lab.modules import ModuleFailedError
from sitekit.lab.modules import sitekit_account_policy as twin
from sitekit.lab.modules.sitekit_facts import SUBSETS
from sitekit.plan.schedule import DEFENDER_SCAN_DAYS
from tests.conftest import ROOT

UTILS = ROOT / "plugins" / "module_utils"
MODULES = ROOT / "plugins" / "modules"
POLICY_UTIL = UTILS / "Ansible.ModuleUtils.SitekitSecurityPolicy.psm1"
JOB = (ROOT / "roles" / "db_backup" / "templates" / "ProgramData" / "Sitekit" / "Backup"
       / "Invoke-SitekitBackup.ps1.j2")
VECTORS = json.loads((ROOT / "tests" / "data" / "vectors" / "account_policy.json")
                     .read_text(encoding="utf-8"))["cases"]


# -- the PowerShell's tables, read out of its source --------------------------------------


def _literal(node: tree_sitter.Node) -> tree_sitter.Node | None:
    """The first hashtable or array literal in an assignment's value ([Ordered]@{} too)."""
    if node.type in ("hash_literal_expression", "array_expression"):
        return node
    for child in node.children:
        found = _literal(child)
        if found is not None:
            return found
    return None


def script_value(path: Path, variable: str) -> Any:
    """The literal a script assigns to `variable` ($script:x or $x), evaluated as PowerShell."""
    root = psspec.parse(path.read_bytes()).root_node
    for node in psspec._nodes(root, "assignment_expression"):
        target = (node.children[0].text or b"").decode().strip()
        if target.lower() == variable.lower():
            literal = _literal(node.children[2])
            assert literal is not None, f"{variable} in {path.name} is no literal"
            return psspec.evaluate(literal)
    raise AssertionError(f"{path.name} assigns no {variable}")


def test_the_account_policy_tables_are_the_twins() -> None:
    keys = script_value(POLICY_UTIL, "$script:accountPolicyKeys")
    assert keys == {name: list(entry) for name, entry in twin.KEYS.items()}
    assert list(keys) == list(twin.KEYS)  # the same order: the module writes them in it
    assert script_value(POLICY_UTIL, "$script:accountPolicyUnset") == twin.UNSET
    assert set(script_value(POLICY_UTIL, "$script:accountPolicyNever")) == twin.NEVER
    assert script_value(POLICY_UTIL, "$script:accountPolicyFacts") == twin.FACTS


def test_the_facts_subsets_are_the_twins() -> None:
    spec = psspec.read(MODULES / "sitekit_facts.ps1", own_utils=UTILS).spec
    gather = spec["options"]["gather"]
    assert gather["choices"] == gather["default"] == list(SUBSETS)
    # The controller writes these beside the module's facts (sitekit.audit.gather; the
    # card terminals' inspections sitekit.audit.evaluate, from the records).
    described = set(schema("facts")["properties"]["facts"]["properties"]) - {
        "backup_schedule", "planned_network", "terminal_inspections"}
    assert described == set(SUBSETS)
    for subset, names in twin.FACTS.items():
        properties = schema("facts")["properties"]["facts"]["properties"][subset]["properties"]
        assert set(names) == set(properties), subset


def test_defenders_day_names_are_the_kits() -> None:
    module = MODULES / "sitekit_defender.ps1"
    assert script_value(module, "$days") == list(DEFENDER_SCAN_DAYS)
    spec = psspec.read(module, own_utils=UTILS).spec
    assert spec["options"]["scan_day"]["choices"] == list(DEFENDER_SCAN_DAYS)


# -- the vectors, against the Python twin ---------------------------------------------------


@pytest.mark.parametrize("case", VECTORS, ids=lambda c: c["name"])
def test_account_policy_vectors(case: dict[str, Any]) -> None:
    if "error" in case:
        with pytest.raises(ModuleFailedError, match=re.escape(case["error"])):
            twin.merged(case["policy"], case["options"])
        return
    assert twin.as_options(case["policy"]) == case["before"]
    section = twin.merged(case["policy"], case["options"])
    assert twin.as_options(section) == case["after"]
    assert {key: section[key] for key in case["section"]} == case["section"]
    assert {subset: twin.fact(case["policy"], subset) for subset in twin.FACTS} == case["facts"]


# -- one time format ---------------------------------------------------------------------------


def test_one_time_format_everywhere() -> None:
    time_util = UTILS / "Ansible.ModuleUtils.SitekitTime.psm1"
    assert script_value_text(time_util, "$script:utcFormat") == timestamps.DOTNET_FORMAT
    assert script_value_text(JOB, "$utcFormat") == timestamps.DOTNET_FORMAT
    pattern = schema("facts")["$defs"]["timestamp"]["pattern"]
    assert pattern == timestamps.PATTERN
    assert timestamps.parse(timestamps.text(timestamps.parse("2026-12-07T03:12:00Z"))) == \
        timestamps.parse("2026-12-07T03:12:00Z")
    for bad in ("2026-12-07T03:12:00+00:00", "2026-12-07T03:12:00.1234567Z", "2026-12-07"):
        with pytest.raises(ValueError, match="yyyy-MM-ddTHH:mm:ssZ"):
            timestamps.parse(bad)


def script_value_text(path: Path, variable: str) -> str:
    """A string a script assigns to `variable`."""
    match = re.search(rf"^\s*{re.escape(variable)}\s*=\s*\"([^\"]+)\"", path.read_text(),
                      re.M | re.I)
    assert match is not None, f"{path.name} assigns no {variable}"
    return match.group(1)


# -- helpers live once: in plugins/module_utils, required by every module that calls them --


def _own_utils() -> dict[str, set[str]]:
    """Util name -> the functions it exports."""
    found = {}
    for util in UTILS.glob("Ansible.ModuleUtils.*.psm1"):
        exported = re.search(r"Export-ModuleMember -Function (.+?)\s*$", util.read_text(),
                             re.S | re.M)
        assert exported is not None, util.name
        found[util.stem] = set(re.findall(r"'([\w-]+)'", exported.group(1)))
    return found


@pytest.mark.parametrize("module", sorted(MODULES.glob("*.ps1")), ids=lambda p: p.name)
def test_a_module_requires_every_util_it_calls(module: Path) -> None:
    """An unrequired util is absent from the payload: the module would fail on Windows."""
    text = module.read_text(encoding="utf-8")
    required = set(re.findall(r"^#Requires -Module (\S+)\s*$", text, re.M))
    for util, functions in _own_utils().items():
        called = {f for f in functions if re.search(rf"\b{re.escape(f)}\b", text)}
        assert not called or util in required, f"{module.name} calls {called} without {util}"
        assert util not in required or called, f"{module.name} requires {util} and calls nothing"


# The old copies: time text, secedit and the SQL connection, each written by a module itself.
_COPIES = {
    'ToString("o")': "time text other than the kit's format",
    "+00:00": "time text other than the kit's format",
    "yyyy-MM-ddTHH:mm:ss": "the time format outside SitekitTime",
    "SecEdit.exe": "secedit outside SitekitSecurityPolicy",
    "secedit.exe": "secedit outside SitekitSecurityPolicy",
    "Integrated Security=SSPI": "a SQL connection outside SitekitSql",
    "Function ConvertTo-UtcText": "a time helper of its own",
    "Function Invoke-SqlQuery": "a SQL helper of its own",
}


@pytest.mark.parametrize("module", sorted(MODULES.glob("*.ps1")), ids=lambda p: p.name)
def test_no_module_keeps_a_copy_of_a_util(module: Path) -> None:
    text = module.read_text(encoding="utf-8")
    assert [why for copy, why in _COPIES.items() if copy in text] == []
