"""Each site's rollout state, the engineers' decisions, and the rule that advances rings.

The state lives in the audit history (tables `rollout_sites` and `rollout_events`, see
`sitekit.audit.history.SCHEMA`): one place for what happened at a site. `gates` is the
ring-advance rule as a pure function of the release's policy, the sites' states, the
events and the time:

- a ring opens only when the ring before it is complete (every site done, failed or
  rolled back), has soaked for its policy's hours since its last site finished, and,
  where the policy asks, an engineer has approved the ring;
- in the first ring the canary sites go first: the other sites wait until every canary
  has finished and has soaked for the canary's hours;
- a canary that fails, or failures in a ring above its policy's percentage (of the ring's
  sites), halt every site not yet done, until an engineer resumes; a halt by an engineer
  does the same;
- a pause stops a ring (or, without a ring, the release) until it is resumed;
- deferred sites (unreachable, closed, the window too short) are never failures: they
  keep their ring open and are tried again.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, field

from sitekit.audit.history import History
from sitekit.rollout.release import Release

STATES = ("pending", "deferred", "upgrading", "done", "failed", "rolled_back", "halted")
FAILED = frozenset(("failed", "rolled_back"))
FINISHED = frozenset(("done", *FAILED))
ACTIONS = ("approve", "pause", "resume", "halt")
# The steps of a site's upgrade the history keeps as each is done, so a re-run after an
# interruption resumes instead of repeating them: the pre-upgrade backup (its file), the
# schema step, the server, the stations.
STEPS = ("backup", "schema", "server", "stations")


@dataclass(frozen=True, slots=True)
class SiteState:
    """One site's state in one release."""

    site: str
    ring: int
    state: str = "pending"
    reason: str = ""  # why deferred or halted
    version_before: str = ""
    target: str = ""
    at: str = ""  # ISO time (UTC) of the last change
    engineer: str = ""
    error: str = ""


@dataclass(frozen=True, slots=True)
class Event:
    """An engineer's decision (or sitekit's own halt) on a release or one of its rings."""

    action: str
    ring: int | None  # None: the whole release
    at: str  # ISO time, UTC
    engineer: str
    reason: str


@dataclass
class RingStatus:
    """One ring: open, waiting (and for what), paused, halted or complete."""

    ring: int
    state: str
    reason: str
    sites: list[SiteState] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        """How many sites are in each state."""
        return {state: sum(1 for s in self.sites if s.state == state) for state in STATES}


@dataclass
class Status:
    """Where a release stands: per ring, the sites that may start now, and any halt."""

    release: str
    now: dt.datetime
    halted: str
    rings: list[RingStatus]
    eligible: list[str]
    events: list[Event]


def _time(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def gates(release: Release, sites: Iterable[SiteState], events: Iterable[Event],
          now: dt.datetime) -> Status:
    """Apply the ring-advance rule (module docstring) to where the sites stand now."""
    events = sorted(events, key=lambda e: e.at)  # stable: one second's events keep their order
    by_ring: dict[int, list[SiteState]] = {policy.ring: [] for policy in release.rings}
    for site in sorted(sites, key=lambda s: s.site):
        by_ring.setdefault(site.ring, []).append(site)
    halted, halt_from = _halt(release, by_ring, events)
    rings: list[RingStatus] = []
    eligible: list[str] = []
    for index, policy in enumerate(release.rings):
        members = by_ring[policy.ring]
        finished = all(site.state in FINISHED for site in members)
        if finished and not (halted and index == halt_from):
            state, reason = "complete", ""
        elif halted and index >= halt_from:  # the ring that halted shows it, even finished
            state, reason = "halted", halted
        elif index and rings[-1].state != "complete":
            state, reason = "waiting", f"ring {rings[-1].ring} is not complete"
        else:
            state, reason = _ring_state(release, index, by_ring, events, now)
        shown = [_shown(site, state, reason) for site in members]
        rings.append(RingStatus(policy.ring, state, reason, shown))
        if state == "open":
            eligible += _eligible(release, index, members, now)
    return Status(release.id, now, halted, rings, eligible, events)


def stamp(moment: dt.datetime) -> str:
    """A moment as the history keeps it: ISO 8601 in UTC, to the second (sorts as text)."""
    return moment.astimezone(dt.UTC).isoformat(timespec="seconds")


def _shown(site: SiteState, ring_state: str, reason: str) -> SiteState:
    """A site not yet started in a halted ring shows as halted, with the halt's reason."""
    if ring_state == "halted" and site.state in ("pending", "deferred"):
        return SiteState(site.site, site.ring, "halted", reason, site.version_before,
                         site.target, site.at, site.engineer, site.error)
    return site


def _cleared(events: list[Event], ring: int | None) -> tuple[int, str]:
    """The last resume that applies to `ring` (None: the release): its position and time.

    Events are compared by position (two in one second keep their order), site states by
    time. (-1, "") when nothing was resumed.
    """
    for position in range(len(events) - 1, -1, -1):
        event = events[position]
        if event.action == "resume" and (event.ring is None or event.ring == ring):
            return position, event.at
    return -1, ""


def _halt(release: Release, by_ring: dict[int, list[SiteState]],
          events: list[Event]) -> tuple[str, int]:
    """Why the release is halted now ("" if it is not), and from which ring (its index)."""
    index_of = {policy.ring: index for index, policy in enumerate(release.rings)}
    for position in range(len(events) - 1, -1, -1):
        event = events[position]
        if event.action == "halt" and position > _cleared(events, event.ring)[0]:
            where = f"ring {event.ring}" if event.ring is not None else "the release"
            return (f"{event.engineer} halted {where} at {event.at}: {event.reason}; "
                    "`sitekit rollout resume` lifts it"), (
                        0 if event.ring is None else index_of.get(event.ring, 0))
    canaries = set(release.canary)
    for sites in by_ring.values():
        for site in sites:
            if (site.site in canaries and site.state in FAILED
                    and site.at > _cleared(events, site.ring)[1]):
                return (f"canary {site.site} {site.state.replace('_', ' ')} at {site.at}"
                        f"{': ' + site.error if site.error else ''}; every later site waits "
                        "until an engineer resumes"), 0
    for index, policy in enumerate(release.rings):
        members = by_ring[policy.ring]
        since = _cleared(events, policy.ring)[1]
        failed = [s for s in members if s.state in FAILED and s.at > since]
        if members and len(failed) * 100 > policy.max_failed_percent * len(members):
            return (f"ring {policy.ring}: {len(failed)} of {len(members)} sites failed "
                    f"({', '.join(s.site for s in failed[:5])}), above the policy's "
                    f"{policy.max_failed_percent}%; every later site waits until an engineer "
                    "resumes"), index
    return "", 0


def _ring_state(release: Release, index: int, by_ring: dict[int, list[SiteState]],
                events: list[Event], now: dt.datetime) -> tuple[str, str]:
    """An unfinished ring's state once the rings before it are complete and nothing halts."""
    policy = release.rings[index]
    cleared = _cleared(events, policy.ring)[0]
    paused = [e for position, e in enumerate(events) if e.action == "pause"
              and e.ring in (None, policy.ring) and position > cleared]
    if paused:
        last = paused[-1]
        return "paused", f"{last.engineer} paused it at {last.at}: {last.reason}"
    if index:
        before = release.rings[index - 1]
        finished = [site.at for site in by_ring[before.ring] if site.at]
        if finished:
            soaked = _time(max(finished)) + dt.timedelta(hours=before.soak_hours)
            if soaked > now:
                return "waiting", (f"ring {before.ring} soaks until "
                                   f"{soaked.astimezone(dt.UTC):%Y-%m-%dT%H:%MZ}")
    if policy.approval and not any(e.action == "approve" and e.ring == policy.ring
                                   for e in events):
        return "waiting", f"needs approval: `sitekit rollout approve --ring {policy.ring}`"
    return "open", ""


def _eligible(release: Release, index: int, members: list[SiteState],
              now: dt.datetime) -> list[str]:
    """The sites of an open ring that may start now; in the first ring, canaries first."""
    waiting = [site for site in members if site.state in ("pending", "deferred")]
    if index == 0:
        # Finished: done, or failed and resumed by an engineer (else the release is halted).
        canaries = [site for site in members if site.site in release.canary]
        if not all(site.state in FINISHED for site in canaries):
            return [site.site for site in waiting if site.site in release.canary]
        soaked = max((_time(site.at) for site in canaries), default=now) + \
            dt.timedelta(hours=release.canary_soak_hours)
        if soaked > now:
            return []
    return [site.site for site in waiting]


# The state in the audit history

class RolloutHistory:
    """A release's site states and events in the audit history (callers hold its Lock)."""

    def __init__(self, history: History, fleet: str) -> None:
        self.db = history.db
        self.fleet = fleet

    def _has_tables(self) -> bool:
        # A history read-only from before rollouts (schema 2) has no rollout tables yet.
        return self.db.execute("SELECT 1 FROM sqlite_master WHERE name = 'rollout_sites'"
                               ).fetchone() is not None

    def any_recorded(self) -> bool:
        """Whether any site of the fleet has a state in any release."""
        return self._has_tables() and self.db.execute(
            "SELECT 1 FROM rollout_sites WHERE fleet = ? LIMIT 1", (self.fleet,)
        ).fetchone() is not None

    def sites(self, release: str) -> dict[str, SiteState]:
        """The recorded state of each site that has one."""
        if not self._has_tables():
            return {}
        rows = self.db.execute(
            "SELECT site, ring, state, reason, version_before, target, at, engineer, error "
            "FROM rollout_sites WHERE fleet = ? AND release = ?", (self.fleet, release))
        return {row[0]: SiteState(*row) for row in rows}

    def events(self, release: str) -> list[Event]:
        """The release's events, oldest first."""
        if not self._has_tables():
            return []
        return [Event(*row) for row in self.db.execute(
            "SELECT action, ring, at, engineer, reason FROM rollout_events "
            "WHERE fleet = ? AND release = ? ORDER BY at, id", (self.fleet, release))]

    def record_site(self, release: str, state: SiteState) -> None:
        """Keep a site's new state (replacing its previous one), in one transaction."""
        self.record_state_and_step(release, state)

    def _site(self, release: str, state: SiteState) -> None:
        if state.state not in STATES:
            raise ValueError(f"{state.state!r} is not a rollout state; one of {STATES}")
        self.db.execute(
            "INSERT INTO rollout_sites (fleet, release, site, ring, state, reason, "
            "version_before, target, at, engineer, error) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, "
            "?, ?) ON CONFLICT (fleet, release, site) DO UPDATE SET ring = excluded.ring, "
            "state = excluded.state, reason = excluded.reason, version_before = "
            "excluded.version_before, target = excluded.target, at = excluded.at, "
            "engineer = excluded.engineer, error = excluded.error",
            (self.fleet, release, state.site, state.ring, state.state, state.reason,
             state.version_before, state.target, state.at, state.engineer, state.error))

    def steps(self, release: str) -> dict[str, dict[str, str]]:
        """Per site, the steps of its upgrade done so far: step -> detail (the backup's file)."""
        if not self.db.execute("SELECT 1 FROM sqlite_master WHERE name = 'rollout_steps'"
                               ).fetchone():
            return {}  # a history from before steps were kept (schema 4), read-only
        found: dict[str, dict[str, str]] = {}
        for site, step, detail in self.db.execute(
                "SELECT site, step, detail FROM rollout_steps WHERE fleet = ? AND release = ?",
                (self.fleet, release)):
            found.setdefault(site, {})[step] = detail
        return found

    def record_state_and_step(self, release: str, state: SiteState, step: str = "",
                              detail: str = "") -> None:
        """Keep a site's new state and, with it, a step done (one transaction)."""
        if step and step not in STEPS:
            raise ValueError(f"{step!r} is not a rollout step; one of {', '.join(STEPS)}")
        self.db.execute("BEGIN IMMEDIATE")
        try:
            self._site(release, state)
            if step:
                self.db.execute(
                    "INSERT INTO rollout_steps (fleet, release, site, step, detail, at, engineer) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (fleet, release, site, step) DO "
                    "UPDATE SET detail = excluded.detail, at = excluded.at, "
                    "engineer = excluded.engineer",
                    (self.fleet, release, state.site, step, detail, state.at, state.engineer))
        except (sqlite3.Error, BaseException):
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    def record_event(self, release: str, event: Event) -> None:
        """Keep an engineer's decision."""
        if event.action not in ACTIONS:
            raise ValueError(f"{event.action!r} is not a rollout action; one of {ACTIONS}")
        self._write(
            "INSERT INTO rollout_events (fleet, release, action, ring, at, engineer, reason) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (self.fleet, release, event.action, event.ring, event.at, event.engineer,
             event.reason))

    def _write(self, statement: str, values: tuple[object, ...]) -> None:
        self.db.execute("BEGIN IMMEDIATE")
        try:
            self.db.execute(statement, values)
        except (sqlite3.Error, BaseException):
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")
