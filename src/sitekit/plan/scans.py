"""When Defender scans: a site's maintenance windows -> a weekly scan and a daily quick scan.

The inventory gives each site its windows in local time with both days named
("sun 23:00-tue 10:00"); Defender takes a weekday (or every day) and a time of day, in
the host's local time, which windows_base sets to the site's time zone. The weekly scan
starts `offset` minutes into the longest window; the daily quick scan starts at a time of
day that falls inside a window on every day of the week, or there is none.
"""

from __future__ import annotations

from dataclasses import dataclass

from sitekit.plan.schedule import WindowError, parse_window
from sitekit.site.model import DAY_NAMES

_DAY = 24 * 60
_WEEK = 7 * _DAY


@dataclass(frozen=True, slots=True)
class ScanSchedule:
    """Defender's schedule: the weekly scan's day and time, the daily quick scan's time."""

    day: str
    time: str
    quick_scan_time: str | None

    def as_dict(self) -> dict[str, str | None]:
        """The schedule as the role passes it to sitekit_defender."""
        return {"day": self.day, "time": self.time, "quick_scan_time": self.quick_scan_time}


def _inside(moment: int, windows: list[tuple[int, int]], margin: int) -> bool:
    """Tell whether a minute of the week leaves `margin` minutes before a window ends."""
    return any(start <= moment + shift < end - margin
               for start, end in windows for shift in (0, _WEEK))


def scan_schedule(windows: list[str], offset: int = 30, duration: int = 60) -> ScanSchedule:
    """Defender's scan schedule inside a site's maintenance windows.

    The weekly scan starts `offset` minutes into the longest window; the quick scan runs
    every day at one time of day that is inside a window, `duration` minutes before its
    end, on all seven days (the most common candidate; the earliest on a tie), else None.
    Defender names the day in full (ScanScheduleDay).
    """
    if not windows:
        raise WindowError("the site has no maintenance window to scan in")
    spans = [(window.week_start, window.week_start + window.minutes)
             for window in map(parse_window, windows)]
    start, end = max(spans, key=lambda span: (span[1] - span[0], -span[0]))
    if end - start < offset + duration:
        raise WindowError(f"the longest maintenance window lasts {end - start} minutes, less "
                          f"than the {offset} minutes' offset plus a {duration}-minute scan")
    moment = (start + offset) % _WEEK
    candidates = sorted({(s + offset) % _DAY for s, _ in spans},
                        key=lambda t: (-sum((s + offset) % _DAY == t for s, _ in spans), t))
    quick = next((t for t in candidates
                  if all(_inside(day * _DAY + t, spans, duration) for day in range(7))), None)
    return ScanSchedule(day=DAY_NAMES[moment // _DAY], time=_format(moment % _DAY),
                        quick_scan_time=None if quick is None else _format(quick))


def _format(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"
