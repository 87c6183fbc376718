"""`sitekit maintenance`: an engineer's record is kept and the month's record shows it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from sitekit.audit.history import History
from tests.conftest import EXAMPLE

ROOT = Path(__file__).resolve().parents[2]


def sitekit(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "sitekit.cli", *args], capture_output=True,
                          text=True, cwd=ROOT, check=False, env=env)


def test_a_record_is_kept_for_its_month(tmp_path: Path) -> None:
    history = tmp_path / "history.sqlite"
    result = sitekit("maintenance", str(EXAMPLE), "--site", "lis01", "--date", "2026-11-20",
                     "--engineer", "Rui Matos", "--findings", "Kitchen printer offline",
                     "--actions", "Replaced the network cable", "--cause", "Cable crushed",
                     "--result", "Printing again", "--history", str(history),
                     env=os.environ | {"SITEKIT_TODAY": "2026-12-01"})  # dates are bounded
    assert result.returncode == 0, result.stderr
    with History(history) as kept:
        records = kept.maintenance("example", "2026-11")["LIS01"]
    assert [(r.engineer, r.actions, r.cause, r.source) for r in records] == [
        ("Rui Matos", "Replaced the network cable", "Cable crushed", "manual")]


def test_a_terminal_inspection_is_kept_and_judged_by_trm01(tmp_path: Path) -> None:
    history = tmp_path / "history.sqlite"
    env = os.environ | {"SITEKIT_TODAY": "2026-12-01"}
    for day, outcome in (("2026-10-02", "passed"), ("2026-11-20", "failed")):
        result = sitekit("maintenance", str(EXAMPLE), "--site", "lon01", "--date", day,
                         "--engineer", "Rui Matos", "--terminal", "1850091235",  # by serial
                         "--checked", "surfaces, seals, cabling, serial against the site file",
                         "--outcome", outcome, "--history", str(history), env=env)
        assert result.returncode == 0, result.stderr
    with History(history) as kept:
        newest = kept.last_inspections("example")
        records = kept.maintenance("example", "2026-11")["LON01"]
    assert newest == {("LON01", "card-terminal-2", "1850091235"): ("2026-11-20", "failed")}
    [record] = records
    assert record.findings == (
        "Card terminal card-terminal-2 (PAX A920Pro, serial 1850091235, ground floor till) "
        "inspected for tampering and substitution (PCI DSS 9.5.1.2): failed")
    assert record.actions == "Checked: surfaces, seals, cabling, serial against the site file"
    assert (record.engineer, record.result, record.source) == ("Rui Matos", "failed", "manual")


@pytest.mark.parametrize(("args", "message"), [
    (["--terminal", "card-terminal-9", "--checked", "c", "--outcome", "passed"],
     "--terminal card-terminal-9: LIS01's site file lists no card terminal of that name or "
     "serial (its card terminals: card-terminal-1 (401-372-118))"),
    (["--terminal", "card-terminal-1", "--checked", "c"], "--outcome is missing"),
    (["--terminal", "card-terminal-1", "--outcome", "passed"], "--checked is blank"),
    (["--checked", "c", "--outcome", "passed"], "--terminal is missing"),
    (["--terminal", "card-terminal-1", "--checked", "c", "--outcome", "fine"],
     "argument --outcome: invalid choice: 'fine'"),
])
def test_a_terminal_inspection_names_a_terminal_of_the_site(tmp_path: Path, args: list[str],
                                                             message: str) -> None:
    env = {"PATH": "/usr/bin:/bin", "SITEKIT_TODAY": "2026-12-01"}
    result = sitekit("maintenance", str(EXAMPLE), "--site", "LIS01", "--engineer", "E", *args,
                     "--history", str(tmp_path / "h.sqlite"), env=env)
    assert result.returncode == 2, result.stderr
    assert message in result.stderr
    assert not (tmp_path / "h.sqlite").exists()


@pytest.mark.parametrize(("args", "message"), [
    (["--site", "XYZ99", "--findings", "f", "--actions", "a", "--engineer", "E"],
     "no site file has code XYZ99"),
    (["--site", "LIS01", "--findings", "f", "--actions", "a"], "say who did the work"),
    (["--site", "LIS01", "--actions", "a", "--engineer", "E"], "--findings"),
])
def test_bad_input_is_refused(tmp_path: Path, args: list[str], message: str) -> None:
    env = {"PATH": "/usr/bin:/bin", "SITEKIT_ENGINEER": ""}
    result = sitekit("maintenance", str(EXAMPLE), *args, "--history",
                     str(tmp_path / "h.sqlite"), env=env)
    assert result.returncode != 0
    assert message in result.stderr
    assert not (tmp_path / "h.sqlite").exists()


@pytest.mark.parametrize(("args", "message"), [
    (["--findings", "f", "--actions", "a", "--engineer", "   "], "say who did the work"),
    (["--findings", "  ", "--actions", "a", "--engineer", "E"], "--findings is blank"),
    (["--findings", "f", "--actions", "\t", "--engineer", "E"], "--actions is blank"),
    (["--findings", "f", "--actions", "a", "--engineer", "E", "--date", "1900-01-01"],
     "--date 1900-01-01 is more than 366 days before today (2026-12-01)"),
    (["--findings", "f", "--actions", "a", "--engineer", "E", "--date", "2999-01-01"],
     "--date 2999-01-01 is after today (2026-12-01)"),
    (["--findings", "f", "--actions", "a", "--engineer", "E", "--cause", "x\x1b[31m"],
     "--cause holds control characters"),
    (["--findings", "f" * 5000, "--actions", "a", "--engineer", "E"],
     "--findings is 5000 characters; at most 4000"),
])
def test_an_empty_or_impossible_record_is_refused(tmp_path: Path, args: list[str],
                                                  message: str) -> None:
    env = {"PATH": "/usr/bin:/bin", "SITEKIT_TODAY": "2026-12-01"}
    result = sitekit("maintenance", str(EXAMPLE), "--site", "LIS01", *args, "--history",
                     str(tmp_path / "h.sqlite"), env=env)
    assert result.returncode == 2, result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "h.sqlite").exists()


@pytest.mark.parametrize(("month", "message"), [
    ("9999-12", "9999-12 is after this month (2026-12)"),
    ("2027-01", "2027-01 is after this month (2026-12)"),
    ("1900-01", "1900-01 is before 2000-01"),
])
def test_a_month_that_cannot_be_audited_is_refused(tmp_path: Path, month: str,
                                                  message: str) -> None:
    env = {"PATH": "/usr/bin:/bin", "SITEKIT_TODAY": "2026-12-01"}
    for how in (["--facts", str(tmp_path)], ["--from-history"]):
        result = sitekit("report", str(EXAMPLE), "--month", month, *how, "--engineer", "E",
                         "--history", str(tmp_path / "h.sqlite"), env=env)
        assert result.returncode == 2, result.stderr
        assert message in result.stderr
    assert not (tmp_path / "h.sqlite").exists()
