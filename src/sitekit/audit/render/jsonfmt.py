"""JSON for tools: the whole run, defined by schemas/report.schema.json."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

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


def _site(site: SiteReport) -> dict[str, Any]:
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
    }
    yield json.dumps(head, ensure_ascii=False)[:-1] + ', "sites": ['
    for index, site in enumerate(report.sites):
        yield ("," if index else "") + json.dumps(_site(site), ensure_ascii=False)
    yield "]}\n"


def render(report: Report) -> str:
    """The whole run as one JSON document."""
    return "".join(chunks(report))
