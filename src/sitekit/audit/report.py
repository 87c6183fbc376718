"""A month's audit as the renderers see it: the run, the controls, each site's results.

Every renderer takes a `Report` and gives text (`render(report) -> str`); a report of
one site (`report.for_site(code)`) is a report like any other. A report is built from a
fresh evaluation or read back from the history, and the two render alike.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, fields
from functools import cached_property

from sitekit.audit.checks import FAIL, PASS, STATUSES, UNKNOWN, WAIVED
from sitekit.audit.evaluate import HostResult, Result, SiteInfo
from sitekit.audit.incidents import MonthIncidents
from sitekit.audit.policy import SEVERITIES, Control, ControlFields

RATINGS = {
    "good": "Good",
    "attention": "Needs attention",
    "action": "Action required",
    "incomplete": "Incomplete",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class ControlInfo(ControlFields):
    """A control as a run judged by it (kept in the history with the run).

    Its own fields, and what its check expected as text.
    """

    expected: str

    @classmethod
    def of(cls, control: Control) -> ControlInfo:
        """The reportable part of a policy control."""
        shared = {f.name: getattr(control, f.name) for f in fields(ControlFields)}
        return cls(**shared, expected=control.expected)


@dataclass(frozen=True, slots=True)
class Run:
    """One monthly audit of a fleet."""

    fleet: str
    month: str  # YYYY-MM
    engineer: str
    started: str  # ISO 8601, when the evaluation ran
    as_of: str  # YYYY-MM-DD: the day waivers were judged on
    policy_version: str
    facts: str  # the run directory the facts came from


@dataclass(frozen=True, slots=True)
class Finding:
    """A result with its host, for lists of problems, changes and waivers."""

    host: str
    kind: str
    result: Result
    before: str = ""  # last month's observed value, for changes


@dataclass(slots=True)
class Changes:
    """What changed since the previous month's run: by (host, control) that failed."""

    previous_month: str
    new: list[Finding] = field(default_factory=list)
    fixed: list[Finding] = field(default_factory=list)
    still_open: list[Finding] = field(default_factory=list)
    # Failed last month, and now waived, unknown or no longer checked: not shown as fixed.
    not_verified: list[Finding] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class MaintenanceRecord:
    """A maintenance record: the service plan's cause, engineer, solution, process, result."""

    date: str
    engineer: str
    site: str
    findings: str
    actions: str
    cause: str
    result: str
    source: str = "audit"  # audit: written by `sitekit report`; manual: added by an engineer


@dataclass(frozen=True, slots=True)
class TrendPoint:
    """One month's counts, fleet-wide."""

    month: str
    counts: dict[str, int]
    hosts: int
    unreachable: int

    @property
    def compliance(self) -> float | None:
        """Share of results that passed (waived is not compliant)."""
        return compliance(self.counts)


def compliance(counts: dict[str, int]) -> float | None:
    """Pass / all results: waived and unknown count against.

    PCI DSS has no waivers: a waived result is reported apart, never as compliant; an
    unknown one is not verified.
    """
    total = sum(counts.values())
    return counts[PASS] / total if total else None


def _count(hosts: Iterable[HostResult]) -> dict[str, int]:
    counts = dict.fromkeys(STATUSES, 0)
    for host in hosts:
        for result in host.results:
            counts[result.status] += 1
    return counts


@dataclass(slots=True)
class SiteReport:
    """One site in one month: its hosts' results, what changed, its maintenance records."""

    site: SiteInfo
    hosts: list[HostResult]
    changes: Changes | None = None
    maintenance: list[MaintenanceRecord] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.counts:
            self.counts = _count(self.hosts)

    @property
    def compliance(self) -> float | None:
        """Share of results that passed (waived is not compliant)."""
        return compliance(self.counts)

    def findings(self, status: str) -> list[Finding]:
        """Results of one status, with their hosts, in host and control order."""
        return [Finding(host.host, host.kind, result)
                for host in self.hosts for result in host.results if result.status == status]

    @property
    def unreachable(self) -> list[HostResult]:
        """Hosts without usable facts."""
        return [host for host in self.hosts if not host.reachable]


@dataclass(frozen=True, slots=True)
class Suggestion:
    """What to do about one control that failed at a site."""

    control: ControlInfo
    hosts: tuple[str, ...]
    text: str


@dataclass(frozen=True, slots=True)
class Group:
    """A row of the fleet summary: counts for a control, site, city or ring."""

    key: str
    label: str
    counts: dict[str, int]
    sites: int = 0

    @property
    def compliance(self) -> float | None:
        """Share of results that passed (waived is not compliant)."""
        return compliance(self.counts)


@dataclass
class Report:
    """A month's audit: what every renderer renders."""

    run: Run
    controls: list[ControlInfo]
    sites: list[SiteReport]
    trend: list[TrendPoint] = field(default_factory=list)
    # The month's incidents (sitekit.incident.monthly); None when the fleet keeps none.
    incidents: MonthIncidents | None = None

    @cached_property
    def control(self) -> dict[str, ControlInfo]:
        """Controls by id."""
        return {control.id: control for control in self.controls}

    def for_site(self, code: str) -> Report:
        """The same report, for one site."""
        sites = [site for site in self.sites if site.site.code == code]
        if not sites:
            raise KeyError(f"no site {code} in the {self.run.month} audit of {self.run.fleet}")
        return Report(self.run, self.controls, sites, self.trend, self.incidents)

    def iter_sites(self) -> Iterator[Report]:
        """One report per site."""
        for site in self.sites:
            yield Report(self.run, self.controls, [site], self.trend, self.incidents)

    @cached_property
    def counts(self) -> dict[str, int]:
        """Results by status over all sites."""
        total = dict.fromkeys(STATUSES, 0)
        for site in self.sites:
            for status, count in site.counts.items():
                total[status] += count
        return total

    @property
    def compliance(self) -> float | None:
        """Share of results that passed, over all sites (waived is not compliant)."""
        return compliance(self.counts)

    @cached_property
    def hosts(self) -> int:
        """Hosts audited."""
        return sum(len(site.hosts) for site in self.sites)

    @cached_property
    def unreachable(self) -> int:
        """Hosts without usable facts."""
        return sum(1 for site in self.sites for host in site.hosts if not host.reachable)

    @cached_property
    def by_control(self) -> list[Group]:
        """Counts per control, in policy order."""
        counts = {control.id: dict.fromkeys(STATUSES, 0) for control in self.controls}
        for site in self.sites:
            for host in site.hosts:
                for result in host.results:
                    counts[result.control][result.status] += 1
        return [Group(control.id, control.title, counts[control.id])
                for control in self.controls]

    @cached_property
    def by_site(self) -> list[Group]:
        """Counts per site, least compliant first."""
        groups = [Group(site.site.code, site.site.name, site.counts, 1) for site in self.sites]
        return sorted(groups, key=lambda g: (g.compliance if g.compliance is not None else -1,
                                             g.key))

    def _grouped(self, key: str) -> list[Group]:
        groups: dict[str, tuple[dict[str, int], list[int]]] = {}
        for site in self.sites:
            name = str(getattr(site.site, key))
            counts, sites = groups.setdefault(name, (dict.fromkeys(STATUSES, 0), [0]))
            sites[0] += 1
            for status, count in site.counts.items():
                counts[status] += count
        ordered = sorted(groups.items(), key=lambda item: (int(item[0]) if key == "ring"
                                                            else item[0]))
        return [Group(name, f"ring {name}" if key == "ring" else name, counts, sites[0])
                for name, (counts, sites) in ordered]

    @cached_property
    def versions_by_ring(self) -> list[tuple[str, dict[str, int]]]:
        """Per rollout ring, how many hosts run each application version (the spread).

        Read from the application area's results that observed a version (APP-01 in the
        example policy: the application at the version of its ring's release); hosts
        without facts are counted as "unknown".
        """
        areas = {control.id for control in self.controls if control.area == "application"}
        rings: dict[int, dict[str, int]] = {}
        for site in self.sites:
            spread = rings.setdefault(site.site.ring, {})
            for host in site.hosts:
                seen = next((r.observed for r in host.results if r.control in areas
                             and _VERSION.match(r.observed)), None)
                key = seen if host.reachable and seen else "unknown"
                spread[key] = spread.get(key, 0) + 1
        return [(f"ring {ring}", dict(sorted(spread.items(), key=lambda item: _order(item[0]))))
                for ring, spread in sorted(rings.items())]

    @cached_property
    def by_city(self) -> list[Group]:
        """Counts per city."""
        return self._grouped("city")

    @cached_property
    def by_ring(self) -> list[Group]:
        """Counts per rollout ring."""
        return self._grouped("ring")


_VERSION = re.compile(r"^\d+(\.\d+)+$")


def _order(version: str) -> tuple[int, ...]:
    """Versions newest first, "unknown" last."""
    if not _VERSION.match(version):
        return (1,)
    return (0, *(-int(part) for part in version.split(".")))


# What the inspection report says about a site.

def severity_rank(control: ControlInfo) -> int:
    """0 for critical ... 3 for low."""
    return SEVERITIES.index(control.severity)


def assessment(report: Report, site: SiteReport) -> tuple[str, str]:
    """A site's state as (rating key, one paragraph), from its results."""
    counts, hosts = site.counts, len(site.hosts)
    failing = {result.control for host in site.hosts for result in host.results
               if result.status == FAIL}
    severe = sorted(c for c in failing if report.control[c].severity in ("critical", "high"))
    unreachable = len(site.unreachable)
    share = site.compliance
    percent = f"{share:.0%}" if share is not None else "no"
    parts = [f"{hosts} hosts audited against baseline {report.run.policy_version}: "
             f"{counts[PASS]} checks passed, {counts[FAIL]} failed, {counts[WAIVED]} waived, "
             f"{counts[UNKNOWN]} unknown ({percent} compliant; waived is not compliant)."]
    if severe:
        rating = "action"
        parts.append(f"Critical or high-severity controls fail: {', '.join(severe)}; fix them "
                     "before the next opening.")
    elif failing:
        rating = "attention"
        parts.append("Only medium or low-severity controls fail; fix them in the next "
                     "maintenance window.")
    elif counts[UNKNOWN]:
        rating = "incomplete"
        parts.append("Nothing failed, but not everything could be checked.")
    else:
        rating = "good"
        parts.append("The site meets the baseline.")
    if unreachable:
        parts.append(f"{unreachable} host{'s' if unreachable != 1 else ''} could not be "
                     "audited; their controls are unknown, not passed.")
    if site.changes is not None:
        changes = site.changes
        parts.append(f"Since {changes.previous_month}: {len(changes.new)} new, "
                     f"{len(changes.fixed)} fixed, {len(changes.still_open)} still open.")
    return rating, " ".join(parts)


def suggestions(report: Report, site: SiteReport) -> list[Suggestion]:
    """One suggestion per failing control, most severe first; then how to get evidence."""
    hosts_by_control: dict[str, list[str]] = {}
    for finding in site.findings(FAIL):
        hosts_by_control.setdefault(finding.result.control, []).append(finding.host)
    out = [Suggestion(report.control[control], tuple(hosts), report.control[control].suggestion)
           for control, hosts in hosts_by_control.items()]
    out.sort(key=lambda s: (severity_rank(s.control), s.control.id))
    return out


def compare(site: SiteReport, previous_month: str,
            failed_before: dict[tuple[str, str], str]) -> Changes:
    """New, fixed and still open problems of a site against last month's failures."""
    changes = Changes(previous_month)
    now: dict[tuple[str, str], tuple[str, Result]] = {}
    failing: set[tuple[str, str]] = set()
    for host in site.hosts:
        for result in host.results:
            key = (host.host, result.control)
            if result.status == FAIL:
                failing.add(key)
                before = failed_before.get(key)
                finding = Finding(host.host, host.kind, result, before or "")
                (changes.still_open if before is not None else changes.new).append(finding)
            elif key in failed_before:
                now[key] = (host.kind, result)
    for key, before in failed_before.items():
        if key in now:
            kind, result = now[key]
            finding = Finding(key[0], kind, result, before)
            (changes.fixed if result.status == PASS else changes.not_verified).append(finding)
        elif key not in failing:
            gone = Result(key[1], "", "", "", "no longer checked on this host")
            changes.not_verified.append(Finding(key[0], "", gone, before))
    return changes


def audit_record(report: Report, site: SiteReport, date: dt.date,
                 segmentation: str = "") -> MaintenanceRecord:
    """The maintenance record `sitekit report` keeps for a site's monthly check.

    `segmentation` says when the site's segmentation was last tested (audit.segmentation).
    """
    problems = site.findings(FAIL)
    listed = "; ".join(f"{f.result.control} on {f.host}" for f in problems[:12])
    more = f" and {len(problems) - 12} more" if len(problems) > 12 else ""
    findings = (f"{len(problems)} problem{'s' if len(problems) != 1 else ''}: {listed}{more}"
                if problems else "No problems found.")
    unknown = site.counts[UNKNOWN]
    if unknown:
        findings += (f" {unknown} check{'s' if unknown != 1 else ''} could not be made "
                     f"({len(site.unreachable)} host(s) without facts).")
    actions = (f"Monthly routine check: {len(site.hosts)} hosts audited against baseline "
               f"{report.run.policy_version} ({len(report.controls)} controls); inspection "
               "report written." + (f" {segmentation}" if segmentation else ""))
    result = "Compliant." if not problems and not unknown else (
        f"{len(problems)} open, {unknown} unknown.")
    cause = ""
    if site.changes is not None:
        result += (f" Since {site.changes.previous_month}: {len(site.changes.new)} new, "
                   f"{len(site.changes.fixed)} fixed, {len(site.changes.still_open)} still "
                   "open.")
        if site.changes.fixed:
            cause = "Fixed since last month: " + "; ".join(
                f"{f.result.control} on {f.host}" for f in site.changes.fixed[:12])
    return MaintenanceRecord(date.isoformat(), report.run.engineer, site.site.code, findings,
                             actions, cause, result)
