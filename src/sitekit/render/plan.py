"""The fleet plan for people (table), installers (CSV), tools (JSON) and the network team.

The network team's formats: the VLAN table, the DHCP scopes and the flow matrix (CSV, JSON).
"""

from __future__ import annotations

import csv
import io
import json
import socket
from collections.abc import Callable, Iterator
from dataclasses import asdict

from sitekit.inventory import host_vars, kind_vars, site_vars
from sitekit.plan.fleet import FleetPlan
from sitekit.plan.site import SitePlan

CSV_COLUMNS = ("site", "hostname", "address", "kind", "location", "groups")


def rows(site_plan: SitePlan) -> Iterator[tuple[str, str, str, str, str, str]]:
    """Every addressed thing at a site, in address order: what the installers label."""
    site, network = site_plan.site, site_plan.network
    items = [(network.gateway, "gateway", "gateway", "", "")]
    items += [(h.address, h.computer_name, h.kind, h.location, ";".join(h.local_groups))
              for h in site_plan.hosts]
    items += [(p.address, p.name, f"{p.kind} printer", p.location or (p.section or ""), "")
              for p in site_plan.printers]
    locations = {d.name: d.location for d in site.devices}
    items += [(address, name, "reservation" if block == "reserved" else block, locations[name], "")
              for block, name, _, address in network.devices]
    for address, name, kind, location, groups in sorted(items, key=lambda i: _key(i[0])):
        yield site.code, name, address, kind, location, groups


def _key(address: str) -> bytes:
    # The address's four bytes sort as the addresses do (the planner wrote every one).
    return socket.inet_aton(address)


def render_csv(plan: FleetPlan) -> str:
    """One row per address, for the installers' labels and checklists."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for site_plan in plan.sites:
        writer.writerows(rows(site_plan))
    return out.getvalue()


def render_table(plan: FleetPlan) -> str:
    """Per site: a summary, then the address table."""
    out = []
    for site_plan in plan.sites:
        site, network, schedule = site_plan.site, site_plan.network, site_plan.schedule
        windows = ", ".join(f"{w.day} {w.start}-{w.end}" for w in schedule.windows)
        out.append(f"{site.code}  {site.name}, {site.city}  (ring {site.rollout_ring})")
        out.append(f"  subnet {network.subnet}  gateway {network.gateway}  "
                   f"dns {' '.join(network.dns_servers)}  "
                   f"({site.handhelds} handhelds)")
        for seg in network.segments.values():
            dhcp_text = f"  dhcp {seg.dhcp.first}-{seg.dhcp.last}" if seg.dhcp else ""
            out.append(f"  vlan {seg.vlan:<4} {seg.name:<12} {seg.subnet:<18} gateway "
                       f"{seg.gateway}{dhcp_text}{'  (cde)' if seg.cardholder_data else ''}")
        out.append(f"  time zone {schedule.time_zone} ({schedule.windows_time_zone})")
        out.append(f"  maintenance {windows}")
        table = [("hostname", "address", "kind", "location", "groups")]
        table += [r[1:] for r in rows(site_plan)]
        widths = [max(len(r[i]) for r in table) for i in range(4)]
        for r in table:
            cells = [cell.ljust(width) for cell, width in zip(r, widths, strict=False)]
            out.append("  " + "  ".join([*cells, r[4].replace(";", ", ")]).rstrip())
        out.append("  groups:")
        for group in site_plan.users.groups:
            out.append(f"    {group.name}: {', '.join(group.members) or '-'} "
                       f"(app role {group.app_role}; on {', '.join(group.kinds)})")
        if site_plan.users.waived:
            out.append(f"  waived: {', '.join(site_plan.users.waived)}")
        out.append("")
    total = sum(len(s.hosts) for s in plan.sites)
    out.append(f"{len(plan.sites)} site(s), {total} hosts")
    return "\n".join(out) + "\n"


def render_json(plan: FleetPlan) -> str:
    """Per site: the variables of its group, its kind groups and hosts; the address plan.

    `vars`, `kinds` and `hosts` are exactly what the inventory plugin gives the groups
    site_<code> and site_<code>_<kind> and each host; `site` and `addresses` (blocks,
    devices, printers) are what only people and other tools need.
    """
    sites = {}
    for site_plan in plan.sites:
        network = site_plan.network
        terminals = {d.name: d.card_terminal for d in site_plan.site.devices
                     if d.card_terminal is not None}
        sites[site_plan.site.code] = {
            "vars": site_vars(site_plan),
            "kinds": {kind: kind_vars(site_plan, kind)
                      for kind in dict.fromkeys(h.kind for h in site_plan.hosts)},
            "hosts": {h.name: host_vars(site_plan, h) for h in site_plan.hosts},
            "site": {"address": site_plan.site.address, "handhelds": site_plan.site.handhelds},
            "addresses": {
                "blocks": {name: {"first": r.first, "last": r.last, "size": r.size}
                           for name, r in network.blocks.items()},
                "devices": [{"block": b, "name": n, "mac": m or None, "address": a,
                             **({"card_terminal": asdict(terminals[n])} if n in terminals
                                else {})}
                            for b, n, m, a in network.devices],
                "printers": [{"name": p.name, "kind": p.kind, "address": p.address,
                              "location": p.location, "station": p.station,
                              "section": p.section} for p in site_plan.printers],
            },
        }
    # No indent: json's C encoder only runs without it (`| jq .` pretty-prints).
    return json.dumps({"sites": sites}) + "\n"


VLAN_COLUMNS = ("site", "segment", "vlan", "subnet", "netmask", "gateway", "cardholder_data",
                "purpose")
DHCP_COLUMNS = ("site", "segment", "vlan", "kind", "name", "first", "last", "mac", "gateway",
                "dns_servers")
TERMINAL_COLUMNS = ("site", "name", "make", "model", "serial", "location", "mac", "address")
FLOW_COLUMNS = ("site", "flow", "action", "protocol", "port", "source", "source_address",
                "target", "target_address")


def _csv(header: tuple[str, ...], body: Iterator[tuple[object, ...]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(body)
    return out.getvalue()


def vlan_rows(site_plan: SitePlan) -> Iterator[tuple[object, ...]]:
    """One row per segment: what the switches and the router's interfaces need."""
    for seg in site_plan.network.segments.values():
        yield (site_plan.site.code, seg.name, seg.vlan, seg.subnet, seg.netmask, seg.gateway,
               str(seg.cardholder_data).lower(), seg.purpose)


def dhcp_rows(site_plan: SitePlan) -> Iterator[tuple[object, ...]]:
    """Each segment's DHCP scope, then the cde's reservations (card terminals)."""
    network = site_plan.network
    for seg in network.segments.values():
        if seg.dhcp is None:
            continue
        dns = network.dns_servers if seg.name == "cde" else (
            seg.gateway,)
        yield (site_plan.site.code, seg.name, seg.vlan, "scope", "", seg.dhcp.first,
               seg.dhcp.last, "", seg.gateway, " ".join(dns))
    cde = network.segments["cde"]
    for block, name, mac, address in network.devices:
        if block == "reserved":
            yield (site_plan.site.code, "cde", cde.vlan, "reservation", name, address, address,
                   mac, cde.gateway, " ".join(network.dns_servers))


def flow_rows(site_plan: SitePlan) -> Iterator[tuple[object, ...]]:
    """Every allowed (source, target, port), then the default: deny everything else."""
    code = site_plan.site.code
    for flow in site_plan.flows:
        for source, cidr in flow.sources:
            for target, address in flow.targets:
                yield (code, flow.name, "allow", flow.protocol, flow.port, source, cidr,
                       target, address)
    yield code, "default", "deny", "any", "any", "any", "any", "any", "any"


def terminal_rows(site_plan: SitePlan) -> Iterator[tuple[object, ...]]:
    """Each payment terminal with its make, model, serial, place and address."""
    addresses = {name: (mac, address) for _, name, mac, address in site_plan.network.devices}
    for device in site_plan.site.devices:
        if device.card_terminal is not None and device.name in addresses:
            terminal = device.card_terminal
            yield (site_plan.site.code, device.name, terminal.make, terminal.model,
                   terminal.serial, device.location, *addresses[device.name])


def render_terminals_csv(plan: FleetPlan) -> str:
    """The list of payment terminals (POI devices) that PCI DSS 9.5.1.1 asks to keep."""
    return _csv(TERMINAL_COLUMNS, (r for s in plan.sites for r in terminal_rows(s)))


def render_vlans_csv(plan: FleetPlan) -> str:
    """The VLAN table: one row per site and segment."""
    return _csv(VLAN_COLUMNS, (r for s in plan.sites for r in vlan_rows(s)))


def render_dhcp_csv(plan: FleetPlan) -> str:
    """The DHCP scopes and reservations of every site."""
    return _csv(DHCP_COLUMNS, (r for s in plan.sites for r in dhcp_rows(s)))


def render_flows_csv(plan: FleetPlan) -> str:
    """The flow matrix: every allowed flow per site, default deny last."""
    return _csv(FLOW_COLUMNS, (r for s in plan.sites for r in flow_rows(s)))


def render_network_json(plan: FleetPlan) -> str:
    """Per site: the VLAN table, the DHCP scopes and the flow matrix, as the CSVs hold them."""
    sites = {
        s.site.code: {
            "vlans": [dict(zip(VLAN_COLUMNS[1:], r[1:], strict=True)) for r in vlan_rows(s)],
            "dhcp": [dict(zip(DHCP_COLUMNS[1:], r[1:], strict=True)) for r in dhcp_rows(s)],
            "flows": [{"name": f.name, "action": "allow", "protocol": f.protocol,
                       "port": f.port,
                       "sources": [{"name": n, "address": a} for n, a in f.sources],
                       "targets": [{"name": n, "address": a} for n, a in f.targets]}
                      for f in s.flows],
            "default": "deny",
        }
        for s in plan.sites
    }
    return json.dumps({"sites": sites}) + "\n"


def _diagram(name: str) -> Callable[[FleetPlan], str]:
    """A scope diagram's renderer, imported when used: the other formats need no graphviz."""
    def render(plan: FleetPlan) -> str:
        from sitekit.render import diagrams  # noqa: PLC0415

        renderer: Callable[[FleetPlan], str] = getattr(diagrams, name)
        return renderer(plan)
    return render


RENDERERS: dict[str, Callable[[FleetPlan], str]] = {
    "table": render_table,
    "csv": render_csv,
    "json": render_json,
    "vlans-csv": render_vlans_csv,
    "dhcp-csv": render_dhcp_csv,
    "flows-csv": render_flows_csv,
    "network-json": render_network_json,
    "terminals-csv": render_terminals_csv,
    "network-dot": _diagram("render_network_dot"),
    "dataflow-dot": _diagram("render_dataflow_dot"),
}
