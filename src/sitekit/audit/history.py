"""The audit history: every run's results and the maintenance records, in one SQLite file.

The next month compares against it, and `sitekit report --from-history` renders any
month from it alone. docs/audit.md documents the schema; `SCHEMA` below is the source.
Re-running a month replaces that month's run and its audit records (manual maintenance
records stay).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

from sitekit.audit.checks import FAIL, STATUSES
from sitekit.audit.evaluate import HostResult, Result, SiteInfo
from sitekit.audit.report import (
    ControlInfo,
    MaintenanceRecord,
    Report,
    Run,
    SiteReport,
    TrendPoint,
)

VERSION = 1

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
  id INTEGER PRIMARY KEY,
  fleet TEXT NOT NULL,
  month TEXT NOT NULL,              -- YYYY-MM
  engineer TEXT NOT NULL,
  started TEXT NOT NULL,            -- ISO 8601 time of the evaluation
  as_of TEXT NOT NULL,              -- YYYY-MM-DD: the day waivers were judged on
  policy_version TEXT NOT NULL,
  facts TEXT NOT NULL,              -- the run directory the facts came from
  hosts INTEGER NOT NULL,
  unreachable INTEGER NOT NULL,
  pass INTEGER NOT NULL, fail INTEGER NOT NULL, waived INTEGER NOT NULL, unknown INTEGER NOT NULL,
  UNIQUE (fleet, month)
);
CREATE TABLE IF NOT EXISTS controls (
  run_id INTEGER NOT NULL, position INTEGER NOT NULL, id TEXT NOT NULL,
  title TEXT NOT NULL, area TEXT NOT NULL, severity TEXT NOT NULL,
  pci_dss TEXT NOT NULL, cis TEXT NOT NULL, applies_to TEXT NOT NULL,  -- JSON lists
  expected TEXT NOT NULL, suggestion TEXT NOT NULL,
  PRIMARY KEY (run_id, id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS sites (
  run_id INTEGER NOT NULL, position INTEGER NOT NULL, code TEXT NOT NULL,
  name TEXT NOT NULL, city TEXT NOT NULL, ring INTEGER NOT NULL, hosts INTEGER NOT NULL,
  pass INTEGER NOT NULL, fail INTEGER NOT NULL, waived INTEGER NOT NULL, unknown INTEGER NOT NULL,
  PRIMARY KEY (run_id, code)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS hosts (
  run_id INTEGER NOT NULL, host TEXT NOT NULL, site TEXT NOT NULL, position INTEGER NOT NULL,
  kind TEXT NOT NULL, reachable INTEGER NOT NULL, error TEXT, gathered_at TEXT,
  PRIMARY KEY (run_id, host)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS results (
  run_id INTEGER NOT NULL, host TEXT NOT NULL, control TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('pass', 'fail', 'waived', 'unknown')),
  observed TEXT NOT NULL, expected TEXT NOT NULL, note TEXT NOT NULL,
  PRIMARY KEY (run_id, host, control)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS maintenance (
  id INTEGER PRIMARY KEY,
  fleet TEXT NOT NULL, month TEXT NOT NULL, site TEXT NOT NULL,
  date TEXT NOT NULL, engineer TEXT NOT NULL,
  findings TEXT NOT NULL, actions TEXT NOT NULL, cause TEXT NOT NULL, result TEXT NOT NULL,
  source TEXT NOT NULL CHECK (source IN ('audit', 'manual'))
);
CREATE INDEX IF NOT EXISTS maintenance_by_month ON maintenance (fleet, month, site);
"""


class HistoryError(Exception):
    """The history cannot give what was asked (no such month, a newer schema)."""


class History:
    """An audit history file; created with its schema on first use."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(path)
        self.db.execute("PRAGMA journal_mode = WAL")
        self.db.execute("PRAGMA synchronous = NORMAL")
        version = self.db.execute("PRAGMA user_version").fetchone()[0]
        if version > VERSION:
            raise HistoryError(f"{path} was written by a newer sitekit (history schema "
                               f"{version}); upgrade sitekit")
        self.db.executescript(SCHEMA)
        self.db.execute(f"PRAGMA user_version = {VERSION}")

    def close(self) -> None:
        """Close the file."""
        self.db.close()

    def __enter__(self) -> History:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # Writing

    def record(self, report: Report) -> None:
        """Store a run (replacing the same fleet and month) with its audit records."""
        run = report.run
        with self.db:
            self._forget(run.fleet, run.month)
            counts = report.counts
            cursor = self.db.execute(
                "INSERT INTO runs (fleet, month, engineer, started, as_of, policy_version, "
                "facts, hosts, unreachable, pass, fail, waived, unknown) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (run.fleet, run.month, run.engineer, run.started, run.as_of,
                 run.policy_version, run.facts, report.hosts, report.unreachable,
                 *(counts[status] for status in STATUSES)))
            run_id = cursor.lastrowid
            self.db.executemany(
                "INSERT INTO controls VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                ((run_id, position, c.id, c.title, c.area, c.severity, json.dumps(c.pci_dss),
                  json.dumps(c.cis), json.dumps(c.applies_to), c.expected, c.suggestion)
                 for position, c in enumerate(report.controls)))
            self.db.executemany(
                "INSERT INTO sites VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                ((run_id, position, s.site.code, s.site.name, s.site.city, s.site.ring,
                  len(s.hosts), *(s.counts[status] for status in STATUSES))
                 for position, s in enumerate(report.sites)))
            self.db.executemany(
                "INSERT INTO hosts VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                ((run_id, h.host, s.site.code, position, h.kind, h.reachable, h.error,
                  h.gathered_at)
                 for s in report.sites for position, h in enumerate(s.hosts)))
            self.db.executemany(
                "INSERT INTO results VALUES (?, ?, ?, ?, ?, ?, ?)",
                ((run_id, h.host, *r) for s in report.sites for h in s.hosts for r in h.results))
            self.db.executemany(
                "INSERT INTO maintenance (fleet, month, site, date, engineer, findings, actions, "
                "cause, result, source) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                ((run.fleet, run.month, m.site, m.date, m.engineer, m.findings, m.actions,
                  m.cause, m.result, m.source)
                 for s in report.sites for m in s.maintenance if m.source == "audit"))

    def add_maintenance(self, fleet: str, month: str, record: MaintenanceRecord) -> None:
        """Keep a maintenance record an engineer wrote (it survives re-runs of the month)."""
        with self.db:
            self.db.execute(
                "INSERT INTO maintenance (fleet, month, site, date, engineer, findings, actions, "
                "cause, result, source) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'manual')",
                (fleet, month, record.site, record.date, record.engineer, record.findings,
                 record.actions, record.cause, record.result))

    def _forget(self, fleet: str, month: str) -> None:
        row = self.db.execute("SELECT id FROM runs WHERE fleet = ? AND month = ?",
                              (fleet, month)).fetchone()
        if row is None:
            return
        for table in ("results", "hosts", "sites", "controls"):
            self.db.execute(f"DELETE FROM {table} WHERE run_id = ?", row)
        self.db.execute("DELETE FROM runs WHERE id = ?", row)
        self.db.execute("DELETE FROM maintenance WHERE fleet = ? AND month = ? AND "
                        "source = 'audit'", (fleet, month))

    # Reading

    def months(self, fleet: str) -> list[str]:
        """Months with a run, oldest first."""
        return [row[0] for row in self.db.execute(
            "SELECT month FROM runs WHERE fleet = ? ORDER BY month", (fleet,))]

    def previous_month(self, fleet: str, month: str) -> str | None:
        """The latest month before `month` with a run."""
        row = self.db.execute("SELECT max(month) FROM runs WHERE fleet = ? AND month < ?",
                              (fleet, month)).fetchone()
        return row[0]

    def failures(self, fleet: str, month: str,
                 sites: list[str] | None = None) -> dict[str, dict[tuple[str, str], str]]:
        """A month's failed results: site -> (host, control) -> observed."""
        out: dict[str, dict[tuple[str, str], str]] = {}
        only, values = _only_sites(sites)
        rows = self.db.execute(
            "SELECT h.site, r.host, r.control, r.observed FROM runs AS u "
            "JOIN hosts AS h ON h.run_id = u.id "
            "JOIN results AS r ON r.run_id = u.id AND r.host = h.host "
            f"WHERE u.fleet = ? AND u.month = ? AND r.status = ?{only}",
            (fleet, month, FAIL, *values))
        for site, host, control, observed in rows:
            out.setdefault(site, {})[(host, control)] = observed
        return out

    def trend(self, fleet: str, until: str) -> list[TrendPoint]:
        """Fleet-wide counts of every month up to `until`."""
        return [TrendPoint(month, dict(zip(STATUSES, counts, strict=True)), hosts, unreachable)
                for month, hosts, unreachable, *counts in self.db.execute(
                    "SELECT month, hosts, unreachable, pass, fail, waived, unknown FROM runs "
                    "WHERE fleet = ? AND month <= ? ORDER BY month", (fleet, until))]

    def maintenance(self, fleet: str, month: str) -> dict[str, list[MaintenanceRecord]]:
        """A month's maintenance records by site, in the order they were kept."""
        out: dict[str, list[MaintenanceRecord]] = {}
        for row in self.db.execute(
                "SELECT date, engineer, site, findings, actions, cause, result, source "
                "FROM maintenance WHERE fleet = ? AND month = ? ORDER BY date, id", (fleet, month)):
            out.setdefault(row[2], []).append(MaintenanceRecord(*row))
        return out

    def load(self, fleet: str, month: str, sites: list[str] | None = None) -> Report:
        """A month's report as it was recorded (changes and trend are added by the caller).

        With `sites`, only those sites' results are read.
        """
        row = self.db.execute(
            "SELECT id, fleet, month, engineer, started, as_of, policy_version, facts "
            "FROM runs WHERE fleet = ? AND month = ?", (fleet, month)).fetchone()
        if row is None:
            months = ", ".join(self.months(fleet)) or "none"
            raise HistoryError(f"no {month} audit of fleet {fleet} in {self.path}; months "
                               f"recorded: {months}")
        run_id, run = row[0], Run(*row[1:])
        controls = [ControlInfo(c_id, title, area, severity, tuple(json.loads(pci)),
                                tuple(json.loads(cis)), tuple(json.loads(applies)), expected,
                                suggestion)
                    for c_id, title, area, severity, pci, cis, applies, expected, suggestion
                    in self.db.execute(
                        "SELECT id, title, area, severity, pci_dss, cis, applies_to, expected, "
                        "suggestion FROM controls WHERE run_id = ? ORDER BY position",
                        (run_id,))]
        order = {control.id: position for position, control in enumerate(controls)}
        only, values = _only_sites(sites, column="code")
        found: dict[str, SiteReport] = {}
        for code, name, city, ring, *counts in self.db.execute(
                "SELECT code, name, city, ring, pass, fail, waived, unknown FROM sites "
                f"WHERE run_id = ?{only} ORDER BY position", (run_id, *values)):
            found[code] = SiteReport(SiteInfo(code, name, city, ring), [],
                                     counts=dict(zip(STATUSES, counts, strict=True)))
        missing = sorted(set(sites or ()) - set(found))
        if missing:
            raise HistoryError(f"no site {', '.join(missing)} in the {month} audit of {fleet}")
        only, values = _only_sites(sites)
        hosts: dict[str, HostResult] = {}
        for host, site, kind, reachable, error, gathered_at in self.db.execute(
                "SELECT host, site, kind, reachable, error, gathered_at FROM hosts AS h "
                f"WHERE run_id = ?{only} ORDER BY site, position",
                (run_id, *values)):
            result = HostResult(host, kind, bool(reachable), error, gathered_at, [])
            hosts[host] = result
            found[site].hosts.append(result)
            found[site].site.hosts.append((host, kind))
        for host, results in self._results(run_id, sites):
            results.sort(key=lambda r: order[r.control])
            hosts[host].results = results
        by_site = self.maintenance(fleet, month)
        for code, site_report in found.items():
            site_report.maintenance = by_site.get(code, [])
        return Report(run, controls, list(found.values()))

    def _results(self, run_id: int,
                 sites: list[str] | None) -> Iterator[tuple[str, list[Result]]]:
        if sites:
            marks = ", ".join("?" * len(sites))
            query = ("SELECT r.host, r.control, r.status, r.observed, r.expected, r.note "
                     "FROM hosts AS h JOIN results AS r ON r.run_id = h.run_id AND "
                     f"r.host = h.host WHERE h.run_id = ? AND h.site IN ({marks}) "
                     "ORDER BY r.host")
            values: tuple[object, ...] = (run_id, *sites)
        else:
            query = ("SELECT host, control, status, observed, expected, note FROM results "
                     "WHERE run_id = ? ORDER BY host")
            values = (run_id,)
        with closing(self.db.execute(query, values)) as cursor:
            current, results = None, []
            make = Result._make
            for row in cursor:
                if row[0] != current:
                    if current is not None:
                        yield current, results
                    current, results = row[0], []
                results.append(make(row[1:]))
            if current is not None:
                yield current, results


def _only_sites(sites: list[str] | None, column: str = "h.site") -> tuple[str, tuple[str, ...]]:
    """An SQL condition limiting a query to some sites, and its values."""
    if not sites:
        return "", ()
    return f" AND {column} IN ({', '.join('?' * len(sites))})", tuple(sites)
