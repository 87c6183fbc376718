"""CSV for spreadsheets: one row per host and control.

A cell that a spreadsheet would read as a formula (it starts with `=`, `+`, `-`, `@`, a
tab or a carriage return: a city, a host's reported version, a waiver's reason) is
written with a leading `'`, as OWASP's CSV injection guidance says, so it shows as the
text it is; plain numbers such as `-0.4` stay numbers.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator

from sitekit.audit.report import Report

COLUMNS = ("fleet", "month", "site", "city", "ring", "host", "kind", "control", "title",
           "severity", "status", "observed", "expected", "note")


_FORMULA = frozenset("=+-@\t\r")
_NUMBER = re.compile(r"[+-]?[0-9]+(\.[0-9]+)?")


def cell(value: str) -> str:
    """Text as a spreadsheet should show it: text that looks like a formula is quoted."""
    if value[:1] in _FORMULA and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


def chunks(report: Report) -> Iterator[str]:
    """The header, then one piece per site."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    titles = {c.id: (cell(c.title), c.severity) for c in report.controls}
    fleet, month = cell(report.run.fleet), report.run.month
    for site in report.sites:
        info = site.site
        head = (fleet, month, cell(info.code), cell(info.city), info.ring)
        writer.writerows(
            (*head, cell(host.host), host.kind, r.control, *titles[r.control], r.status,
             cell(r.observed), cell(r.expected), cell(r.note))
            for host in site.hosts for r in host.results)
        yield out.getvalue()
        out.seek(0)
        out.truncate()


def render(report: Report) -> str:
    """Every result as CSV."""
    return "".join(chunks(report))
