"""CSV for spreadsheets: one row per host and control."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from sitekit.audit.report import Report

COLUMNS = ("fleet", "month", "site", "city", "ring", "host", "kind", "control", "title",
           "severity", "status", "observed", "expected", "note")


def chunks(report: Report) -> Iterator[str]:
    """The header, then one piece per site."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    titles = {c.id: (c.title, c.severity) for c in report.controls}
    fleet, month = report.run.fleet, report.run.month
    for site in report.sites:
        info = site.site
        head = (fleet, month, info.code, info.city, info.ring)
        writer.writerows(
            (*head, host.host, host.kind, r.control, *titles[r.control], r.status, r.observed,
             r.expected, r.note)
            for host in site.hosts for r in host.results)
        yield out.getvalue()
        out.seek(0)
        out.truncate()


def render(report: Report) -> str:
    """Every result as CSV."""
    return "".join(chunks(report))
