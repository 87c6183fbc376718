"""The baseline policy file: the example loads; every mistake names the file, line and field."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest

from sitekit.audit.policy import load_policy
from sitekit.audit.published import schema
from sitekit.site.load import load_fleet_dir
from sitekit.site.strict_yaml import plain
from tests.conftest import EXAMPLE

POLICY = EXAMPLE / "audit-policy.yml"
TEXT = POLICY.read_text()


@pytest.fixture(autouse=True)
def _release_table(tmp_path: Path) -> None:
    """A policy copied to tmp_path finds the example's release table beside it."""
    shutil.copy(EXAMPLE / "release-table.yml", tmp_path / "release-table.yml")


def fleet_data() -> dict:
    loaded = load_fleet_dir(EXAMPLE)
    assert loaded.fleet is not None
    return plain(loaded.fleet.source["fleet"])


def test_the_example_policy_loads() -> None:
    policy, problems = load_policy(POLICY, fleet_data(), ["BER02", "LIS01", "LON01"])
    assert problems == []
    assert policy is not None
    assert policy.version == "2026.12.9"
    assert len(policy.controls) == 74
    assert len(policy.by_kind["server"]) == 70
    assert len(policy.by_kind["cashier"]) == 60
    ids = [control.id for control in policy.controls]
    assert len(set(ids)) == len(ids)
    assert all(control.suggestion for control in policy.controls)
    pwd = next(c for c in policy.controls if c.id == "PWD-01")
    assert pwd.pci_dss == ("8.3.6",)
    assert pwd.cis[0].startswith("1.1.4 ")
    assert next(c for c in policy.controls if c.id == "APP-01").expected == "8.4.2"
    # CIS numbers section 17.2 per benchmark: each control cites its own benchmark's items.
    by_id = {control.id: control for control in policy.controls}
    # So does 2.3.7: the idle lock is 2.3.7.3 on the server, 2.3.7.4 on the office PC.
    assert by_id["IDL-01"].cis[0].startswith("2.3.7.3 ")
    assert by_id["IDL-02"].cis[0].endswith("(Windows 11 Enterprise v3.0.0)")
    assert by_id["IDL-02"].cis[0].startswith("2.3.7.4 ")
    assert by_id["LOG-03"].cis[1] == ("17.2.5 (L1) Ensure 'Audit Security Group Management' is set "
                                      "to include 'Success' (Windows Server 2022 v3.0.0)")
    assert by_id["LOG-04"].cis[1].startswith("17.2.2 ")
    assert by_id["LOG-04"].cis[1].endswith("(Windows 11 Enterprise v3.0.0)")


def test_the_opening_day_exception_is_a_waiver_with_its_reason() -> None:
    policy, _ = load_policy(POLICY, fleet_data())
    assert policy is not None
    autologon = [w for w in policy.waivers if w.control == "AUT-01"]
    assert len(autologon) == 1
    waiver = autologon[0]
    exception = fleet_data()["autologon"]
    assert waiver.kinds == tuple(exception["kinds"]) == ("cashier", "kitchen")
    assert waiver.reason == exception["reason"]
    assert waiver.approved_by == f"{exception['approved_by']}, since {exception['since']}"
    assert waiver.covers("LIS01", "lis01-pos01", "cashier")
    assert not waiver.covers("LIS01", "lis01-ofc01", "office")


@pytest.mark.parametrize(("waiver", "fleet_change", "message"), [
    ({"site": "*", "from_fleet": "autologon", "control": "AUT-01", "expires": "2027-06-30",
      "reason": "Said twice is said once too often here."}, {},
     "waivers[0].reason: from_fleet: autologon takes reason from the fleet file; leave it"),
    ({"site": "*", "from_fleet": "autologon", "control": "AUT-01", "expires": "2027-06-30"},
     {"autologon": None}, "waivers[0].from_fleet: the fleet file has no autologon exception"),
    ({"site": "*", "control": "AUT-01", "expires": "2027-06-30"}, {},
     "waivers[0]: add reason and approved_by"),
])
def test_waiver_from_the_fleet_file_or_its_own(tmp_path: Path, waiver: dict,
                                               fleet_change: dict, message: str) -> None:
    text = POLICY.read_text(encoding="utf-8")
    head = text[:text.index("waivers:")]
    path = tmp_path / "audit-policy.yml"
    path.write_text(head + "waivers:\n  - " + json.dumps(waiver) + "\n", encoding="utf-8")
    fleet = {k: v for k, v in (fleet_data() | fleet_change).items() if v is not None}
    policy, problems = load_policy(path, fleet)
    assert policy is None
    assert any(message in f"{p.field}: {p.message}" for p in problems), problems


def test_the_schema_is_published_with_the_package() -> None:
    assert schema("policy")["$id"] == "policy.schema.json"
    assert "count_at_most" in schema("policy")["$defs"]["check"]["properties"]["op"]["enum"]


@pytest.mark.parametrize(("old", "new", "field", "message", "marker"), [
    ("    severity: high\n    references: {pci_dss: [\"6.3.3\"]}\n    applies_to: [server]",
     "    severity: urgent\n    references: {pci_dss: [\"6.3.3\"]}\n    applies_to: [server]",
     "controls[0].severity", "'urgent' is not one of: critical, high, medium, low",
     "severity: urgent"),
    ("check: {fact: os.version, op: current_update, value: {product: windows_server_2022",
     "check: {fact: os.version, op: newer_than, value: {product: windows_server_2022",
     "controls[0].check.op", "'newer_than' is not one of", "op: newer_than"),
    ("op: max_age, value: 35d}", "op: max_age, value: 5 weeks}",
     "controls[3].check.value", "max_age needs a duration such as 2d, 36h or 90m",
     "value: 5 weeks"),
    ("    applies_to: [server]\n    check: {fact: os.version",
     "    applies_to: [server]\n    sevrity: low\n    check: {fact: os.version",
     "controls[0]", "unknown key 'sevrity'; did you mean 'severity'?", "- id: OS-01"),
    ("  - id: OS-02", "  - id: OS-01", "controls[1].id", "OS-01 is also the id of controls[0]",
     "- id: OS-01"),
    ("value_from: fleet.application.version", "value_from: fleet.application.release",
     "controls[5].check.value_from", "the fleet file has no application.release",
     "application.release"),
    ("control: SQL-02", "control: SQL-09", "waivers[1].control", "there is no control SQL-09",
     "control: SQL-09"),
    ("  - site: LON01", "  - site: PAR01", "waivers[1].site", "there is no site PAR01",
     "site: PAR01"),
    ("    host: LON01-SRV01", "    host: BER02-SRV01", "waivers[1].host",
     "BER02-SRV01 is not a host of site LON01", "host: BER02-SRV01"),
    ("expires: \"2027-01-31\"", "expires: \"2027-02-30\"", "waivers[1].expires",
     "2027-02-30 is not a date", "2027-02-30"),
    ("    approved_by: Daniel Okafor, Group IT\n", "", "waivers[1]",
     "add approved_by: a waiver says why and who approved it", "- site: LON01"),
    ("fleet: example\n", "fleet: other\n", "fleet", "this policy is for fleet other",
     "fleet: other"),
    ("expires: \"2027-06-30\"", "expires: 2027-06-31x", "waivers[0].expires",
     "is not valid here", "2027-06-31x"),
])
def test_problems_name_file_line_and_field(tmp_path: Path, old: str, new: str, field: str,
                                           message: str, marker: str) -> None:
    assert old in TEXT
    text = TEXT.replace(old, new, 1)
    path = tmp_path / "audit-policy.yml"
    path.write_text(text)
    policy, problems = load_policy(path, fleet_data(), ["BER02", "LIS01", "LON01"])
    assert policy is None
    shown = [str(problem) for problem in problems]
    matching = [p for p in problems if p.field == field and message in p.message]
    assert matching, shown
    problem = matching[0]
    assert problem.file == str(path)
    assert problem.line is not None
    assert str(path) in str(problem)
    # The line is the one to change (or, for a missing or unknown key, its entry's first).
    assert marker in text.splitlines()[problem.line - 1]


def test_yaml_1_1_surprises_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "audit-policy.yml"
    path.write_text(TEXT.replace("op: equals, value: true}", "op: equals, value: yes}", 1))
    policy, problems = load_policy(path, fleet_data())
    assert policy is None
    assert any("read by YAML as the boolean true" in p.message for p in problems), problems


def test_a_missing_policy_file_says_where_to_start(tmp_path: Path) -> None:
    policy, problems = load_policy(tmp_path / "audit-policy.yml")
    assert policy is None
    assert "copy inventories/example/audit-policy.yml" in problems[0].message


REASON = """    reason: >-
      Two floors and the year-end events grow the database past 8 GB until the January
      archive run; the DBA checks its size every week.
"""
COMPENSATING = """    compensating_control: >-
      The DBA checks the data file's size every week and archives closed business days when
      it passes 9 GB, so the database stays below SQL Server Express's 10 GB limit.
"""


@pytest.mark.parametrize(("old", "new", "field", "message"), [
    (REASON, '    reason: "                         "\n', "waivers[1].reason",
     "the reason is 0 characters without its surrounding spaces"),
    (REASON, '    reason: "   short reason     x      "\n', "waivers[1].reason",
     "the reason is 18 characters"),
    ("approved_by: Daniel Okafor, Group IT", 'approved_by: "   "', "waivers[1].approved_by",
     ""),
    ("expires: \"2027-01-31\"", "expires: \"9999-12-31\"", "waivers[1].expires",
     "9999-12-31 is more than 366 days ahead (after 2027-12-02)"),
    ("expires: \"2027-06-30\"", "expires: \"2028-01-01\"", "waivers[0].expires",
     "is more than 366 days ahead"),
    ("    expires: \"2027-01-31\"\n", "", "waivers[1]", "expires"),
    (REASON, '    reason: "Approved by the board \\u202eTI puorG\\u202c, see ticket 4711"\n',
     "waivers[1].reason", "holds control characters"),
    ("approved_by: Daniel Okafor, Group IT", 'approved_by: "Daniel \\e[8mOkafor"',
     "waivers[1].approved_by", "holds control characters"),
    # PCI DSS has no waivers: each records what compensates for the failing control.
    (COMPENSATING, "", "waivers[1].compensating_control",
     "add compensating_control: PCI DSS has no waivers, a waived control is not compliant; "
     "say in 20 characters or more what makes up for SQL-02 failing at LON01"),
    (COMPENSATING, '    compensating_control: "   weekly checks        "\n',
     "waivers[1].compensating_control", "compensating_control is 13 characters"),
])
def test_a_waiver_needs_a_real_reason_an_approver_and_a_near_expiry(
        tmp_path: Path, old: str, new: str, field: str, message: str) -> None:
    assert old in TEXT
    path = tmp_path / "audit-policy.yml"
    path.write_text(TEXT.replace(old, new, 1))
    policy, problems = load_policy(path, fleet_data(), ["BER02", "LIS01", "LON01"],
                                   today=dt.date(2026, 12, 1))
    assert policy is None
    assert [p for p in problems if p.field == field and message in p.message], \
        [str(p) for p in problems]


def test_a_waiver_within_a_year_is_kept_stripped(tmp_path: Path) -> None:
    path = tmp_path / "audit-policy.yml"
    path.write_text(TEXT.replace("approved_by: Daniel Okafor, Group IT",
                                 'approved_by: "  Daniel Okafor, Group IT  "', 1))
    policy, problems = load_policy(path, fleet_data(), ["BER02", "LIS01", "LON01"],
                                   today=dt.date(2026, 12, 1))
    assert policy is not None, problems
    assert policy.waivers[1].approved_by == "Daniel Okafor, Group IT"
    assert policy.waivers[1].expires == dt.date(2027, 1, 31)
