"""The scope documents an assessor asks for first, drawn from the plan as Graphviz DOT.

PCI DSS v4.0.1 1.2.3 asks for an accurate network diagram showing every connection between
the cardholder data environment (CDE) and other networks, wireless ones included; 1.2.4 for
a data-flow diagram of the flows across systems and networks. Both come from the same plan
as the inventory, so they are current whenever the plan is. The graphviz package writes the
DOT (its quoting and escaping); `dot -Tsvg` (Graphviz) draws it.
"""

from __future__ import annotations

import graphviz

from sitekit.plan.fleet import FleetPlan
from sitekit.plan.site import SitePlan

INTERNET = "internet"
_CDE_COLOUR = "#fde2e2"  # the cardholder-data segment stands out: it is the scope


def _graph(name: str, title: str) -> graphviz.Digraph:
    graph = graphviz.Digraph(name, graph_attr={"label": title, "labelloc": "t",
                                               "rankdir": "LR", "fontname": "Helvetica"},
                             node_attr={"fontname": "Helvetica", "shape": "box"},
                             edge_attr={"fontname": "Helvetica"})
    graph.node(INTERNET, "internet", shape="ellipse")
    return graph


def _id(*parts: str) -> str:
    return "_".join(parts)  # graphviz quotes what needs it


def _segment_members(site_plan: SitePlan) -> dict[str, list[tuple[str, str]]]:
    """Each segment's addressed things as (node label, what), hosts first."""
    network = site_plan.network
    members: dict[str, list[tuple[str, str]]] = {name: [] for name in network.segments}
    for host in site_plan.hosts:
        members[host.segment].append((f"{host.computer_name}\\n{host.address}", host.kind))
    for printer in site_plan.printers:
        members[network.segment_of["printer"]].append(
            (f"{printer.name}\\n{printer.address}", f"{printer.kind} printer"))
    for block, name, _, address in network.devices:
        members[network.segment_of[block]].append((f"{name}\\n{address}", block))
    return members


def render_network_dot(plan: FleetPlan) -> str:
    """The network diagram (PCI DSS 1.2.3) of every site in the plan.

    Per site: its router, each segment (VLAN, subnet, CDE or not) with every host, printer
    and device in it, and the internet.
    """
    graph = _graph("network", "Network diagram (PCI DSS 1.2.3), from the sitekit plan")
    for site_plan in plan.sites:
        code = site_plan.site.code
        router = _id(code, "router")
        graph.node(router, f"{code} router / firewall\\ndefault deny between segments",
                   shape="diamond")
        graph.edge(router, INTERNET, dir="both")
        members = _segment_members(site_plan)
        for segment in site_plan.network.segments.values():
            cluster = f"cluster_{_id(code, segment.name)}"
            scope = "CDE" if segment.cardholder_data else "out of the CDE"
            with graph.subgraph(name=cluster) as sub:
                sub.attr(label=f"{code} {segment.name}: VLAN {segment.vlan}, "
                         f"{segment.subnet} ({scope})", style="filled",
                         fillcolor=_CDE_COLOUR if segment.cardholder_data else "#eeeeee")
                gateway = _id(code, segment.name, "gateway")
                sub.node(gateway, f"gateway {segment.gateway}", shape="circle")
                if segment.dhcp is not None:
                    sub.node(_id(code, segment.name, "dhcp"),
                             f"DHCP {segment.dhcp.first}-{segment.dhcp.last}", shape="note")
                for number, (label, what) in enumerate(members[segment.name]):
                    sub.node(_id(code, segment.name, str(number)), f"{label}\\n({what})")
            graph.edge(router, gateway, label=f"VLAN {segment.vlan}", dir="both")
    return graph.source


def render_dataflow_dot(plan: FleetPlan) -> str:
    """The data-flow diagram (PCI DSS 1.2.4) of every site in the plan.

    Per site: every flow the plan allows, from its sources (segments, the fleet's address
    lists) to the hosts, with protocol and port; everything else is denied.
    """
    graph = _graph("dataflow", "Data flows (PCI DSS 1.2.4), from the sitekit plan: each arrow "
                   "is an allowed flow; every other flow is denied")
    for site_plan in plan.sites:
        code = site_plan.site.code
        cde = {h.computer_name for h in site_plan.hosts
               if site_plan.network.segments[h.segment].cardholder_data}
        for host in site_plan.hosts:
            graph.node(_id(code, "host", host.computer_name),
                       f"{host.computer_name}\\n{host.address}"
                       f"{' (CDE)' if host.computer_name in cde else ''}",
                       style="filled", fillcolor=_CDE_COLOUR if host.computer_name in cde
                       else "#eeeeee")
        sources: set[str] = set()
        for flow in site_plan.flows:
            for source, cidr in flow.sources:
                node = _id(code, "source", source, cidr)
                if node not in sources:
                    sources.add(node)
                    graph.node(node, f"{code} {source}\\n{cidr}", shape="ellipse")
                for target, _ in flow.targets:
                    graph.edge(node, _id(code, "host", target),
                               label=f"{flow.name}: {flow.protocol}/{flow.port}")
        guest = site_plan.network.segments.get("guest")
        if guest is not None:  # guests reach the internet only (PCI DSS 1.3.3)
            node = _id(code, "source", "guest", guest.subnet)
            graph.node(node, f"{code} guest\\n{guest.subnet}", shape="ellipse")
            graph.edge(node, INTERNET, label="guest: internet only")
    return graph.source
