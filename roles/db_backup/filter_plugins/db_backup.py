"""The db_backup role's filter: the backup schedule derived from maintenance windows.

A thin adapter over sitekit.backup.schedule, which is tested without Ansible.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sitekit.backup.schedule import backup_schedule


class FilterModule:
    """db_backup_schedule: ["sun 23:00-tue 10:00", ...] -> full day and time, other days..."""

    def filters(self) -> dict[str, Callable[..., Any]]:
        """The filters this plugin provides."""
        return {"db_backup_schedule": backup_schedule}
