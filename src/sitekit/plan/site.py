"""One site's whole plan: its hosts, printers, network, users and schedule."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from sitekit.plan.flows import Flow, plan_flows
from sitekit.plan.network import NetworkPlan, plan_network
from sitekit.plan.schedule import Schedule, plan_schedule
from sitekit.plan.users import UserPlan, plan_users
from sitekit.problems import Problem
from sitekit.site.model import Fleet, Site

# Windows computer names: at most 15 characters, letters, digits and dashes, not all digits.
COMPUTER_NAME_LIMIT = 15
_COMPUTER_NAME = re.compile(r"^[A-Za-z0-9-]{1,15}$")


@dataclass(frozen=True, slots=True)
class PlannedHost:
    """A Windows machine Ansible manages."""

    name: str  # inventory hostname: the computer name in lower case
    computer_name: str
    kind: str
    number: int
    address: str
    segment: str
    location: str
    section: str | None
    printers: tuple[str, ...]
    local_groups: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class PlannedPrinter:
    """A network printer with its fixed address."""

    name: str
    kind: str
    number: int
    address: str
    location: str
    station: str | None  # computer name of the cashier station it serves
    section: str | None


@dataclass(frozen=True)
class SitePlan:
    """Everything the kit derives from one site file."""

    site: Site
    network: NetworkPlan
    schedule: Schedule
    users: UserPlan
    hosts: tuple[PlannedHost, ...]
    printers: tuple[PlannedPrinter, ...]
    flows: tuple[Flow, ...]


def computer_name(site: Site, fleet: Fleet, kind: str, number: int) -> str:
    """The Windows computer name of a numbered item: LIS01-POS02."""
    return f"{site.code}-{fleet.hostnames[kind]}{number:02d}"


def plan_site(site: Site, fleet: Fleet, problems: list[Problem],
              today: dt.date | None = None) -> SitePlan | None:
    """Plan one site; every problem found goes to `problems`, and None if any was found."""
    before = len(problems)
    network = plan_network(site, fleet, problems)
    schedule = plan_schedule(site, fleet, problems)
    users = plan_users(site, fleet, problems, today)
    _check_references(site, problems)
    printers = _printers(site, fleet, network)
    hosts = _hosts(site, fleet, network, users, printers=printers, problems=problems)
    if len(problems) > before or network is None or schedule is None:
        return None
    flows = plan_flows(fleet, network, tuple((h.kind, h.computer_name, h.address) for h in hosts))
    return SitePlan(site, network, schedule, users, hosts, printers, flows)


def _check_references(site: Site, problems: list[Problem]) -> None:
    cashiers = {s.number for s in site.stations if s.kind == "cashier"}
    sections: dict[str, tuple[str | int, ...]] = {}
    for station in site.stations:
        if station.kind != "kitchen":
            continue
        if station.section in sections:
            problems.append(site.problem(
                (*station.path, "section"),
                f"kitchen section '{station.section}' already has a station; the plan is one "
                "kitchen station per section: merge them or name the sections apart"))
        sections[station.section or ""] = station.path
    for printer in site.printers:
        if printer.kind == "receipt" and printer.station not in cashiers:
            problems.append(site.problem(
                (*printer.path, "station"),
                f"there is no cashier station number {printer.station}; cashier stations: "
                f"{', '.join(map(str, sorted(cashiers))) or 'none'}"))
        if printer.kind == "kitchen" and printer.section not in sections:
            problems.append(site.problem(
                (*printer.path, "section"),
                f"there is no kitchen section '{printer.section}'; sections: "
                f"{', '.join(sections) or 'none'}"))


def _printers(site: Site, fleet: Fleet, network: NetworkPlan | None) -> tuple[PlannedPrinter, ...]:
    if network is None:
        return ()
    return tuple(
        PlannedPrinter(
            name=computer_name(site, fleet, "printer", p.number),
            kind=p.kind,
            number=p.number,
            address=network.addresses[("printer", p.number)],
            location=p.location,
            station=(computer_name(site, fleet, "cashier", p.station)
                     if p.station is not None else None),
            section=p.section,
        )
        for p in site.printers
        if ("printer", p.number) in network.addresses
    )


def _hosts(site: Site, fleet: Fleet, network: NetworkPlan | None, users: UserPlan, *,
           printers: tuple[PlannedPrinter, ...],
           problems: list[Problem]) -> tuple[PlannedHost, ...]:
    hosts = []
    for station in site.stations:
        name = computer_name(site, fleet, station.kind, station.number)
        if len(name) > COMPUTER_NAME_LIMIT or not _COMPUTER_NAME.match(name):
            problems.append(site.problem(("code",), (
                f"hostname {name} has {len(name)} characters; Windows allows "
                f"{COMPUTER_NAME_LIMIT}: shorten the site code to "
                f"{len(site.code) - (len(name) - COMPUTER_NAME_LIMIT)} characters")))
            return ()
        if network is None or (station.kind, station.number) not in network.addresses:
            continue
        served = tuple(
            p.name for p in printers
            if (p.kind == "receipt" and p.station == name)
            or (p.kind == "kitchen" and station.kind == "kitchen" and p.section == station.section)
        )
        hosts.append(PlannedHost(
            name=name.lower(),
            computer_name=name,
            kind=station.kind,
            number=station.number,
            address=network.addresses[(station.kind, station.number)],
            segment=network.segment_of[station.kind],
            location=station.location,
            section=station.section,
            printers=served,
            local_groups=users.groups_on(station.kind),
        ))
    return tuple(hosts)
