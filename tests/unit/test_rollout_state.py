"""The ring-advance rule, and the rollout's state in the audit history."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pytest

from sitekit.audit.history import VERSION, History, HistoryError
from sitekit.rollout.release import Release, RingPolicy
from sitekit.rollout.state import Event, RolloutHistory, SiteState, gates

NOW = dt.datetime(2026, 12, 10, 12, 0, tzinfo=dt.UTC)
RELEASE = Release(
    "r1", "releases/r1.yml", "test", 60, {"application": {"version": "9"}}, False,
    canary=("A0",), canary_soak_hours=24,
    rings=(RingPolicy(0, 1, 0, 24, False), RingPolicy(1, 5, 50, 0, True)))
SITES = {"A0": 0, "B0": 0, "C1": 1, "D1": 1}


def ago(hours: float) -> str:
    return (NOW - dt.timedelta(hours=hours)).isoformat(timespec="seconds")


def sites(**states: tuple[str, float]) -> list[SiteState]:
    """Every site pending, but those given as code=(state, hours ago)."""
    return [SiteState(code, ring, *((states[code][0], "") if code in states else ("pending", "")),
                      at=ago(states[code][1]) if code in states else "")
            for code, ring in SITES.items()]


def event(action: str, hours: float, ring: int | None = None) -> Event:
    return Event(action, ring, ago(hours), "Ana Costa", "test")


RING0_DONE = {"A0": ("done", 60), "B0": ("done", 30)}

CASES = {
    # name: (sites, events, ring states, eligible, halted text or "")
    "nothing yet: the canary only":
        (sites(), [], ["open", "waiting"], ["A0"], ""),
    "the canary soaks before the rest of its ring":
        (sites(A0=("done", 10)), [], ["open", "waiting"], [], ""),
    "the canary has soaked":
        (sites(A0=("done", 25)), [], ["open", "waiting"], ["B0"], ""),
    "a canary failure halts every later site":
        (sites(A0=("failed", 1)), [], ["halted", "halted"], [], "canary A0 failed"),
    "a canary rolled back halts too":
        (sites(A0=("rolled_back", 1)), [], ["halted", "halted"], [], "canary A0 rolled back"),
    "a resume after the canary's failure lets the ring go on":
        (sites(A0=("failed", 30)), [event("resume", 29)], ["open", "waiting"], ["B0"], ""),
    "an unreachable site is deferred, never failed, and tried again":
        (sites(A0=("done", 30), B0=("deferred", 1)), [], ["open", "waiting"], ["B0"], ""),
    "the ring before soaks":
        (sites(A0=("done", 60), B0=("done", 10)), [], ["complete", "waiting"], [], ""),
    "soaked, but the policy asks for approval":
        (sites(**RING0_DONE), [], ["complete", "waiting"], [], ""),
    "soaked and approved":
        (sites(**RING0_DONE), [event("approve", 1, 1)], ["complete", "open"], ["C1", "D1"], ""),
    "failures at the threshold go on":
        (sites(**RING0_DONE, C1=("failed", 1)), [event("approve", 2, 1)],
         ["complete", "open"], ["D1"], ""),
    "failures above the threshold halt":
        (sites(**RING0_DONE, C1=("failed", 1), D1=("rolled_back", 1)),
         [event("approve", 2, 1)], ["complete", "halted"], [], "ring 1: 2 of 2 sites failed"),
    "a paused ring waits":
        (sites(**RING0_DONE), [event("approve", 3, 1), event("pause", 2, 1)],
         ["complete", "paused"], [], ""),
    "a resumed ring goes on":
        (sites(**RING0_DONE), [event("approve", 3, 1), event("pause", 2, 1),
                               event("resume", 1, 1)], ["complete", "open"], ["C1", "D1"], ""),
    "a pause of the release stops every ring":
        (sites(), [event("pause", 1)], ["paused", "waiting"], [], ""),
    "a halt stops everything not done":
        (sites(A0=("done", 30)), [event("halt", 1)], ["halted", "halted"], [],
         "Ana Costa halted the release"),
    "a halt of a later ring leaves the earlier ones going":
        (sites(A0=("done", 30)), [event("halt", 1, 1)], ["open", "halted"], ["B0"],
         "Ana Costa halted ring 1"),
    "a resume lifts a halt":
        (sites(A0=("done", 30)), [event("halt", 2), event("resume", 1)], ["open", "waiting"],
         ["B0"], ""),
    "a halt right after a resume, in the same second, holds":
        (sites(A0=("done", 30)), [event("halt", 1), event("resume", 1), event("halt", 1)],
         ["halted", "halted"], [], "Ana Costa halted the release"),
    "a site upgrading is not eligible again":
        (sites(A0=("upgrading", 1)), [], ["open", "waiting"], [], ""),
}


@pytest.mark.parametrize(("states", "events", "rings", "eligible", "halted"),
                         list(CASES.values()), ids=list(CASES))
def test_ring_advance(states: list[SiteState], events: list[Event], rings: list[str],
                      eligible: list[str], halted: str) -> None:
    status = gates(RELEASE, states, events, NOW)
    assert [ring.state for ring in status.rings] == rings
    assert status.eligible == eligible
    assert status.halted.startswith(halted) if halted else status.halted == ""
    if halted:  # every site not yet started in a halted ring shows the halt
        for ring in status.rings:
            if ring.state == "halted":
                assert all(s.state != "pending" for s in ring.sites)


def test_the_halt_says_why_and_how_to_go_on() -> None:
    status = gates(RELEASE, sites(A0=("failed", 1)), [], NOW)
    assert "until an engineer resumes" in status.halted
    assert {s.site: s.state for s in status.rings[1].sites} == {"C1": "halted", "D1": "halted"}


def test_waiting_says_until_when() -> None:
    status = gates(RELEASE, sites(A0=("done", 60), B0=("done", 10)), [], NOW)
    assert status.rings[1].reason == "ring 0 soaks until 2026-12-11T02:00Z"
    approval = gates(RELEASE, sites(**RING0_DONE), [], NOW).rings[1].reason
    assert approval == "needs approval: `sitekit rollout approve --ring 1`"


# The state in the history

@pytest.fixture
def history(tmp_path: Path) -> Path:
    return tmp_path / "history.sqlite"


def test_states_and_events_are_kept(history: Path) -> None:
    with History(history) as opened:
        store = RolloutHistory(opened, "example")
        store.record_site("r1", SiteState("LIS01", 0, "upgrading", "", "app 8.4.2",
                                          "app 8.5.0", ago(2), "ansible"))
        store.record_site("r1", SiteState("LIS01", 0, "failed", "", "app 8.4.2", "app 8.5.0",
                                          ago(1), "ansible", "exit 1603"))
        store.record_event("r1", event("halt", 1))
        RolloutHistory(opened, "other").record_site(
            "r1", SiteState("LIS01", 0, "done", at=ago(1)))
    with History(history, readonly=True) as opened:
        store = RolloutHistory(opened, "example")
        assert store.sites("r1")["LIS01"].state == "failed"  # the latest state replaces
        assert store.sites("r1")["LIS01"].error == "exit 1603"
        assert store.sites("r2") == {}
        assert [e.action for e in store.events("r1")] == ["halt"]
        assert RolloutHistory(opened, "other").sites("r1")["LIS01"].state == "done"


@pytest.mark.parametrize(("state", "action"), [("broken", "halt"), ("done", "cancel")])
def test_unknown_states_and_actions_are_refused(history: Path, state: str, action: str) -> None:
    with History(history) as opened, pytest.raises(ValueError, match="is not a rollout"):
        store = RolloutHistory(opened, "example")
        store.record_site("r1", SiteState("LIS01", 0, state))
        store.record_event("r1", event(action, 1))


def test_the_database_refuses_a_state_the_code_does_not_know(history: Path) -> None:
    with History(history) as opened, pytest.raises(sqlite3.IntegrityError):
        opened.db.execute("INSERT INTO rollout_sites VALUES ('f', 'r', 'S', 0, 'lost', '', '', "
                          "'', '', '', '')")


def test_a_version_2_history_is_upgraded_in_place(history: Path) -> None:
    with History(history) as opened:  # a history as sitekit kept it before rollouts
        opened.db.execute("INSERT INTO maintenance (fleet, month, site, date, engineer, "
                          "findings, actions, cause, result, source) VALUES ('example', "
                          "'2026-11', 'LIS01', '2026-11-03', 'Ana', 'f', 'a', '', '', 'manual')")
        opened.db.execute("DROP TABLE rollout_sites")
        opened.db.execute("DROP TABLE rollout_events")
        opened.db.execute("PRAGMA user_version = 2")
    with History(history, readonly=True) as old:  # read as it is: no rollout yet
        assert RolloutHistory(old, "example").sites("r1") == {}
        assert RolloutHistory(old, "example").events("r1") == []
    with History(history) as upgraded:
        assert upgraded.db.execute("PRAGMA user_version").fetchone()[0] == VERSION == 5
        RolloutHistory(upgraded, "example").record_event("r1", event("approve", 1, 1))
        assert upgraded.db.execute("SELECT count(*) FROM maintenance").fetchone()[0] == 1


def test_a_newer_history_is_refused(history: Path) -> None:
    with History(history) as opened:
        opened.db.execute(f"PRAGMA user_version = {VERSION + 1}")
    with pytest.raises(HistoryError, match="newer sitekit"):
        History(history)
