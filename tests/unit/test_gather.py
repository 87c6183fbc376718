"""The monthly audit's gather step without Ansible: a sitekit_facts result -> a facts document,
the groups to read and the members the plan expects; and the lab model's pure helpers."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

import pytest

from sitekit.audit.facts import problems
from sitekit.audit.gather import document, expected_members, groups_to_read
from sitekit.lab.modules.sitekit_facts import _scans_since, dotted, iso

NOW = dt.datetime(2026, 12, 1, 3, 0, tzinfo=dt.UTC)
PLAN = [
    {"name": "POS Administrators", "members": ["acosta"], "member_of": ["Administrators"]},
    {"name": "POS Cashier Operators", "members": ["acosta", "rmatos"], "member_of": ["Users"]},
    {"name": "POS Kitchen Operators", "members": ["jpires"], "member_of": ["users"]},
]
BUILT_IN = {"Administrators": ["Administrator", "sitekit"],
            "Users": ["NT AUTHORITY\\INTERACTIVE"]}


@pytest.mark.parametrize(("group", "expected"), [
    ("Administrators", ["Administrator", "sitekit", "acosta"]),
    ("administrators", ["Administrator", "sitekit", "acosta"]),
    ("Users", ["NT AUTHORITY\\INTERACTIVE", "acosta", "rmatos", "jpires"]),
    ("POS Cashier Operators", ["acosta", "rmatos"]),
    ("POS Administrators", ["acosta"]),
    ("Remote Desktop Users", []),
])
def test_expected_members(group: str, expected: list[str]) -> None:
    assert expected_members(group, PLAN, BUILT_IN) == expected


def test_expected_members_without_repeats() -> None:
    plan = [*PLAN, {"name": "POS Back Office", "members": ["ACOSTA", "tsousa"],
                    "member_of": ["Users"]}]
    assert expected_members("Users", plan, {}) == ["acosta", "rmatos", "jpires", "tsousa"]


def test_groups_to_read() -> None:
    assert groups_to_read(PLAN, BUILT_IN) == [
        "Administrators", "Users", "POS Administrators", "POS Cashier Operators",
        "POS Kitchen Operators"]
    assert groups_to_read([], {}) == []


def _result(**facts: Any) -> dict[str, Any]:
    return {"changed": False, "gathered_at": "2026-12-01T02:59:58Z", "unavailable": {},
            "facts": facts}


def test_document_of_a_reachable_host_adds_the_expected_members() -> None:
    result = _result(local_groups={"Administrators": {"members": ["Administrator", "x"]}},
                     disks={"C:": {"size_bytes": 100, "free_bytes": 0, "free_percent": 0.0}})
    doc = document(result, host="lis01-pos01", site="LIS01", kind="cashier", plan_groups=PLAN,
                   built_in=BUILT_IN, now=NOW)
    assert problems(doc) == []
    assert doc["reachable"] is True
    assert "error" not in doc
    assert doc["gathered_at"] == "2026-12-01T02:59:58Z"  # the host's clock, when it read them
    assert doc["facts"]["local_groups"]["Administrators"] == {
        "members": ["Administrator", "x"], "expected": ["Administrator", "sitekit", "acosta"]}
    assert result["facts"]["local_groups"]["Administrators"] == {
        "members": ["Administrator", "x"]}  # the registered result is left as it was


def test_document_adds_the_recorded_never_expiring_accounts() -> None:
    result = _result(accounts={"password_never_expires": ["pos-station", "sitekit", "temp"]})
    doc = document(result, host="lis01-pos01", site="LIS01", kind="cashier",
                   never_expires_allowed=["sitekit", "pos-station", "SITEKIT"], now=NOW)
    assert problems(doc) == []
    assert doc["facts"]["accounts"]["never_expires_allowed"] == ["sitekit", "pos-station"]
    assert "never_expires_allowed" not in result["facts"]["accounts"]


def test_document_of_an_unreachable_host() -> None:
    result = {"unreachable": True, "changed": False,
              "msg": "Task failed: winrm connection error:\n Connection refused"}
    doc = document(result, host="lis01-kds01", site="LIS01", kind="kitchen", now=NOW)
    assert problems(doc) == []
    assert doc == {"format": 1, "host": "lis01-kds01", "site": "LIS01", "kind": "kitchen",
                   "reachable": False, "gathered_at": "2026-12-01T03:00:00Z", "facts": {},
                   "error": "Task failed: winrm connection error: Connection refused"}


def test_document_of_a_failed_call_is_reachable_with_the_error() -> None:
    doc = document({"failed": True, "msg": "Unsupported parameters"}, host="lis01-srv01",
                   site="LIS01", kind="server", now=NOW)
    assert problems(doc) == []
    assert (doc["reachable"], doc["facts"]) == (True, {})
    assert doc["error"] == "sitekit_facts failed: Unsupported parameters"


def test_document_names_the_subsets_not_gathered() -> None:
    result = _result(os={"build": 20348}) | {"unavailable": {
        "backups": "cannot query SQL Server instance SQLEXPRESS:\r\nLogin failed",
        "updates.missing": "the Windows Update search failed"}}
    doc = document(result, host="lis01-srv01", site="LIS01", kind="server", now=NOW)
    assert problems(doc) == []
    assert doc["error"] == ("not gathered: backups: cannot query SQL Server instance "
                            "SQLEXPRESS: Login failed; updates.missing: the Windows Update "
                            "search failed")


@pytest.mark.parametrize(("text", "expected"), [
    ("8.4.2", "8.4.2"), ("16.0.1000.6", "16.0.1000.6"), ("8.4.2 build 7", "8.4.2"),
    (" 10.0 ", "10.0"), ("v8", None), ("", None), (None, None),
])
def test_dotted(text: str | None, expected: str | None) -> None:
    assert dotted(text) == expected


@pytest.mark.parametrize(("moment", "expected"), [
    ("2026-11-30T23:00:30+00:00", "2026-11-30T23:00:30Z"),
    ("2026-11-30T23:00:30.123456+01:00", "2026-11-30T22:00:30Z"),
    ("2026-11-30T23:00:30", "2026-11-30T23:00:30Z"),
    (None, None),
])
def test_iso(moment: str | None, expected: str | None) -> None:
    assert iso(moment) == expected


LISBON = zoneinfo.ZoneInfo("Europe/Lisbon")
INSTALLED = dt.datetime(2026, 11, 20, tzinfo=dt.UTC)


@pytest.mark.parametrize(("preferences", "quick", "full"), [
    # A fresh install: a daily quick scan at midnight and a scheduled quick scan at 02:00.
    ({"quick_scan_time": "00:00", "scan_day": "everyday", "scan_time": "02:00",
      "scan_type": "quick"}, "2026-12-01T02:04:00Z", None),
    # The antivirus role: a weekly full scan (Sunday 29 November) and a daily quick scan.
    ({"quick_scan_time": "23:30", "scan_day": "sunday", "scan_time": "01:00",
      "scan_type": "full"}, "2026-11-30T23:34:00Z", "2026-11-29T01:50:00Z"),
    # A scan that has not finished yet does not count; nothing scheduled, nothing ran.
    ({"quick_scan_time": "02:58", "scan_day": "never", "scan_time": "01:00",
      "scan_type": "full"}, "2026-11-30T03:02:00Z", None),
    ({"scan_day": "never"}, None, None),
])
def test_scans_follow_the_schedule(preferences: dict[str, Any], quick: str | None,
                                   full: str | None) -> None:
    found = _scans_since(preferences, LISBON, INSTALLED, NOW)
    assert (iso(found["quick"]), iso(found["full"])) == (quick, full)


def test_no_scan_before_the_install() -> None:
    found = _scans_since({"scan_day": "sunday", "scan_time": "01:00", "scan_type": "full"},
                         LISBON, dt.datetime(2026, 11, 30, tzinfo=dt.UTC), NOW)
    assert found == {"quick": None, "full": None}
