"""When the backup jobs run, derived from a site's maintenance windows.

The weekly full backup and the monthly restore test run in the site's longest
maintenance window (usually the night before the closed day), the differential backups
at the same time on the other nights: each starts when its night's window opens.
"""

from __future__ import annotations

from sitekit.plan.schedule import WindowError, parse_window
from sitekit.site.model import DAY_NAMES

_DAY = 24 * 60


def _clock(minute: int) -> str:
    minute %= _DAY
    return f"{minute // 60:02d}:{minute % 60:02d}"


def backup_schedule(windows: list[str] | None, restore_test_delay: int = 120) -> dict[str, str]:
    """The full backup's day and time, the other days, the restore test's day and time.

    The full backup starts when the longest window opens (the earliest such window of
    the week on a tie); the restore test `restore_test_delay` minutes later, or half-way
    through a shorter window.
    """
    if not windows:
        raise WindowError("the site has no maintenance window for the backups")
    longest = max(map(parse_window, windows), key=lambda w: (w.minutes, -w.week_start))
    number, start, length = longest.week_start // _DAY, longest.week_start % _DAY, longest.minutes
    restore = start + min(restore_test_delay, length // 2)
    return {
        "full_day": DAY_NAMES[number],
        "full_time": _clock(start),
        "other_days": ",".join(name for name in DAY_NAMES if name != DAY_NAMES[number]),
        "restore_test_day": DAY_NAMES[(number + restore // _DAY) % 7],
        "restore_test_time": _clock(restore),
    }
