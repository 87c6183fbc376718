"""Each check operator: pass, fail and unknown, with the evidence it gives."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from sitekit.audit.checks import FAIL, PASS, UNKNOWN, Check, CheckError

AT = dt.datetime(2026, 12, 1, 2, 30, tzinfo=dt.UTC)
FLEET = {"application": {"version": "8.4.2"}}


def evaluate(facts: dict[str, Any], fact: str, op: str, **spec: Any) -> tuple[str, str, str, str]:
    return Check(fact, op, fleet=FLEET, **spec).evaluate(facts, AT)


@pytest.mark.parametrize(("op", "value", "observed", "status"), [
    ("equals", True, True, PASS),
    ("equals", True, False, FAIL),
    ("equals", True, "yes", UNKNOWN),  # text where a yes/no belongs is no evidence
    ("equals", "running", "stopped", FAIL),
    ("not_equals", "Administrator", "kiosk", PASS),
    ("not_equals", "Administrator", "Administrator", FAIL),
    ("one_of", ["auto", "delayed"], "delayed", PASS),
    ("one_of", ["auto", "delayed"], "manual", FAIL),
    ("at_least", 12, 14, PASS),
    ("at_least", 12, 8, FAIL),
    ("at_least", 12, None, FAIL),
    ("at_least", 12, "14", UNKNOWN),
    ("at_least", 12, True, UNKNOWN),  # a boolean is not a number
    ("at_most", 4096, 4096, PASS),
    ("at_most", 4096, 5000.5, FAIL),
    ("between", [1, 10], 5, PASS),
    ("between", [1, 10], 0, FAIL),
    ("between", [1, 10], 11, FAIL),
    ("abs_at_most", 5, -4.9, PASS),
    ("abs_at_most", 5, -5.1, FAIL),
    ("version_at_least", "16.0.1000.6", "16.0.4135.4", PASS),
    ("version_at_least", "16.0.1000.6", "15.0.2000.5", FAIL),
    ("version_at_least", "8.4.2", "8.4.2.0", PASS),  # trailing zeros do not count
    ("version_at_least", "16.0.1000.6", None, FAIL),  # not installed
    ("version_at_least", "16.0.1000.6", "latest", UNKNOWN),
    ("version_at_most", "2.0", "1.9.9", PASS),
    ("version_at_most", "2.0", "2.0.1", FAIL),
    ("max_age", "2d", "2026-11-30T03:00:00Z", PASS),
    ("max_age", "2d", "2026-11-28T02:00:00Z", FAIL),
    ("max_age", "4h", "2026-12-01T00:00:00Z", PASS),
    # The one time format (sitekit.timestamps): an offset, a fraction or a date alone is no
    # module's output, so it is not evidence.
    ("max_age", "4h", "2026-12-01T00:00:00+00:00", UNKNOWN),
    ("max_age", "4h", "2026-12-01T00:00:00.1234567Z", UNKNOWN),
    ("max_age", "4h", "2026-11-30", UNKNOWN),
    ("max_age", "1d", None, FAIL),  # never backed up
    ("max_age", "1d", "yesterday", UNKNOWN),
    ("contains", "WinRM", ["winrm", "W32Time"], PASS),  # account and service names: any case
    ("contains", ["WinRM", "Spooler"], ["WinRM"], FAIL),
    ("not_contains", ["Guest"], ["Administrator", "acosta"], PASS),
    ("not_contains", ["Guest"], ["guest"], FAIL),
    ("not_contains", ["Guest"], None, PASS),  # no members at all
    ("contains", "WinRM", "WinRM", UNKNOWN),  # text is not a list
    ("subset_of", ["Administrator", "sitekit"], ["administrator"], PASS),
    ("subset_of", ["Administrator", "sitekit"], ["Administrator", "jdoe"], FAIL),
    ("count_at_most", 0, [], PASS),
    ("count_at_most", 0, [{"kb": "KB1"}], FAIL),
    ("count_at_most", 0, {"kb": "KB1"}, UNKNOWN),
])
def test_operator(op: str, value: Any, observed: Any, status: str) -> None:
    assert evaluate({"x": {"y": observed}}, "x.y", op, value=value)[0] == status


def test_absent_fact_is_unknown_never_pass() -> None:
    status, observed, expected, note = evaluate({"x": {}}, "x.y", "equals", value=False)
    assert (status, observed, expected) == (UNKNOWN, "(not gathered)", "false")
    assert note == "x.y was not gathered"
    assert evaluate({}, "defender.realtime_protection", "equals", value=True)[0] == UNKNOWN


def test_a_section_that_is_null_means_none() -> None:
    """sql_server: null is "not installed": a version check fails, it is not unknown."""
    status, observed, _, _ = evaluate({"sql_server": None}, "sql_server.version",
                                      "version_at_least", value="16.0")
    assert (status, observed) == (FAIL, "not installed")


def test_evidence_of_an_age() -> None:
    status, observed, expected, _ = evaluate(
        {"d": {"s": "2026-11-26T02:30:00Z"}}, "d.s", "max_age", value="2d")
    assert (status, observed, expected) == (FAIL, "2026-11-26T02:30:00Z (5.0 days old)",
                                            "at most 2 days old")


def test_units_show_with_numbers() -> None:
    status, observed, expected, _ = evaluate({"p": {"n": 8}}, "p.n", "at_least", value=12,
                                             unit="characters")
    assert (status, observed, expected) == (FAIL, "8 characters", ">= 12 characters")


def test_count_with_where_counts_only_matching_items() -> None:
    missing = [{"kb": "KB1", "category": "Definition Updates"},
               {"kb": "KB2", "category": "Security Updates"}]
    status, observed, expected, _ = evaluate(
        {"updates": {"missing": missing}}, "updates.missing", "count_at_most", value=0,
        where={"category": "Security Updates"})
    assert (status, observed, expected) == (FAIL, "1: KB2",
                                            "at most 0 (category=Security Updates)")


@pytest.mark.parametrize(("disks", "status", "note"), [
    ({"C:": {"free_percent": 40.0}, "D:": {"free_percent": 60.0}}, PASS, ""),
    ({"C:": {"free_percent": 40.0}, "D:": {"free_percent": 9.5}}, FAIL, "failing: D:"),
    ({"C:": {"free_percent": 40.0}, "D:": {}}, UNKNOWN, "unknown: D:; D: disks.*.free_percent"
                                                        " was not gathered"),
    ({}, UNKNOWN, "no entries at disks.*.free_percent"),
])
def test_every_entry_of_a_wildcard_must_pass(disks: dict[str, Any], status: str,
                                             note: str) -> None:
    result = evaluate({"disks": disks}, "disks.*.free_percent", "at_least", value=15, unit="%")
    assert result[0] == status
    assert result[3] == note


def test_named_entries_must_all_be_there() -> None:
    services = {"WinRM": {"state": "running"}}
    status, observed, _, note = evaluate({"services": services},
                                         "services.{WinRM,W32Time}.state", "equals",
                                         value="running")
    assert status == UNKNOWN
    assert observed == "WinRM: running; W32Time: (not gathered)"
    services["W32Time"] = {"state": "stopped"}
    status, observed, _, note = evaluate({"services": services},
                                         "services.{WinRM,W32Time}.state", "equals",
                                         value="running")
    assert (status, note) == (FAIL, "failing: W32Time")


def test_expected_from_the_fleet_and_from_the_host() -> None:
    assert evaluate({"application": {"version": "8.4.1"}}, "application.version", "equals",
                    value_from="fleet.application.version")[:3] == (FAIL, "8.4.1", "8.4.2")
    groups = {"Administrators": {"members": ["a", "b"], "expected": ["a"]},
              "POS Operators": {"members": ["c"], "expected": ["c", "d"]}}
    status, _, expected, note = evaluate({"local_groups": groups}, "local_groups.*.members",
                                         "subset_of", value_from="facts.local_groups.*.expected")
    assert status == FAIL
    assert expected == "Administrators: only a; POS Operators: only c, d"
    assert note == "failing: Administrators; Administrators: not expected: b"
    del groups["Administrators"]["expected"]
    assert evaluate({"local_groups": groups}, "local_groups.*.members", "subset_of",
                    value_from="facts.local_groups.*.expected")[0] == UNKNOWN


@pytest.mark.parametrize(("op", "spec", "field", "message"), [
    ("max_age", {"value": "2 days"}, "value", "max_age needs a duration such as 2d"),
    ("at_least", {"value": "12"}, "value", "at_least needs a number"),
    ("between", {"value": [10, 1]}, "value", "between needs [low, high]"),
    ("version_at_least", {"value": "new"}, "value", "needs a dotted version"),
    ("one_of", {"value": "auto"}, "value", "one_of needs a list"),
    ("equals", {"value": 1, "where": {"a": 1}}, "where", "only works with count_at_most"),
    ("equals", {"value_from": "fleet.application.release"}, "value_from",
     "the fleet file has no application.release"),
    ("is", {"value": 1}, "op", "unknown operator is"),
])
def test_a_check_that_cannot_work_is_refused(op: str, spec: dict[str, Any], field: str,
                                              message: str) -> None:
    with pytest.raises(CheckError, match=message.replace("[", r"\[")) as error:
        Check("a.b", op, fleet=FLEET, **spec)
    assert error.value.field == field
