"""Which release each ring is on, and so which application version each site should run.

The one place this is decided; the audit (`sitekit report`) judges a site's application
version by it, and `sitekit rollout rings` shows it. It reads the rollout's state in the
history (`rollout_sites`, `rollout_events`) through the ring rule (`state.gates`):

- a ring is on a release once that release's rule calls the ring `complete` (every site
  done, failed or rolled back, and no halt on it: a ring halted by its canary stays where
  it was until an engineer resumes); before any release completes it, the ring is on the
  fleet's pinned version (`application.version` in the fleet file);
- a site is on its ring's release, or on a newer one it is already `done` in (a canary,
  or a site of a ring still open);
- only the releases of the fleet that carry an application version count, newest version
  last; a release that no longer loads (its version is now the fleet's own: it is over)
  is left out.

So a site whose ring the newest release has not reached yet may run the previous version
(the fleet's pin) and passes; a site two releases behind fails; a site of a complete ring
that was rolled back fails until an engineer has it upgraded.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from pathlib import Path

from sitekit.audit.history import History
from sitekit.rollout.release import RELEASES_DIR, Release, load_release
from sitekit.rollout.state import RolloutHistory, SiteState, gates
from sitekit.site.model import Fleet, Site

PINNED = ""  # the release name of "the fleet's pinned version": no release yet


@dataclass(frozen=True, slots=True)
class OnRelease:
    """A release (its id; PINNED for the fleet's own version) and its application version."""

    release: str
    version: str


@dataclass(frozen=True, slots=True)
class RingReleases:
    """Per ring and per site, the release it is on."""

    rings: dict[int, OnRelease]
    sites: dict[str, OnRelease]


def _numbers(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def releases(fleet_dir: Path, fleet: Fleet, sites: list[Site]) -> list[Release]:
    """The fleet's loadable releases that move the application, oldest version first."""
    folder = (fleet_dir.parent if fleet_dir.is_file() else fleet_dir) / RELEASES_DIR
    found = []
    for path in sorted(folder.glob("*.yml")) if folder.is_dir() else []:
        release, problems = load_release(fleet_dir, path.stem, fleet, sites)
        if release is not None and not problems and "application" in release.components:
            found.append(release)
    return sorted(found, key=lambda r: _numbers(r.components["application"]["version"]))


def rolled_out(history_path: Path, fleet: Fleet) -> bool:
    """Whether the history records any rollout of the fleet (an empty file: a new history)."""
    if not history_path.is_file() or history_path.stat().st_size == 0:
        return False
    with History(history_path, readonly=True) as history:
        return RolloutHistory(history, fleet.name).any_recorded()


def ring_releases(fleet_dir: Path, fleet: Fleet, sites: list[Site], history_path: Path,
                  now: dt.datetime) -> RingReleases:
    """Which release each ring and each site is on (module docstring), from the history."""
    pinned = OnRelease(PINNED, str(fleet.application["version"]))
    rings = {site.rollout_ring: pinned for site in sites}
    on = {site.code: pinned for site in sites}
    if not rolled_out(history_path, fleet):
        return RingReleases(rings, on)
    known = releases(fleet_dir, fleet, sites)
    with History(history_path, readonly=True) as history:
        store = RolloutHistory(history, fleet.name)
        recorded = [(release, store.sites(release.id), store.events(release.id))
                    for release in known]
    for release, states, events in recorded:
        version = OnRelease(release.id, release.components["application"]["version"])
        every = [replace(states[site.code], ring=site.rollout_ring) if site.code in states
                 else SiteState(site.code, site.rollout_ring) for site in sites]
        for status in gates(release, every, events, now).rings:
            if status.state == "complete":
                rings[status.ring] = version
        for site in sites:
            if states.get(site.code, SiteState(site.code, 0)).state == "done":
                on[site.code] = version
    for site in sites:  # its ring's, unless it is already on a newer one
        ring = rings[site.rollout_ring]
        if _numbers(ring.version) > _numbers(on[site.code].version):
            on[site.code] = ring
    return RingReleases(rings, on)


def audit_values(fleet_dir: Path, fleet: Fleet, sites: list[Site] | None,
                 history_path: Path) -> dict[str, dict[str, str]]:
    """What `sitekit report` judges each site's application by: its ring's release's version.

    `sites` None: the report audits only some sites, so every site is read here (a ring is
    complete only when all its sites are). Nothing rolled out yet: nothing to replace.
    """
    from sitekit.plan.fleet import planning_now  # noqa: PLC0415
    from sitekit.site.load import load_fleet_dir  # noqa: PLC0415

    if not rolled_out(history_path, fleet):
        return {}  # every site on the fleet's pin: the fleet file's own value
    every = sites if sites is not None else load_fleet_dir(fleet_dir).sites
    on = ring_releases(fleet_dir, fleet, every, history_path, planning_now()).sites
    return {code: {"fleet.application.version": release.version}
            for code, release in on.items()}


def ring_applications(fleet_dir: Path, fleet: Fleet, sites: list[Site], history_path: Path,
                      now: dt.datetime) -> dict[str, dict[str, object]]:
    """Per site, the application its ring's release installs: what opening day puts there.

    The release (its id; "" for the fleet's pin), its version, and the server's and the
    client's installer (relative to the share), product code and, for the client, file
    version: the release's components, or the fleet's pinned `software` before any release
    reaches the ring.
    """
    software = fleet.software
    pinned: dict[str, object] = {
        "release": PINNED, "version": str(fleet.application["version"]),
        "server": {key: software["application_server"][key]
                   for key in ("installer", "product_id")},
        "client": {key: software["application_client"][key]
                   for key in ("installer", "product_id", "file_version")}}
    by_ring: dict[int, dict[str, object]] = {}
    on = ring_releases(fleet_dir, fleet, sites, history_path, now).rings
    known = {release.id: release for release in releases(fleet_dir, fleet, sites)} \
        if any(ring.release != PINNED for ring in on.values()) else {}
    for ring, release in on.items():
        if release.release == PINNED:
            by_ring[ring] = pinned
            continue
        application = known[release.release].components["application"]
        by_ring[ring] = {
            "release": release.release, "version": release.version,
            "server": {key: application["server"][key] for key in ("installer", "product_id")},
            "client": {key: application["client"][key]
                       for key in ("installer", "product_id", "file_version")}}
    return {site.code: by_ring[site.rollout_ring] for site in sites}
