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
