"""The Task Scheduler in the lab: which scheduled tasks came due, and when.

Time passes in the lab as on the controller's clock, and a task's runs are derived when
something looks (the exporter's scrape, a backup module, the audit's facts). A task runs
when it is enabled, was registered in the lab, and one of its triggers fired since it
last ran (or since it was registered): a registration trigger fires when the task is
registered or updated; a time trigger (once, daily, weekly, monthly, by day of week) fires at its
start boundary's time on the days its schedule includes, and at each repetition interval
within the repetition's duration. Many missed fires make one run, at the last of them:
the Task Scheduler starts a missed task once ("Run task as soon as possible after a
scheduled start is missed", StartWhenAvailable). Boot, logon and event triggers are not
time-driven and never fire here.

What a run does is its job's business (sitekit.lab.sqlbackup, sitekit.lab.defendermetric).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Any

from sitekit.lab.clock import utcnow, zone
from sitekit.lab.host import LabHost
from sitekit.plan.schedule import weekday_names

# How far back a look at the schedule searches for the last run of a task.
_HORIZON_DAYS = 62
_DURATION = re.compile(r"^P(?:(?P<d>\d+)D)?(?:T(?:(?P<h>\d+)H)?(?:(?P<m>\d+)M)?(?:(?P<s>\d+)S)?)?$")
# Monday first, as date.weekday() counts (the kit's one table; Task Scheduler's names).
_WEEKDAYS = weekday_names()


def due_tasks(host: LabHost, now: dt.datetime | None = None
              ) -> list[tuple[dt.datetime, dict[str, Any]]]:
    """The host's tasks that came due since they last ran: (when, task), oldest first.

    The caller runs each and records it on the task (last_run_time, last_task_result).
    """
    now = now or utcnow()
    state = host.state
    tz = zone(str(state.get("time_zone") or "UTC"))
    due = []
    for task in (state.get("scheduled_tasks") or {}).values():
        if not task.get("enabled", True) or not task.get("lab_registered"):
            continue
        registered = dt.datetime.fromisoformat(str(task["lab_registered"]))
        last = task.get("last_run_time")
        since = max(registered, dt.datetime.fromisoformat(str(last))) if last else registered
        # A registration trigger fires when the task is registered or updated
        # (IRegistrationTrigger, Microsoft docs).
        registered_last = max(registered, dt.datetime.fromisoformat(
            str(task.get("lab_updated") or task["lab_registered"])))
        at_registration = registered_last if any(
            t.get("type") == "registration" and t.get("enabled", True) is not False
            for t in task.get("triggers") or []) and (
                last is None or registered_last > dt.datetime.fromisoformat(str(last))) \
            else None
        when = max(filter(None, (at_registration, last_fire(task, tz, since, now))),
                   default=None)
        if when is not None:
            due.append((when, task))
    return sorted(due, key=lambda d: d[0])


def _duration(text: str | None) -> dt.timedelta | None:
    """An ISO 8601 duration (PT15M, P1D, PT1H30M) as a timedelta; None if absent."""
    match = _DURATION.match(text or "")
    if not text or match is None:
        return None
    return dt.timedelta(days=int(match["d"] or 0), hours=int(match["h"] or 0),
                        minutes=int(match["m"] or 0), seconds=int(match["s"] or 0))


def _listed(value: Any) -> list[str]:
    if value is None:
        return []
    items = value if isinstance(value, list) else str(value).split(",")
    return [str(item).strip().lower() for item in items if str(item).strip()]


def _fires_on(trigger: dict[str, Any], day: dt.date, start: dt.datetime) -> bool:
    """Whether a trigger's schedule includes a calendar day (local)."""
    kind = trigger["type"]
    if day < start.date():
        return False
    if kind == "daily":
        return (day - start.date()).days % int(trigger.get("days_interval") or 1) == 0
    if kind == "weekly":
        weeks = ((day - start.date()).days + start.weekday()) // 7
        return _WEEKDAYS[day.weekday()] in _listed(trigger.get("days_of_week")) and \
            weeks % int(trigger.get("weeks_interval") or 1) == 0
    if kind == "monthlydow":
        days = _listed(trigger.get("days_of_week")) or list(_WEEKDAYS)
        months_weeks = [int(w) for w in _listed(trigger.get("weeks_of_month"))] or [1, 2, 3, 4]
        last_week = (day + dt.timedelta(days=7)).month != day.month
        in_week = (day.day - 1) // 7 + 1 in months_weeks or \
            (bool(trigger.get("run_on_last_week_of_month")) and last_week)
        return _WEEKDAYS[day.weekday()] in days and in_week
    if kind == "monthly":
        days_of_month = [int(d) for d in _listed(trigger.get("days_of_month"))]
        last_day = (day + dt.timedelta(days=1)).month != day.month
        return day.day in days_of_month or \
            (bool(trigger.get("run_on_last_day_of_month")) and last_day)
    if kind == "time":
        return day == start.date()
    return False  # boot, logon, event...: not time-driven


def _fire_times(trigger: dict[str, Any], tz: dt.tzinfo, since: dt.datetime,
                now: dt.datetime) -> Iterator[dt.datetime]:
    """The times (UTC) a trigger fired in (since, now], newest days first."""
    if trigger.get("enabled") is False or not trigger.get("start_boundary"):
        return
    start = dt.datetime.fromisoformat(str(trigger["start_boundary"]))
    start = start.replace(tzinfo=tz) if start.tzinfo is None else start.astimezone(tz)
    repetition = trigger.get("repetition") or {}
    interval = _duration(repetition.get("interval"))
    duration = _duration(repetition.get("duration")) or dt.timedelta(days=1)
    local_now = now.astimezone(tz)
    for back in range(_HORIZON_DAYS):
        day = local_now.date() - dt.timedelta(days=back)
        if day < since.astimezone(tz).date() - dt.timedelta(days=1):
            break
        if not _fires_on(trigger, day, start):
            continue
        base = dt.datetime.combine(day, start.time(), tzinfo=tz)
        moments = [base]
        if interval:
            moments = [base + interval * n for n in range(int(duration / interval) + 1)]
        for moment in moments:
            when = moment.astimezone(dt.UTC)
            if since < when <= now:
                yield when


def last_fire(task: dict[str, Any], tz: dt.tzinfo, since: dt.datetime,
              now: dt.datetime) -> dt.datetime | None:
    """The last time a task's triggers fired in (since, now], or None."""
    return max((when for trigger in task.get("triggers") or []
                for when in _fire_times(trigger, tz, since, now)), default=None)


