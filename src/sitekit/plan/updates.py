"""When Windows Update may install: a schedule inside a site's maintenance windows.

Windows Update's policy takes one install hour, every day or on one day of the week
(ScheduledInstallDay 0 = every day, 1 = Sunday .. 7 = Saturday; ScheduledInstallTime = the
hour). The windows come from the plan as "sun 23:00-tue 10:00" texts in local time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sitekit.plan.schedule import WindowError, parse_window

_DAY = 24 * 60
_WEEK = 7 * _DAY


@dataclass(frozen=True, slots=True)
class UpdateSchedule:
    """Windows Update's ScheduledInstallDay and ScheduledInstallTime."""

    day: int
    hour: int


def _fits(minute: int, minutes: int, windows: list[tuple[int, int]]) -> bool:
    """Whether [minute, minute + minutes] lies inside one window (the week wraps)."""
    return any((minute - start) % _WEEK + minutes <= length for start, length in windows)


def update_schedule(windows: Sequence[str], minutes: int) -> UpdateSchedule:
    """The install hour (every day if one hour fits every day) that leaves `minutes` to finish.

    Hours are tried from the first window's start on, so installs begin early in the window.
    """
    if minutes <= 0:
        raise ValueError("the install needs a positive number of minutes")
    parsed = [(window.week_start, window.minutes) for window in map(parse_window, windows)]
    if not parsed:
        raise WindowError("the site has no maintenance window")
    first_hour = -(-(parsed[0][0] % _DAY) // 60)
    hours = [(first_hour + step) % 24 for step in range(24)]
    for hour in hours:
        if all(_fits(day * _DAY + hour * 60, minutes, parsed) for day in range(7)):
            return UpdateSchedule(0, hour)
    for start, _length in parsed:
        first = -(-start // 60) * 60
        for minute in range(first, start + _WEEK, 60):
            if _fits(minute % _WEEK, minutes, parsed):
                day = (minute % _WEEK) // _DAY
                return UpdateSchedule((day + 1) % 7 + 1, (minute % _DAY) // 60)
    raise WindowError(f"no maintenance window is long enough for a {minutes}-minute install")
