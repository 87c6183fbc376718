"""A month's incidents per site and for the fleet: how many, how long, which missed.

Median and worst are over the clocks that stopped (the answer given, the engineer on
site); the on-site clock only counts incidents an engineer went to. Missed lists every
clock over its limit, a running one too.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Iterable
from dataclasses import dataclass, field

from sitekit.incident.contract import Contract
from sitekit.incident.records import Incident, clocks

FLEET = "*"  # the fleet's line in a summary


def month_span(month: str) -> tuple[dt.datetime, dt.datetime]:
    """The instants of a month (YYYY-MM), in UTC: an incident belongs to the month it opened in.

    Raises ValueError for anything else.
    """
    since = dt.datetime.strptime(month + "-01", "%Y-%m-%d").replace(tzinfo=dt.UTC)
    return since, (since + dt.timedelta(days=32)).replace(day=1)


@dataclass
class Summary:
    """The incidents of one site (or the fleet) in a period."""

    incidents: int = 0
    response: list[dt.timedelta] = field(default_factory=list)
    onsite: list[dt.timedelta] = field(default_factory=list)
    missed: list[tuple[int, str]] = field(default_factory=list)  # (incident, clock)

    @staticmethod
    def median(spans: list[dt.timedelta]) -> dt.timedelta | None:
        """The median of some durations, None for none."""
        if not spans:
            return None
        return dt.timedelta(seconds=statistics.median(s.total_seconds() for s in spans))


def summarize(incidents: Iterable[Incident], contract: Contract,
              now: dt.datetime) -> dict[str, Summary]:
    """Per site code, and under FLEET for all of them."""
    out: dict[str, Summary] = {FLEET: Summary()}
    for incident in incidents:
        response, onsite = clocks(incident, contract, now)
        for summary in (out[FLEET], out.setdefault(incident.site, Summary())):
            summary.incidents += 1
            if response.stopped:
                summary.response.append(response.used)
            if incident.step("onsite") is not None:
                summary.onsite.append(onsite.used)
            summary.missed += [(incident.id, c.name) for c in (response, onsite) if c.missed]
    return out
