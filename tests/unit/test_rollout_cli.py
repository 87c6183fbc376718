"""`sitekit rollout` as a user runs it: `python -m sitekit.cli rollout ...` in a process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import EXAMPLE, ROOT
from tests.unit.test_rollout_release import by_date

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


@pytest.mark.parametrize("command", ["plan", "status"])
def test_a_release_the_kit_cannot_carry_out_is_refused(fleet_copy: Path, command: str) -> None:
    by_date(fleet_copy)
    done = sitekit(command, str(fleet_copy), "--release", RELEASE)
    assert done.returncode == 1 and done.stdout == ""
    assert "release.components.windows_updates.security_released_before: a date names no " \
        "file an offline site can install" in done.stderr
    assert f"releases/{RELEASE}.yml" in done.stderr


# Decisions and status, kept in the audit history

def decide(history: Path, action: str, *extra: str, now: str = NOW,
           engineer: str = "Ana Costa") -> subprocess.CompletedProcess[str]:
    return sitekit(action, str(EXAMPLE), "--release", RELEASE, "--engineer", engineer,
                   "--reason", f"test {action}", "--history", str(history), *extra, now=now)


def status(history: Path, now: str = NOW) -> dict:  # type: ignore[type-arg]
    done = sitekit("status", str(EXAMPLE), "--release", RELEASE, "--history", str(history),
                   "--format", "json", now=now)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_status_without_a_history_is_every_site_pending(tmp_path: Path) -> None:
    data = status(tmp_path / "none.sqlite")
    assert [ring["state"] for ring in data["rings"]] == ["open", "waiting", "waiting"]
    lis01 = data["rings"][0]["sites"][0]
    assert lis01 == {"site": "LIS01", "state": "pending", "reason": None,
                     "version_before": "app 8.4.2, updates as installed",
                     "target": "app 8.5.0, updates KB5048667", "at": "", "engineer": "",
                     "error": None}
    assert not (tmp_path / "none.sqlite").exists()  # reading creates nothing


def test_halt_and_resume_are_kept_with_who_and_why(tmp_path: Path) -> None:
    history = tmp_path / "history.sqlite"
    halted = decide(history, "halt")
    assert halted.returncode == 0, halted.stderr
    assert "kept in" in halted.stdout and "ring 0: halted - Ana Costa halted" in halted.stdout
    data = status(history)
    assert data["halted"].startswith("Ana Costa halted the release at 2026-12-07T03:00:00")
    assert {site["state"] for ring in data["rings"] for site in ring["sites"]} == {"halted"}
    assert decide(history, "resume", now="2026-12-07T04:00:00Z").returncode == 0
    data = status(history, now="2026-12-07T04:00:00Z")
    assert data["halted"] is None and data["rings"][0]["state"] == "open"
    assert [(e["action"], e["engineer"], e["reason"]) for e in data["events"]] == [
        ("halt", "Ana Costa", "test halt"), ("resume", "Ana Costa", "test resume")]


def test_pause_a_ring_and_approve_it(tmp_path: Path) -> None:
    history = tmp_path / "history.sqlite"
    assert decide(history, "pause", "--ring", "0").returncode == 0
    assert status(history)["rings"][0]["state"] == "paused"
    assert decide(history, "approve", "--ring", "1").returncode == 0
    table = sitekit("status", str(EXAMPLE), "--release", RELEASE, "--history", str(history))
    assert "ring 0: paused - Ana Costa paused it at 2026-12-07T03:00:00+00:00: test pause" \
        in table.stdout
    assert "ring 1: waiting - ring 0 is not complete" in table.stdout


@pytest.mark.parametrize(("action", "extra", "engineer", "message"), [
    ("approve", (), "Ana", "the following arguments are required: --ring"),
    ("approve", ("--ring", "0"), "Ana", "ring 0's policy needs no approval"),
    ("pause", ("--ring", "7"), "Ana", "--ring 7 is not a ring of release"),
    ("halt", (), " ", "--engineer is blank: say who decides"),
])
def test_bad_decisions_are_refused_and_keep_nothing(tmp_path: Path, action: str,
                                                     extra: tuple[str, ...], engineer: str,
                                                     message: str) -> None:
    history = tmp_path / "history.sqlite"
    done = decide(history, action, *extra, engineer=engineer)
    assert done.returncode == 2 and message in done.stderr
    assert not history.exists()


def test_a_busy_history_is_not_written(tmp_path: Path) -> None:
    from sitekit.audit.history import Lock  # noqa: PLC0415

    history = tmp_path / "history.sqlite"
    with Lock(history, "sitekit report example"):
        done = decide(history, "halt")
    assert done.returncode == 1 and "is in use by another run" in done.stderr
    assert "sitekit report example" in done.stderr
    assert status(history)["halted"] is None


def test_status_html_draws_the_progress_and_escapes_what_people_typed(tmp_path: Path) -> None:
    history = tmp_path / "history.sqlite"
    assert decide(history, "pause", "--ring", "1", engineer="<script>x</script>").returncode == 0
    done = sitekit("status", str(EXAMPLE), "--release", RELEASE, "--history", str(history),
                   "--format", "html")
    assert done.returncode == 0, done.stderr
    page = done.stdout
    assert page.startswith("<!DOCTYPE html>") and "<script>" not in page
    assert "&lt;script&gt;x&lt;/script&gt;" in page
    assert page.count('<rect x="70.0"') == 3  # one bar per ring, all pending
    assert "<title>ring 0: 1 pending</title>" in page
    assert "Ring 1: waiting" in page and "<td>pause</td><td>1</td>" in page


def plan_json(history: Path) -> dict:  # type: ignore[type-arg]
    done = sitekit("plan", str(EXAMPLE), "--release", RELEASE, "--history", str(history),
                   "--format", "json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_the_plan_follows_the_history(tmp_path: Path) -> None:
    from sitekit.audit.history import History  # noqa: PLC0415
    from sitekit.rollout.state import RolloutHistory, SiteState  # noqa: PLC0415

    history = tmp_path / "history.sqlite"
    with History(history) as opened:  # LIS01 done: left out; the rest planned from ring 1
        RolloutHistory(opened, "example").record_site(RELEASE, SiteState(
            "LIS01", 0, "done", at="2026-12-06T03:00:00+00:00", engineer="ansible"))
    data = plan_json(history)
    assert data["rings"][0]["batches"] == [] and data["stopped"] is False
    assert [b[0]["site"] for b in data["rings"][1]["batches"]] == ["BER02"]
    assert decide(history, "pause", "--ring", "1").returncode == 0
    data = plan_json(history)
    assert data["stopped"] is True and data["completes"] is None
    deferred = {s["site"]: s["deferred"] for ring in data["rings"] for s in ring["deferred"]}
    assert deferred["BER02"].startswith("not planned: paused: Ana Costa paused it at")
    assert deferred["LON01"] == "not planned: ring 1 is paused"
    assert decide(history, "resume", "--ring", "1").returncode == 0
    assert plan_json(history)["stopped"] is False


def test_a_halt_stops_the_whole_plan(tmp_path: Path) -> None:
    history = tmp_path / "history.sqlite"
    assert decide(history, "halt").returncode == 0
    table = sitekit("plan", str(EXAMPLE), "--release", RELEASE, "--history", str(history))
    assert "deferred: 3 site(s)" in table.stdout
    assert "LIS01 (ring 0): not planned: halted: Ana Costa halted the release" in table.stdout
    assert "no estimate of completion while a ring is halted or paused" in table.stdout


def test_status_judges_a_site_in_its_ring_now(tmp_path: Path) -> None:
    from sitekit.audit.history import History  # noqa: PLC0415
    from sitekit.rollout.state import RolloutHistory, SiteState  # noqa: PLC0415

    history = tmp_path / "history.sqlite"
    with History(history) as opened:  # recorded when LIS01 was in ring 2; it is in ring 0 now
        store = RolloutHistory(opened, "example")
        store.record_site(RELEASE, SiteState("LIS01", 2, "done", at="2026-12-01T03:00:00+00:00"))
        store.record_site(RELEASE, SiteState("GONE1", 0, "failed", at="2026-12-01T03:00:00+00:00"))
    data = status(history)
    assert [s["site"] for s in data["rings"][0]["sites"]] == ["LIS01"]
    assert data["rings"][0]["state"] == "complete" and data["halted"] is None
