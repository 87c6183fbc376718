"""Every requirement the kit cites exists in the references table, in the version it names."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from sitekit.audit.policy import load_policy
from sitekit.audit.references import table
from tests.conftest import EXAMPLE
from tests.unit.test_audit_policy import POLICY, TEXT, fleet_data

ROOT = Path(__file__).resolve().parents[2]
STANDARD = ROOT / "docs" / "configuration-standard.md"
# Where the kit writes "PCI DSS <number>": roles, plugins, the core, docs and the example.
CITING = ("roles", "plugins", "src/sitekit", "docs", "playbooks", "inventories/example")
SUFFIXES = {".yml", ".yaml", ".md", ".py", ".ps1", ".psm1", ".j2", ".json"}
_NUMBER = r"[0-9]+(?:\.[0-9]+)+"
_CITATION = re.compile(
    rf"PCI DSS (?:v(?P<version>[0-9.]*[0-9]) )?(?:requirements? )?"
    rf"(?P<numbers>{_NUMBER}(?:(?:, | and |-|\u2013){_NUMBER})*)")


@pytest.fixture(autouse=True)
def _release_table(tmp_path: Path) -> None:
    """A policy copied to tmp_path finds the example's release table beside it."""
    shutil.copy(EXAMPLE / "release-table.yml", tmp_path / "release-table.yml")


def _citing_files() -> list[Path]:
    files = [ROOT / "README.md"]
    for folder in CITING:
        files += [path for path in sorted((ROOT / folder).rglob("*"))
                  if path.suffix in SUFFIXES and path.is_file()
                  and "egg-info" not in path.parts and "__pycache__" not in path.parts]
    return files


def test_every_pci_dss_citation_in_the_kit_is_in_the_table() -> None:
    known, version = table().pci, table().pci_version
    wrong, seen = [], 0
    for path in _citing_files():
        text = path.read_text(encoding="utf-8", errors="replace")
        for match in _CITATION.finditer(text):
            where = f"{path.relative_to(ROOT)}:{text.count(chr(10), 0, match.start()) + 1}"
            if match["version"] and match["version"] != version:
                wrong.append(f"{where}: cites PCI DSS v{match['version']}, not v{version}")
            for number in re.findall(_NUMBER, match["numbers"]):
                seen += 1
                if number not in known:
                    wrong.append(f"{where}: PCI DSS {number} is not in references.yml")
    assert wrong == []
    assert seen > 40  # the scan finds the citations, it does not pass by finding none


def test_the_example_policy_cites_only_the_tables_ids() -> None:
    policy, problems = load_policy(POLICY, fleet_data())
    assert problems == []
    assert policy is not None
    for control in policy.controls:
        assert set(control.pci_dss) <= set(table().pci), control.id
    wrm = next(c for c in policy.controls if c.id == "WRM-02")
    assert wrm.pci_dss == ("2.2.7", "8.3.2")
    assert wrm.cis[0].startswith("18.10.88.2.3 (L1) Ensure 'Allow unencrypted traffic'")
    assert "Windows Server 2022 v3.0.0, Windows 11 Enterprise v3.0.0" in wrm.cis[0]
    pwd = next(c for c in policy.controls if c.id == "PWD-01")
    assert "[deviation CS-01, configuration standard]" in pwd.cis[0]


def test_every_deviation_the_policy_names_is_in_the_configuration_standard() -> None:
    policy, _ = load_policy(POLICY, fleet_data())
    assert policy is not None
    standard = STANDARD.read_text(encoding="utf-8")
    headings = set(re.findall(r"^#+ (CS-[0-9]{2})\b", standard, flags=re.M))
    named = {control.deviation for control in policy.controls if control.deviation}
    assert named == {"CS-01", "CS-02", "CS-03", "CS-04"}
    assert named <= headings


@pytest.mark.parametrize(("old", "new", "field", "message"), [
    ('references: {pci_dss: ["6.3.3"]}', 'references: {pci_dss: ["6.3.3", "6.3.9"]}',
     "controls[0].references.pci_dss[1]", "PCI DSS v4.0.1 has no requirement 6.3.9"),
    ('cis: ["18.10.88.2.1"]', 'cis: ["18.10.89.2.1"]',  # the Windows 11 v2.0.0 number
     "references.cis[0]", "Windows Server 2022 Benchmark v3.0.0 has no item 18.10.89.2.1"),
    ('cis: ["1.1.4"]\n      deviation: CS-01', 'cis: ["1.1.4"]',
     "references.cis", "passes values that CIS 1.1.4"),
    ('cis: ["1.1.5"]', 'cis: ["1.1.5"]\n      deviation: CS-09',
     "references.deviation", "meets every CIS item it cites; remove the deviation CS-09"),
])
def test_a_wrong_reference_names_the_file_line_and_field(
        tmp_path: Path, old: str, new: str, field: str, message: str) -> None:
    assert old in TEXT
    path = tmp_path / "audit-policy.yml"
    path.write_text(TEXT.replace(old, new, 1))
    policy, problems = load_policy(path, fleet_data())
    assert policy is None
    # One problem per benchmark that lacks the item (server and stations: two).
    assert problems and any(message in problem.message for problem in problems), problems
    for problem in problems:
        assert field in problem.field, problem
        assert problem.line is not None and problem.file.endswith("audit-policy.yml")


def test_the_table_names_its_versions() -> None:
    assert table().pci_version == "4.0.1"
    assert {(b.key, b.version) for b in table().benchmarks} == {
        ("windows_server_2022", "3.0.0"), ("windows_11_enterprise", "3.0.0")}
    assert (EXAMPLE / "audit-policy.yml").read_text().count("v4.0.1") >= 1


def test_the_compliance_document_cites_only_the_tables_requirements() -> None:
    text = (ROOT / "docs" / "compliance.md").read_text(encoding="utf-8")
    cells = re.findall(r"^\| ([0-9][^|]*) \|", text, flags=re.M)
    # "8.4.x" is a group of requirements, not a number to look up.
    numbers = {number for cell in cells
               for number in re.findall(rf"(?<![0-9.]){_NUMBER}(?![0-9]|\.x)", cell)}
    assert len(numbers) > 30
    assert numbers - set(table().pci) == set()
