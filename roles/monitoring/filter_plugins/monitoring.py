"""The monitoring role's filters: a host kind's collectors, the role's own metric names.

A thin adapter over sitekit.monitoring.metrics, where the alert rules read the same names.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ansible.errors import AnsibleFilterError

from sitekit.monitoring import metrics
from sitekit.monitoring.metrics import collectors

# The textfile metrics the role writes, by the name its variables use.
_METRICS = {"defender_signatures": metrics.DEFENDER_SIGNATURES}


def monitoring_collectors(kind: str) -> list[str]:
    """'server' -> ["cpu", "memory", ..., "mssql", "scheduled_task", ...]."""
    try:
        return list(collectors(kind))
    except ValueError as exc:
        raise AnsibleFilterError(f"monitoring_collectors: {exc}") from None


def monitoring_metric(name: str) -> str:
    """'defender_signatures' -> the metric's name, the one the alert rules read."""
    try:
        return _METRICS[name]
    except KeyError:
        raise AnsibleFilterError(f"monitoring_metric: no metric {name!r}; the role writes "
                                 f"{', '.join(_METRICS)}") from None


class FilterModule:
    """Filters of the monitoring role."""

    def filters(self) -> dict[str, Callable[..., Any]]:
        """The filters by name."""
        return {"monitoring_collectors": monitoring_collectors,
                "monitoring_metric": monitoring_metric}
