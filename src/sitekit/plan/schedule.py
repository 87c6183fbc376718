"""A site's clock: its time zones and the maintenance windows that follow from its hours.

Opening hours become intervals on a week of minutes; every gap between them, less the
fleet's margins after closing and before opening, is a maintenance window. A site with a
night too short for maintenance must set its window explicitly.
"""

from __future__ import annotations

import difflib
import re
import zoneinfo
from dataclasses import dataclass
from functools import cache

from tzlocal.windows_tz import tz_win

from sitekit.problems import Problem
from sitekit.site.model import DAY_NAMES, DAYS, Fleet, Site

_DAY = 24 * 60
_WEEK = 7 * _DAY
_DAY_NUMBER = {day: number for number, day in enumerate(DAYS)}
_WINDOW_TEXT = re.compile(r"(?P<day>[a-z]{3}) (?P<start>[0-9]{2}:[0-9]{2})"
                          r"-(?P<end_day>[a-z]{3}) (?P<end>[0-9]{2}:[0-9]{2})")


# Defender's ScanScheduleDay, by number: 0 every day, 1 Sunday ... 7 Saturday, 8 never
# (Set-MpPreference -ScanScheduleDay, Microsoft's Defender PowerShell reference). The
# sitekit_defender module's `scan_day` choices and the lab's model are checked against it.
DEFENDER_SCAN_DAYS = ("everyday", "sunday", "monday", "tuesday", "wednesday", "thursday",
                      "friday", "saturday", "never")


def weekday_names() -> tuple[str, ...]:
    """The days of the week named in full, Monday first, as Windows and the roles name them."""
    return DAY_NAMES


def unknown_days(text: str | list[str] | None) -> list[str]:
    """The names in "monday,tuesday" (or a list) that are no day of the week named in full."""
    names = text.split(",") if isinstance(text, str) else list(text or ())
    return [name for name in (str(n).strip() for n in names) if name not in DAY_NAMES]


class WindowError(ValueError):
    """A maintenance window that cannot be read, or none that fits what must run in it."""


@dataclass(frozen=True, slots=True)
class Window:
    """A maintenance window: it starts on `day` at `start` local time and lasts `minutes`."""

    day: str
    start: str
    end: str
    minutes: int

    @property
    def week_start(self) -> int:
        """When the window opens, in minutes from Monday 00:00."""
        return _DAY_NUMBER[self.day] * _DAY + _minutes(self.start)

    @property
    def text(self) -> str:
        """The window as people write it, both days named: "sun 23:00-tue 09:30"."""
        end_day = DAYS[((self.week_start + self.minutes) // _DAY) % 7]
        return f"{self.day} {self.start}-{end_day} {self.end}"


def parse_window(text: object) -> Window:
    """Read a window as `Window.text` writes it (the inventory's sitekit_maintenance_windows).

    The one reader for every role's filter (backups, scans, updates): both days named, in
    lower case (mon..sun), times 00:00 to 23:59; a window that ends when it starts lasts a
    week. Anything else is a WindowError that shows the form.
    """
    match = _WINDOW_TEXT.fullmatch(text) if isinstance(text, str) else None
    if (match is None or match["day"] not in _DAY_NUMBER or match["end_day"] not in _DAY_NUMBER
            or not _is_clock(match["start"]) or not _is_clock(match["end"])):
        raise WindowError(f"{text!r} is not a maintenance window like 'sun 23:00-tue 10:00' "
                          "(both days named, mon..sun in lower case; times 00:00 to 23:59)")
    start = _DAY_NUMBER[match["day"]] * _DAY + _minutes(match["start"])
    end = _DAY_NUMBER[match["end_day"]] * _DAY + _minutes(match["end"])
    return Window(match["day"], match["start"], match["end"], (end - start) % _WEEK or _WEEK)


def _is_clock(text: str) -> bool:
    hours, minutes = text.split(":")
    return int(hours) < 24 and int(minutes) < 60


@dataclass(frozen=True, slots=True)
class Schedule:
    """Time zones and maintenance windows of one site."""

    time_zone: str
    windows_time_zone: str
    windows: tuple[Window, ...]


@cache
def _zone_names() -> tuple[str, ...]:
    return tuple(sorted(zoneinfo.available_timezones()))


def _minutes(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


def _clock(minute: int) -> str:
    minute %= _DAY
    return f"{minute // 60:02d}:{minute % 60:02d}"


# Schedules already planned without a problem, by what they follow from: a chain's sites
# mostly share their hours and zone, and a Schedule is immutable.
_planned: dict[tuple[object, ...], Schedule] = {}


def plan_schedule(site: Site, fleet: Fleet, problems: list[Problem]) -> Schedule | None:
    """Time zones and maintenance windows; None (with problems) when they can't be planned."""
    key = (site.time_zone, tuple(site.opening_hours.items()), site.maintenance_window,
           tuple(fleet.maintenance.items()))
    found = _planned.get(key)
    if found is not None:
        return found
    before = len(problems)
    schedule = _plan_schedule(site, fleet, problems)
    if schedule is not None and len(problems) == before:
        _planned[key] = schedule
    return schedule


def _plan_schedule(site: Site, fleet: Fleet, problems: list[Problem]) -> Schedule | None:
    windows_zone = _windows_zone(site, problems)
    opening = _opening_intervals(site, problems)
    if windows_zone is None or opening is None:
        return None
    if site.maintenance_window is not None:
        windows = _fixed_windows(site, site.maintenance_window, opening, problems)
    else:
        windows = _derived_windows(site, fleet, opening, problems)
    if windows is None:
        return None
    return Schedule(site.time_zone, windows_zone, windows)


def _windows_zone(site: Site, problems: list[Problem]) -> str | None:
    try:
        zoneinfo.ZoneInfo(site.time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        close = difflib.get_close_matches(site.time_zone, _zone_names(), n=1)
        hint = f"did you mean '{close[0]}'?" if close else "use an IANA name like Europe/Lisbon"
        problems.append(site.problem(("time_zone",),
                                     f"unknown time zone '{site.time_zone}'; {hint}"))
        return None
    windows = tz_win.get(site.time_zone)
    if windows is None:
        problems.append(site.problem(("time_zone",),
                                     f"{site.time_zone} has no Windows time zone; use the "
                                     "canonical IANA name for the city"))
    return windows


def _opening_intervals(site: Site, problems: list[Problem]) -> list[tuple[int, int]] | None:
    """Opening times as (start, end) minutes from Monday 00:00; end may pass Sunday night."""
    hours = site.opening_hours
    intervals = []
    for number, day in enumerate(DAYS):
        text = hours.get(day, hours.get("daily"))
        if text is None:
            problems.append(site.problem(("opening_hours",),
                                         f"no hours for {day}; add `{day}:` or `daily:`"))
            return None
        if text == "closed":
            continue
        opens, closes = (_minutes(part) for part in text.split("-"))
        if closes == opens:
            problems.append(site.problem(("opening_hours", day if day in hours else "daily"),
                                         f"'{text}' opens and closes at the same time; a site "
                                         "open round the clock has no maintenance window"))
            return None
        if closes < opens:
            closes += _DAY  # closes after midnight
        intervals.append((number * _DAY + opens, number * _DAY + closes))
    if not intervals:
        problems.append(site.problem(("opening_hours",), "the site is closed every day"))
        return None
    return intervals


def _fixed_windows(site: Site, window: str, opening: list[tuple[int, int]],
                   problems: list[Problem]) -> tuple[Window, ...] | None:
    start_text, end_text = window.split("-")
    start, end = _minutes(start_text), _minutes(end_text)
    length = (end - start) % _DAY or _DAY
    windows = []
    for number, day in enumerate(DAYS):
        begin = number * _DAY + start
        for opens, closes in opening:
            # Compare on the week's circle: shift the opening by a week either way.
            for shift in (-_WEEK, 0, _WEEK):
                if begin < closes + shift and opens + shift < begin + length:
                    problems.append(site.problem(
                        ("maintenance_window",),
                        f"{window} overlaps the opening hours on {day} "
                        f"({_clock(opens)}-{_clock(closes)}); choose a time when the site is "
                        "closed"))
                    return None
        windows.append(Window(day, start_text, end_text, length))
    return tuple(windows)


def _derived_windows(site: Site, fleet: Fleet, opening: list[tuple[int, int]],
                     problems: list[Problem]) -> tuple[Window, ...] | None:
    after = fleet.maintenance["after_close_minutes"]
    before = fleet.maintenance["before_open_minutes"]
    minimum = fleet.maintenance["minimum_minutes"]
    merged: list[list[int]] = []
    for opens, closes in sorted(opening):
        if merged and opens <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], closes)
        else:
            merged.append([opens, closes])
    windows = []
    for i, (_, closes) in enumerate(merged):
        next_opens = merged[(i + 1) % len(merged)][0]
        if next_opens <= closes:
            next_opens += _WEEK  # wraps past Sunday night
        start, end = closes + after, next_opens - before
        day = DAYS[(start // _DAY) % 7]
        if end - start < minimum:
            problems.append(site.problem(("opening_hours",), (
                f"closing at {_clock(closes)} ({DAYS[(closes // _DAY) % 7]}) and opening at "
                f"{_clock(next_opens)} leaves {max(end - start, 0)} minutes for maintenance "
                f"({after} after closing, {before} before opening); the fleet needs {minimum}: "
                "set maintenance_window, or shorten the hours")))
            return None
        windows.append(Window(day, _clock(start), _clock(end), end - start))
    return tuple(sorted(windows, key=lambda w: (_DAY_NUMBER[w.day], w.start)))
