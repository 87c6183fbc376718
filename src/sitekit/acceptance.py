"""The opening-day acceptance check (service plan, phase 4), as plain functions.

The acceptance role reads each host once (sitekit_facts), probes the server's ports from
the stations and counts the loaded data; these functions turn what it saw into checks
with the expected and observed values, and the handover record lists them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Check:
    """One thing checked on one host."""

    check: str
    expected: str
    observed: str
    passed: bool


def host_checks(facts: dict[str, Any], expected: dict[str, Any]) -> list[dict[str, Any]]:
    """Services, versions, antivirus and backups of one host against what opening day set."""
    now = _time(expected["now"])
    checks = [_service(facts, name) for name in expected["services"]]
    checks.append(_version("application", facts.get("application"),
                           expected["application_version"]))
    if expected.get("sql_version"):
        checks.append(_version("SQL Server", facts.get("sql_server"), expected["sql_version"]))
    checks += _antivirus(facts.get("defender"), now, expected["signature_max_age_hours"])
    if expected.get("database"):
        checks += _backups(facts.get("backups"), expected["database"], now,
                           expected["backup_max_age_hours"])
    return [asdict(check) for check in checks]


def port_checks(target: str, results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """win_wait_for results (port, failed, msg) as checks."""
    return [asdict(Check(f"reaches {target}:{r['port']}", "connects",
                         "connects" if not r.get("failed") else str(r.get("msg", "failed")),
                         not r.get("failed"))) for r in results]


def data_checks(tables: list[dict[str, Any]], result: dict[str, Any]) -> list[dict[str, Any]]:
    """The database's tables against the site's CSV files (sitekit_pos_data in check mode).

    A table matches when loading the files again would insert, update and delete nothing.
    """
    checks = []
    for table in tables:
        name, rows = table["name"], len(table["rows"])
        if result.get("failed"):
            observed, passed = f"not readable: {result.get('msg', 'failed')}", False
        else:
            change = (result.get("changes") or {}).get(name) or {}
            pending = {k: change.get(k, 0) for k in ("inserted", "updated", "deleted")}
            passed = not change.get("created") and not any(pending.values())
            observed = f"{rows} rows, as loaded" if passed else "missing" if change.get(
                "created") else ", ".join(f"{n} to be {k}" for k, n in pending.items() if n)
        checks.append(asdict(Check(f"initial data {name}", f"{rows} rows from the site's CSV",
                                   observed, passed)))
    return checks


def failures(checks: list[dict[str, Any]]) -> list[str]:
    """The failed checks as sentences."""
    return [f"{c['check']}: expected {c['expected']}, found {c['observed']}"
            for c in checks if not c["passed"]]


def _service(facts: dict[str, Any], name: str) -> Check:
    found = (facts.get("services") or {}).get(name) or {"state": "absent"}
    observed = found["state"] + (f", {found['start_mode']}" if found.get("start_mode") else "")
    return Check(f"service {name}", "running, auto",
                 observed, found["state"] == "running" and found.get("start_mode") in
                 ("auto", "delayed"))


def _version(what: str, found: dict[str, Any] | None, version: str) -> Check:
    observed = "not installed" if not found else str(found.get("version"))
    return Check(f"{what} version", version, observed, observed == version)


def _antivirus(defender: dict[str, Any] | None, now: dt.datetime,
               max_age_hours: float) -> list[Check]:
    if not defender:
        return [Check("antivirus", "Defender on", "no Defender status", passed=False)]
    updated = defender.get("signature_last_updated")
    age = max(0.0, (now - _time(updated)).total_seconds() / 3600) if updated else None
    return [
        Check("real-time protection", "on", "on" if defender.get("realtime_protection")
              else "off", bool(defender.get("realtime_protection"))),
        Check("signature age", f"<= {max_age_hours:g} h",
              "never updated" if age is None else f"{age:.1f} h",
              age is not None and age <= max_age_hours),
    ]


def _backups(backups: dict[str, Any] | None, database: str, now: dt.datetime,
             max_age_hours: float) -> list[Check]:
    found = (backups or {}).get(database)
    if not found:
        return [Check(f"backups of {database}", "a verified full backup", "none",
                      passed=False)]
    last_full = found.get("last_full")
    age = max(0.0, (now - _time(last_full)).total_seconds() / 3600) if last_full else None
    result = found.get("restore_test_result")
    return [
        Check(f"last full backup of {database}", f"<= {max_age_hours:g} h old",
              "never" if age is None else f"{age:.1f} h old",
              age is not None and age <= max_age_hours),
        Check(f"restore test of {database}", "succeeded", result or "never run",
              result == "succeeded"),
    ]


def _time(text: str) -> dt.datetime:
    """An ISO 8601 time; a date alone is midnight UTC."""
    moment = dt.datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def site_record(site: dict[str, Any], hosts: list[dict[str, Any]], engineer: str,
                when: str, missing: list[str]) -> dict[str, Any]:
    """The handover record of one site: what was installed, what was checked, by whom, when.

    `hosts` are {host, kind, checks, facts, exception}; `missing` the site's hosts that did
    not reach acceptance (they failed or were stopped earlier in the run).
    """
    entries = []
    for host in sorted(hosts, key=lambda h: h["host"]):
        facts = host.get("facts") or {}
        installed = {"Windows": (facts.get("os") or {}).get("version")}
        for what, key in (("application", "application"), ("SQL Server", "sql_server")):
            if facts.get(key):
                installed[what] = facts[key].get("version")
        defender = facts.get("defender") or {}
        if defender.get("signature_version"):
            installed["Defender signatures"] = defender["signature_version"]
        entries.append({"host": host["host"], "kind": host["kind"],
                        "installed": {k: v for k, v in installed.items() if v},
                        "checks": host["checks"], "exception": host.get("exception")})
    failed = [f"{e['host']}: {c['check']}" for e in entries for c in e["checks"]
              if not c["passed"]]
    return {"site": site, "engineer": engineer, "when": when, "hosts": entries,
            "not_checked": sorted(missing), "failed": failed,
            "result": "accepted" if not failed and not missing else "not accepted"}

