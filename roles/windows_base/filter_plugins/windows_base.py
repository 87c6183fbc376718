"""The windows_base role's filters, thin over sitekit.plan.

The Windows Update schedule, Windows' password complexity rule, and each user's own
first-logon password.
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


def windows_base_users(users: dict[str, str], passwords: dict[str, str]) -> list[dict[str, str]]:
    """The module's users: [{name, fullname, password}], each with its own first password."""
    return [{"name": str(name), "fullname": str(full or ""),
             **({"password": str(passwords[name])} if passwords.get(name) else {})}
            for name, full in users.items()]


def windows_base_initial_password_problems(users: dict[str, str], passwords: dict[str, str],
                                           min_length: int) -> list[str]:
    """Why a user could not be created: no password of its own, or one Windows refuses.

    Each user has its own first-logon password (PCI DSS 8.3.5); the messages name the user,
    never the password.
    """
    problems = []
    for name, full in sorted(users.items()):
        password = passwords.get(name)
        if not password:
            problems.append(f"{name} has no initial password")
            continue
        problems += [f"{name}'s: {problem}" for problem in complexity_problems(
            str(password), {str(name): str(full or "")}, int(min_length))]
    return problems


class FilterModule:
    """Filters of the windows_base role."""

    def filters(self) -> dict[str, Callable[..., Any]]:
        """Name -> filter."""
        return {"windows_base_update_schedule": windows_base_update_schedule,
                "windows_base_password_problems": windows_base_password_problems,
                "windows_base_users": windows_base_users,
                "windows_base_initial_password_problems":
                    windows_base_initial_password_problems}
