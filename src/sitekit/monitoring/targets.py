"""Scrape targets as Prometheus file_sd: every planned host with its site's labels.

The exporter's port is the fleet's `network.ports.exporter`, the port the flow matrix opens
to the monitoring addresses; a host kind the matrix does not open it to is a problem,
never a target that would only ever be down.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sitekit.plan.fleet import FleetPlan
from sitekit.problems import Problem
from sitekit.site.model import Fleet

PORT = "exporter"  # the port's name in the fleet file's network.ports
SOURCE = "monitoring"  # the address list in network.sources that Prometheus scrapes from


def exporter_port(fleet: Fleet, problems: list[Problem]) -> int | None:
    """The windows_exporter port from the fleet file; a problem naming the field if missing."""
    port = fleet.ports.get(PORT)
    if port is None:
        problems.append(fleet.problem(("network", "ports"), (
            f"no `{PORT}` port: the monitoring scrapes windows_exporter on it; add "
            f"`{PORT}: 9182` under network.ports")))
    return port


def file_sd(fleet: Fleet, plan: FleetPlan, port: int, problems: list[Problem],
            address: Callable[[str], str] = str) -> list[dict[str, Any]]:
    """One file_sd target group per host: its address and port, and its labels.

    `address` maps each planned address (the lab's loopback_address, for `--lab`).
    """
    groups = []
    for site_plan in plan.sites:
        site = site_plan.site
        allowed = {kind for flow in site_plan.flows
                   if flow.port == port and any(name == SOURCE for name, _ in flow.sources)
                   for kind in flow.target_kinds}
        for host in site_plan.hosts:
            if host.kind not in allowed:
                problems.append(fleet.problem(("network", "flows"), (
                    f"no flow lets `{SOURCE}` reach the {host.kind} hosts (e.g. "
                    f"{host.computer_name} of site {site.code}) on port {PORT} ({port}); add "
                    f"{host.kind} to the `to:` of a flow from {SOURCE} on port {PORT}")))
                return []
            groups.append({
                "targets": [f"{address(host.address)}:{port}"],
                "labels": {"site": site.code, "city": site.city, "ring": str(site.rollout_ring),
                           "kind": host.kind, "host": host.name},
            })
    return groups
