"""What `playbooks/rollout.yml` asks of the rollout: the work it may do now, and its outcomes.

The playbook is a thin adapter (its action plugin `sitekit_rollout`) over these two:

- `work`: the sites the ring rule (`state.gates`) makes eligible now, split into those whose
  maintenance window is open now with the release's upgrade time left in it (the planner's
  `next_slot`: one rule for the plan and the run) and those that wait, with when and why;
  and what the release installs, for the role;
- `record`: a site's new state in the history, under the history's lock, with the
  engineer, the time and the error.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path
from typing import Any

from sitekit.audit.history import History, Lock
from sitekit.problems import ProblemsFound
from sitekit.rollout.cli import current_versions, site_inputs
from sitekit.rollout.planner import next_slot
from sitekit.rollout.release import Release, load_release
from sitekit.rollout.state import STATES, RolloutHistory, SiteState, gates, stamp
from sitekit.site.load import load_fleet_dir


def _load(fleet_dir: Path, release_id: str) -> tuple[Any, Release]:
    found = load_fleet_dir(fleet_dir)
    problems = list(found.problems)
    release = None
    if found.fleet is not None and not problems:
        release, problems = load_release(fleet_dir, release_id, found.fleet, found.sites)
    if found.fleet is None or release is None or problems:
        raise ProblemsFound(problems)
    return found, release


def work(fleet_dir: Path, release_id: str, history_path: Path,
         now: dt.datetime) -> dict[str, Any]:
    """The sites to upgrade now, those that wait (with why), and the release's components."""
    found, release = _load(fleet_dir, release_id)
    fleet = found.fleet
    recorded: dict[str, SiteState] = {}
    events = []
    steps: dict[str, dict[str, str]] = {}
    if history_path.is_file():
        with History(history_path, readonly=True) as history:
            store = RolloutHistory(history, fleet.name)
            recorded, events = store.sites(release.id), store.events(release.id)
            steps = store.steps(release.id)
    before = current_versions(fleet, release)
    # Each site in the ring its file names now; pending at the fleet's versions if unrecorded.
    states = [replace(recorded[site.code], ring=site.rollout_ring) if site.code in recorded
              else SiteState(site.code, site.rollout_ring, "pending", "", before,
                             release.target)
              for site in found.sites]
    status = gates(release, states, events, now)
    inputs = {site.code: site for site in site_inputs(fleet, found.sites)[0]}
    go, waiting = [], []
    taken: dict[int, int] = {}
    # A site left `upgrading` by an interrupted run is taken again first: the role resumes
    # it (every step is idempotent) or rolls it back.
    resumed = [site.site for ring in status.rings if ring.state == "open"
               for site in ring.sites if site.state == "upgrading"]
    for code in [*resumed, *status.eligible]:
        site = inputs.get(code)
        slot = next_slot(site.schedule, now, release.upgrade_minutes) if site else None
        if site is not None and slot is not None and slot.start == now:
            # One batch per run: the canaries together, then batch_size sites of the ring.
            size = (len(release.canary) if code in release.canary
                    else release.ring(site.ring).batch_size)
            if taken.get(site.ring, 0) >= size:
                waiting.append({"site": code, "reason": "the next batch: this run's batch "
                                f"of ring {site.ring} is full ({size} sites)"})
                continue
            taken[site.ring] = taken.get(site.ring, 0) + 1
            # The steps an earlier run of this release did at the site: the role resumes after
            # them (the pre-upgrade backup's file is the one a rollback restores).
            go.append({"site": code, "ring": site.ring, "window_closes": stamp(slot.window_closes),
                       "steps": steps.get(code, {})})
        elif slot is not None:
            inside = next_slot(site.schedule, now, 1) if site else None
            why = (f"its maintenance window has less than the release's "
                   f"{release.upgrade_minutes} minutes left" if inside and inside.start == now
                   else "its maintenance window is closed")
            waiting.append({"site": code, "reason": (
                f"{why}: it starts at {slot.local_start:%a %Y-%m-%d %H:%M} local time "
                f"({stamp(slot.start)})")})
        else:
            waiting.append({"site": code, "reason": "no maintenance window of the site is "
                            f"{release.upgrade_minutes} minutes long"})
    rings = [{"ring": ring.ring, "state": ring.state, "reason": ring.reason}
             for ring in status.rings]
    return {"release": release.id, "target": release.target, "version_before": before,
            "halted": status.halted, "rings": rings, "go": go, "waiting": waiting,
            "done": sorted(code for code, s in recorded.items() if s.state == "done"),
            "components": release.components, "schema_changes": release.schema_changes,
            "database": _database(fleet_dir, release_id)}


def ring_application(fleet_dir: Path, history_path: Path,
                     now: dt.datetime) -> dict[str, dict[str, object]]:
    """Per site, the application its ring's release installs (`rings.ring_applications`)."""
    from sitekit.rollout.rings import ring_applications  # noqa: PLC0415

    found = load_fleet_dir(fleet_dir)
    if found.fleet is None or found.problems:
        raise ProblemsFound(list(found.problems))
    return ring_applications(fleet_dir, found.fleet, found.sites, history_path, now)


def _database(fleet_dir: Path, release_id: str) -> dict[str, Any]:
    """The release's `database` section as written (its upgrade step), for the role."""
    from sitekit.rollout.release import release_path  # noqa: PLC0415
    from sitekit.site import strict_yaml  # noqa: PLC0415

    data = strict_yaml.load(release_path(fleet_dir, release_id).read_text(encoding="utf-8"))
    return strict_yaml.plain(data["release"].get("database", {}))


def record(history_path: Path, fleet_dir: Path, release_id: str, site: str, state: str, *,
           engineer: str, now: dt.datetime, reason: str = "", error: str = "",
           step: str = "", detail: str = "") -> SiteState:
    """Keep a site's new state in the history (and the step of its upgrade just done)."""
    if state not in STATES:
        raise ValueError(f"{state!r} is not a rollout state; one of {', '.join(STATES)}")
    if not engineer.strip():
        raise ValueError("say who runs the rollout: set SITEKIT_ENGINEER (or -e "
                         "rollout_engineer=NAME); the history keeps who changed each site")
    found, release = _load(fleet_dir, release_id)
    ring = next((s.rollout_ring for s in found.sites if s.code == site), None)
    if ring is None:
        raise ValueError(f"{site} is not a site of {fleet_dir}")
    History.verify(history_path)
    with Lock(history_path, f"rollout {release_id} {site}"), History(history_path) as history:
        kept = SiteState(site, ring, state, reason, current_versions(found.fleet, release),
                         release.target, stamp(now), engineer.strip(), error)
        RolloutHistory(history, found.fleet.name).record_state_and_step(release.id, kept, step,
                                                                        detail)
    return kept
