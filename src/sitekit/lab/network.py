"""The site network between the lab's hosts: who answers on which address and port.

A host reaching another (win_wait_for from a station to the server) connects when the
target is up, something listens on the port, the site's router passes it (between two
segments, only the flows of the plan's matrix; within one, everything) and the target's
firewall lets the source's planned address in. What listens: WinRM on 5986, a SQL Server
instance on its TCP port while its service runs, and any service whose state lists the
port under "ports" while it runs (the application server, installed from the share).
"""

from __future__ import annotations

from typing import Any

from netaddr import AddrFormatError, IPAddress, IPNetwork

from sitekit.lab import faults
from sitekit.lab.host import LabHost

_PEERS: dict[str, LabHost] = {}
WINRM_PORT = 5986


def attach(hosts: list[LabHost]) -> None:
    """Put the lab's hosts on one network (the lab process serves them all)."""
    _PEERS.clear()
    for host in hosts:
        _PEERS[host.address] = host


def resolve(name: str) -> LabHost | None:
    """The host at a planned or loopback address, or with that computer or lab name."""
    lowered = name.lower()
    for host in _PEERS.values():
        state = host.state
        if name in (host.address, state.get("planned_address")) or lowered in (
                str(state.get("hostname", "")).lower(), host.hostname.lower()):
            return host
    return None


def connects(source: LabHost, target_name: str, port: int) -> tuple[bool, str]:
    """Tell whether a TCP connection from source to target:port succeeds, and why not."""
    target = resolve(target_name)
    if target is None:
        return False, f"no host {target_name} on the site network"
    state = target.state
    if faults.active(state, "unreachable") is not None:
        return False, f"{target_name} is off"
    if not _listens(state, port):
        return False, f"nothing listens on {target_name}:{port}"
    if not _routed(state, port, str(source.state.get("planned_address", ""))):
        return False, (f"the site's router drops {port}/tcp from "
                       f"{source.state.get('site_network', {}).get('segment', 'the source')} "
                       f"to {target_name}: the plan's flow matrix has no such flow")
    if not _firewall_allows(state, port, str(source.state.get("planned_address", ""))):
        return False, f"{target_name}'s firewall drops {port}/tcp from the source"
    return True, ""


def _routed(state: dict[str, Any], port: int, source: str) -> bool:
    """Within the target's segment anything passes; between segments, only the matrix's flows.

    A host seeded before segments (no `site_network`) sits on one flat network.
    """
    site_network = state.get("site_network")
    if not site_network:
        return True
    try:
        address = IPAddress(source)
    except (AddrFormatError, ValueError):
        return False
    if address in IPNetwork(site_network["subnet"]):
        return True
    return any(entry["port"] == port and any(address in IPNetwork(cidr)
                                             for cidr in entry["sources"])
               for entry in site_network.get("inbound", ()))


def _listens(state: dict[str, Any], port: int) -> bool:
    """WinRM, a running SQL Server instance's port, or a running service's ports."""
    if port == WINRM_PORT:
        return True
    services = state.get("services", {})

    def running(name: str) -> bool:
        return services.get(name, {}).get("state") == "running"

    for instance in state.get("sql_instances", {}).values():
        if instance.get("tcp_port") == port and running(instance.get("service", "")):
            return True
    return any(port in service.get("ports", []) and service.get("state") == "running"
               for service in services.values())


def _firewall_allows(state: dict[str, Any], port: int, source: str) -> bool:
    """Inbound TCP to port from source passes the firewall (or every profile is off)."""
    firewall = state.get("firewall", {})
    if not any(p.get("enabled") for p in firewall.get("profiles", {}).values()):
        return True
    return any(
        rule.get("enabled") and rule.get("direction") == "in" and rule.get("action") == "allow"
        and rule.get("protocol") in ("tcp", "any") and _port_in(str(rule.get("localport")), port)
        and _address_in(str(rule.get("remoteip", "any")), source)
        for rule in firewall.get("rules", {}).values()
    )


def _port_in(ports: str, port: int) -> bool:
    """Whether a rule's localport ("any", "1433", "80,443", "5000-5010") covers port."""
    if ports.lower() == "any":
        return True
    for part in ports.split(","):
        low, _, high = part.strip().partition("-")
        if low.isdigit() and int(low) <= port <= int(high or low):
            return True
    return False


def _address_in(remote: str, source: str) -> bool:
    """Whether a rule's remoteip ("any", addresses, subnets) covers the source address."""
    if remote.lower() in ("any", "*"):
        return True
    try:
        address = IPAddress(source)
        return any(address in IPNetwork(part.strip()) for part in remote.split(",")
                   if part.strip() and part.strip().lower() != "localsubnet")
    except (AddrFormatError, ValueError):
        return False


def windows_list(text: str, *, ports: bool) -> list[str]:
    """A rule's "any", "1433,8443" or "10.41.7.0/26,10.39.0.10" as Windows lists it.

    The firewall keeps an IPv4 subnet as address/netmask whatever form it was given in
    (INetFwRule's RemoteAddresses, Microsoft docs), so 10.0.0.0/24 and
    10.0.0.0/255.255.255.0 are one address, and win_firewall_rule compares them as one.
    """
    found = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        if part.lower() in ("any", "*"):
            found.append("Any")
        elif ports or part.lower() == "localsubnet":
            found.append("LocalSubnet" if part.lower() == "localsubnet" else part)
        else:
            try:
                net = IPNetwork(part)
            except (AddrFormatError, ValueError):
                found.append(part)
                continue
            found.append(str(net.ip) if net.prefixlen == 32 else f"{net.ip}/{net.netmask}")
    return found


def refused_at_once(source: LabHost, target_name: str, port: int) -> bool:
    """Whether a failing connection is refused at once (a TCP reset) rather than unanswered.

    Only a target that is up, routed to and whose firewall lets the source in answers a
    port nothing listens on with a reset; a host that is off, a router's drop and a
    firewall's block (Windows Firewall drops, it does not reject) leave the connect
    unanswered until the client's own timeout.
    """
    target = resolve(target_name)
    if target is None or faults.active(target.state, "unreachable") is not None:
        return False
    address = str(source.state.get("planned_address", ""))
    return (not _listens(target.state, port) and _routed(target.state, port, address)
            and _firewall_allows(target.state, port, address))
