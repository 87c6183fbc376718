"""The windows_base role's password and lockout settings judged by the fleet's audit policy.

Thin over sitekit.audit.settings (tested without Ansible).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ansible.errors import AnsibleFilterError

from sitekit.audit.settings import failing

# The facts the audit reads (sitekit_facts' password_policy and lockout_policy) and the role
# variable that sets each.
VARIABLES = {
    "password_policy.min_length": "windows_base_password_min_length",
    "password_policy.complexity": "windows_base_password_complexity",
    "password_policy.history": "windows_base_password_history",
    "password_policy.max_age_days": "windows_base_password_max_age_days",
    "password_policy.min_age_days": "windows_base_password_min_age_days",
    "lockout_policy.threshold": "windows_base_lockout_threshold",
    "lockout_policy.duration_minutes": "windows_base_lockout_duration_minutes",
    "lockout_policy.window_minutes": "windows_base_lockout_reset_minutes",
    "logging.security_log.maximum_size_kb": "windows_base_security_log_max_kb",
    "hardening.inactivity_timeout_seconds": "windows_base_inactivity_timeout_seconds",
}


def windows_base_policy_failures(values: dict[str, Any], fleet_dir: str, kind: str) -> list[str]:
    """The audit controls the role's values would fail: [] when the policy accepts them.

    `values` are the role's variables by name (VARIABLES' values).
    """
    facts: dict[str, Any] = {}
    for fact, variable in VARIABLES.items():
        *sections, key = fact.split(".")
        node = facts
        for section in sections:
            node = node.setdefault(section, {})
        node[key] = values[variable]
    try:
        return failing(str(fleet_dir), str(kind), facts, VARIABLES)
    except (OSError, ValueError) as exc:
        raise AnsibleFilterError(f"windows_base_policy_failures: the fleet's audit policy in "
                                 f"{fleet_dir} cannot be read: {exc}") from exc


class FilterModule:
    """Filters of the windows_base role."""

    def filters(self) -> dict[str, Callable[..., Any]]:
        """Name -> filter."""
        return {"windows_base_policy_failures": windows_base_policy_failures}
