"""sitekit.rollout.run: the work the playbook may do now, and the states it keeps."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from sitekit.problems import ProblemsFound
from sitekit.rollout import cli
from sitekit.rollout.run import record, work
from tests.unit.test_rollout_release import by_date

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "inventories" / "example"
RELEASE = "2026-12-lotus-8.5"
NIGHT = dt.datetime(2026, 12, 8, 1, 0, tzinfo=dt.UTC)  # Tuesday: LIS01 closed, window open


@pytest.mark.parametrize(("now", "go", "waiting"), [
    (NIGHT, ["LIS01"], ""),
    # Lunch: the window is closed; the canary waits, with when its window opens next.
    (NIGHT.replace(hour=13), [], "window is closed: it starts at Tue 2026-12-08 23:00 local time"),
    # 09:30 in Lisbon: 30 minutes of the window left, the upgrade takes 90.
    (NIGHT.replace(hour=9, minute=30), [],
     "has less than the release's 90 minutes left: it starts at Tue 2026-12-08 23:00"),
])
def test_work_takes_a_site_only_inside_its_window_with_time_left(
        tmp_path: Path, now: dt.datetime, go: list[str], waiting: str) -> None:
    found = work(EXAMPLE, RELEASE, tmp_path / "history.sqlite", now)
    assert [site["site"] for site in found["go"]] == go
    if waiting:
        assert [site["site"] for site in found["waiting"]] == ["LIS01"]
        assert waiting in found["waiting"][0]["reason"]
    assert found["components"]["application"]["version"] == "8.5.0"
    assert found["database"]["upgrade_step"]["executable"] == "LotusPOS.DbUpgrade.exe"


def test_a_done_site_is_not_taken_again_and_a_rolled_back_canary_halts(tmp_path: Path) -> None:
    history = tmp_path / "history.sqlite"
    record(history, EXAMPLE, RELEASE, "LIS01", "done", engineer="Ana Costa", now=NIGHT)
    again = work(EXAMPLE, RELEASE, history, NIGHT)
    assert again["go"] == [] and again["done"] == ["LIS01"]
    record(history, EXAMPLE, RELEASE, "LIS01", "rolled_back", engineer="Ana Costa", now=NIGHT,
           error="lis01-srv01: Error 1067")
    halted = work(EXAMPLE, RELEASE, history, NIGHT + dt.timedelta(days=7))
    assert halted["go"] == []
    assert "canary LIS01 rolled back" in halted["halted"]


@pytest.mark.parametrize(("site", "state", "engineer", "message"), [
    ("LIS01", "done", " ", "say who runs the rollout"),
    ("LIS01", "finished", "Ana Costa", "'finished' is not a rollout state"),
    ("XXX01", "done", "Ana Costa", "XXX01 is not a site of"),
])
def test_record_refuses_what_the_history_cannot_keep(tmp_path: Path, site: str, state: str,
                                                     engineer: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        record(tmp_path / "history.sqlite", EXAMPLE, RELEASE, site, state, engineer=engineer,
               now=NIGHT)
    assert not (tmp_path / "history.sqlite").exists()


def test_a_site_an_interrupted_run_left_upgrading_is_taken_again(tmp_path: Path) -> None:
    history = tmp_path / "history.sqlite"
    record(history, EXAMPLE, RELEASE, "LIS01", "upgrading", engineer="Ana Costa", now=NIGHT)
    assert [site["site"] for site in work(EXAMPLE, RELEASE, history, NIGHT)["go"]] == ["LIS01"]


def test_the_steps_an_interrupted_run_kept_are_given_to_the_next(tmp_path: Path) -> None:
    # The backup's file is kept with the state upgrading, in one transaction; each step
    # after it is kept as it is done, and the next run's work carries them to the role.
    history = tmp_path / "history.sqlite"
    backup = "C:\\SQLBackup\\LotusPOS\\LotusPOS_FULL_20261208T010000Z.bak"
    kept = record(history, EXAMPLE, RELEASE, "LIS01", "upgrading", engineer="Ana Costa",
                  now=NIGHT, reason=f"backup {backup}", step="backup", detail=backup)
    assert kept.state == "upgrading"
    record(history, EXAMPLE, RELEASE, "LIS01", "upgrading", engineer="Ana Costa", now=NIGHT,
           step="schema")
    go = work(EXAMPLE, RELEASE, history, NIGHT)["go"]
    assert go == [{"site": "LIS01", "ring": 0, "window_closes": go[0]["window_closes"],
                   "steps": {"backup": backup, "schema": ""}}]
    with pytest.raises(ValueError, match="'restore' is not a rollout step"):
        record(history, EXAMPLE, RELEASE, "LIS01", "upgrading", engineer="Ana Costa", now=NIGHT,
               step="restore")
    # Refused whole: the state did not change either.
    assert work(EXAMPLE, RELEASE, history, NIGHT)["go"][0]["steps"] == {"backup": backup,
                                                                        "schema": ""}


def test_the_playbook_is_given_no_work_from_a_release_by_date(fleet_copy: Path) -> None:
    # The action plugin's `op=work` loads the release the same way: refused, nothing kept.
    by_date(fleet_copy)
    history = fleet_copy / "history.sqlite"
    with pytest.raises(ProblemsFound) as refused:
        work(fleet_copy, RELEASE, history, NIGHT)
    assert [p.field for p in refused.value.problems] == [
        "release.components.windows_updates.security_released_before"]
    assert not history.exists()


def test_rings_1_and_2_each_wait_for_the_soak_and_their_own_approval(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The example fleet's whole rollout, ring by ring, as the history makes it: LIS01 (ring
    # 0, the canary), BER02 (ring 1), LON01 (ring 2); both later rings ask for approval.
    history = tmp_path / "history.sqlite"

    def at(days: float) -> dt.datetime:
        return NIGHT + dt.timedelta(days=days)

    def approve(ring: int, when: dt.datetime) -> None:
        monkeypatch.setenv("SITEKIT_NOW", when.isoformat())
        assert cli.main(["approve", str(EXAMPLE), "--release", RELEASE, "--ring", str(ring),
                         "--engineer", "Ana Costa", "--reason", f"ring {ring - 1} healthy",
                         "--history", str(history)]) == 0

    def rings(found: dict[str, Any]) -> list[tuple[str, str]]:
        return [(ring["state"], ring["reason"]) for ring in found["rings"]]

    record(history, EXAMPLE, RELEASE, "LIS01", "done", engineer="Ana Costa", now=NIGHT)
    soaking = work(EXAMPLE, RELEASE, history, at(1))
    assert soaking["go"] == [] and rings(soaking)[1] == (
        "waiting", "ring 0 soaks until 2026-12-10T01:00Z")  # ring 0's soak_hours: 48
    unapproved = work(EXAMPLE, RELEASE, history, at(2))
    assert unapproved["go"] == [] and rings(unapproved)[1] == (
        "waiting", "needs approval: `sitekit rollout approve --ring 1`")
    approve(1, at(2) - dt.timedelta(minutes=30))
    ring1 = work(EXAMPLE, RELEASE, history, at(2))
    assert [site["site"] for site in ring1["go"]] == ["BER02"]
    assert rings(ring1)[2] == ("waiting", "ring 1 is not complete")
    record(history, EXAMPLE, RELEASE, "BER02", "done", engineer="Ana Costa", now=at(2))
    again = work(EXAMPLE, RELEASE, history, at(2))
    assert again["go"] == [] and again["done"] == ["BER02", "LIS01"]
    # Ring 2 waits for ring 1's 72 hours, then for an approval of its own: ring 1's is not it.
    assert rings(work(EXAMPLE, RELEASE, history, at(4)))[2] == (
        "waiting", "ring 1 soaks until 2026-12-13T01:00Z")
    assert rings(work(EXAMPLE, RELEASE, history, at(5)))[2] == (
        "waiting", "needs approval: `sitekit rollout approve --ring 2`")
    approve(2, at(5))
    ring2 = work(EXAMPLE, RELEASE, history, at(5))
    assert [site["site"] for site in ring2["go"]] == ["LON01"]
    record(history, EXAMPLE, RELEASE, "LON01", "done", engineer="Ana Costa", now=at(5))
    over = work(EXAMPLE, RELEASE, history, at(6))
    assert over["go"] == [] and over["waiting"] == []
    assert [state for state, _ in rings(over)] == ["complete", "complete", "complete"]
