"""The flow matrix: which sources may reach which hosts of a site on which TCP port.

The fleet defines the flows once (`network.flows`): sources are segments or the fleet's
named address lists (the controller, monitoring), targets are station kinds, ports are
names. Each site's plan resolves them to subnets, hosts and port numbers; everything not
listed is denied. Guests are never a source: they reach the internet only (PCI DSS 1.3.3).
Host firewalls, the lab and the audit read this one matrix.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from netaddr import AddrFormatError, IPNetwork

from sitekit.plan.network import NetworkPlan
from sitekit.problems import Problem
from sitekit.site.model import STATION_KINDS, Fleet


@dataclass(frozen=True, slots=True)
class Flow:
    """One allowed flow at a site, resolved to addresses."""

    name: str
    protocol: str
    port: int
    sources: tuple[tuple[str, str], ...]  # (segment or source list name, CIDR)
    target_kinds: tuple[str, ...]
    targets: tuple[tuple[str, str], ...]  # (computer name, address)


def check_fleet_network(fleet: Fleet, problems: list[Problem]) -> None:
    """The fleet's segments, sources and flows make sense; problems name the fleet field."""
    for name, spec in fleet.segments.items():
        if spec.address_space is None:
            continue
        try:
            space = IPNetwork(spec.address_space)
        except (AddrFormatError, ValueError):
            space = None
        if space is None or space.version != 4 or space.ip != space.network:
            problems.append(fleet.problem(
                ("network", "segments", name, "address_space"),
                f"'{spec.address_space}' is not an IPv4 network in CIDR form; write it like "
                "10.60.0.0/16"))
        elif spec.prefix is not None and spec.prefix < space.prefixlen:
            problems.append(fleet.problem(
                ("network", "segments", name, "prefix"),
                f"/{spec.prefix} is larger than the address space {space}; use a prefix of "
                f"{space.prefixlen} or more"))
    for name, cidrs in fleet.sources.items():
        for i, text in enumerate(cidrs):
            try:
                IPNetwork(text, version=4)
            except (AddrFormatError, ValueError):
                problems.append(fleet.problem(("network", "sources", name, i),
                                              f"'{text}' is not an IPv4 address or subnet"))
    _check_flows(fleet, problems)


def _check_flows(fleet: Fleet, problems: list[Problem]) -> None:
    for flow in fleet.flows:
        for i, source in enumerate(flow.sources):
            if source == "guest":
                problems.append(fleet.problem(
                    (*flow.path, "from", i),
                    f"flow {flow.name}: guests reach the internet only, never a site's hosts "
                    "(PCI DSS 1.3.3); remove guest from its sources"))
            elif source not in fleet.segments and source not in fleet.sources:
                problems.append(fleet.problem(
                    (*flow.path, "from", i),
                    f"flow {flow.name}: '{source}' is neither a segment "
                    f"({', '.join(fleet.segments)}) nor a source list in network.sources "
                    f"({', '.join(fleet.sources) or 'none'})"))
        if flow.port not in fleet.ports:
            problems.append(fleet.problem(
                (*flow.path, "port"),
                f"flow {flow.name}: no port named '{flow.port}'; ports: "
                f"{', '.join(sorted(fleet.ports))} (add it to network.ports)"))


def plan_flows(fleet: Fleet, network: NetworkPlan,
               hosts: tuple[tuple[str, str, str], ...]) -> tuple[Flow, ...]:
    """The fleet's flows at one site; `hosts` are (kind, computer name, address).

    A source segment the site lacks (no handhelds) drops out; a flow with no source or no
    target at the site is not planned.
    """
    planned = []
    for spec in fleet.flows:
        sources = []
        for source in spec.sources:
            segment = network.segments.get(source)
            if segment is not None:
                sources.append((source, segment.subnet))
            else:
                sources += [(source, cidr) for cidr in fleet.sources.get(source, ())]
        targets = tuple((name, address) for kind, name, address in hosts
                        if kind in spec.targets)
        if sources and targets:
            planned.append(Flow(spec.name, "tcp", fleet.ports[spec.port], tuple(sources),
                                tuple(k for k in STATION_KINDS if k in spec.targets), targets))
    return tuple(planned)


def inbound(flows: tuple[Flow, ...], kind: str) -> list[dict[str, Any]]:
    """What a host of this kind lets in, per port: the flows' names and source CIDRs."""
    names: dict[int, list[str]] = {}
    sources: dict[int, list[str]] = {}
    for flow in flows:
        if kind not in flow.target_kinds:
            continue
        names.setdefault(flow.port, []).append(flow.name)
        found = sources.setdefault(flow.port, [])
        for _, cidr in flow.sources:
            if cidr not in found:
                found.append(cidr)
    return [{"port": port, "protocol": "tcp", "flows": names[port], "sources": sources[port]}
            for port in sorted(names)]


def guest_vantage(network: NetworkPlan) -> str | None:
    """Where the segmentation test (PCI DSS 11.4.5) probes the site from: a guest's address.

    The last address of the guest segment's DHCP scope, which a guest's device could lease;
    None when the site has no guest segment (nothing to test from).
    """
    guest = network.segments.get("guest")
    if guest is None or guest.dhcp is None:
        return None
    return guest.dhcp.last
