"""The Alertmanager config: by site, a site down silencing its hosts, windows as mutes.

Alerts are grouped by site; a site-down alert inhibits the other alerts of its site; each
site's maintenance windows mute what maintenance explains, in the site's time zone.

The windows are the plan's (sitekit.plan.schedule, the one window grammar), cut at local
midnight into Alertmanager's time intervals; `location` makes Alertmanager read them in
the site's own zone, daylight saving included
(https://prometheus.io/docs/alerting/latest/configuration/#time_interval, Alertmanager
0.25 and later).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sitekit.monitoring.rules import MUTE
from sitekit.plan.fleet import FleetPlan
from sitekit.plan.schedule import Schedule
from sitekit.site.model import DAY_NAMES

RECEIVER = "sitekit-incidents"
_DAY = 24 * 60
_WEEK = 7 * _DAY


def interval_name(code: str) -> str:
    """The time interval of a site's maintenance windows."""
    return f"{code}-maintenance"


def _clock(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def time_intervals(schedule: Schedule) -> list[dict[str, Any]]:
    """A site's windows as Alertmanager time intervals, cut at each local midnight."""
    pieces: dict[tuple[int, int], list[int]] = defaultdict(list)  # (start, end) -> days
    for window in schedule.windows:
        if window.minutes >= _WEEK:
            return [{"location": schedule.time_zone}]  # maintenance all week: always muted
        start, end = window.week_start, window.week_start + window.minutes
        while start < end:
            day, offset = divmod(start, _DAY)
            stop = min(end, (day + 1) * _DAY)
            pieces[(offset, stop - day * _DAY)].append(day % 7)
            start = stop
    return [{"weekdays": [DAY_NAMES[day] for day in sorted(set(days))],
             "times": [{"start_time": _clock(start), "end_time": _clock(end)}],
             "location": schedule.time_zone}
            for (start, end), days in sorted(pieces.items(), key=lambda item: min(item[1]))]


def config(plan: FleetPlan, webhook: str) -> dict[str, Any]:
    """The whole Alertmanager config for the fleet."""
    return {
        "route": {
            "receiver": RECEIVER,
            # One notification, and one incident, per site: its alerts arrive together.
            "group_by": ["site"],
            "group_wait": "30s",
            "group_interval": "5m",
            "repeat_interval": "4h",
            "routes": [
                {"matchers": [f'site="{site_plan.site.code}"', f'maintenance="{MUTE}"'],
                 "mute_time_intervals": [interval_name(site_plan.site.code)]}
                for site_plan in plan.sites
            ],
        },
        "inhibit_rules": [{
            # A site that is down explains every other alert of that site.
            "source_matchers": ['alertname="SiteDown"'],
            "target_matchers": ['alertname!="SiteDown"'],
            "equal": ["site"],
        }],
        "receivers": [{"name": RECEIVER,
                       "webhook_configs": [{"url": webhook, "send_resolved": True}]}],
        "time_intervals": [
            {"name": interval_name(site_plan.site.code),
             "time_intervals": time_intervals(site_plan.schedule)}
            for site_plan in plan.sites
        ],
    }
