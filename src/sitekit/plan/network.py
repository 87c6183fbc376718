"""A site's IP plan: subnet, gateway, fixed blocks per use, DHCP scope and every address.

An address is the block's first address plus the item's fixed number minus one, so adding
or removing a station never moves another. Blocks are fleet data that a site may override
(a /26 needs smaller ones); the DHCP scope serves handhelds and guests.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from itertools import pairwise

from netaddr import EUI, AddrFormatError, IPAddress, IPNetwork, mac_unix_expanded

from sitekit.problems import Problem
from sitekit.site.model import BLOCK_NAMES, Block, Fleet, Site, dotted


@dataclass(frozen=True, slots=True)
class Range:
    """A planned block of addresses."""

    first: str
    last: str
    size: int


@dataclass(frozen=True, slots=True)
class NetworkPlan:
    """The addresses of one site."""

    subnet: str
    netmask: str
    prefix: int
    gateway: str
    broadcast: str
    blocks: dict[str, Range]
    dns_servers: tuple[str, ...]
    addresses: dict[tuple[str, int], str]  # (block, number) -> address
    devices: tuple[tuple[str, str, str, str], ...]  # (block, name, mac, address)


@cache
def _network(text: str) -> IPNetwork:
    """A fleet-wide network, parsed once."""
    return IPNetwork(text)


def _ip(value: int) -> str:
    """An address inside a site subnet, as text."""
    return str(IPAddress(value, 4))


def site_subnet(site: Site, fleet: Fleet, problems: list[Problem]) -> IPNetwork | None:
    """The site's subnet: given, or the index-th of the fleet's address space."""
    if site.subnet is not None and site.index is not None:
        problems.append(site.problem(("network",),
                                     "set either network.subnet or network.index, not both"))
        return None
    if site.subnet is not None:
        try:
            subnet = IPNetwork(site.subnet)
        except (AddrFormatError, ValueError):
            problems.append(site.problem(("network", "subnet"),
                                         f"'{site.subnet}' is not a subnet; write it like "
                                         "10.40.3.0/24"))
            return None
        if subnet.version != 4 or "/" not in site.subnet:
            problems.append(site.problem(("network", "subnet"),
                                         f"'{site.subnet}' is not an IPv4 subnet in CIDR form; "
                                         "write it like 10.40.3.0/24"))
            return None
        if subnet.ip != subnet.network:
            problems.append(site.problem(("network", "subnet"),
                                         f"{site.subnet} has host bits set; did you mean "
                                         f"{subnet.cidr}?"))
            return None
        return subnet
    if site.index is not None:
        space = _network(fleet.address_space)
        count = 2 ** (fleet.site_prefix - space.prefixlen)
        if site.index >= count:
            problems.append(site.problem(("network", "index"),
                                         f"index {site.index} is past the end of the fleet's "
                                         f"address space {space} ({count} /{fleet.site_prefix} "
                                         f"subnets): use 0-{count - 1}, or set network.subnet"))
            return None
        size = 2 ** (32 - fleet.site_prefix)
        return IPNetwork((space.first + site.index * size, fleet.site_prefix), version=4)
    problems.append(site.problem(("network",),
                                 "set network.subnet (e.g. 10.40.3.0/24) or network.index"))
    return None


def plan_network(site: Site, fleet: Fleet, problems: list[Problem]) -> NetworkPlan | None:
    """Plan the site's addresses; problems go to `problems`, and None when it can't be done."""
    subnet = site_subnet(site, fleet, problems)
    if subnet is None:
        return None
    before = len(problems)
    blocks = _check_blocks(site, fleet, subnet, problems)
    gateway = _gateway(site, subnet, blocks, problems)
    addresses = _addresses(site, subnet, blocks, problems)
    devices = _devices(site, subnet, blocks, problems)
    _check_dhcp(site, fleet, subnet, blocks, problems)
    if len(problems) > before or gateway is None:
        return None
    dns = _dns_servers(site, fleet, gateway, addresses, problems)
    if dns is None:
        return None
    return NetworkPlan(
        subnet=str(subnet.cidr),
        netmask=str(subnet.netmask),
        prefix=subnet.prefixlen,
        gateway=gateway,
        broadcast=_ip(subnet.last),
        blocks={
            name: Range(_ip(subnet.first + b.offset),
                        _ip(subnet.first + b.last), b.size)
            for name, b in blocks.items()
        },
        dns_servers=dns,
        addresses=addresses,
        devices=devices,
    )


def _block_path(site: Site, name: str) -> tuple[str, ...]:
    # Point at the site's override when it has one, else at what sized the subnet.
    if name in site.blocks:
        return ("network", "blocks", name)
    return ("network", "subnet" if site.subnet is not None else "index")


def _check_blocks(site: Site, fleet: Fleet, subnet: IPNetwork,
                  problems: list[Problem]) -> dict[str, Block]:
    blocks = {name: site.blocks.get(name, fleet.blocks[name]) for name in BLOCK_NAMES}
    usable_last = subnet.size - 2  # the broadcast address is not usable
    fitting = {}
    for name, block in blocks.items():
        if block.last > usable_last:
            source = "this site's" if name in site.blocks else "the fleet's"
            problems.append(site.problem(
                _block_path(site, name),
                f"{source} {name} block (offsets {block.offset}-{block.last}) does not fit "
                f"a /{subnet.prefixlen} ({subnet.size} addresses, usable offsets 1-{usable_last}); "
                f"set network.blocks.{name} for this site, or use a larger subnet"))
        else:
            fitting[name] = block
    ordered = sorted(fitting.items(), key=lambda item: item[1].offset)
    for (name_a, a), (name_b, b) in pairwise(ordered):
        if b.offset <= a.last:
            problems.append(site.problem(
                _block_path(site, name_b if name_b in site.blocks else name_a),
                f"the {name_a} block (offsets {a.offset}-{a.last}) and the {name_b} block "
                f"(offsets {b.offset}-{b.last}) overlap; move one of them in network.blocks"))
    return blocks


def _gateway(site: Site, subnet: IPNetwork, blocks: dict[str, Block],
             problems: list[Problem]) -> str | None:
    if site.gateway is None:
        offset = 1
    else:
        try:
            address = IPAddress(site.gateway)
        except (AddrFormatError, ValueError):
            problems.append(site.problem(("network", "gateway"),
                                         f"'{site.gateway}' is not an IPv4 address"))
            return None
        if address not in subnet or address in (subnet.network, subnet.broadcast):
            problems.append(site.problem(
                ("network", "gateway"),
                f"{address} is not a usable address of the site's subnet {subnet.cidr}; "
                f"use one of {_ip(subnet.first + 1)}-{_ip(subnet.last - 1)}"))
            return None
        offset = int(address) - subnet.first
    for name, block in blocks.items():
        if block.offset <= offset <= block.last:
            problems.append(site.problem(
                ("network", "gateway") if site.gateway else _block_path(site, name),
                f"the gateway (offset {offset}) lies inside the {name} block "
                f"(offsets {block.offset}-{block.last}); move the block or the gateway"))
    return _ip(subnet.first + offset)


def _item_address(site: Site, subnet: IPNetwork, block_name: str, block: Block, *, number: int,
                  path: tuple[str | int, ...], what: str, problems: list[Problem]) -> str | None:
    if number > block.size:
        problems.append(site.problem(
            (*path, "number"),
            f"number {number} does not fit the {block_name} block ({block.size} addresses, "
            f"{_ip(subnet.first + block.offset)}-{_ip(subnet.first + block.last)}) "
            f"for {what}: use 1-{block.size}, or enlarge network.blocks.{block_name}"))
        return None
    return _ip(subnet.first + block.offset + number - 1)


def _addresses(site: Site, subnet: IPNetwork, blocks: dict[str, Block],
               problems: list[Problem]) -> dict[tuple[str, int], str]:
    """Addresses of stations and printers by (block, number); duplicates are problems."""
    addresses: dict[tuple[str, int], str] = {}
    seen: dict[tuple[str, int], tuple[str | int, ...]] = {}
    items = [(s.kind, s.number, s.path, f"{s.kind} stations") for s in site.stations]
    items += [("printer", p.number, p.path, "printers") for p in site.printers]
    for block_name, number, path, what in items:
        key = (block_name, number)  # printers of both kinds share one numbering
        if key in seen:
            problems.append(site.problem(
                (*path, "number"),
                f"number {number} is already used by {what[:-1]} at "
                f"{dotted(seen[key])}; every one needs its own number"))
            continue
        seen[key] = path
        address = _item_address(site, subnet, block_name, blocks[block_name], number=number,
                                path=path, what=what, problems=problems)
        if address is not None:
            addresses[key] = address
    return addresses


def _devices(site: Site, subnet: IPNetwork, blocks: dict[str, Block],
             problems: list[Problem]) -> tuple[tuple[str, str, str, str], ...]:
    """Infrastructure devices and DHCP reservations at their fixed numbers."""
    planned = []
    seen: dict[tuple[str, int], tuple[str | int, ...]] = {}
    names: set[str] = set()
    for device in site.devices:
        key = (device.block, device.number)
        if key in seen:
            problems.append(site.problem((*device.path, "number"),
                                         f"number {device.number} is already used at "
                                         f"{dotted(seen[key])}; give each its own number"))
            continue
        seen[key] = device.path
        if device.name in names:
            problems.append(site.problem((*device.path, "name"),
                                         f"name {device.name} is used twice; names must differ"))
        names.add(device.name)
        address = _item_address(site, subnet, device.block, blocks[device.block],
                                number=device.number, path=device.path, what=device.name,
                                problems=problems)
        # The schema checked the MAC's form; netaddr writes it one way for every site.
        mac = str(EUI(device.mac, dialect=mac_unix_expanded)) if device.mac else ""
        if address is not None:
            planned.append((device.block, device.name, mac, address))
    return tuple(planned)


def _check_dhcp(site: Site, fleet: Fleet, subnet: IPNetwork, blocks: dict[str, Block],
                problems: list[Problem]) -> None:
    guests = fleet.guest_addresses if site.guest_addresses is None else site.guest_addresses
    scope = blocks["dhcp"]
    if site.handhelds + guests > scope.size:
        problems.append(site.problem(
            ("handhelds",),
            f"the DHCP scope ({scope.size} addresses, "
            f"{_ip(subnet.first + scope.offset)}-{_ip(subnet.first + scope.last)}) "
            f"is too small for {site.handhelds} handhelds and {guests} guest addresses; "
            "enlarge network.blocks.dhcp, lower network.guest_addresses or use a larger subnet"))


def _dns_servers(site: Site, fleet: Fleet, gateway: str, addresses: dict[tuple[str, int], str],
                 problems: list[Problem]) -> tuple[str, ...] | None:
    servers = fleet.dns_servers if site.dns_servers is None else site.dns_servers
    path: tuple[str | int, ...] = ("network", "dns_servers")
    resolved = []
    for i, entry in enumerate(servers):
        if entry == "gateway":
            resolved.append(gateway)
        elif entry == "server":
            first_server = min(n for kind, n in addresses if kind == "server")
            resolved.append(addresses[("server", first_server)])
        else:
            try:
                resolved.append(str(IPAddress(entry, 4)))
            except (AddrFormatError, ValueError):
                message = f"'{entry}' is not an IPv4 address, `gateway` or `server`"
                if site.dns_servers is None:
                    problems.append(fleet.problem(("network", "dns_servers", i), message))
                else:
                    problems.append(site.problem((*path, i), message))
                return None
    return tuple(resolved)
