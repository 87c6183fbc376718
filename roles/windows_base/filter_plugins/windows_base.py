"""The windows_base role's filters, thin over sitekit.plan.

The Windows Update schedule, and Windows' password complexity rule.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ansible.errors import AnsibleFilterError

from sitekit.plan.passwords import complexity_problems
from sitekit.plan.updates import update_schedule


def windows_base_update_schedule(windows: list[str], minutes: int = 120) -> dict[str, int]:
    """{day, hour} for ScheduledInstallDay/Time inside the maintenance windows."""
    try:
        schedule = update_schedule(list(windows), int(minutes))
    except ValueError as exc:
        raise AnsibleFilterError(f"windows_base_update_schedule: {exc}; change the site's"
                                 " maintenance_window or windows_base_update_install_minutes"
                                 ) from exc
    return {"day": schedule.day, "hour": schedule.hour}


def windows_base_password_problems(password: str, users: dict[str, str],
                                   min_length: int) -> list[str]:
    """Why Windows would refuse the password for any of the users ({name: full name})."""
    return complexity_problems(str(password), {str(k): str(v or "") for k, v in users.items()},
                               int(min_length))


class FilterModule:
    """Filters of the windows_base role."""

    def filters(self) -> dict[str, Callable[..., Any]]:
        """Name -> filter."""
        return {"windows_base_update_schedule": windows_base_update_schedule,
                "windows_base_password_problems": windows_base_password_problems}
