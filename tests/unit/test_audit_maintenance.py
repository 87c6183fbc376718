"""`sitekit maintenance`: an engineer's record is kept and the month's record shows it."""

from __future__ import annotations

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
                     "--result", "Printing again", "--history", str(history))
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
