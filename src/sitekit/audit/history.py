"""The audit history: every run's results and the maintenance records, in one SQLite file.

The next month compares against it, and `sitekit report --from-history` renders any
month from it alone. docs/audit.md documents the schema; `SCHEMA` below is the source.
Results are kept per site: a run replaces, for its month, the results and the audit
records of the sites it audited and of no other (manual maintenance records stay). A
month is each site's latest results in that month.

The file is sitekit's only when it says so (`PRAGMA application_id`) or holds nothing but
sitekit's tables; anything else (another program's database, a file that is not a
database, a directory, a file sitekit may not write) is refused with a `HistoryError`
and left as it was.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import getpass
import json
import os
import socket
import sqlite3
from collections.abc import Callable, Iterator, Mapping
from contextlib import closing
from dataclasses import dataclass
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

VERSION = 5
APPLICATION_ID = 0x5354_4B41  # "STKA": PRAGMA application_id of a sitekit audit history
TABLES = frozenset(("runs", "controls", "sites", "hosts", "results", "maintenance",
                    "rollout_sites", "rollout_events", "rollout_steps", "incidents",
                    "incident_events", "account_sightings", "terminal_inspections"))

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
  pass INTEGER NOT NULL, fail INTEGER NOT NULL, waived INTEGER NOT NULL, unknown INTEGER NOT NULL
);  -- hosts ... unknown: of the sites this run audited
CREATE INDEX IF NOT EXISTS runs_by_month ON runs (fleet, month);
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
CREATE TABLE IF NOT EXISTS rollout_sites (   -- sitekit.rollout.state: a site's latest state
  fleet TEXT NOT NULL, release TEXT NOT NULL, site TEXT NOT NULL, ring INTEGER NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('pending', 'deferred', 'upgrading', 'done', 'failed',
                                       'rolled_back', 'halted')),
  reason TEXT NOT NULL, version_before TEXT NOT NULL, target TEXT NOT NULL,
  at TEXT NOT NULL, engineer TEXT NOT NULL, error TEXT NOT NULL,
  PRIMARY KEY (fleet, release, site)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS rollout_events (  -- approvals, pauses, resumes and halts
  id INTEGER PRIMARY KEY,
  fleet TEXT NOT NULL, release TEXT NOT NULL,
  action TEXT NOT NULL CHECK (action IN ('approve', 'pause', 'resume', 'halt')),
  ring INTEGER,                     -- NULL: the whole release
  at TEXT NOT NULL, engineer TEXT NOT NULL, reason TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS rollout_events_by_release ON rollout_events (fleet, release);
CREATE TABLE IF NOT EXISTS rollout_steps (   -- each step of a site's upgrade, once it is done
  fleet TEXT NOT NULL, release TEXT NOT NULL, site TEXT NOT NULL,
  step TEXT NOT NULL CHECK (step IN ('backup', 'schema', 'server', 'stations')),
  detail TEXT NOT NULL,             -- backup: the pre-upgrade backup's file
  at TEXT NOT NULL, engineer TEXT NOT NULL,
  PRIMARY KEY (fleet, release, site, step)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS incidents (     -- sitekit.incident.store: a fault or a call
  id INTEGER PRIMARY KEY,
  fleet TEXT NOT NULL, site TEXT NOT NULL,
  hosts TEXT NOT NULL,              -- JSON list of computer names in lower case
  source TEXT NOT NULL CHECK (source IN ('phone', 'alert', 'audit')),
  caller TEXT NOT NULL, contact TEXT NOT NULL, reported TEXT NOT NULL,
  alert_group TEXT,                 -- Alertmanager's groupKey, for an incident it opened
  opened TEXT NOT NULL              -- ISO time (UTC) the call or alert came in
);
CREATE INDEX IF NOT EXISTS incidents_by_site ON incidents (fleet, site, opened);
CREATE TABLE IF NOT EXISTS incident_events (  -- each step, with its time and who took it
  id INTEGER PRIMARY KEY,
  incident INTEGER NOT NULL REFERENCES incidents (id),
  action TEXT NOT NULL CHECK (action IN ('ack', 'dispatch', 'onsite', 'restore', 'close',
                                         'pause', 'resume', 'alert')),
  at TEXT NOT NULL, engineer TEXT NOT NULL,
  text TEXT NOT NULL                -- JSON: the step's fields (cause, solution, evaluation ...)
);
CREATE INDEX IF NOT EXISTS incident_events_by_incident ON incident_events (incident);
CREATE TABLE IF NOT EXISTS account_sightings (  -- PCI DSS 8.2.6: when each enabled account
  fleet TEXT NOT NULL, site TEXT NOT NULL,       -- was first seen on a host (Windows keeps
  host TEXT NOT NULL, account TEXT NOT NULL,     -- no creation time), account case-folded
  first_seen TEXT NOT NULL,                      -- the facts' gathered_at (UTC, Z)
  PRIMARY KEY (fleet, site, host, account)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS terminal_inspections (  -- PCI DSS 9.5.1.2: one per card terminal
  id INTEGER PRIMARY KEY,                          -- and inspection (sitekit maintenance
  fleet TEXT NOT NULL, site TEXT NOT NULL,         -- --terminal)
  terminal TEXT NOT NULL, serial TEXT NOT NULL,    -- the site file's name and serial
  inspected TEXT NOT NULL,                         -- YYYY-MM-DD
  engineer TEXT NOT NULL, checked TEXT NOT NULL, findings TEXT NOT NULL,
  outcome TEXT NOT NULL CHECK (outcome IN ('passed', 'failed'))
);
CREATE INDEX IF NOT EXISTS terminal_inspections_by_site ON terminal_inspections (fleet, site);
"""


# Version 5 adds rollout_steps, account_sightings and terminal_inspections, 4 the
# incidents' tables, 3 the rollout's: created as they are missing, like every table, so an
# older file is upgraded in place by the first write.
# Version 1 kept one run per fleet and month (UNIQUE (fleet, month)); version 2 keeps
# results per site, so runs of some sites of one month sit beside each other. SQLite
# cannot drop a constraint: the runs table is copied into one without it.
_RUNS_2 = SCHEMA.split(";", 1)[0].replace("IF NOT EXISTS runs", "runs_2")
_FROM_1 = (_RUNS_2, "INSERT INTO runs_2 SELECT * FROM runs", "DROP TABLE runs",
           "ALTER TABLE runs_2 RENAME TO runs")


@dataclass(frozen=True, slots=True)
class TerminalInspection:
    """A card terminal's inspection for tampering and substitution (PCI DSS 9.5.1.2)."""

    terminal: str  # the site file's name for it
    serial: str    # its serial in the site file: a swapped terminal is inspected anew
    checked: str
    findings: str
    outcome: str   # passed or failed


class HistoryError(Exception):
    """The history cannot give what was asked (no such month, a newer schema, not ours)."""


def _open_readonly(path: Path) -> sqlite3.Connection:
    """An existing history opened for reading only; works on a file no one may write."""
    uri = path.resolve().as_uri()
    try:
        try:
            db = sqlite3.connect(f"{uri}?mode=ro", uri=True)
            db.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlite3.OperationalError:
            # A WAL file in a folder no one may write: read it as it is on disk.
            db = sqlite3.connect(f"{uri}?immutable=1", uri=True)
            db.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.DatabaseError as error:
        raise HistoryError(f"{path} is not an audit history ({error}); sitekit leaves it as "
                           "it is: give --history a sitekit history or a new path") from error
    return db


def _check_kind(path: Path) -> None:
    """Refuse a history path that is not a regular file (or nothing yet)."""
    if path.is_dir():
        raise HistoryError(f"{path} is a directory, not an audit history file; give "
                           "--history FILE")
    if path.exists() and not path.is_file():
        raise HistoryError(f"{path} is not a regular file (a device, a FIFO or a socket); "
                           "give --history an audit history file")
    folder = path.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not folder.is_dir():
        raise HistoryError(f"{path}: {folder} is a file, not a folder")


def _check_writable(path: Path) -> None:
    """Refuse, before anything is written, a history that cannot be written."""
    # Write permission by its mode, too: root may write anything, but a history someone
    # made read-only (chmod a-w) is not to be written.
    if path.is_file() and (not os.access(path, os.W_OK) or not path.stat().st_mode & 0o222):
        raise HistoryError(f"{path} is read-only: this run cannot be recorded in it; make it "
                           "writable, or give --history another file (reading a month "
                           "with --from-history works on a read-only history)")
    folder = path.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not os.access(folder, os.W_OK | os.X_OK):
        raise HistoryError(f"{path}: cannot write in {folder}; SQLite keeps its journal "
                           "beside the history, so its folder must be writable")


class History:
    """An audit history file; created with its schema on first use.

    `readonly` opens an existing history to read it only (`--from-history`): nothing is
    created or changed, and a file no one may write is fine.
    """

    def __init__(self, path: Path, readonly: bool = False) -> None:
        self.path = path
        self.readonly = readonly
        _check_kind(path)
        if readonly:
            if not path.is_file():
                raise HistoryError(f"no audit history at {path}; give --history FILE")
            self.db = _open_readonly(path)
        else:
            _check_writable(path)
            path.parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(path, isolation_level=None)
        try:
            self._check()
            if not readonly:
                self.db.execute("PRAGMA journal_mode = WAL")
                self.db.execute("PRAGMA synchronous = NORMAL")
                self._create()
        except sqlite3.DatabaseError as error:
            self.db.close()
            raise HistoryError(f"{path} is not an audit history ({error}); sitekit leaves it "
                               "as it is: give --history a sitekit history or a new "
                               "path") from error
        except HistoryError:
            self.db.close()
            raise

    @classmethod
    def verify(cls, path: Path) -> None:
        """Raise `HistoryError` if a run could not be kept in `path`; change nothing."""
        _check_kind(path)
        _check_writable(path)
        if not path.is_file():
            return
        history = cls.__new__(cls)
        history.path, history.readonly = path, False
        history.db = _open_readonly(path)
        try:
            history._check()
        except sqlite3.DatabaseError as error:
            raise HistoryError(f"{path} is not an audit history ({error}); sitekit leaves it "
                               "as it is: give --history a sitekit history or a new "
                               "path") from error
        finally:
            history.db.close()

    def _check(self) -> None:
        """Refuse a file that is not sitekit's history, before anything is written to it."""
        application = self.db.execute("PRAGMA application_id").fetchone()[0]
        version = self.db.execute("PRAGMA user_version").fetchone()[0]
        tables = {row[0] for row in self.db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")}
        ours = application == APPLICATION_ID or (application == 0 and (
            (not tables and version == 0)
            or (version >= 1 and "runs" in tables and tables <= TABLES)))
        if not ours:
            listed = ", ".join(sorted(tables)[:8]) or "none"
            raise HistoryError(
                f"{self.path} is an SQLite database of another program (application_id "
                f"{application}, user_version {version}, tables: {listed}); sitekit leaves "
                "it as it is: give --history a sitekit history file or a new path")
        if version > VERSION:
            raise HistoryError(f"{self.path} was written by a newer sitekit (history schema "
                               f"{version}); upgrade sitekit")
        if self.readonly and "runs" not in tables:
            raise HistoryError(f"{self.path} holds no audit history yet (no runs); give "
                               "--history the file `sitekit report` keeps the months in")
        # Read-only, a version 1 file reads as version 2 does: they differ only in runs'
        # UNIQUE (fleet, month), which a version 1 file never breaks.

    def _create(self) -> None:
        """The schema (in one transaction with the upgrade from an older one)."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            version = self.db.execute("PRAGMA user_version").fetchone()[0]
            if version == 1:
                for statement in _FROM_1:
                    self.db.execute(statement)
            for statement in SCHEMA.split(";"):
                if statement.strip():
                    self.db.execute(statement)
            self.db.execute(f"PRAGMA user_version = {VERSION}")
            self.db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    def close(self) -> None:
        """Close the file."""
        self.db.close()

    def __enter__(self) -> History:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # Writing

    def record(self, report: Report, before_commit: Callable[[], None] | None = None,
               sightings: Mapping[tuple[str, str], Mapping[str, str]] | None = None) -> None:
        """Store a run: its sites' results and audit records replace theirs of the month.

        Sites the run did not audit keep their results. `before_commit` runs inside the
        transaction, last: when it raises, nothing of the run is kept. `sightings`: per
        (site, host) the run read accounts of, each enabled account's first sighting
        (Evaluator.sightings); see `_sight`.
        """
        run = report.run
        self.db.execute("BEGIN IMMEDIATE")
        try:
            self._forget(run.fleet, run.month, [s.site.code for s in report.sites])
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
            self._sight(run.fleet, sightings or {})
            if before_commit is not None:
                before_commit()
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    def _sight(self, fleet: str, sightings: Mapping[tuple[str, str], Mapping[str, str]]) -> None:
        """Keep each account's earliest sighting, for the hosts whose accounts were read.

        Only those hosts change: a run of some sites (or one host unreachable) leaves every
        other host's dates as they were. An account no longer enabled on a host read is
        forgotten there: enabled again, it is seen anew (its last logon still counts).
        """
        for (site, host), seen in sightings.items():
            names = sorted(seen)
            self.db.execute(
                "DELETE FROM account_sightings WHERE fleet = ? AND site = ? AND host = ? AND "
                f"account NOT IN ({', '.join('?' * len(names))})", (fleet, site, host, *names))
            self.db.executemany(
                "INSERT INTO account_sightings VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (fleet, site, host, account) DO UPDATE SET "
                "first_seen = min(first_seen, excluded.first_seen)",
                ((fleet, site, host, name, seen[name]) for name in names))

    def last_inspections(self, fleet: str) -> dict[tuple[str, str, str], tuple[str, str]]:
        """Per (site, terminal, serial), its newest inspection: (day, outcome)."""
        out: dict[tuple[str, str, str], tuple[str, str]] = {}
        for site, terminal, serial, day, outcome in self.db.execute(
                "SELECT site, terminal, serial, inspected, outcome FROM terminal_inspections "
                "WHERE fleet = ? ORDER BY inspected, id", (fleet,)):
            out[(site, terminal, serial)] = (day, outcome)
        return out

    def first_seen(self, fleet: str) -> dict[tuple[str, str], dict[str, str]]:
        """Per (site, host), when each enabled account was first seen (case-folded name)."""
        out: dict[tuple[str, str], dict[str, str]] = {}
        for site, host, account, when in self.db.execute(
                "SELECT site, host, account, first_seen FROM account_sightings "
                "WHERE fleet = ?", (fleet,)):
            out.setdefault((site, host), {})[account] = when
        return out

    def add_maintenance(self, fleet: str, month: str, record: MaintenanceRecord,
                        inspection: TerminalInspection | None = None) -> None:
        """Keep a maintenance record an engineer wrote (it survives re-runs of the month).

        With the card terminal inspection it records, in the same transaction.
        """
        self.db.execute("BEGIN IMMEDIATE")
        try:
            if inspection is not None:
                self.db.execute(
                    "INSERT INTO terminal_inspections (fleet, site, terminal, serial, inspected, "
                    "engineer, checked, findings, outcome) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (fleet, record.site, inspection.terminal, inspection.serial, record.date,
                     record.engineer, inspection.checked, inspection.findings,
                     inspection.outcome))
            self.db.execute(
                "INSERT INTO maintenance (fleet, month, site, date, engineer, findings, actions, "
                "cause, result, source) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'manual')",
                (fleet, month, record.site, record.date, record.engineer, record.findings,
                 record.actions, record.cause, record.result))
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    def _forget(self, fleet: str, month: str, sites: list[str]) -> None:
        """Drop the month's results and audit records of these sites (inside a transaction)."""
        self.db.execute("CREATE TEMP TABLE IF NOT EXISTS run_sites (code TEXT PRIMARY KEY)")
        self.db.execute("DELETE FROM temp.run_sites")
        self.db.executemany("INSERT OR IGNORE INTO temp.run_sites VALUES (?)",
                            ((code,) for code in sites))
        runs = [row[0] for row in self.db.execute(
            "SELECT id FROM runs WHERE fleet = ? AND month = ?", (fleet, month))]
        chosen = "IN (SELECT code FROM temp.run_sites)"
        for run_id in runs:
            self.db.execute(
                "DELETE FROM results WHERE run_id = ? AND host IN (SELECT host FROM hosts "
                f"WHERE run_id = ? AND site {chosen})", (run_id, run_id))
            self.db.execute(f"DELETE FROM hosts WHERE run_id = ? AND site {chosen}", (run_id,))
            self.db.execute(f"DELETE FROM sites WHERE run_id = ? AND code {chosen}", (run_id,))
            if self.db.execute("SELECT 1 FROM sites WHERE run_id = ? LIMIT 1",
                               (run_id,)).fetchone() is None:
                self.db.execute("DELETE FROM results WHERE run_id = ?", (run_id,))
                self.db.execute("DELETE FROM hosts WHERE run_id = ?", (run_id,))
                self.db.execute("DELETE FROM controls WHERE run_id = ?", (run_id,))
                self.db.execute("DELETE FROM runs WHERE id = ?", (run_id,))
        self.db.execute("DELETE FROM maintenance WHERE fleet = ? AND month = ? AND "
                        f"source = 'audit' AND site {chosen}", (fleet, month))

    # Reading

    def months(self, fleet: str) -> list[str]:
        """Months with a run, oldest first."""
        return [row[0] for row in self.db.execute(
            "SELECT DISTINCT month FROM runs WHERE fleet = ? ORDER BY month", (fleet,))]

    def site_codes(self, fleet: str, month: str) -> list[str]:
        """The sites with results in a month."""
        return [row[0] for row in self.db.execute(
            "SELECT DISTINCT s.code FROM runs AS u JOIN sites AS s ON s.run_id = u.id "
            "WHERE u.fleet = ? AND u.month = ? ORDER BY s.code", (fleet, month))]

    def previous_month(self, fleet: str, month: str) -> str | None:
        """The latest month before `month` with a run."""
        row = self.db.execute("SELECT max(month) FROM runs WHERE fleet = ? AND month < ?",
                              (fleet, month)).fetchone()
        return row[0]

    def previous_months(self, fleet: str, month: str) -> dict[str, str]:
        """Per site, the latest month before `month` in which it has results."""
        return dict(self.db.execute(
            "SELECT s.code, max(u.month) FROM runs AS u JOIN sites AS s ON s.run_id = u.id "
            "WHERE u.fleet = ? AND u.month < ? GROUP BY s.code", (fleet, month)))

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
        """Fleet-wide counts of every month up to `until`: each site's latest results."""
        unreachable = dict(self.db.execute(
            "SELECT u.month, count(*) FROM runs AS u JOIN hosts AS h ON h.run_id = u.id "
            "WHERE u.fleet = ? AND u.month <= ? AND NOT h.reachable GROUP BY u.month",
            (fleet, until)))
        return [TrendPoint(month, dict(zip(STATUSES, counts, strict=True)), hosts,
                           unreachable.get(month, 0))
                for month, hosts, *counts in self.db.execute(
                    "SELECT u.month, sum(s.hosts), sum(s.pass), sum(s.fail), sum(s.waived), "
                    "sum(s.unknown) FROM runs AS u JOIN sites AS s ON s.run_id = u.id "
                    "WHERE u.fleet = ? AND u.month <= ? GROUP BY u.month ORDER BY u.month",
                    (fleet, until))]

    def maintenance(self, fleet: str, month: str) -> dict[str, list[MaintenanceRecord]]:
        """A month's maintenance records by site, in the order they were kept."""
        out: dict[str, list[MaintenanceRecord]] = {}
        for row in self.db.execute(
                "SELECT date, engineer, site, findings, actions, cause, result, source "
                "FROM maintenance WHERE fleet = ? AND month = ? ORDER BY date, id", (fleet, month)):
            out.setdefault(row[2], []).append(MaintenanceRecord(*row))
        return out

    def load(self, fleet: str, month: str, sites: list[str] | None = None) -> Report:
        """A month's report: each site's latest results (changes and trend are the caller's).

        The run is the month's latest; the controls are every control a kept result was
        judged by. With `sites`, only those sites' results are read.
        """
        runs = self.db.execute(
            "SELECT id, fleet, month, engineer, started, as_of, policy_version, facts "
            "FROM runs WHERE fleet = ? AND month = ? ORDER BY id DESC", (fleet, month)).fetchall()
        if not runs:
            months = ", ".join(self.months(fleet)) or "none"
            raise HistoryError(f"no {month} audit of fleet {fleet} in {self.path}; months "
                               f"recorded: {months}")
        run = Run(*runs[0][1:])
        controls: dict[str, ControlInfo] = {}
        for run_id, *_ in runs:  # the latest run's controls first, in its policy's order
            for c_id, title, area, severity, pci, cis, applies, expected, suggestion in \
                    self.db.execute(
                        "SELECT id, title, area, severity, pci_dss, cis, applies_to, expected, "
                        "suggestion FROM controls WHERE run_id = ? ORDER BY position",
                        (run_id,)):
                if c_id not in controls:
                    controls[c_id] = ControlInfo(
                        id=c_id, title=title, area=area, severity=severity,
                        pci_dss=tuple(json.loads(pci)), cis=tuple(json.loads(cis)),
                        applies_to=tuple(json.loads(applies)), expected=expected,
                        suggestion=suggestion)
        order = {c_id: position for position, c_id in enumerate(controls)}
        only, values = _only_sites(sites, column="s.code")
        found: dict[str, SiteReport] = {}
        for code, name, city, ring, *counts in self.db.execute(
                "SELECT s.code, s.name, s.city, s.ring, s.pass, s.fail, s.waived, s.unknown "
                "FROM runs AS u JOIN sites AS s ON s.run_id = u.id "
                f"WHERE u.fleet = ? AND u.month = ?{only} ORDER BY s.code",
                (fleet, month, *values)):
            found[code] = SiteReport(SiteInfo(code, name, city, ring), [],
                                     counts=dict(zip(STATUSES, counts, strict=True)))
        missing = sorted(set(sites or ()) - set(found))
        if missing:
            raise HistoryError(f"no site {', '.join(missing)} in the {month} audit of {fleet}")
        only, values = _only_sites(sites)
        hosts: dict[str, HostResult] = {}
        for host, site, kind, reachable, error, gathered_at in self.db.execute(
                "SELECT h.host, h.site, h.kind, h.reachable, h.error, h.gathered_at "
                "FROM runs AS u JOIN hosts AS h ON h.run_id = u.id "
                f"WHERE u.fleet = ? AND u.month = ?{only} ORDER BY h.site, h.position",
                (fleet, month, *values)):
            result = HostResult(host, kind, bool(reachable), error, gathered_at, [])
            hosts[host] = result
            found[site].hosts.append(result)
            found[site].site.hosts.append((host, kind))
        for run_id, *_ in runs:
            for host, results in self._results(run_id, sites):
                results.sort(key=lambda r: order[r.control])
                hosts[host].results = results
        by_site = self.maintenance(fleet, month)
        for code, site_report in found.items():
            site_report.maintenance = by_site.get(code, [])
        return Report(run, list(controls.values()), list(found.values()))

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
            current, results = None, list[Result]()
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


class HistoryBusyError(HistoryError):
    """Another run holds the history."""


class Lock:
    """One run at a time on a history: an exclusive fcntl lock on `<history>.lock`.

    The holder writes who it is (process, user, host, since when, what it runs) into the
    lock file, so a second run can say who holds it; the lock itself is the kernel's, and
    goes when the holder's process ends, however it ends.
    """

    def __init__(self, history: Path, what: str) -> None:
        self.path = history.with_name(history.name + ".lock")
        self.what = what
        self._file: int | None = None

    def __enter__(self) -> Lock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            descriptor = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as error:
            raise HistoryError(f"cannot lock the history: {self.path}: {error.strerror}; "
                               "its folder must be writable") from error
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(descriptor, 4096, 0).decode("utf-8", "replace").strip()
            os.close(descriptor)
            raise HistoryBusyError(f"{self.path.with_suffix('')} is in use by another run "
                       f"({holder or 'holder unknown'}); wait for it to finish, then run "
                       "again") from None
        since = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
        note = (f"process {os.getpid()}, {getpass.getuser()} on {socket.gethostname()}, "
                f"since {since}: {self.what}")
        os.ftruncate(descriptor, 0)
        os.pwrite(descriptor, note.encode(), 0)
        self._file = descriptor
        return self

    def __exit__(self, *_: object) -> None:
        if self._file is not None:
            os.ftruncate(self._file, 0)
            os.close(self._file)  # closing releases the lock
            self._file = None
