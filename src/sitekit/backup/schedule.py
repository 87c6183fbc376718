"""When the backup jobs run, derived from a site's maintenance windows.

The weekly full backup and the monthly restore test run in the site's longest
maintenance window (usually the night before the closed day), the differential backups
at the same time on the other nights: each starts when its night's window opens.
"""

from __future__ import annotations

import datetime as dt
import re

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_WINDOW = re.compile(r"^(?P<day>[a-z]{3}) (?P<start>\d\d:\d\d)-(?:(?P<end_day>[a-z]{3}) )?"
                     r"(?P<end>\d\d:\d\d)$")
_DAY = 24 * 60
# When a site has no maintenance window: Sunday night, 02:00 for four hours.
DEFAULT_WINDOW = "sun 02:00-sun 06:00"


def _minutes(clock: str) -> int:
    hours, minutes = clock.split(":")
    return int(hours) * 60 + int(minutes)


def _clock(minute: int) -> str:
    minute %= _DAY
    return f"{minute // 60:02d}:{minute % 60:02d}"


def window_minutes(text: str) -> tuple[str, int, int]:
    """A window "sun 23:00-tue 10:00" as (day, start minute of the day, length in minutes)."""
    match = _WINDOW.match(text.strip().lower())
    if match is None or match["day"] not in DAYS or \
            (match["end_day"] is not None and match["end_day"] not in DAYS):
        raise ValueError(f"a maintenance window looks like 'sun 23:00-tue 10:00', not {text!r}")
    start_day = DAYS.index(match["day"])
    end_day = DAYS.index(match["end_day"]) if match["end_day"] else start_day
    start = start_day * _DAY + _minutes(match["start"])
    end = end_day * _DAY + _minutes(match["end"])
    length = (end - start) % (7 * _DAY) or 7 * _DAY
    return match["day"], _minutes(match["start"]), length


def backup_schedule(windows: list[str] | None, restore_test_delay: int = 120) -> dict[str, str]:
    """The full backup's day and time, the other days, the restore test's day and time.

    The full backup starts when the longest window opens (the earliest such window of
    the week on a tie); the restore test `restore_test_delay` minutes later, or half-way
    through a shorter window.
    """
    parsed = [window_minutes(text) for text in (windows or [DEFAULT_WINDOW])]
    day, start, length = max(parsed, key=lambda w: (w[2], -DAYS.index(w[0])))
    number = DAYS.index(day)
    restore = start + min(restore_test_delay, length // 2)
    return {
        "full_day": DAY_NAMES[number],
        "full_time": _clock(start),
        "other_days": ",".join(name for name in DAY_NAMES if name != DAY_NAMES[number]),
        "restore_test_day": DAY_NAMES[(number + restore // _DAY) % 7],
        "restore_test_time": _clock(restore),
    }


def chain_intervals(schedule: dict[str, str] | None = None) -> tuple[dt.timedelta, dt.timedelta]:
    """How far apart the schedule's full backups are, and its backups of any kind.

    A restorable chain is a full backup at most the first apart, and the newest backup
    (that full or a differential since) at most the second: the weekly full and daily
    differentials give (7 days, 1 day). The audit's `restorable_chain` (BAK-01) judges by
    this, so the policy never holds a second copy of the schedule.
    """
    schedule = schedule or backup_schedule(None)
    full = DAY_NAMES.index(schedule["full_day"])  # one day of the week: a full every 7 days
    others = {DAY_NAMES.index(name) for name in schedule["other_days"].split(",") if name}
    days = sorted({full} | others)
    gaps = [(days[(i + 1) % len(days)] - day) % 7 or 7 for i, day in enumerate(days)]
    return dt.timedelta(days=7), dt.timedelta(days=max(gaps))
