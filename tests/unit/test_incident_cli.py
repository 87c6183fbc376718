"""`sitekit incident` as an engineer runs it: a process, the example fleet, a history file."""

from __future__ import annotations

import contextlib
import io
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from sitekit.audit.history import VERSION, History
from sitekit.incident import cli
from tests.conftest import EXAMPLE, ROOT


def incident(history: Path, *args: str, now: str = "2026-12-07T15:00:00Z",
             engineer: str = "ana") -> subprocess.CompletedProcess[str]:
    """The command in this process (the entry point has its own test): status and output."""
    action, *rest = args
    argv = [action, str(EXAMPLE), *rest, "--history", str(history)]
    out, err = io.StringIO(), io.StringIO()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SITEKIT_NOW", now)
        patch.setenv("SITEKIT_ENGINEER", engineer)
        patch.delenv("SITEKIT_TODAY", raising=False)
        patch.chdir(ROOT)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                status = cli.main(argv)
            except SystemExit as exit_:  # argparse's usage errors
                status = int(exit_.code or 0)
    return subprocess.CompletedProcess(argv, status, out.getvalue(), err.getvalue())


def ok(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 0, done.stderr
    return done.stdout


OPEN = ("open", "--site", "lis01", "--host", "LIS01-SRV01", "--source", "phone", "--caller",
        "Rui (manager)", "--contact", "+351 21 000 0000", "--reported",
        "the tills cannot reach the server")


def test_a_call_on_friday_evening_paused_over_the_weekend_keeps_both_promises(
        tmp_path: Path) -> None:
    history = tmp_path / "history.sqlite"
    assert "incident 1 opened at LIS01" in ok(incident(history, *OPEN,
                                                       "--at", "2026-12-04T17:00:00Z"))
    ok(incident(history, "ack", "1", "--at", "2026-12-04T17:30:00Z"))
    ok(incident(history, "dispatch", "1", "--engineer", "joao", "--at", "2026-12-04T17:40:00Z"))
    ok(incident(history, "pause", "1", "--reason", "closed for the weekend, nobody answers",
                "--at", "2026-12-04T17:50:00Z"))
    ok(incident(history, "resume", "1", "--at", "2026-12-07T09:30:00Z"))
    ok(incident(history, "onsite", "1", "--engineer", "joao", "--at", "2026-12-07T12:00:00Z"))
    ok(incident(history, "restore", "1", "--cause", "the switch's power supply failed",
                "--solution", "replaced the switch", "--at", "2026-12-07T13:00:00Z"))
    out = ok(incident(history, "close", "1", "--evaluation", "satisfied, quick",
                      "--at", "2026-12-07T14:00:00Z"))
    # Friday 17:00-17:50 and Monday 09:30-12:00 in Lisbon's working hours; the weekend and
    # the pause do not count.
    assert "on site: 3h20m of 5h00m (kept)" in out
    assert "response: 0h30m of 1h00m (kept)" in out
    shown = json.loads(ok(incident(history, "show", "1", "--format", "json")))
    assert shown["state"] == "closed" and shown["hosts"] == ["lis01-srv01"]
    assert [s["action"] for s in shown["steps"]] == [
        "ack", "dispatch", "pause", "resume", "onsite", "restore", "close"]
    restore = next(s for s in shown["steps"] if s["action"] == "restore")
    assert restore["cause"] == "the switch's power supply failed"
    assert shown["clocks"]["on_site"] == {"used_minutes": 200.0, "limit_minutes": 300.0,
                                          "stopped": True, "missed": False}


def test_a_late_answer_and_a_late_engineer_are_missed_promises(tmp_path: Path) -> None:
    history = tmp_path / "history.sqlite"
    ok(incident(history, *OPEN, "--at", "2026-12-07T09:00:00Z"))
    ok(incident(history, "ack", "1", "--at", "2026-12-07T10:15:00Z"))
    ok(incident(history, "dispatch", "1", "--at", "2026-12-07T10:20:00Z"))
    # Not on site yet at 15:00: six working hours have passed, the clock still runs.
    listed = ok(incident(history, "list"))
    assert "response: 1h15m of 1h00m (MISSED)" in listed
    assert "on site: 6h00m of 5h00m (running, MISSED)" in listed
    # Before five working hours, the same incident keeps its on-site promise so far.
    early = ok(incident(history, "list", now="2026-12-07T13:00:00Z"))
    assert "on site: 4h00m of 5h00m (running)" in early


@pytest.mark.parametrize(("steps", "wrong", "message"), [
    ((), ("onsite", "1"), "has no `dispatch` yet"),
    ((("ack", "1"),), ("ack", "1"), "was already given `ack`"),
    ((), ("close", "1", "--evaluation", "fine"), "has no `restore` yet"),
    ((), ("ack", "1", "--at", "2026-12-07T08:00:00Z"), "is before the incident's last step"),
    ((), ("resume", "1"), "is not paused"),
    ((("ack", "1"), ("pause", "1", "--reason", "no answer")), ("dispatch", "1"),
     "is paused since"),
])
def test_steps_out_of_order_are_refused_and_say_what_comes_first(
        tmp_path: Path, steps: tuple[tuple[str, ...], ...], wrong: tuple[str, ...],
        message: str) -> None:
    history = tmp_path / "history.sqlite"
    ok(incident(history, *OPEN, "--at", "2026-12-07T09:00:00Z"))
    for step in steps:
        ok(incident(history, *step))
    done = incident(history, *wrong)
    assert done.returncode == 1
    assert message in done.stderr


@pytest.mark.parametrize(("args", "message"), [
    (("open", "--site", "XXX01", "--source", "phone", "--caller", "a", "--contact", "b",
      "--reported", "c"), "no site file has code XXX01"),
    (("open", "--site", "lis01", "--host", "ber02-srv01", "--source", "phone", "--caller", "a",
      "--contact", "b", "--reported", "c"), "not a host of site LIS01"),
    (("ack", "7"), "has no incident 7"),
])
def test_unknown_sites_hosts_and_incidents_are_named(tmp_path: Path, args: tuple[str, ...],
                                                    message: str) -> None:
    history = tmp_path / "history.sqlite"
    ok(incident(history, *OPEN, "--at", "2026-12-07T09:00:00Z"))
    done = incident(history, *args)
    assert done.returncode != 0
    assert message in done.stderr


def test_a_version_3_history_is_upgraded_in_place_and_keeps_its_records(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite"
    with History(path) as history:  # a version 3 history: no incident tables yet
        history.db.execute("INSERT INTO rollout_events (fleet, release, action, ring, at, "
                           "engineer, reason) VALUES ('example', 'r1', 'approve', 1, "
                           "'2026-12-01T00:00:00+00:00', 'ana', 'kept across the upgrade')")
        history.db.execute("DROP TABLE incident_events")
        history.db.execute("DROP TABLE incidents")
        history.db.execute("PRAGMA user_version = 3")
    ok(incident(path, *OPEN, "--at", "2026-12-07T09:00:00Z"))
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == VERSION == 5
    assert db.execute("SELECT reason FROM rollout_events").fetchall() == [
        ("kept across the upgrade",)]
    assert db.execute("SELECT site, source FROM incidents").fetchall() == [("LIS01", "phone")]


def test_the_sitekit_command_runs_it(tmp_path: Path) -> None:
    history = tmp_path / "history.sqlite"
    environment = {**os.environ, "SITEKIT_NOW": "2026-12-07T15:00:00Z"}
    done = subprocess.run([sys.executable, "-m", "sitekit.cli", "incident", *OPEN[:1],
                           str(EXAMPLE), *OPEN[1:], "--history", str(history)],
                          capture_output=True, text=True, env=environment, cwd=ROOT, check=False)
    assert done.returncode == 0, done.stderr
    assert "incident 1 opened at LIS01 at 2026-12-07T15:00:00+00:00" in done.stdout


def test_the_month_report_shows_counts_medians_the_worst_and_the_missed(tmp_path: Path) -> None:
    history = tmp_path / "history.sqlite"
    # LIS01: answered in 15 min, on site after 2 working hours.
    ok(incident(history, *OPEN, "--at", "2026-12-02T09:00:00Z"))
    ok(incident(history, "ack", "1", "--at", "2026-12-02T09:15:00Z"))
    ok(incident(history, "dispatch", "1", "--at", "2026-12-02T09:20:00Z"))
    ok(incident(history, "onsite", "1", "--at", "2026-12-02T11:00:00Z"))
    # LIS01 again: answered after 1 h 30 (missed), fixed remotely.
    ok(incident(history, *OPEN, "--at", "2026-12-03T10:00:00Z"))
    ok(incident(history, "ack", "2", "--at", "2026-12-03T11:30:00Z"))
    ok(incident(history, "restore", "2", "--cause", "a full disk", "--solution",
                "old logs archived", "--at", "2026-12-03T12:00:00Z"))
    # November's call is not December's.
    ok(incident(history, *OPEN, "--at", "2026-11-30T10:00:00Z"))
    report = json.loads(ok(incident(history, "report", "--month", "2026-12", "--format",
                                    "json")))
    assert report["LIS01"] == report["fleet"]
    assert report["fleet"]["incidents"] == 2
    assert report["fleet"]["response_minutes"] == {"median": 52.5, "worst": 90.0}
    assert report["fleet"]["onsite_minutes"] == {"median": 120.0, "worst": 120.0}
    assert report["fleet"]["missed"] == [{"incident": 2, "clock": "response"}]
    table = ok(incident(history, "report", "--month", "2026-12"))
    assert "#2 response" in table


def test_service_restored_before_the_engineer_arrives_stops_the_on_site_clock(
        tmp_path: Path) -> None:
    history = tmp_path / "history.sqlite"
    ok(incident(history, *OPEN, "--at", "2026-12-07T09:00:00Z"))
    ok(incident(history, "ack", "1", "--at", "2026-12-07T09:10:00Z"))
    ok(incident(history, "dispatch", "1", "--at", "2026-12-07T09:20:00Z"))
    out = ok(incident(history, "restore", "1", "--cause", "a loose cable", "--solution",
                      "the manager plugged it back in, guided by phone",
                      "--at", "2026-12-07T10:00:00Z"))
    assert "on site: 1h00m of 5h00m (kept)" in out
    # Much later, it has still not missed anything, and no arrival counts in the report.
    report = json.loads(ok(incident(history, "report", "--month", "2026-12", "--format", "json",
                                    now="2026-12-09T18:00:00Z")))
    assert report["fleet"]["missed"] == []
    assert report["fleet"]["onsite_minutes"] == {"median": None, "worst": None}
