"""The rollout plan: which site goes in which ring and batch, and when its window opens.

Sites are the unit. The canary sites go first, as batch 1 of the first ring; the rest of
each ring follows in batches of the policy's size, ordered by when each site's window
opens. A batch starts once the one before it has finished; a ring once the ring before it
has finished and soaked (its approval, where the policy asks for one, is assumed given at
the end of the soak). Each site starts at the first moment, no earlier than its batch
may, that lies inside one of its maintenance windows (from `sitekit.plan.schedule`, the
kit's one source of windows) with the release's upgrade time still left in it. A site
whose windows are all shorter than the upgrade is deferred, with the reason.
"""

from __future__ import annotations

import datetime as dt
import heapq
import zoneinfo
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from sitekit.plan.schedule import Schedule
from sitekit.rollout.release import Release
from sitekit.site.model import DAYS

_DAY_NUMBER = {day: number for number, day in enumerate(DAYS)}
STOPPED = "not planned: "  # how a halted or paused ring's sites are deferred


@dataclass(frozen=True, slots=True)
class SiteInput:
    """What the planner needs of a site: its code, ring and maintenance windows."""

    code: str
    ring: int
    schedule: Schedule


@dataclass(frozen=True, slots=True)
class Slot:
    """When one site's upgrade is planned: inside one occurrence of one of its windows."""

    start: dt.datetime  # UTC
    end: dt.datetime  # UTC: start + the release's upgrade time
    window_opens: dt.datetime  # UTC
    window_closes: dt.datetime  # UTC
    local_start: dt.datetime  # the site's own time


@dataclass(frozen=True, slots=True)
class PlannedSite:
    """One site's place in the rollout."""

    code: str
    ring: int
    batch: int  # 1-based within the ring; 0 when deferred
    canary: bool
    time_zone: str
    slot: Slot | None
    deferred: str  # why the site is not planned, or ""


@dataclass
class RingPlan:
    """One ring: its batches in order, the sites deferred, and when it should end."""

    ring: int
    approval: bool
    soak_hours: int
    batches: list[list[PlannedSite]] = field(default_factory=list)
    deferred: list[PlannedSite] = field(default_factory=list)
    starts: dt.datetime | None = None
    ends: dt.datetime | None = None

    @property
    def stopped(self) -> bool:
        """Whether the ring is halted or paused: its sites deferred, none planned."""
        return bool(self.deferred) and not self.batches and all(
            site.deferred.startswith(STOPPED) for site in self.deferred)


@dataclass
class RolloutPlan:
    """The whole rollout of a release over a fleet, from `now`."""

    release: Release
    now: dt.datetime
    rings: list[RingPlan]

    @property
    def sites(self) -> list[PlannedSite]:
        """Every site, ring by ring, batch by batch, the deferred last in their ring."""
        return [site for ring in self.rings
                for site in [*(s for batch in ring.batches for s in batch), *ring.deferred]]

    @property
    def completes(self) -> dt.datetime | None:
        """When the last site should be done (None if a ring is stopped or none is planned)."""
        ends = [ring.ends for ring in self.rings if ring.ends is not None]
        if not ends or self.stopped:
            return None
        return max(ends)

    @property
    def stopped(self) -> bool:
        """Whether a ring is halted or paused (so no estimate can be given)."""
        return any(ring.stopped for ring in self.rings)


def next_slot(schedule: Schedule, after: dt.datetime, minutes: int) -> Slot | None:
    """The first moment at or after `after` inside a window with `minutes` left in it.

    Windows are local wall-clock times (a window over a clock change is as long as the
    clock says, as the restaurant lives it). None when no window is long enough.
    """
    zone = zoneinfo.ZoneInfo(schedule.time_zone)
    local = after.astimezone(zone)
    need = dt.timedelta(minutes=minutes)
    best: Slot | None = None
    for window in schedule.windows:
        if window.minutes < minutes:
            continue
        hours, mins = (int(part) for part in window.start.split(":"))
        # The occurrence that may still be open (it began up to a week ago), then the next.
        back = (local.weekday() - _DAY_NUMBER[window.day]) % 7 or 7
        first = local.date() - dt.timedelta(days=back)
        for weeks in range(3):
            day = first + dt.timedelta(days=7 * weeks)
            opens = dt.datetime(day.year, day.month, day.day, hours, mins, tzinfo=zone)
            closes = opens + dt.timedelta(minutes=window.minutes)  # wall-clock arithmetic
            opens_utc, closes_utc = opens.astimezone(dt.UTC), closes.astimezone(dt.UTC)
            start = max(opens_utc, after)
            if start + need > closes_utc:
                continue
            if best is None or start < best.start:
                best = Slot(start, start + need, opens_utc, closes_utc, start.astimezone(zone))
            break
    return best


def plan_rollout(release: Release, sites: Iterable[SiteInput], now: dt.datetime,
                 done: frozenset[str] = frozenset(),
                 stopped: Mapping[int, str] | None = None) -> RolloutPlan:
    """Plan the rollout of `release` from `now`; sites in `done` already run it.

    Rings in `stopped` (halted or paused, and every ring after: the caller's rule) are not
    planned: their sites are deferred with the ring's reason.
    """
    stopped = stopped or {}
    by_ring: dict[int, list[SiteInput]] = {}
    for site in sites:
        if site.code not in done:
            by_ring.setdefault(site.ring, []).append(site)
    canaries = set(release.canary)
    rings: list[RingPlan] = []
    earliest = now
    for number, policy in enumerate(release.rings):
        ring = RingPlan(policy.ring, policy.approval, policy.soak_hours)
        members = sorted(by_ring.get(policy.ring, []), key=lambda s: s.code)
        if policy.ring in stopped:
            ring.deferred = [PlannedSite(s.code, s.ring, 0, s.code in canaries,
                                         s.schedule.time_zone, None, stopped[policy.ring])
                             for s in members]
            rings.append(ring)
            continue
        first = [s for s in members if s.code in canaries] if number == 0 else []
        rest = [s for s in members if s.code not in canaries or number]
        ring.starts = earliest
        earliest = _batches(ring, [first] if first else [], release, earliest,
                            soak=dt.timedelta(hours=release.canary_soak_hours), canary=True)
        earliest = _rest(ring, rest, release, earliest, policy.batch_size)
        if ring.batches:
            ring.ends = max(site.slot.end for batch in ring.batches for site in batch
                            if site.slot is not None)
            earliest = ring.ends + dt.timedelta(hours=policy.soak_hours)
        rings.append(ring)
    return RolloutPlan(release, now, rings)


def _rest(ring: RingPlan, sites: list[SiteInput], release: Release, earliest: dt.datetime,
          size: int) -> dt.datetime:
    """Batches of `size` sites, each taking the sites whose windows open soonest.

    Sites with the same schedule (a chain's restaurants mostly share their hours and time
    zone) have the same slots: each schedule's next slot is found once per batch at most,
    not once per site, so a ring of 500 sites in batches of one stays fast.
    """
    minutes = release.upgrade_minutes
    groups: dict[Schedule, deque[SiteInput]] = {}
    for site in sorted(sites, key=lambda s: s.code):
        groups.setdefault(site.schedule, deque()).append(site)
    heap: list[tuple[dt.datetime, str, int, Slot]] = []
    schedules = list(groups)
    for number, schedule in enumerate(schedules):
        slot = next_slot(schedule, earliest, minutes)
        if slot is None:
            ring.deferred += [_deferred(site, ring.ring, release) for site in groups[schedule]]
        else:
            heap.append((slot.start, groups[schedule][0].code, number, slot))
    heapq.heapify(heap)
    while heap:
        batch: list[tuple[Slot, SiteInput]] = []
        while heap and len(batch) < size:
            start, _, number, slot = heapq.heappop(heap)
            queue = groups[schedules[number]]
            if start < earliest:  # planned before this batch may start: its next slot
                later = next_slot(schedules[number], earliest, minutes)
                if later is None:  # never: a window long enough once is so every week
                    ring.deferred += [_deferred(site, ring.ring, release) for site in queue]
                else:
                    heapq.heappush(heap, (later.start, queue[0].code, number, later))
                continue
            while queue and len(batch) < size:
                batch.append((slot, queue.popleft()))
            if queue:
                heapq.heappush(heap, (start, queue[0].code, number, slot))
        if not batch:
            break
        ring.batches.append([_planned(s, ring, slot, canary=False) for slot, s in batch])
        earliest = max(slot.end for slot, _ in batch)
    return earliest


def _batches(ring: RingPlan, batches: list[list[SiteInput]], release: Release,
             earliest: dt.datetime, soak: dt.timedelta, *, canary: bool) -> dt.datetime:
    """Fixed batches (the canaries): each site at its first slot; then the soak."""
    for members in batches:
        planned = []
        for site in members:
            slot = next_slot(site.schedule, earliest, release.upgrade_minutes)
            if slot is None:
                ring.deferred.append(_deferred(site, ring.ring, release, canary=canary))
            else:
                planned.append(_planned(site, ring, slot, canary=canary))
        if planned:
            ring.batches.append(planned)
            earliest = max(p.slot.end for p in planned if p.slot is not None) + soak
    return earliest


def _planned(site: SiteInput, ring: RingPlan, slot: Slot, *, canary: bool) -> PlannedSite:
    return PlannedSite(site.code, site.ring, len(ring.batches) + 1, canary,
                       site.schedule.time_zone, slot, "")


def _deferred(site: SiteInput, ring: int, release: Release, *,
              canary: bool = False) -> PlannedSite:
    longest = max((w.minutes for w in site.schedule.windows), default=0)
    return PlannedSite(site.code, ring, 0, canary, site.schedule.time_zone, None, (
        f"its longest maintenance window is {longest} minutes, shorter than the "
        f"{release.upgrade_minutes} minutes the upgrade takes: lengthen the site's window "
        "(its opening hours or maintenance_window), or lower the release's upgrade_minutes"))
