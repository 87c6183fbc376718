"""An incident and its steps: the rules of their order, and the service plan's two clocks.

open -> ack (the answer) -> dispatch (an engineer sent) -> onsite -> restore -> close;
a fault fixed remotely goes from ack to restore. Pauses (the customer cannot be reached)
open and close around any time before the restore and count on neither clock.

- Response: from the call to the answer, around the clock (the contract's minutes).
- On site: from the call to the engineer's arrival, in working time on the vendor's
  calendar (the contract's working hours). Service restored before a visit stops it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sitekit.incident.calendar import Span, wall_time
from sitekit.incident.contract import Contract

SOURCES = ("phone", "alert", "audit")
STEPS = ("ack", "dispatch", "onsite", "restore", "close")
STATES = {"ack": "answered", "dispatch": "dispatched", "onsite": "on site",
          "restore": "restored", "close": "closed"}
# What a step needs done before it (any one of them).
_AFTER = {"ack": (), "dispatch": ("ack",), "onsite": ("dispatch",), "restore": ("ack",),
          "close": ("restore",)}


class StepError(ValueError):
    """A step that cannot be taken now; the message says what to do instead."""


@dataclass(frozen=True, slots=True)
class Event:
    """One step (or a pause, a resume, an alert added) with its time and who took it."""

    action: str
    at: dt.datetime
    engineer: str
    fields: dict[str, Any] = field(default_factory=dict)


@dataclass
class Incident:
    """A fault or a call at a site, and what was done about it."""

    id: int
    fleet: str
    site: str
    hosts: tuple[str, ...]
    source: str
    caller: str
    contact: str
    reported: str
    opened: dt.datetime
    alert_group: str | None = None
    events: list[Event] = field(default_factory=list)

    def step(self, action: str) -> Event | None:
        """The step taken, if it was."""
        return next((e for e in self.events if e.action == action), None)

    @property
    def state(self) -> str:
        """Where it stands: open, answered, dispatched, on site, restored, closed, paused."""
        if self.paused_since is not None:
            return "paused"
        taken = [e.action for e in self.events if e.action in STEPS]
        return STATES[max(taken, key=STEPS.index)] if taken else "open"

    @property
    def paused_since(self) -> dt.datetime | None:
        """When the current pause began, None when not paused."""
        since = None
        for event in self.events:
            if event.action == "pause":
                since = event.at
            elif event.action == "resume":
                since = None
        return since

    def pauses(self, now: dt.datetime) -> list[Span]:
        """Every pause as (start, end); one still running ends now."""
        spans, since = [], None
        for event in self.events:
            if event.action == "pause":
                since = event.at
            elif event.action == "resume" and since is not None:
                spans.append((since, event.at))
                since = None
        if since is not None:
            spans.append((since, max(since, now)))
        return spans

    def field(self, name: str) -> str:
        """A step's field (engineer, cause, solution, evaluation), "" before it is given."""
        for event in reversed(self.events):
            if name in event.fields:
                return str(event.fields[name])
        return ""

    def check(self, action: str, at: dt.datetime) -> None:
        """Raise StepError unless `action` may be taken at `at`."""
        last = max([self.opened, *(e.at for e in self.events)])
        if at < last:
            raise StepError(f"{at:%Y-%m-%dT%H:%M:%SZ} is before the incident's last step "
                            f"({last:%Y-%m-%dT%H:%M:%SZ}); give --at a later time")
        if self.step("close") is not None and action != "alert":
            raise StepError(f"incident {self.id} is closed; open a new one")
        if action in STEPS:
            taken = self.step(action)
            if taken is not None:
                raise StepError(f"incident {self.id} was already given `{action}` at "
                                f"{taken.at:%Y-%m-%dT%H:%M:%SZ}")
            needed = _AFTER[action]
            if needed and not any(self.step(n) for n in needed):
                raise StepError(f"incident {self.id} has no `{needed[0]}` yet; `sitekit "
                                f"incident {needed[0]}` comes before `{action}`")
            if self.paused_since is not None and action != "close":
                raise StepError(f"incident {self.id} is paused since "
                                f"{self.paused_since:%Y-%m-%dT%H:%M:%SZ}; `sitekit incident "
                                "resume` first")
        elif action == "pause":
            if self.paused_since is not None:
                raise StepError(f"incident {self.id} is already paused")
            if self.step("restore") is not None:
                raise StepError(f"incident {self.id} is restored; nothing is waiting")
        elif action == "resume" and self.paused_since is None:
            raise StepError(f"incident {self.id} is not paused")


@dataclass(frozen=True, slots=True)
class Clock:
    """One promise: how much of it was used, of how much, and whether it was kept."""

    name: str
    used: dt.timedelta
    limit: dt.timedelta
    stopped: bool  # the step it waits for was taken (or is no longer needed)

    @property
    def missed(self) -> bool:
        """Over the limit (a running clock past it has missed too)."""
        return self.used > self.limit


def clocks(incident: Incident, contract: Contract, now: dt.datetime) -> tuple[Clock, Clock]:
    """The response clock and the on-site clock, as they stand now."""
    pauses = incident.pauses(now)
    answered = incident.step("ack")
    response = Clock("response", wall_time(incident.opened, answered.at if answered else now,
                                           pauses), contract.response, answered is not None)
    # Service restored (remotely, or before the engineer arrived): no visit is owed any more.
    stop = incident.step("onsite") or incident.step("restore")
    until = stop.at if stop else now
    onsite = Clock("on site", contract.calendar.working_time(incident.opened, until, pauses),
                   contract.onsite, stop is not None)
    return response, onsite
