"""Typed views of a fleet file and its site files, built once the schema has passed."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from anyascii import anyascii

from sitekit.problems import Problem
from sitekit.site.strict_yaml import line_of, plain

STATION_KINDS = ("server", "cashier", "kitchen", "office")
WORKSTATION_KINDS = ("cashier", "kitchen", "office")
BLOCK_NAMES = (
    "infrastructure", "server", "cashier", "kitchen", "office", "printer", "reserved", "dhcp",
)
# A site's network segments: the cardholder-data environment (the site subnet) and the
# segments beside it, each behind the router with its own VLAN (PCI DSS 1.3).
SEGMENT_NAMES = ("cde", "management", "back_office", "handheld", "guest")
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# The same days named in full, as Windows names them (Defender, scheduled tasks).
DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

Path_ = tuple[str | int, ...]


def dotted(path: Path_) -> str:
    """A field path as the user reads it: stations.cashier[2].number."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


@dataclass(frozen=True, slots=True)
class Block:
    """A run of addresses in a site subnet, as an offset from the network address."""

    offset: int
    size: int

    @property
    def last(self) -> int:
        """Offset of the block's last address."""
        return self.offset + self.size - 1


@dataclass(frozen=True, slots=True)
class SegmentSpec:
    """A segment as the fleet defines it for every site."""

    name: str
    purpose: str
    vlan: int
    address_space: str | None  # None for the cde: the site's own subnet
    prefix: int | None
    dhcp: Block | None
    cardholder_data: bool
    hosts: Block | None  # management, back_office: the block of the items they hold


@dataclass(frozen=True, slots=True)
class SegmentOverride:
    """What one site changes about a fleet segment."""

    subnet: str | None
    index: int | None
    vlan: int | None
    dhcp: Block | None


@dataclass(frozen=True, slots=True)
class FlowSpec:
    """An allowed flow: these sources may reach hosts of these kinds on one TCP port."""

    name: str
    sources: tuple[str, ...]  # segment names or the fleet's named source lists
    targets: tuple[str, ...]  # station kinds
    port: str  # a name in the fleet's ports
    path: Path_


@dataclass(frozen=True, slots=True)
class Station:
    """A Windows machine at the site."""

    kind: str
    number: int
    location: str
    section: str | None
    path: Path_


@dataclass(frozen=True, slots=True)
class Printer:
    """A network printer: receipt (at a cashier station) or kitchen (per section)."""

    kind: str
    number: int
    location: str
    station: int | None
    section: str | None
    path: Path_


@dataclass(frozen=True, slots=True)
class Device:
    """An infrastructure device or a DHCP reservation at a fixed number in its block."""

    block: str
    number: int
    name: str
    location: str
    mac: str | None
    path: Path_
    # A payment terminal's make, model and serial (PCI DSS 9.5.1.1), when it is one.
    card_terminal: CardTerminal | None = None


@dataclass(frozen=True, slots=True)
class CardTerminal:
    """A payment terminal (POI device) as PCI DSS 9.5.1.1 lists it."""

    make: str
    model: str
    serial: str


@dataclass(frozen=True, slots=True)
class StaffMember:
    """A person who uses or looks after the system."""

    name: str
    user: str
    administrator: bool
    modules: tuple[str, ...]
    path: Path_


def city_slug(city: str) -> str:
    """A group-name-safe form of a city in any script: '東京' -> 'dongjing'.

    anyascii transliterates every script, so cities in other scripts get distinct,
    predictable groups; a site file's `city_group` overrides it.
    """
    ascii_text = anyascii(city)
    return re.sub(r"[^a-z0-9]+", "_", ascii_text.lower()).strip("_") or "unnamed"


@dataclass(frozen=True, slots=True)
class Waiver:
    """A plan rule the site may break, with the reason written down."""

    rule: str
    module: str | None
    reason: str
    approved_by: str | None
    expires: str | None
    path: Path_


@dataclass(frozen=True, slots=True)
class Module:
    """A functional module of the restaurant application."""

    name: str
    title: str
    app_role: str
    stations: tuple[str, ...]


@dataclass(frozen=True)
class Fleet:
    """The fleet file: defaults shared by every site."""

    directory: Path
    file: str
    source: Any = field(repr=False)
    name: str
    organisation: str
    address_space: str
    site_prefix: int
    blocks: dict[str, Block]
    segments: dict[str, SegmentSpec]
    sources: dict[str, tuple[str, ...]]
    ports: dict[str, int]
    flows: tuple[FlowSpec, ...]
    guest_addresses: int
    dns_servers: tuple[str, ...]
    ntp_servers: tuple[str, ...]
    hostnames: dict[str, str]
    maintenance: dict[str, int]
    winrm: dict[str, Any]
    application: dict[str, Any]
    software: dict[str, Any]
    autologon: dict[str, Any] | None
    # Where the hosts forward their events (`logging.collector`: url, issuer_ca,
    # refresh_seconds), None when the fleet file names no collector.
    collector: dict[str, Any] | None
    volumes: dict[str, tuple[str, ...]]  # per kind named in `hardware.volumes`
    modules: dict[str, Module]
    accounts: dict[str, str]
    rules: dict[str, int]

    def volumes_of(self, kind: str) -> tuple[str, ...]:
        """The drive letters a machine of this kind has: C: alone unless the fleet says more."""
        return self.volumes.get(kind, ("C",))

    def problem(self, path: Path_, message: str) -> Problem:
        """A problem in the fleet file at `path` (relative to its `fleet` key)."""
        full = ("fleet", *path)
        return Problem(self.file, line_of(self.source, full), "(fleet)", dotted(full), message)

    @classmethod
    def from_data(cls, directory: Path, file: str, source: Any) -> Fleet:
        """Build from the fleet file's data, which has passed the fleet schema."""
        data = source["fleet"]
        network = data["network"]
        app = data["application"]
        return cls(
            directory=directory,
            file=file,
            source=source,
            name=data["name"],
            organisation=data.get("organisation", ""),
            address_space=network["address_space"],
            site_prefix=network["site_prefix"],
            blocks={name: Block(**network["blocks"][name]) for name in BLOCK_NAMES},
            segments={
                name: SegmentSpec(name, spec.get("purpose", ""), spec["vlan"],
                                  spec.get("address_space"), spec.get("prefix"),
                                  Block(**spec["dhcp"]) if "dhcp" in spec else None,
                                  name == "cde" or spec.get("cardholder_data", False),
                                  Block(**spec["hosts"]) if "hosts" in spec else None)
                for name in SEGMENT_NAMES
                if (spec := network["segments"].get(name)) is not None
            },
            sources={name: tuple(cidrs) for name, cidrs in network.get("sources", {}).items()},
            ports={
                "sql": data["software"]["sql_server"]["port"],
                "application": app["server_port"],
                "winrm": data["winrm"]["port"],
                **network.get("ports", {}),
            },
            flows=tuple(
                FlowSpec(flow["name"], tuple(flow["from"]), tuple(flow["to"]), flow["port"],
                         ("network", "flows", i))
                for i, flow in enumerate(network.get("flows", ()))
            ),
            guest_addresses=network["guest_addresses"],
            dns_servers=tuple(network["dns_servers"]),
            ntp_servers=tuple(network["ntp_servers"]),
            hostnames=dict(data["hostnames"]),
            maintenance=dict(data["maintenance"]),
            winrm=dict(data["winrm"]),
            application={k: v for k, v in app.items() if k != "modules"},
            software=plain(data["software"]),
            autologon=plain(data["autologon"]) if "autologon" in data else None,
            collector=({"refresh_seconds": 900, **plain(data["logging"]["collector"])}
                       if "logging" in data else None),
            volumes={kind: tuple(letters) for kind, letters in
                     data.get("hardware", {}).get("volumes", {}).items()},
            modules={
                name: Module(name, m["title"], m["app_role"], tuple(m["stations"]))
                for name, m in app["modules"].items()
            },
            accounts=dict(data["accounts"]),
            rules=dict(data["rules"]),
        )


@dataclass(frozen=True)
class Site:
    """One restaurant's site file."""

    file: str
    source: Any = field(repr=False)
    code: str
    name: str
    city: str
    city_group: str  # the `city_<...>` group's suffix: the site file's, or the city's
    address: str
    time_zone: str
    opening_hours: dict[str, str]
    maintenance_window: str | None
    rollout_ring: int
    subnet: str | None
    index: int | None
    gateway: str | None
    blocks: dict[str, Block]
    segments: dict[str, SegmentOverride]
    dns_servers: tuple[str, ...] | None
    guest_addresses: int | None
    devices: tuple[Device, ...]
    stations: tuple[Station, ...]
    handhelds: int
    printers: tuple[Printer, ...]
    staff: tuple[StaffMember, ...]
    waivers: tuple[Waiver, ...]
    notes: str

    def problem(self, path: Path_, message: str) -> Problem:
        """A problem in this site file at `path`."""
        return Problem(self.file, line_of(self.source, path), self.code, dotted(path), message)

    @classmethod
    def from_data(cls, file: str, data: Any) -> Site:
        """Build from a site file's data, which has passed the site schema."""
        network = data["network"]
        stations = data["stations"]
        printers = data.get("printers", {})
        return cls(
            file=file,
            source=data,
            code=data["code"],
            name=data["name"],
            city=data["city"],
            city_group=data.get("city_group") or city_slug(data["city"]),
            address=data.get("address", ""),
            time_zone=data["time_zone"],
            opening_hours=dict(data["opening_hours"]),
            maintenance_window=data.get("maintenance_window"),
            rollout_ring=data.get("rollout_ring", 1),
            subnet=network.get("subnet"),
            index=network.get("index"),
            gateway=network.get("gateway"),
            blocks={name: Block(**b) for name, b in network.get("blocks", {}).items()},
            segments={
                name: SegmentOverride(seg.get("subnet"), seg.get("index"), seg.get("vlan"),
                                      Block(**seg["dhcp"]) if "dhcp" in seg else None)
                for name, seg in network.get("segments", {}).items()
            },
            dns_servers=tuple(network["dns_servers"]) if "dns_servers" in network else None,
            guest_addresses=network.get("guest_addresses"),
            devices=tuple(
                Device(block, item["number"], item["name"], item.get("location", ""),
                       item.get("mac"), ("network", key, i),
                       CardTerminal(**item["card_terminal"]) if "card_terminal" in item
                       else None)
                for key, block in (("infrastructure", "infrastructure"),
                                   ("reservations", "reserved"))
                for i, item in enumerate(network.get(key, ()))
            ),
            stations=tuple(
                Station(kind, item["number"], item.get("location", ""), item.get("section"),
                        ("stations", kind, i))
                for kind in STATION_KINDS
                for i, item in enumerate(stations.get(kind, ()))
            ),
            handhelds=data.get("handhelds", 0),
            printers=tuple(
                Printer(kind, item["number"], item.get("location", ""), item.get("station"),
                        item.get("section"), ("printers", kind, i))
                for kind in ("receipt", "kitchen")
                for i, item in enumerate(printers.get(kind, ()))
            ),
            staff=tuple(
                StaffMember(item["name"], item["user"], item.get("administrator", False),
                            tuple(item.get("modules", ())), ("staff", i))
                for i, item in enumerate(data["staff"])
            ),
            waivers=tuple(
                Waiver(item["rule"], item.get("module"), item["reason"],
                       item.get("approved_by"), item.get("expires"), ("waivers", i))
                for i, item in enumerate(data.get("waivers", ()))
            ),
            notes=data.get("notes", ""),
        )
