"""A month's incidents as the audit's reports show them, per site and for the fleet.

The incidents' records and clocks live above the audit (sitekit.incident reads the same
history); `sitekit report` is handed the function that measures them
(sitekit.incident.monthly) and the reports render what it gives: how many incidents, the
median and worst time to answer and to be on site, which promise was missed, and in
each site's maintenance record every incident with its cause and solution.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field


def duration(span: dt.timedelta | None) -> str:
    """A duration as the reports write it: 1h05m; "-" for none."""
    if span is None:
        return "-"
    minutes = int(span.total_seconds() // 60)
    return f"{minutes // 60}h{minutes % 60:02d}m"


@dataclass(frozen=True, slots=True)
class ClockLine:
    """One promise of one incident: the time it used of its limit."""

    used: dt.timedelta
    limit: dt.timedelta
    stopped: bool  # the step it waits for was taken (or is no longer owed)
    missed: bool

    @property
    def text(self) -> str:
        """E.g. "1h30m of 1h00m (MISSED)"."""
        verdict = ("MISSED" if self.missed else "kept") if self.stopped else (
            "running, MISSED" if self.missed else "running")
        return f"{duration(self.used)} of {duration(self.limit)} ({verdict})"


@dataclass(frozen=True, slots=True)
class IncidentLine:
    """One incident of the month, with what its maintenance record says."""

    id: int
    site: str
    hosts: tuple[str, ...]
    source: str
    caller: str
    reported: str
    opened: str  # ISO 8601, UTC
    state: str
    engineer: str  # who answered, went or restored it (the last named)
    cause: str
    solution: str
    evaluation: str
    restored: str  # ISO 8601, "" until restored
    response: ClockLine
    onsite: ClockLine


@dataclass(frozen=True, slots=True)
class IncidentStats:
    """The incidents of a site (or the fleet) in the month."""

    incidents: int = 0
    response_median: dt.timedelta | None = None
    response_worst: dt.timedelta | None = None
    onsite_median: dt.timedelta | None = None
    onsite_worst: dt.timedelta | None = None
    missed: tuple[tuple[int, str], ...] = ()  # (incident, clock)

    @property
    def missed_text(self) -> str:
        """E.g. "#2 response, #5 on site"; "-" for none."""
        return ", ".join(f"#{number} {clock}" for number, clock in self.missed) or "-"


@dataclass(frozen=True, slots=True)
class MonthIncidents:
    """The month's incidents of a fleet, measured on its service contract."""

    promise: str  # the contract's promises, as the reports quote them
    fleet: IncidentStats
    by_site: dict[str, IncidentStats] = field(default_factory=dict)
    lines: tuple[IncidentLine, ...] = ()

    def site(self, code: str) -> IncidentStats:
        """A site's figures (none: zero incidents)."""
        return self.by_site.get(code, IncidentStats())

    def of_site(self, code: str) -> list[IncidentLine]:
        """A site's incidents, oldest first."""
        return [line for line in self.lines if line.site == code]
