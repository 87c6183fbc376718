"""JSON for tools: the whole run, defined by schemas/report.schema.json."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

from sitekit.audit.incidents import ClockLine, IncidentLine, IncidentStats, MonthIncidents
from sitekit.audit.report import Changes, Finding, Report, SiteReport

FORMAT = 1


def _finding(finding: Finding) -> dict[str, Any]:
    r = finding.result
    return {"host": finding.host, "control": r.control, "status": r.status or None,
            "observed": r.observed, "before": finding.before, "note": r.note}


def _changes(changes: Changes | None) -> dict[str, Any] | None:
    if changes is None:
        return None
    return {"previous_month": changes.previous_month,
            **{name: [_finding(f) for f in getattr(changes, name)]
               for name in ("new", "fixed", "still_open", "not_verified")}}


def _seconds(span: dt.timedelta | None) -> float | None:
    return None if span is None else span.total_seconds()


def _stats(stats: IncidentStats) -> dict[str, Any]:
    return {"incidents": stats.incidents,
            "response_median_seconds": _seconds(stats.response_median),
            "response_worst_seconds": _seconds(stats.response_worst),
            "onsite_median_seconds": _seconds(stats.onsite_median),
            "onsite_worst_seconds": _seconds(stats.onsite_worst),
            "missed": [{"incident": number, "clock": clock} for number, clock in stats.missed]}


def _clock(clock: ClockLine) -> dict[str, Any]:
    return {"used_seconds": clock.used.total_seconds(),
            "limit_seconds": clock.limit.total_seconds(), "stopped": clock.stopped,
            "missed": clock.missed}


def _incident(line: IncidentLine) -> dict[str, Any]:
    return {"id": line.id, "hosts": list(line.hosts), "source": line.source,
            "caller": line.caller, "reported": line.reported, "opened": line.opened,
            "state": line.state, "engineer": line.engineer, "cause": line.cause,
            "solution": line.solution, "evaluation": line.evaluation,
            "restored": line.restored, "response": _clock(line.response),
            "onsite": _clock(line.onsite)}


def _site_incidents(incidents: MonthIncidents | None, code: str) -> dict[str, Any] | None:
    if incidents is None:
        return None
    return {"stats": _stats(incidents.site(code)),
            "incidents": [_incident(line) for line in incidents.of_site(code)]}


def _site(site: SiteReport, incidents: MonthIncidents | None) -> dict[str, Any]:
    info = site.site
    return {
        "code": info.code, "name": info.name, "city": info.city, "ring": info.ring,
        "counts": site.counts, "compliance": site.compliance,
        "changes": _changes(site.changes),
        "hosts": [{
            "host": h.host, "kind": h.kind, "reachable": h.reachable, "error": h.error,
            "gathered_at": h.gathered_at,
            "results": [{"control": c, "status": s, "observed": o, "expected": e, "note": n}
                        for c, s, o, e, n in h.results],
        } for h in site.hosts],
        "maintenance": [{"date": m.date, "engineer": m.engineer, "findings": m.findings,
                         "actions": m.actions, "cause": m.cause, "result": m.result,
                         "source": m.source} for m in site.maintenance],
        "incidents": _site_incidents(incidents, info.code),
    }


def chunks(report: Report) -> Iterator[str]:
    """The document: its head, then one piece per site."""
    run = report.run
    head = {
        "format": FORMAT, "fleet": run.fleet, "month": run.month, "engineer": run.engineer,
        "started": run.started, "as_of": run.as_of, "policy_version": run.policy_version,
        "facts": run.facts, "hosts": report.hosts, "unreachable": report.unreachable,
        "counts": report.counts, "compliance": report.compliance,
        "controls": [{"id": c.id, "title": c.title, "area": c.area, "severity": c.severity,
                      "references": {"pci_dss": list(c.pci_dss), "cis": list(c.cis)},
                      "applies_to": list(c.applies_to), "expected": c.expected,
                      "suggestion": c.suggestion} for c in report.controls],
        "trend": [{"month": t.month, "hosts": t.hosts, "unreachable": t.unreachable,
                   "counts": t.counts, "compliance": t.compliance} for t in report.trend],
        "incidents": None if report.incidents is None else {
            "promise": report.incidents.promise, "fleet": _stats(report.incidents.fleet)},
    }
    yield json.dumps(head, ensure_ascii=False)[:-1] + ', "sites": ['
    for index, site in enumerate(report.sites):
        yield ("," if index else "") + json.dumps(_site(site, report.incidents), ensure_ascii=False)
    yield "]}\n"


def render(report: Report) -> str:
    """The whole run as one JSON document."""
    return "".join(chunks(report))
