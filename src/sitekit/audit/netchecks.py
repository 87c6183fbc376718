"""The network operators: a host in its planned segment, its firewall within the flow matrix.

Both judge facts by what the plan says of the host (`planned_network`, written beside the
facts by the monthly audit). Windows reports a rule's remote addresses as "Any",
"LocalSubnet", an address/netmask, a bare address or a range (Get-NetFirewallAddressFilter;
New-NetFirewallRule -RemoteAddress in Microsoft's docs); local ports as "Any", numbers,
ranges or keywords such as RPC.
"""

from __future__ import annotations

from typing import Any

from netaddr import AddrFormatError, IPNetwork, IPRange, IPSet

# (True/False/None for unknown, shown, note), as sitekit.audit.checks' operators give.
Verdict = tuple[bool | None, str, str]


def in_subnet(observed: Any, expected: Any, _: Any) -> Verdict:
    """Every IPv4 address the host holds lies in its planned segment's subnet."""
    if not isinstance(observed, list):
        return None, str(observed), "no address list"
    try:
        subnet = IPNetwork(str(expected))
        addresses = [IPNetwork(str(text)) for text in observed]
    except (AddrFormatError, ValueError) as error:
        return None, ", ".join(map(str, observed)), f"not an address: {error}"
    shown = ", ".join(map(str, observed)) or "(no address)"
    if not addresses:
        return False, shown, "the host holds no IPv4 address"
    outside = [str(a.ip) for a in addresses if a.ip not in subnet]
    if outside:
        return False, shown, f"outside the planned segment {subnet}: {', '.join(outside)}"
    return True, shown, ""


def scopes_within(observed: Any, expected: Any, _: Any) -> Verdict:
    """Each port of the flow matrix is open to no more than the matrix's sources for it.

    `observed` are the enabled inbound allow rules (network.inbound_rules), `expected` the
    host's planned inbound flows ([{port, sources}]). A rule that covers the port and lets
    in an address outside every source (Any, LocalSubnet, a wider subnet) fails it.
    """
    if not isinstance(observed, list) or not isinstance(expected, list):
        return None, str(observed), "no rule list or no planned flows"
    if not all(isinstance(rule, dict) for rule in observed):
        return None, str(observed), "a firewall rule that is not a record: the facts are damaged"
    wider, shown = [], []
    for entry in expected:
        port = int(entry["port"])
        allowed = IPSet(IPNetwork(str(cidr)) for cidr in entry["sources"])
        opened = []
        for rule in observed:
            if str(rule.get("protocol", "")).lower() not in ("tcp", "any") or \
                    not _covers(rule.get("local_ports") or [], port):
                continue
            for remote in rule.get("remote_addresses") or []:
                found = _addresses(str(remote))
                opened.append(str(remote))
                if found is None or not found.issubset(allowed):
                    wider.append(f"{port} open to {remote} by {rule.get('name', '?')!s}")
        shown.append(f"{port} from {', '.join(opened) or 'nothing'}")
    text = "; ".join(shown) or "(no planned flows)"
    if wider:
        return False, text, "wider than the flow matrix: " + "; ".join(wider)
    return True, text, ""


def _covers(ports: list[Any], port: int) -> bool:
    """Whether a rule's local ports ("Any", "1433", "5000-5010") include port."""
    for text in (str(p).strip() for p in ports):
        if text.lower() == "any":
            return True
        low, _, high = text.partition("-")
        if low.isdigit() and (high or low).isdigit() and int(low) <= port <= int(high or low):
            return True
    return False


def _addresses(remote: str) -> IPSet | None:
    """A remote address as a set; None for Any, LocalSubnet and other keywords (every one)."""
    try:
        if "-" in remote:
            first, last = remote.split("-", 1)
            return IPSet(IPRange(first.strip(), last.strip()))
        return IPSet([IPNetwork(remote)])
    except (AddrFormatError, ValueError):
        return None
