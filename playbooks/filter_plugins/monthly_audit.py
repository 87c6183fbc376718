"""The monthly audit playbook's filters, thin over sitekit.audit.gather (tested without Ansible)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ansible.errors import AnsibleFilterError

from sitekit.audit.gather import groups_to_read
from sitekit.backup.schedule import host_schedule


def sitekit_audit_backup_schedule(windows: list[str] | None, full_day: str | None = None,
                                  other_days: str | None = None) -> dict[str, str] | None:
    """The days db_backup runs on a server: the inventory's db_backup_full_day and
    db_backup_differential_days where set, else derived from its maintenance windows;
    None when neither gives one (BAK-01 then judges by db_backup's default schedule)."""
    try:
        return host_schedule(list(windows or ()), full_day or None, other_days or None)
    except ValueError as exc:
        if full_day or other_days:
            raise AnsibleFilterError(f"sitekit_audit_backup_schedule: {exc}") from None
        return None


def sitekit_audit_groups(plan_groups: list[Mapping[str, Any]] | None,
                         built_in: Mapping[str, list[str]] | None = None) -> list[str]:
    """The local groups the audit reads on a host."""
    return groups_to_read(plan_groups or [], built_in or {})


class FilterModule:
    """Filters of playbooks/monthly_audit.yml."""

    def filters(self) -> dict[str, Callable[..., Any]]:
        """Name -> filter."""
        return {"sitekit_audit_groups": sitekit_audit_groups,
                "sitekit_audit_backup_schedule": sitekit_audit_backup_schedule}
