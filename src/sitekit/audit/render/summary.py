"""The fleet summary: compliance by control, site, city and ring, and the trend, as HTML.

The charts are static SVG drawn here (`sitekit.audit.svg`): the page needs no script and
no network.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sitekit.audit import svg
from sitekit.audit.incidents import duration
from sitekit.audit.render.inspection import references
from sitekit.audit.render.jinja import stream
from sitekit.audit.report import Report


def _percent(share: float | None) -> str:
    return f"{share:.0%}" if share is not None else "-"


def context(report: Report) -> dict[str, Any]:
    """The template's variables, charts included."""
    trend = report.trend
    charts = {
        "legend": svg.legend(),
        "trend": svg.trend_line([(t.month, t.compliance) for t in trend],
                                "compliance by month"),
        "controls": svg.stacked_bars([(f"{g.key} {g.label}", g.counts)
                                      for g in report.by_control], "results by control"),
        "cities": svg.stacked_bars([(g.label, g.counts) for g in report.by_city],
                                   "results by city"),
        "rings": svg.stacked_bars([(g.label, g.counts) for g in report.by_ring],
                                  "results by rollout ring"),
    }
    order = {group.key: index for index, group in enumerate(report.by_site)}
    return {
        "run": report.run, "report": report, "sites": report.sites, "trend": trend,
        "controls": report.controls, "controls_by_id": report.control, "charts": charts,
        "sites_by_compliance": sorted(report.sites, key=lambda s: order[s.site.code]),
        "pct": _percent, "refs": references,
        "incidents": report.incidents, "duration": duration,
    }


def chunks(report: Report) -> Iterator[str]:
    """The summary, streamed."""
    return stream("summary.html.j2", context(report))


def render(report: Report) -> str:
    """The fleet summary of the sites in `report`."""
    return "".join(chunks(report))
