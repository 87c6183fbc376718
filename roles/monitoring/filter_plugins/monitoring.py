"""The monitoring role's filter: the exporter's collectors of a kind of host.

A thin adapter over sitekit.monitoring.metrics, where the alert rules read the same list.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ansible.errors import AnsibleFilterError

from sitekit.monitoring.metrics import collectors


def monitoring_collectors(kind: str) -> list[str]:
    """'server' -> ["cpu", "memory", ..., "mssql", "scheduled_task", ...]."""
    try:
        return list(collectors(kind))
    except ValueError as exc:
        raise AnsibleFilterError(f"monitoring_collectors: {exc}") from None


class FilterModule:
    """Filters of the monitoring role."""

    def filters(self) -> dict[str, Callable[..., Any]]:
        """The filters by name."""
        return {"monitoring_collectors": monitoring_collectors}
