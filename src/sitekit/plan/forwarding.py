"""The event collector the hosts forward to: outside every site (PCI DSS 10.3.3, 10.5.1)."""

from __future__ import annotations

from urllib.parse import urlsplit

from netaddr import AddrFormatError, IPAddress, IPNetwork

from sitekit.problems import Problem
from sitekit.site.model import Fleet


def check_collector(fleet: Fleet, problems: list[Problem]) -> None:
    """A collector named by an address must not be one the sites' networks use.

    Its copy of the events is the one that counts: a collector inside a site would be
    reachable by whoever took over that site (and the schema already asks for HTTPS). A
    name cannot be checked here; the site survey confirms where it resolves.
    """
    if fleet.collector is None:
        return
    host = urlsplit(fleet.collector["url"]).hostname or ""
    try:
        address = IPAddress(host, 4)
    except (AddrFormatError, ValueError):
        return
    spaces = [("network.address_space", fleet.address_space)] + [
        (f"network.segments.{name}.address_space", spec.address_space)
        for name, spec in fleet.segments.items() if spec.address_space is not None]
    for field, text in spaces:
        try:
            inside = address in IPNetwork(text)
        except (AddrFormatError, ValueError):
            continue  # the network checks name a broken address space
        if inside:
            problems.append(fleet.problem(("logging", "collector", "url"), (
                f"the collector {address} is inside the sites' address space {text} "
                f"({field}); name the chain's collector outside the sites, where a "
                "compromised site cannot reach its copy of the events")))
            return
