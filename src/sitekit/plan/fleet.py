"""The plan of a whole fleet, and the rules that span sites: unique codes, hostnames, subnets."""

from __future__ import annotations

import datetime as dt
import gc
import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from anyascii import anyascii
from netaddr import IPNetwork

from sitekit.plan.flows import check_fleet_network
from sitekit.plan.forwarding import check_collector
from sitekit.plan.network import present_segments, segment_subnet, site_subnet
from sitekit.plan.shard import Shard
from sitekit.plan.site import SitePlan, plan_site
from sitekit.problems import Problem, ProblemsFound
from sitekit.site.load import load_fleet_dir
from sitekit.site.model import Fleet, Site


@dataclass
class FleetPlan:
    """Every site's plan, and every problem found on the way."""

    fleet: Fleet | None
    sites: list[SitePlan] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def raise_for_problems(self) -> None:
        """Raise ProblemsFound listing every problem, if there is any."""
        if self.problems:
            raise ProblemsFound(self.problems)


def plan_fleet_dir(path: Path, only: Iterable[str] = (),
                   today: dt.date | None = None, *, cached: bool = False,
                   shard: Shard | None = None) -> FleetPlan:
    """Load, validate and plan a fleet directory; never raises on bad input.

    With `only`, just those site codes are planned, but the cross-site checks still see
    every site file, so a subset never hides a clash. With `cached`, site files checked
    before are taken from the site cache (see load_fleet_dir). With `shard`, only that
    shard's sites are planned (sitekit/plan/shard.py), again after every cross-site check.
    """
    today = today or planning_date()
    with collector_paused():
        return _plan_fleet_dir(path, only, today, cached, shard)


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cycle collector while thousands of acyclic plan objects pile up.

    Collecting during the build costs as much again as the build itself.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _plan_fleet_dir(path: Path, only: Iterable[str], today: dt.date,
                    cached: bool, shard: Shard | None) -> FleetPlan:
    loaded = load_fleet_dir(path, cached=cached)
    plan = FleetPlan(loaded.fleet, problems=loaded.problems)
    if loaded.fleet is None:
        return plan
    wanted = {code.upper() for code in only}
    before = len(plan.problems)
    check_fleet_network(loaded.fleet, plan.problems)
    check_collector(loaded.fleet, plan.problems)
    if len(plan.problems) > before:
        return plan  # a fleet's broken segments or flows would fail every site the same way
    _check_across_sites(loaded.fleet, loaded.sites, plan.problems)
    for site in loaded.sites:
        if wanted and site.code not in wanted:
            continue
        if shard is not None and not shard.holds(site.code, site.index):
            continue
        site_plan = plan_site(site, loaded.fleet, plan.problems, today)
        if site_plan is not None:
            plan.sites.append(site_plan)
    _check_hostnames(plan)
    unknown = wanted - {site.code for site in loaded.sites}
    for code in sorted(unknown):
        plan.problems.append(Problem(loaded.fleet.file, None, code, "code",
                                     f"no site file has code {code}"))
    return plan


def planning_date() -> dt.date:
    """The date waivers are judged on: today, or SITEKIT_TODAY (YYYY-MM-DD) to look ahead.

    Without SITEKIT_TODAY, SITEKIT_NOW's date (UTC) when that is set: one clock for both.
    """
    text = os.environ.get("SITEKIT_TODAY")
    if not text:
        return planning_now().date() if os.environ.get("SITEKIT_NOW") else dt.date.today()
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"SITEKIT_TODAY={text!r} is not a date; write YYYY-MM-DD") from None


def planning_now() -> dt.datetime:
    """Now, in UTC: the clock, or SITEKIT_NOW (an ISO time with its offset) to look ahead."""
    text = os.environ.get("SITEKIT_NOW")
    if not text:
        return dt.datetime.now(dt.UTC)
    try:
        now = dt.datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"SITEKIT_NOW={text!r} is not a time; write an ISO time with its "
                         "offset, e.g. 2026-12-07T03:00:00+00:00") from None
    if now.tzinfo is None:
        raise ValueError(f"SITEKIT_NOW={text!r} has no offset, so it names no one moment; "
                         "add Z or +HH:MM, e.g. 2026-12-07T03:00:00Z")
    return now.astimezone(dt.UTC)


def _check_across_sites(fleet: Fleet, sites: list[Site], problems: list[Problem]) -> None:
    infixes: dict[str, str] = {}
    for kind, infix in fleet.hostnames.items():
        if infix in infixes:
            problems.append(fleet.problem(("hostnames", kind), (
                f"{infix} is also the infix of {infixes[infix]}; hostnames of different kinds "
                "must differ")))
        infixes.setdefault(infix, kind)

    codes: dict[str, Site] = {}
    for site in sites:
        if site.code in codes:
            problems.append(site.problem(("code",), (
                f"code {site.code} is already used by {codes[site.code].file}; every site "
                "needs its own code")))
        codes.setdefault(site.code, site)

    # City groups: one per city, whatever its script; two cities may not share one.
    cities: dict[str, Site] = {}
    for site in sites:
        other = cities.setdefault(site.city_group, site)
        if _same_city(other.city) != _same_city(site.city):
            # Reported where a `city_group:` was written, if one was; naming both sites.
            this, that = (other, site) if "city_group" in other.source else (site, other)
            problems.append(this.problem(("city_group" if "city_group" in this.source
                                          else "city",), (
                f"city {this.city!r} gets the group city_{this.city_group}, as does city "
                f"{that.city!r} of site {that.code} ({that.file}); give one of them its own "
                "`city_group:` (lower-case ASCII, e.g. the city's name in Latin letters)")))

    _check_overlaps(fleet, sites, problems)


def _check_overlaps(fleet: Fleet, sites: list[Site], problems: list[Problem]) -> None:
    """Sort subnets by first address; each may only start after the furthest end.

    Every segment of every site counts: a guest subnet may not overlap another site's cde.
    """
    subnets: list[tuple[int, int, Site, str]] = []
    for site in sites:
        subnet = site_subnet(site, fleet, [])
        if subnet is None:
            continue
        subnets.append((subnet.first, subnet.last, site, "cde"))
        for name in present_segments(site, fleet):
            if name != "cde" and (other := segment_subnet(site, fleet, name, [])) is not None:
                subnets.append((other.first, other.last, site, name))
    subnets.sort(key=lambda item: (item[0], -item[1]))
    furthest: tuple[int, int, Site, str] | None = None
    for first, last, site, name in subnets:
        if furthest is not None and first <= furthest[1]:
            other_site, other_name = furthest[2], furthest[3]
            whose = (f"site {other_site.code} ({other_site.file})" if other_site is not site
                     else "this site")
            problems.append(site.problem(_subnet_path(site, name), (
                f"subnet {_cidr(first, last)}{_of_segment(name)} overlaps "
                f"{_cidr(furthest[0], furthest[1])}{_of_segment(other_name)} of {whose}; "
                f"give this site another {_subnet_path(site, name)[-1]}")))
        if furthest is None or last > furthest[1]:
            furthest = (first, last, site, name)


def _of_segment(name: str) -> str:
    return "" if name == "cde" else f" (the {name} segment)"


def _same_city(city: str) -> str:
    """A city's name compared across spellings: 'São Paulo' and 'sao  paulo' are one city."""
    return " ".join(anyascii(city).casefold().split())


def _check_hostnames(plan: FleetPlan) -> None:
    """A safety net under the unique codes: no two planned hosts may share a name."""
    seen: dict[str, SitePlan] = {}
    for site_plan in plan.sites:
        for host in site_plan.hosts:
            if host.name in seen and seen[host.name] is not site_plan:
                plan.problems.append(site_plan.site.problem(("code",), (
                    f"hostname {host.computer_name} is also planned for site "
                    f"{seen[host.name].site.code}; change one of the site codes")))
            seen.setdefault(host.name, site_plan)


def _subnet_path(site: Site, segment: str = "cde") -> tuple[str, ...]:
    override = site.segments.get(segment)
    if segment != "cde" and override is not None and (override.subnet or override.index):
        return ("network", "segments", segment,
                "subnet" if override.subnet is not None else "index")
    return ("network", "index" if site.index is not None else "subnet")


def _cidr(first: int, last: int) -> str:
    size = last - first + 1  # a power of two
    return str(IPNetwork((first, 33 - size.bit_length())).cidr)
