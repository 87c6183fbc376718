"""When Windows Update may install: a schedule inside a site's maintenance windows.

Windows Update's policy takes one install hour, every day or on one day of the week
(ScheduledInstallDay 0 = every day, 1 = Sunday .. 7 = Saturday; ScheduledInstallTime = the
hour). The windows come from the plan as "sun 23:00-tue 10:00" texts in local time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sitekit.site.model import DAYS

_DAY = 24 * 60
_WEEK = 7 * _DAY


@dataclass(frozen=True, slots=True)
class UpdateSchedule:
    """Windows Update's ScheduledInstallDay and ScheduledInstallTime."""

    day: int
    hour: int


def _point(text: str) -> int:
    """'tue 23:00' as minutes since Monday 00:00."""
    day, _, clock = text.strip().partition(" ")
    hours, _, minutes = clock.partition(":")
    if day not in DAYS or not hours.isdigit() or not minutes.isdigit():
        raise ValueError(f"{text!r} is not a day and time like 'tue 23:00'")
    return DAYS.index(day) * _DAY + int(hours) * 60 + int(minutes)


def parse_window(text: str) -> tuple[int, int]:
    """A window text as (start minute of the week, length in minutes)."""
    start, sep, end = text.partition("-")
    if not sep:
        raise ValueError(f"{text!r} is not a window like 'sun 23:00-tue 10:00'")
    first, last = _point(start), _point(end)
    return first, (last - first) % _WEEK or _WEEK


def _fits(minute: int, minutes: int, windows: list[tuple[int, int]]) -> bool:
    """Whether [minute, minute + minutes] lies inside one window (the week wraps)."""
    return any((minute - start) % _WEEK + minutes <= length for start, length in windows)


def update_schedule(windows: Sequence[str], minutes: int) -> UpdateSchedule:
    """The install hour (every day if one hour fits every day) that leaves `minutes` to finish.

    Hours are tried from the first window's start on, so installs begin early in the window.
    """
    if minutes <= 0:
        raise ValueError("the install needs a positive number of minutes")
    parsed = [parse_window(w) for w in windows]
    if not parsed:
        raise ValueError("the site has no maintenance window")
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
    raise ValueError(f"no maintenance window is long enough for a {minutes}-minute install")
