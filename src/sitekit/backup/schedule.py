"""When the backup jobs run, derived from a site's maintenance windows.

The weekly full backup and the monthly restore test run in the site's longest
maintenance window (usually the night before the closed day), the differential backups
at the same time on the other nights: each starts when its night's window opens.
"""

from __future__ import annotations

import datetime as dt

from sitekit.plan.schedule import WindowError, parse_window, unknown_days
from sitekit.site.model import DAY_NAMES

_DAY = 24 * 60


def _clock(minute: int) -> str:
    minute %= _DAY
    return f"{minute // 60:02d}:{minute % 60:02d}"


def backup_schedule(windows: list[str] | None, restore_test_delay: int = 120,
                    integrity_delay: int = 240) -> dict[str, str]:
    """The days and times of the full backup, the other backups, restore test and CHECKDB.

    The full backup starts when the longest window opens (the earliest such window of
    the week on a tie); the restore test `restore_test_delay` minutes later, or half-way
    through a shorter window; DBCC CHECKDB of the live databases `integrity_delay` minutes
    in, or three quarters through a shorter window, after the full backup and restore test.
    """
    if not windows:
        raise WindowError("the site has no maintenance window for the backups")
    longest = max(map(parse_window, windows), key=lambda w: (w.minutes, -w.week_start))
    number, start, length = longest.week_start // _DAY, longest.week_start % _DAY, longest.minutes
    restore = start + min(restore_test_delay, length // 2)
    integrity = start + min(integrity_delay, length * 3 // 4)
    return {
        "full_day": DAY_NAMES[number],
        "full_time": _clock(start),
        "other_days": ",".join(name for name in DAY_NAMES if name != DAY_NAMES[number]),
        "restore_test_day": DAY_NAMES[(number + restore // _DAY) % 7],
        "restore_test_time": _clock(restore),
        "integrity_day": DAY_NAMES[(number + integrity // _DAY) % 7],
        "integrity_time": _clock(integrity),
    }


def host_schedule(windows: list[str] | None, full_day: str | None = None,
                  other_days: str | None = None) -> dict[str, str]:
    """The days db_backup runs on a host: its own settings where the inventory sets them.

    `full_day` and `other_days` are db_backup_full_day and db_backup_differential_days as
    the inventory hands them (group or host vars); unset, they are derived from the site's
    maintenance windows as the role's defaults derive them. The audit judges BAK-01 by this.
    """
    if full_day and other_days:
        schedule = {"full_day": full_day, "other_days": other_days}
    else:
        derived = backup_schedule(windows)
        schedule = {"full_day": full_day or derived["full_day"],
                    "other_days": other_days or derived["other_days"]}
    unknown = unknown_days([schedule["full_day"], *schedule["other_days"].split(",")])
    if unknown:
        raise WindowError(f"{', '.join(unknown)} is no day of the week; name days in full "
                          f"({', '.join(DAY_NAMES)})")
    return {"full_day": schedule["full_day"].strip(),
            "other_days": ",".join(d.strip() for d in schedule["other_days"].split(",")
                                   if d.strip())}


def full_interval_hours(schedule: dict[str, str] | None = None) -> int:
    """The hours between the schedule's full backups.

    db_backup's end-of-run full backup is due when the newest verified one is older
    (db_backup_full_max_age_hours).
    """
    return int(chain_intervals(schedule)[0].total_seconds() // 3600)


def chain_intervals(schedule: dict[str, str] | None = None) -> tuple[dt.timedelta, dt.timedelta]:
    """How far apart the schedule's full backups are, and its backups of any kind.

    A restorable chain is a full backup at most the first apart, and the newest backup
    (that full or a differential since) at most the second: the weekly full and daily
    differentials give (7 days, 1 day). The audit's `restorable_chain` (BAK-01) judges by
    this, so the policy never holds a second copy of the schedule.
    """
    # Without a site's schedule: the days do not depend on which window, so any one will do.
    schedule = schedule or backup_schedule(["sun 02:00-sun 06:00"])
    full = DAY_NAMES.index(schedule["full_day"])  # one day of the week: a full every 7 days
    others = {DAY_NAMES.index(name) for name in schedule["other_days"].split(",") if name}
    days = sorted({full} | others)
    gaps = [(days[(i + 1) % len(days)] - day) % 7 or 7 for i, day in enumerate(days)]
    return dt.timedelta(days=7), dt.timedelta(days=max(gaps))
