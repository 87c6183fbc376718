"""A site's IP plan: segments (VLAN, subnet, gateway, DHCP scope), blocks, every address.

The site's own subnet is the cardholder-data segment (cde): server, stations, printers and
card terminals. Beside it, where the fleet defines them: management (the infrastructure
devices), back office (the office stations), handhelds and guests, each a subnet carved
from its own fleet address space by the site's index, so adding a segment never moves
another. An address is its block's first address in its segment plus the item's fixed
number minus one, so adding or removing a station never moves another.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from itertools import pairwise

from netaddr import EUI, AddrFormatError, IPAddress, IPNetwork, mac_unix_expanded
from netaddr.strategy.ipv4 import int_to_str

from sitekit.problems import Problem
from sitekit.site.model import BLOCK_NAMES, Block, Fleet, Site, dotted

# The blocks whose items move out of the cde into a segment of their own, when it exists.
SEGMENT_BLOCKS = {"management": "infrastructure", "back_office": "office"}


@dataclass(frozen=True, slots=True)
class Range:
    """A planned block of addresses."""

    first: str
    last: str
    size: int


@dataclass(frozen=True, slots=True)
class Segment:
    """One planned segment of a site: a VLAN with its subnet behind the site's router."""

    name: str
    purpose: str
    vlan: int
    subnet: str
    netmask: str
    prefix: int
    gateway: str
    dhcp: Range | None
    cardholder_data: bool


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
    # The designated time servers (PCI DSS 10.6.2): the fleet's, `gateway` resolved.
    ntp_servers: tuple[str, ...]
    addresses: dict[tuple[str, int], str]  # (block, number) -> address
    devices: tuple[tuple[str, str, str, str], ...]  # (block, name, mac, address)
    segments: dict[str, Segment]
    segment_of: dict[str, str]  # block -> the segment its items live in


@cache
def _network(text: str) -> IPNetwork:
    """A fleet-wide network, parsed once."""
    return IPNetwork(text)


@cache
def _netmask(prefix: int) -> str:
    """The netmask of a prefix length, as text."""
    return str(IPNetwork(f"0.0.0.0/{prefix}").netmask)


def _ip(value: int) -> str:
    """An address inside a site subnet, as text."""
    # netaddr's own formatting, without an IPAddress object per address (100,000 a fleet).
    return int_to_str(value)


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
    blocks = dict(blocks)  # a segment's own block replaces the one its items leave
    segments, subnet_of = _plan_segments(site, fleet, subnet, gateway,
                                         blocks=blocks, problems=problems)
    moved_to = {block: name for name, block in SEGMENT_BLOCKS.items()}
    # Each block's first address as a plain int: IPNetwork.first is a property that builds.
    first_of = {name: sub.first for name, sub in subnet_of.items()}
    addresses = _addresses(site, first_of, blocks, problems)
    devices = _devices(site, first_of, blocks, problems)
    _check_dhcp(site, fleet, subnet, blocks, problems)
    if len(problems) > before or gateway is None:
        return None
    dns = _dns_servers(site, fleet, gateway, addresses, problems)
    ntp = _ntp_servers(fleet, gateway, problems)
    if dns is None or ntp is None:
        return None
    return NetworkPlan(
        subnet=str(subnet.cidr),
        netmask=str(subnet.netmask),
        prefix=subnet.prefixlen,
        gateway=gateway,
        broadcast=_ip(subnet.last),
        blocks={
            name: Range(_ip(first_of[name] + b.offset), _ip(first_of[name] + b.last), b.size)
            for name, b in blocks.items()
        },
        dns_servers=dns,
        ntp_servers=ntp,
        addresses=addresses,
        devices=devices,
        segments=segments,
        segment_of={block: ("cde" if sub is subnet else moved_to[block])
                    for block, sub in subnet_of.items()},
    )


def guest_addresses(site: Site, fleet: Fleet) -> int:
    """How many DHCP addresses the site keeps for guests."""
    return fleet.guest_addresses if site.guest_addresses is None else site.guest_addresses


def present_segments(site: Site, fleet: Fleet) -> list[str]:
    """The fleet's segments this site has: the cde always, the others where it needs them."""
    present = []
    for name in fleet.segments:
        if name == "back_office" and not any(s.kind == "office" for s in site.stations):
            continue
        if (name == "handheld" and site.handhelds == 0) or (
                name == "guest" and guest_addresses(site, fleet) == 0):
            continue
        present.append(name)
    return present


def segment_subnet(site: Site, fleet: Fleet, name: str,
                   problems: list[Problem]) -> IPNetwork | None:
    """A segment's subnet beside the cde: the site's own, or its index into the fleet's space."""
    spec = fleet.segments[name]
    override = site.segments.get(name)
    path: tuple[str, ...] = ("network", "segments", name)
    if override is not None and override.subnet is not None:
        if override.index is not None:
            problems.append(site.problem(path, "set either subnet or index, not both"))
            return None
        return _parse_subnet(site, override.subnet, (*path, "subnet"), problems)
    index = override.index if override is not None and override.index is not None else site.index
    space = _network(spec.address_space or "")
    prefix = spec.prefix or space.prefixlen
    if index is None:
        problems.append(site.problem(
            ("network", "subnet"),
            f"the fleet plans a {name} segment for this site, and a site with its own "
            f"network.subnet has no index to carve it from {space} (/{prefix}): set "
            f"network.segments.{name}.index, or network.segments.{name}.subnet"))
        return None
    count = 2 ** (prefix - space.prefixlen)
    if index >= count:
        where = (*path, "index") if override is not None and override.index is not None \
            else ("network", "index")
        problems.append(site.problem(
            where, f"index {index} is past the end of the {name} segment's address space "
                   f"{space} ({count} /{prefix} subnets): use 0-{count - 1}, or set "
                   f"network.segments.{name}.subnet"))
        return None
    return IPNetwork((space.first + index * 2 ** (32 - prefix), prefix), version=4)


def _parse_subnet(site: Site, text: str, path: tuple[str, ...],
                  problems: list[Problem]) -> IPNetwork | None:
    try:
        subnet = IPNetwork(text)
    except (AddrFormatError, ValueError):
        subnet = None
    if subnet is None or subnet.version != 4 or "/" not in text:
        problems.append(site.problem(path, f"'{text}' is not an IPv4 subnet in CIDR form; "
                                           "write it like 10.60.3.32/27"))
        return None
    if subnet.ip != subnet.network:
        problems.append(site.problem(path, f"{text} has host bits set; did you mean "
                                           f"{subnet.cidr}?"))
        return None
    return subnet


def _plan_segments(site: Site, fleet: Fleet, subnet: IPNetwork, gateway: str | None, *,
                   blocks: dict[str, Block], problems: list[Problem],
                   ) -> tuple[dict[str, Segment], dict[str, IPNetwork]]:
    """Each segment the site has, and the subnet each block's items are addressed in."""
    segments: dict[str, Segment] = {}
    subnet_of = dict.fromkeys(BLOCK_NAMES, subnet)
    vlans: dict[int, str] = {}
    for name in site.segments:
        if name not in fleet.segments:
            problems.append(site.problem(
                ("network", "segments", name),
                f"the fleet defines no {name} segment (it has "
                f"{', '.join(fleet.segments)}); remove network.segments.{name}"))
    for name in present_segments(site, fleet):
        spec = fleet.segments[name]
        override = site.segments.get(name)
        vlan = override.vlan if override is not None and override.vlan is not None else spec.vlan
        if vlan in vlans:
            problems.append(site.problem(
                ("network", "segments", name, "vlan"),
                f"VLAN {vlan} is also the {vlans[vlan]} segment's; every segment needs its "
                f"own VLAN: set network.segments.{name}.vlan"))
        vlans.setdefault(vlan, name)
        dhcp: Block | None
        if name == "cde":
            own, own_gateway, dhcp = subnet, gateway, blocks["dhcp"]
        else:
            found = segment_subnet(site, fleet, name, problems)
            if found is None:
                continue
            own, own_gateway = found, _ip(found.first + 1)
            dhcp = override.dhcp if override is not None and override.dhcp is not None \
                else spec.dhcp
            if name in SEGMENT_BLOCKS and spec.hosts is not None:
                blocks[SEGMENT_BLOCKS[name]] = spec.hosts
            if not _segment_fits(site, fleet, name, own, blocks=blocks, dhcp=dhcp,
                                 problems=problems):
                continue
            if name in SEGMENT_BLOCKS:
                subnet_of[SEGMENT_BLOCKS[name]] = own
        segments[name] = Segment(
            name=name, purpose=spec.purpose, vlan=vlan, subnet=f"{_ip(own.first)}/{own.prefixlen}",
            netmask=_netmask(own.prefixlen), prefix=own.prefixlen, gateway=own_gateway or "",
            dhcp=(Range(_ip(own.first + dhcp.offset), _ip(own.first + dhcp.last), dhcp.size)
                  if dhcp is not None else None),
            cardholder_data=spec.cardholder_data)
    return segments, subnet_of


def _setting(part: str) -> str:
    return "dhcp" if part == "dhcp" else "hosts"


def _segment_fits(site: Site, fleet: Fleet, name: str, subnet: IPNetwork, *,
                  blocks: dict[str, Block], dhcp: Block | None, problems: list[Problem]) -> bool:
    """The segment's block (devices, office stations) and DHCP scope fit its subnet."""
    usable_last = subnet.size - 2
    path = ("network", "segments", name)
    parts = [("dhcp", dhcp)] if dhcp is not None else []
    if name in SEGMENT_BLOCKS:
        parts.append((SEGMENT_BLOCKS[name], blocks[SEGMENT_BLOCKS[name]]))
    fits = True
    for part, block in parts:
        if block is None or (block.offset >= 2 and block.last <= usable_last):  # 1: gateway
            continue
        fits = False
        problems.append(site.problem(
            path, f"the {part} block (offsets {block.offset}-{block.last}) does not fit the "
                  f"{name} segment {subnet.cidr} (usable offsets 2-{usable_last} beside its "
                  f"gateway): set the fleet's network.segments.{name}.{_setting(part)} or give "
                  "the segment a larger subnet"))
    if fits and len(parts) == 2:
        (_, a), (other, b) = parts
        if a is not None and b is not None and a.offset <= b.last and b.offset <= a.last:
            fits = False
            problems.append(site.problem(
                path, f"the {name} segment's DHCP scope (offsets {a.offset}-{a.last}) overlaps "
                      f"its {other} block (offsets {b.offset}-{b.last}); move "
                      f"network.segments.{name}.dhcp"))
    need = {"handheld": site.handhelds, "guest": guest_addresses(site, fleet)}.get(name, 0)
    if fits and need and (dhcp is None or dhcp.size < need):
        fits = False
        problems.append(site.problem(
            ("handhelds",) if name == "handheld" else ("network", "guest_addresses"),
            f"the {name} segment's DHCP scope ({dhcp.size if dhcp else 0} addresses) is too "
            f"small for {need} {'handhelds' if name == 'handheld' else 'guest addresses'}; "
            f"set network.segments.{name}.dhcp larger, or a larger subnet"))
    return fits


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


def _item_address(site: Site, first: int, block_name: str, block: Block, *, number: int,
                  path: tuple[str | int, ...], what: str, problems: list[Problem]) -> str | None:
    if number > block.size:
        problems.append(site.problem(
            (*path, "number"),
            f"number {number} does not fit the {block_name} block ({block.size} addresses, "
            f"{_ip(first + block.offset)}-{_ip(first + block.last)}) "
            f"for {what}: use 1-{block.size}, or enlarge network.blocks.{block_name}"))
        return None
    return _ip(first + block.offset + number - 1)


def _addresses(site: Site, first_of: dict[str, int], blocks: dict[str, Block],
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
        address = _item_address(site, first_of[block_name], block_name, blocks[block_name],
                                number=number,
                                path=path, what=what, problems=problems)
        if address is not None:
            addresses[key] = address
    return addresses


def _devices(site: Site, first_of: dict[str, int], blocks: dict[str, Block],
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
        address = _item_address(site, first_of[device.block], device.block,
                                blocks[device.block],
                                number=device.number, path=device.path, what=device.name,
                                problems=problems)
        # The schema checked the MAC's form; netaddr writes it one way for every site.
        mac = str(EUI(device.mac, dialect=mac_unix_expanded)) if device.mac else ""
        if address is not None:
            planned.append((device.block, device.name, mac, address))
    return tuple(planned)


def _check_dhcp(site: Site, fleet: Fleet, subnet: IPNetwork, blocks: dict[str, Block],
                problems: list[Problem]) -> None:
    """Guests never share the cde; handhelds without a segment of their own use its scope."""
    guests = guest_addresses(site, fleet)
    if guests and "guest" not in fleet.segments:
        # Named where the number was written: the site file, or the fleet's default.
        owner = site.problem if site.guest_addresses is not None else fleet.problem
        problems.append(owner(
            ("network", "guest_addresses"),
            f"{guests} guest addresses of site {site.code} would share the cardholder-data "
            f"segment {subnet.cidr} with the card terminals and the server, which PCI DSS "
            "1.3.3 forbids: define the fleet's guest segment (network.segments.guest in the "
            "fleet file), or set network.guest_addresses: 0"))
    handhelds = 0 if "handheld" in fleet.segments else site.handhelds
    scope = blocks["dhcp"]
    if handhelds > scope.size:
        problems.append(site.problem(
            ("handhelds",),
            f"the DHCP scope ({scope.size} addresses, "
            f"{_ip(subnet.first + scope.offset)}-{_ip(subnet.first + scope.last)}) "
            f"is too small for {handhelds} handhelds; enlarge network.blocks.dhcp or use a "
            "larger subnet"))


def _ntp_servers(fleet: Fleet, gateway: str,
                 problems: list[Problem]) -> tuple[str, ...] | None:
    """The fleet's designated time servers for a site (PCI DSS 10.6.2).

    `gateway` is the site's router (its NTP service is the network team's); any other entry
    names a server of the chain's own by name or address.
    """
    resolved = []
    for i, entry in enumerate(fleet.ntp_servers):
        if entry == "server":
            problems.append(fleet.problem(("network", "ntp_servers", i), (
                "the site's server does not serve time (Windows Time's NTP server is off); "
                "name `gateway` or the chain's internal time servers")))
            return None
        resolved.append(gateway if entry == "gateway" else entry)
    return tuple(resolved)


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
