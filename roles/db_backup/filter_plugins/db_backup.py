"""The db_backup role's filter: the backup schedule derived from maintenance windows.

A thin adapter over sitekit.backup.schedule, which is tested without Ansible.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ansible.errors import AnsibleFilterError

from sitekit.backup.schedule import backup_schedule, full_interval_hours
from sitekit.monitoring import metrics
from sitekit.plan.schedule import WindowError, unknown_days


def db_backup_schedule(windows: list[str] | None) -> dict[str, str]:
    """["sun 23:00-tue 10:00", ...] -> the full backup's day and time, the other days..."""
    try:
        return backup_schedule(list(windows or ()))
    except WindowError as exc:
        raise AnsibleFilterError(f"db_backup_schedule: {exc}; the inventory gives every host "
                                 "its site's sitekit_maintenance_windows") from None


def db_backup_unknown_days(days: str | list[str] | None) -> list[str]:
    """"monday, tuesday, funday" -> ["funday"]: names that are no day of the week in full."""
    return unknown_days(days)


def db_backup_full_interval_hours(schedule: dict[str, str]) -> int:
    """{full_day, other_days} -> the hours between its full backups (168 for a weekly full)."""
    try:
        return full_interval_hours(dict(schedule))
    except ValueError as exc:
        raise AnsibleFilterError(f"db_backup_full_interval_hours: {exc}") from None


def db_backup_metric_names(_: object = None) -> dict[str, str]:
    """The textfile metrics' names the job writes: the ones the alert rules read."""
    return {"backup_last_success": metrics.BACKUP_LAST_SUCCESS,
            "checkdb_last_good": metrics.CHECKDB_LAST_GOOD,
            "restore_test_last": metrics.RESTORE_TEST_LAST,
            "restore_test_success": metrics.RESTORE_TEST_SUCCESS}


class FilterModule:
    """Filters of the db_backup role."""

    def filters(self) -> dict[str, Callable[..., Any]]:
        """The filters this plugin provides."""
        return {"db_backup_schedule": db_backup_schedule,
                "db_backup_unknown_days": db_backup_unknown_days,
                "db_backup_full_interval_hours": db_backup_full_interval_hours,
                "db_backup_metric_names": db_backup_metric_names}
