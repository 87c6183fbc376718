"""The acceptance check's logic: facts and probes in, checks with evidence out."""

from __future__ import annotations

from typing import Any

import pytest

from sitekit.acceptance import data_checks, failures, host_checks, port_checks, site_record

NOW = "2026-11-25T12:00:00+00:00"
EXPECTED = {"services": ["MSSQL$SQLEXPRESS", "WinDefend"], "application_version": "8.4.2",
            "sql_version": "16.0.1000.6", "database": "LotusPOS", "signature_max_age_hours": 24,
            "backup_max_age_hours": 26, "now": NOW}
GOOD: dict[str, Any] = {
    "services": {"MSSQL$SQLEXPRESS": {"state": "running", "start_mode": "auto"},
                 "WinDefend": {"state": "running", "start_mode": "auto"}},
    "application": {"name": "Lotus POS Server", "version": "8.4.2", "component": "server"},
    "sql_server": {"instance": "SQLEXPRESS", "version": "16.0.1000.6"},
    "defender": {"realtime_protection": True, "signature_last_updated": "2026-11-25T02:00:00Z"},
    "backups": {"LotusPOS": {"last_full": "2026-11-24T23:00:00Z",
                             "restore_test_result": "succeeded"}},
}


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
    checks = host_checks(GOOD, EXPECTED)
    assert len(checks) == 8
    assert failures(checks) == []


@pytest.mark.parametrize(("facts", "failed"), [
    (_with("services/MSSQL$SQLEXPRESS", {"state": "stopped", "start_mode": "auto"}),
     "service MSSQL$SQLEXPRESS: expected running, auto, found stopped, auto"),
    (_with("services/WinDefend", {"state": "running", "start_mode": "manual"}),
     "service WinDefend: expected running, auto, found running, manual"),
    (_with("services", {"MSSQL$SQLEXPRESS": {"state": "running", "start_mode": "auto"}}),
     "service WinDefend: expected running, auto, found absent"),
    (_with("application", None), "application version: expected 8.4.2, found not installed"),
    (_with("application/version", "8.4.1"), "application version: expected 8.4.2, found 8.4.1"),
    (_with("defender/realtime_protection", False), "real-time protection: expected on, found off"),
    (_with("defender/signature_last_updated", "2026-11-20T12:00:00Z"),
     "signature age: expected <= 24 h, found 120.0 h"),
    (_with("backups/LotusPOS/last_full", None),
     "last full backup of LotusPOS: expected <= 26 h old, found never"),
    (_with("backups/LotusPOS/restore_test_result", "failed"),
     "restore test of LotusPOS: expected succeeded, found failed"),
    (_with("backups", {}), "backups of LotusPOS: expected a verified full backup, found none"),
])
def test_each_problem_fails_exactly_its_check(facts: dict[str, Any], failed: str) -> None:
    assert failures(host_checks(facts, EXPECTED)) == [failed]


def test_a_station_is_not_checked_for_sql_or_backups() -> None:
    station = {**EXPECTED, "sql_version": "", "database": ""}
    facts = {k: v for k, v in GOOD.items() if k not in ("sql_server", "backups")}
    assert [c["check"] for c in host_checks(facts, station)] == [
        "service MSSQL$SQLEXPRESS", "service WinDefend", "application version",
        "real-time protection", "signature age"]


def test_ports_and_data() -> None:
    ports = port_checks("10.41.7.4", [{"port": 8443, "failed": False},
                                      {"port": 1433, "failed": True,
                                       "msg": "timeout while waiting"}])
    assert failures(ports) == ["reaches 10.41.7.4:1433: expected connects, found timeout while "
                               "waiting"]
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
    record = site_record({"code": "LIS01"}, [host], "Ana", NOW, [])
    assert record["result"] == "accepted"
    assert record["hosts"][0]["installed"] == {"Windows": "10.0.20348.2762",
                                               "application": "8.4.2",
                                               "SQL Server": "16.0.1000.6"}
    assert site_record({"code": "LIS01"}, [host], "Ana", NOW, ["lis01-kds01"])["result"] == \
        "not accepted"
    bad = host | {"checks": host_checks(_with("application", None), EXPECTED)}
    assert site_record({"code": "LIS01"}, [bad], "Ana", NOW, [])["failed"] == [
        "lis01-srv01: application version"]
