"""The month's incidents for the audit's reports: `sitekit report` is handed `month_incidents`.

The figures are `sitekit incident report`'s (sitekit.incident.summary, one rule), put in
the shape the audit's renderers show (sitekit.audit.incidents).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sitekit.audit.history import History
from sitekit.audit.incidents import ClockLine, IncidentLine, IncidentStats, MonthIncidents
from sitekit.incident.contract import CONTRACT_FILE, Contract, load_contract
from sitekit.incident.records import Clock, Incident, clocks
from sitekit.incident.store import IncidentStore, stamp
from sitekit.incident.summary import FLEET, Summary, month_span, summarize
from sitekit.problems import ProblemsFound

# Who an incident's line names: who restored it, went, was sent or answered, the last.
_ENGINEER_STEPS = ("restore", "onsite", "dispatch", "ack")


def month_incidents(fleet_dir: Path, history: History, fleet: str, month: str,
                    now: dt.datetime) -> MonthIncidents | None:
    """The incidents opened in `month` and their clocks as they stand at `now`.

    None for a fleet without a service contract and without incidents that month; raises
    ProblemsFound (naming the contract's file and field) when there are incidents to
    measure and the contract cannot measure them.
    """
    since, until = month_span(month)
    # A history older than schema 4, read with --from-history, has no incidents' tables.
    kept = history.db.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'incidents'").fetchone()
    incidents = IncidentStore(history, fleet).all(since, until) if kept else []
    contract, problems = load_contract(fleet_dir)
    if contract is None:
        if not incidents and not (fleet_dir / CONTRACT_FILE).exists():
            return None
        raise ProblemsFound(problems)
    summaries = summarize(incidents, contract, now)
    fleet_summary = summaries.pop(FLEET)
    return MonthIncidents(
        promise=(f"an answer within {_hours(contract.response)}, around the clock; an "
                 f"engineer on site within {_hours(contract.onsite)} working hours "
                 f"({contract.file})"),
        fleet=_stats(fleet_summary),
        by_site={code: _stats(summary) for code, summary in sorted(summaries.items())},
        lines=tuple(_line(incident, contract, now) for incident in incidents))


def _hours(span: dt.timedelta) -> str:
    hours, minutes = divmod(int(span.total_seconds() // 60), 60)
    return f"{hours} h" + (f" {minutes:02d} min" if minutes else "")


def _stats(summary: Summary) -> IncidentStats:
    return IncidentStats(summary.incidents, Summary.median(summary.response),
                         max(summary.response, default=None), Summary.median(summary.onsite),
                         max(summary.onsite, default=None), tuple(summary.missed))


def _clock(clock: Clock) -> ClockLine:
    return ClockLine(clock.used, clock.limit, clock.stopped, clock.missed)


def _line(incident: Incident, contract: Contract, now: dt.datetime) -> IncidentLine:
    response, onsite = clocks(incident, contract, now)
    steps = [e for e in incident.events if e.action in _ENGINEER_STEPS and e.engineer]
    restored = incident.step("restore")
    return IncidentLine(
        id=incident.id, site=incident.site, hosts=incident.hosts, source=incident.source,
        caller=incident.caller, reported=incident.reported, opened=stamp(incident.opened),
        state=incident.state, engineer=steps[-1].engineer if steps else "",
        cause=incident.field("cause"), solution=incident.field("solution"),
        evaluation=incident.field("evaluation"),
        restored=stamp(restored.at) if restored else "",
        response=_clock(response), onsite=_clock(onsite))
