"""The textfile metrics the deployed backup job writes at the end of each scheduled run.

As Write-SitekitMetrics in Invoke-SitekitBackup.ps1 does: from the whole history (so every
run, a log backup's too, rewrites every line) and SQL Server's own record of the last
clean DBCC CHECKDB (DATABASEPROPERTYEX(name, 'LastGoodCheckDbTime'), kept by the
integrity job's runs), under the metric names and in the file its settings' `metrics`
name (the db_backup role templates them from sitekit.monitoring.metrics). Settings
without `metrics` (a job deployed before it) write none. The job writes a temporary file
and renames it over the old one; a lab host's file changes at once under its lock.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import generate_latest

from sitekit.lab.state import find


def _seconds(text: str) -> float:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def render(settings: dict[str, Any], sql: dict[str, Any]) -> bytes:
    """The file's text: the newest good backup of each kind, restore test and CHECKDB."""
    names = settings["metrics"]["names"]
    backup = GaugeMetricFamily(names["backup_last_success"], "Unix time of the last verified "
                               "backup", labels=["database", "type"])
    tested = GaugeMetricFamily(names["restore_test_last"], "Unix time of the last restore "
                               "test", labels=["database"])
    passed = GaugeMetricFamily(names["restore_test_success"], "1 if the last restore test "
                               "passed, 0 if it failed", labels=["database"])
    checkdb = GaugeMetricFamily(names["checkdb_last_good"], "Unix time of the last DBCC "
                                "CHECKDB without errors", labels=["database"])
    for name in settings["databases"]:
        key = find(sql.get("databases") or {}, name)
        db = key or name
        for kind in ("full", "differential", "log"):
            good = [b for b in sql.get("backups") or [] if b["database"].lower() == db.lower()
                    and b["type"] == kind and b.get("verified")]
            if good:
                backup.add_metric([db, kind], max(_seconds(b["finished"]) for b in good))
        tests = [t for t in sql.get("restore_tests") or [] if t["database"].lower() == db.lower()]
        if tests:
            last = max(tests, key=lambda t: _seconds(t["finished"]))
            tested.add_metric([db], _seconds(last["finished"]))
            passed.add_metric([db], float(last["result"] == "passed"))
        checked = sql["databases"][key].get("last_good_checkdb") if key else None
        if checked:
            checkdb.add_metric([db], _seconds(checked))
    families: list[Metric] = [backup, tested, passed, checkdb]
    return generate_latest(_Families(families))  # type: ignore[arg-type]


class _Families:
    def __init__(self, families: list[Metric]) -> None:
        self.families = families

    def collect(self) -> list[Metric]:
        return self.families
