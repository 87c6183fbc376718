"""Facts -> findings: every control on every host is pass, fail, waived or unknown.

Unreachable hosts, hosts without facts and facts that were not gathered are unknown,
never pass. So is a host whose facts were gathered outside the audited month's run window
(`facts.run_window`) or in the future: old evidence is not evidence. A failing control
that a waiver covers is waived until the waiver expires; after that it fails again and
the note says which waiver expired.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from sitekit.audit import facts as facts_format
from sitekit.audit.checks import FAIL, UNKNOWN, WAIVED, timestamp
from sitekit.audit.policy import Control, Policy, Waiver
from sitekit.plan.site import computer_name
from sitekit.site.model import Fleet, Site


class Result(NamedTuple):
    """One control on one host: the status and its evidence."""

    control: str
    status: str
    observed: str
    expected: str
    note: str


@dataclass(slots=True)
class HostResult:
    """A host's results in one run."""

    host: str
    kind: str
    reachable: bool
    error: str | None
    gathered_at: str | None
    results: list[Result]


@dataclass(slots=True)
class SiteInfo:
    """A site as the reports name it, and its planned hosts (name, kind)."""

    code: str
    name: str
    city: str
    ring: int
    hosts: list[tuple[str, str]] = field(default_factory=list)


@dataclass(slots=True)
class SiteResult:
    """A site's results in one run."""

    site: SiteInfo
    hosts: list[HostResult]


def fleet_sites(fleet: Fleet, sites: list[Site]) -> list[SiteInfo]:
    """The sites of a loaded fleet and their hosts, as the inventory names them."""
    return [SiteInfo(site.code, site.name, site.city, site.rollout_ring,
                     [(computer_name(site, fleet, s.kind, s.number).lower(), s.kind)
                      for s in site.stations])
            for site in sites]


class Evaluator:
    """A policy ready to judge hosts on a given day (the day waivers are checked against)."""

    def __init__(self, policy: Policy, today: dt.date, validate: bool = False,
                 month: str | None = None, now: dt.datetime | None = None, *,
                 site_values: Mapping[str, Mapping[str, Any]] | None = None,
                 first_seen: Mapping[tuple[str, str], Mapping[str, str]] | None = None,
                 terminals: Mapping[str, Mapping[str, Any]] | None = None) -> None:
        self.policy = policy
        # Per (site, host), when the audit history first saw each enabled account (its
        # name case-folded, as Windows compares names): 8.2.6 ages an account that never
        # logged on from there. `sightings` collects what this run saw, for the history.
        self.first_seen = first_seen or {}
        # Per site, its card terminals and their newest inspections (PCI DSS 9.5.1.2), from
        # the site file and the inspection records: the facts' `terminal_inspections`.
        self.terminals = terminals or {}
        self.sightings: dict[tuple[str, str], dict[str, str]] = {}
        # Per site, values that replace the fleet file's for `value_from: fleet.<key>`
        # (the application version of the release the site's rollout ring is on).
        self.site_values = site_values or {}
        self.today = today
        self.validate = validate  # check every facts document against the whole schema
        # The month judged (default: today's): facts gathered outside its run window are
        # not its evidence. `now` (default: the clock) bounds them from the future.
        self.month = month or today.strftime("%Y-%m")
        self.now = now or dt.datetime.now(dt.UTC)
        self._waivers: dict[str, list[Waiver]] = {}
        for waiver in policy.waivers:
            self._waivers.setdefault(waiver.control, []).append(waiver)

    def site(self, site: SiteInfo, run_dir: Path) -> SiteResult:
        """Evaluate every planned host of a site from the facts stored in `run_dir`."""
        files = facts_format.site_files(run_dir, site.code)
        hosts = []
        for host, kind in site.hosts:
            path = files.get(host)
            if path is None:
                hosts.append(self.missing(site.code, host, kind,
                                          f"no facts for this host in {run_dir}"))
                continue
            document, error = facts_format.read(path, self.validate)
            if document is not None and (document["host"], document["site"],
                                         document["kind"]) != (host, site.code, kind):
                error = (f"{path} is about {document['kind']} {document['host']} of "
                         f"{document['site']}, not {kind} {host} of {site.code}")
                document = None
            if document is None:
                hosts.append(self.missing(site.code, host, kind, error or "no facts"))
            else:
                hosts.append(self.host(site.code, document))
        return SiteResult(site, hosts)

    def missing(self, site: str, host: str, kind: str, why: str) -> HostResult:
        """A host without usable facts: every control unknown, and why."""
        return HostResult(host, kind, reachable=False, error=why, gathered_at=None,
                          results=[Result(control.id, UNKNOWN, "", control.expected, why)
                                   for control in self.policy.by_kind[kind]])

    def host(self, site: str, document: dict[str, Any]) -> HostResult:
        """Evaluate one host's facts document (already valid against the facts schema)."""
        host, kind = document["host"], document["kind"]
        gathered_at = document["gathered_at"]
        too_old = facts_format.stale(gathered_at, self.month, self.now)
        if too_old is not None:
            result = self.missing(site, host, kind, too_old)
            result.gathered_at = gathered_at if isinstance(gathered_at, str) else None
            return result
        if not document["reachable"]:
            why = f"unreachable: {document.get('error') or 'no reason recorded'}"
            result = self.missing(site, host, kind, why)
            result.gathered_at = gathered_at
            return result
        try:
            at: dt.datetime | None = timestamp(gathered_at)
        except ValueError:
            at = None
        data = self._with_first_seen(site, host, document["facts"], gathered_at)
        if site in self.terminals:  # the records', never the host's
            data = data | {"terminal_inspections": dict(self.terminals[site])}
        results = []
        own = self.site_values.get(site, {})
        for control in self.policy.by_kind[kind]:
            check = control.check
            if check.value_from is not None and check.value_from in own:
                check = check.with_fleet_value(own[check.value_from])
            status, observed, expected, note = check.evaluate(data, at)
            if status == FAIL and control.id in self._waivers:
                status, note = self._waive(control, site, host, kind, note)
            results.append(Result(control.id, status, observed, expected, note))
        return HostResult(host, kind, True, document.get("error"), gathered_at, results)

    def _with_first_seen(self, site: str, host: str, data: dict[str, Any],
                         gathered_at: str) -> dict[str, Any]:
        """The facts with each enabled account's first sighting (the history's, or now)."""
        accounts = data.get("accounts")
        if not isinstance(accounts, dict) or not isinstance(accounts.get("enabled"), list):
            return data
        known = self.first_seen.get((site, host), {})
        enabled = []
        seen: dict[str, str] = {}
        for item in accounts["enabled"]:
            if not isinstance(item, dict) or not isinstance(item.get("name"), str):
                enabled.append(item)
                continue
            key = item["name"].casefold()
            seen[key] = known.get(key) or gathered_at
            enabled.append(dict(item) | {"first_seen": seen[key]})
        self.sightings[(site, host)] = seen
        return data | {"accounts": accounts | {"enabled": enabled}}

    def _waive(self, control: Control, site: str, host: str, kind: str,
               note: str) -> tuple[str, str]:
        covering = [w for w in self._waivers[control.id] if w.covers(site, host, kind)]
        if not covering:
            return FAIL, note
        active = [w for w in covering if w.expires >= self.today]
        if active:
            waiver = max(active, key=lambda w: w.expires)
            return WAIVED, f"waived: {waiver.describe()}"
        waiver = max(covering, key=lambda w: w.expires)
        expired = f"waiver expired on {waiver.expires}: {waiver.reason} (approved by " \
                  f"{waiver.approved_by})"
        return FAIL, f"{note}; {expired}" if note else expired
