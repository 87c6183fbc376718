"""The acceptance check's logic: facts and probes in, checks with evidence out."""

from __future__ import annotations

from typing import Any

import pytest

from sitekit.acceptance import data_checks, failures, host_checks, site_record
from sitekit.audit.settings import fleet_policy
from tests.conftest import EXAMPLE

NOW = "2026-11-25T12:00:00Z"
CONTROLS = ["AV-01", "AV-02", "AV-03", "BAK-01", "BAK-03", "BAK-04"]
EXPECTED = {"services": ["MSSQL$SQLEXPRESS", "WinDefend"], "application_version": "8.4.2",
            "sql_version": "16.0.1000.6", "database": "LotusPOS", "controls": CONTROLS,
            "kind": "server", "now": NOW}
GOOD: dict[str, Any] = {
    "services": {"MSSQL$SQLEXPRESS": {"state": "running", "start_mode": "auto"},
                 "WinDefend": {"state": "running", "start_mode": "auto"}},
    "application": {"name": "Lotus POS Server", "version": "8.4.2", "component": "server"},
    "sql_server": {"instance": "SQLEXPRESS", "version": "16.0.1000.6"},
    "defender": {"antivirus_enabled": True, "realtime_protection": True,
                 "signature_last_updated": "2026-11-25T02:00:00Z"},
    "backups": {"LotusPOS": {"last_full": "2026-11-24T23:00:00Z", "last_differential": None,
                             "recovery_model": "FULL",
                             "last_restore_test": "2026-11-24T23:30:00Z",
                             "restore_test_result": "succeeded"}},
}


def checks_of(facts: dict[str, Any], expected: dict[str, Any] = EXPECTED) -> list[dict[str, Any]]:
    """The host's checks, judged by the example fleet's audit policy."""
    return host_checks(facts, expected, fleet_policy(str(EXAMPLE)))


def _with(path: str, value: Any) -> dict[str, Any]:
    """GOOD with one value replaced at a slash-separated path."""
    facts: dict[str, Any] = {k: dict(v) if isinstance(v, dict) else v for k, v in GOOD.items()}
    *parents, last = path.split("/")
    node = facts
    for key in parents:
        node[key] = dict(node[key])
        node = node[key]
    node[last] = value
    return facts


def test_a_ready_server_passes_every_check() -> None:
    checks = checks_of(GOOD)
    assert len(checks) == 11
    assert failures(checks) == []


@pytest.mark.parametrize(("facts", "failed"), [
    (_with("services/MSSQL$SQLEXPRESS", {"state": "stopped", "start_mode": "auto"}),
     "service MSSQL$SQLEXPRESS: expected running, auto, found stopped, auto"),
    (_with("services/WinDefend", {"state": "running", "start_mode": "manual"}),
     "service WinDefend: expected running, auto, found running, manual"),
    (_with("services", {"MSSQL$SQLEXPRESS": {"state": "running", "start_mode": "auto"}}),
     "service WinDefend: expected running, auto, found absent"),
    (_with("application", None), "application version: expected = 8.4.2, found not installed"),
    (_with("application/version", "8.4.1"), "application version: expected = 8.4.2, found 8.4.1"),
    (_with("defender/realtime_protection", False),
     "AV-02 Real-time protection is on: expected true, found false"),
    (_with("defender/signature_last_updated", "2026-11-20T12:00:00Z"),
     "AV-03 Antivirus signatures are at most 2 days old: expected at most 2 days old, found "
     "2026-11-20T12:00:00Z (5.0 days old)"),
    (_with("backups/LotusPOS/restore_test_result", "failed"),
     "restore test of LotusPOS: expected succeeded, found failed"),
])
def test_each_problem_fails_exactly_its_check(facts: dict[str, Any], failed: str) -> None:
    assert failures(checks_of(facts)) == [failed]


def test_no_backups_fail_the_backup_checks() -> None:
    found = failures(checks_of(_with("backups", {})))
    assert found[0] == "backups of LotusPOS: expected a verified full backup, found none"
    assert any(f.startswith("BAK-01 ") for f in found)


# Acceptance and the audit judge alike: what the policy passes, acceptance passes.
@pytest.mark.parametrize("facts", [
    _with("defender/signature_last_updated", "2026-11-24T00:00:00Z"),  # 36 h: AV-03 allows 2 days
    _with("application/version", "8.4.2.0"),  # the same version, as the audit compares them
    _with("sql_server/version", "16.0.1000.06"),
    _with("backups/LotusPOS", GOOD["backups"]["LotusPOS"] | {
        "last_full": "2026-11-22T02:00:00Z", "last_differential": "2026-11-25T02:00:00Z"}),
])
def test_what_the_audit_passes_acceptance_passes(facts: dict[str, Any]) -> None:
    assert failures(checks_of(facts)) == []


def test_a_control_the_policy_lacks_is_named() -> None:
    with pytest.raises(ValueError, match="acceptance_policy_controls names AV-99"):
        checks_of(GOOD, EXPECTED | {"controls": ["AV-99"]})


def test_a_station_is_not_checked_for_sql_or_backups() -> None:
    station = {**EXPECTED, "sql_version": "", "database": "", "kind": "cashier"}
    facts = {k: v for k, v in GOOD.items() if k not in ("sql_server", "backups")}
    assert [c["check"].split(" ")[0] for c in checks_of(facts, station)] == [
        "service", "service", "application", "AV-01", "AV-02", "AV-03"]


def test_data() -> None:
    tables = [{"name": "MenuItems", "rows": [{}] * 3}, {"name": "DiningTables", "rows": [{}] * 2}]
    result = {"changes": {"MenuItems": {"inserted": 0, "updated": 0, "deleted": 0,
                                        "created": False},
                          "DiningTables": {"inserted": 1, "updated": 0, "deleted": 0,
                                           "created": False}}}
    assert failures(data_checks(tables, result)) == [
        "initial data DiningTables: expected 2 rows from the site's CSV, found 1 to be inserted"]
    assert failures(data_checks(tables, {"failed": True, "msg": "no database"}))[0].endswith(
        "found not readable: no database")


def test_site_record_accepts_only_a_complete_passing_site() -> None:
    host = {"host": "lis01-srv01", "kind": "server", "checks": host_checks(GOOD, EXPECTED),
            "facts": GOOD | {"os": {"version": "10.0.20348.2762"}}, "exception": None}
    record = site_record({"code": "LIS01"}, [host], "Ana", NOW, [], guest_segment=False)
    assert record["result"] == "accepted"
    assert record["hosts"][0]["installed"] == {"Windows": "10.0.20348.2762",
                                               "application": "8.4.2",
                                               "SQL Server": "16.0.1000.6"}
    assert site_record({"code": "LIS01"}, [host], "Ana", NOW, ["lis01-kds01"])["result"] == \
        "not accepted"
    bad = host | {"checks": host_checks(_with("application", None), EXPECTED)}
    assert site_record({"code": "LIS01"}, [bad], "Ana", NOW, [],
                       guest_segment=False)["failed"] == [
        "lis01-srv01: application version"]
