"""The maintenance record of a site for a month, as HTML that prints on A4 for signing.

Each record holds the service plan's fields: date, engineer, findings, actions taken,
cause and result; `sitekit report` keeps one for every monthly check in the history.
Then every incident of the month at the site, with its cause, solution and the
customer's evaluation (the service plan's record of every intervention).
"""

from __future__ import annotations

from collections.abc import Iterator

from sitekit.audit.render.jinja import stream
from sitekit.audit.report import Report


def chunks(report: Report) -> Iterator[str]:
    """The records, streamed."""
    return stream("maintenance.html.j2", {"run": report.run, "sites": report.sites,
                                            "incidents": report.incidents})


def render(report: Report) -> str:
    """The maintenance records of every site in `report`, one page per site."""
    return "".join(chunks(report))
