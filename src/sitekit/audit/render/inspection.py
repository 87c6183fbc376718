"""The monthly inspection report of a site: the service plan's standard report, as HTML.

Problems found (with the evidence), an assessment of the site's state, suggestions, and
what changed since last month; it reads on screen and prints on A4.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sitekit.audit.checks import FAIL, STATUSES, UNKNOWN, WAIVED
from sitekit.audit.evaluate import Result
from sitekit.audit.incidents import duration
from sitekit.audit.references import table as references_table
from sitekit.audit.render.jinja import stream
from sitekit.audit.report import (
    RATINGS,
    ControlInfo,
    Finding,
    Report,
    SiteReport,
    Suggestion,
    assessment,
    severity_rank,
    suggestions,
)


@dataclass(frozen=True, slots=True)
class Problem:
    """A failed control on a host, with what the report says about the control."""

    control: ControlInfo
    host: str
    result: Result
    refs: str


@dataclass(frozen=True, slots=True)
class HostRow:
    """A host's line in the hosts table."""

    host: str
    kind: str
    reachable: bool
    gathered_at: str | None
    counts: dict[str, int]


@dataclass(frozen=True, slots=True)
class SiteView:
    """What the template shows for one site, worked out in Python."""

    rating: str
    rating_label: str
    assessment: str
    compliance: str
    problems: list[Problem]
    suggestions: list[Suggestion]
    waived: list[tuple[str, list[str], str, str]]  # control, hosts, observed, waiver
    unknown: list[tuple[str, list[str], str]]
    hosts: list[HostRow]


def references(control: ControlInfo) -> str:
    """A control's references in one line."""
    parts = []
    if control.pci_dss:
        parts.append(f"PCI DSS v{references_table().pci_version} " + ", ".join(control.pci_dss))
    parts.extend(f"CIS {item}" for item in control.cis)
    return " · ".join(parts)


def site_view(report: Report, site: SiteReport) -> SiteView:
    """The inspection report's content for one site."""
    rating, text = assessment(report, site)
    problems = [Problem(report.control[f.result.control], f.host, f.result,
                        references(report.control[f.result.control]))
                for f in site.findings(FAIL)]
    problems.sort(key=lambda p: (severity_rank(p.control), p.control.id, p.host))
    unknown: list[tuple[str, list[str], str]] = []
    hosts = []
    for host in site.hosts:
        counts = dict.fromkeys(STATUSES, 0)
        by_note: dict[str, list[str]] = {}
        for result in host.results:
            counts[result.status] += 1
            if result.status == UNKNOWN:
                by_note.setdefault(result.note, []).append(result.control)
        for note, controls in by_note.items():
            everything = len(controls) == len(host.results) and len(controls) > 1
            unknown.append((host.host, [f"all {len(controls)}"] if everything else controls,
                            note))
        hosts.append(HostRow(host.host, host.kind, host.reachable, host.gathered_at, counts))
    share = site.compliance
    return SiteView(
        rating=rating, rating_label=RATINGS[rating], assessment=text,
        compliance=f"{share:.0%}" if share is not None else "-",
        problems=problems, suggestions=suggestions(report, site),
        waived=_waived(site.findings(WAIVED)), unknown=unknown, hosts=hosts)


def _waived(findings: list[Finding]) -> list[tuple[str, list[str], str, str]]:
    """Waived results grouped by control, observed value and waiver: one line each."""
    groups: dict[tuple[str, str, str], list[str]] = {}
    for finding in findings:
        r = finding.result
        groups.setdefault((r.control, r.observed, r.note), []).append(finding.host)
    return [(control, hosts, observed, note)
            for (control, observed, note), hosts in groups.items()]


def context(report: Report) -> dict[str, Any]:
    """The template's variables."""
    return {"run": report.run, "sites": report.sites, "controls": report.control,
            "incidents": report.incidents, "duration": duration,
            "view": lambda site: site_view(report, site)}


def chunks(report: Report) -> Iterator[str]:
    """The report, streamed."""
    return stream("inspection.html.j2", context(report))


def render(report: Report) -> str:
    """The inspection report of every site in `report`, one section (page) per site."""
    return "".join(chunks(report))
