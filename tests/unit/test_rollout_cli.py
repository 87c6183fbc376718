"""`sitekit rollout` as a user runs it: `python -m sitekit.cli rollout ...` in a process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import EXAMPLE, ROOT

RELEASE = "2026-12-lotus-8.5"
NOW = "2026-12-07T03:00:00Z"


def sitekit(*args: str, now: str = NOW, cwd: Path = ROOT,
            **env: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "SITEKIT_NOW": now, **env}
    environment.pop("SITEKIT_TODAY", None)
    return subprocess.run([sys.executable, "-m", "sitekit.cli", "rollout", *args],
                          capture_output=True, text=True, env=environment, cwd=cwd, check=False)


def test_plan_table_shows_rings_batches_and_both_clocks() -> None:
    done = sitekit("plan", str(EXAMPLE), "--release", RELEASE)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    rows = [line.split()[:3] for line in lines if line[:1].isdigit()]
    assert rows == [["0", "1", "canary"], ["1", "1", "BER02"], ["2", "1", "LON01"]]
    lis01 = next(line for line in lines if "LIS01" in line)
    # LIS01's window is open at 03:00 UTC (03:00 in Lisbon, winter): it can start now.
    assert "2026-12-07 Mon 03:00 WET" in lis01 and "2026-12-07T03:00Z" in lis01
    assert "ring 1: 1 batch(es), 1 site(s), 2026-12-09T04:30Z" in done.stdout
    assert "needs approval" in done.stdout
    assert "completes by 2026-12-12T07:30Z" in done.stdout


def test_plan_json() -> None:
    done = sitekit("plan", str(EXAMPLE), "--release", RELEASE, "--format", "json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["release"] == RELEASE and data["now"] == "2026-12-07T03:00Z"
    ring1 = data["rings"][1]
    assert ring1["ring"] == 1 and ring1["approval"] is True
    ber02 = ring1["batches"][0][0]
    assert ber02["site"] == "BER02" and ber02["time_zone"] == "Europe/Berlin"
    assert ber02["start_local"].endswith("+01:00")
    assert data["completes"] == "2026-12-12T07:30Z"


def test_a_later_now_moves_the_plan() -> None:
    done = sitekit("plan", str(EXAMPLE), "--release", RELEASE, "--format", "json",
                   now="2026-12-08T12:00:00+00:00")
    lis01 = json.loads(done.stdout)["rings"][0]["batches"][0][0]
    # Tuesday noon, open for business: the window opens at 23:00 (closing 22:00 + 60 min).
    assert lis01["start_utc"] == "2026-12-08T23:00Z"


def test_a_site_without_a_long_enough_window_is_deferred(fleet_copy: Path) -> None:
    release = fleet_copy / "releases" / f"{RELEASE}.yml"
    release.write_text(release.read_text().replace("upgrade_minutes: 90",
                                                   "upgrade_minutes: 1000"))
    done = sitekit("plan", str(fleet_copy), "--release", RELEASE)
    assert done.returncode == 0, done.stderr
    assert "deferred: 2 site(s)" in done.stdout
    assert "BER02 (ring 1): its longest maintenance window is" in done.stdout


@pytest.mark.parametrize(("now", "message"), [
    ("tomorrow", "SITEKIT_NOW='tomorrow' is not a time"),
    ("2026-12-07T03:00:00", "has no offset"),
])
def test_a_bad_now_is_a_usage_error(now: str, message: str) -> None:
    done = sitekit("plan", str(EXAMPLE), "--release", RELEASE, now=now)
    assert done.returncode == 2 and message in done.stderr


def test_a_bad_release_lists_its_problems(fleet_copy: Path) -> None:
    release = fleet_copy / "releases" / f"{RELEASE}.yml"
    release.write_text(release.read_text().replace("sites: [LIS01]", "sites: [NOPE1]")
                       .replace('version: "8.5.0"', 'version: "8.4.2"'))
    done = sitekit("plan", str(fleet_copy), "--release", RELEASE)
    assert done.returncode == 1 and done.stdout == ""
    assert "3 problems found" in done.stderr
    assert "client.file_version: 8.5.0.1302 does not start with the application's version " \
        "8.4.2" in done.stderr
    assert "site NOPE1: release.policy.canary.sites[0]: no site file has code NOPE1" \
        in done.stderr
    assert "release.components.application.version: 8.4.2 is the version" in done.stderr
