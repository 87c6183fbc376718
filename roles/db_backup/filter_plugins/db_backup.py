"""The db_backup role's filter: the backup schedule derived from maintenance windows.

A thin adapter over sitekit.backup.schedule, which is tested without Ansible.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ansible.errors import AnsibleFilterError

from sitekit.backup.schedule import backup_schedule
from sitekit.plan.schedule import WindowError


def db_backup_schedule(windows: list[str] | None) -> dict[str, str]:
    """["sun 23:00-tue 10:00", ...] -> the full backup's day and time, the other days..."""
    try:
        return backup_schedule(list(windows or ()))
    except WindowError as exc:
        raise AnsibleFilterError(f"db_backup_schedule: {exc}; the inventory gives every host "
                                 "its site's sitekit_maintenance_windows") from None


class FilterModule:
    """Filters of the db_backup role."""

    def filters(self) -> dict[str, Callable[..., Any]]:
        """The filters this plugin provides."""
        return {"db_backup_schedule": db_backup_schedule}
