"""The scope diagrams (PCI DSS 1.2.3, 1.2.4) name every segment, host and allowed flow."""

from __future__ import annotations

import re

import pytest

from sitekit.plan.fleet import FleetPlan, plan_fleet_dir
from sitekit.render.plan import RENDERERS
from tests.conftest import EXAMPLE, TODAY

# A DOT edge as graphviz writes it: "a" -> "b" [label="..."]
_EDGE = re.compile(r'^\s*("[^"]+"|\w+) -> ("[^"]+"|\w+) \[label="([^"]*)"', re.MULTILINE)
_NODE = re.compile(r'^\s*("[^"]+"|\w+) \[label="([^"]*)"', re.MULTILINE)


@pytest.fixture(scope="module")
def plan() -> FleetPlan:
    planned = plan_fleet_dir(EXAMPLE, today=TODAY)
    assert not planned.problems and len(planned.sites) == 3
    return planned


def _labels(dot: str) -> dict[str, str]:
    return {node.strip('"'): label for node, label in _NODE.findall(dot)}


def _edges(dot: str) -> set[tuple[str, str, str]]:
    return {(a.strip('"'), b.strip('"'), label) for a, b, label in _EDGE.findall(dot)}


def test_the_network_diagram_shows_every_segment_and_everything_in_it(plan: FleetPlan) -> None:
    dot = RENDERERS["network-dot"](plan)
    labels = " ".join(_labels(dot).values())
    clusters = re.findall(r'subgraph (cluster_\w+) \{\n\s*fillcolor="[^"]+" label="([^"]+)"',
                          dot)
    segments = {(s.site.code, seg.name): seg for s in plan.sites
                for seg in s.network.segments.values()}
    assert len(clusters) == len(segments) >= 12
    for (code, name), seg in segments.items():
        scope = "(CDE)" if seg.cardholder_data else "(out of the CDE)"
        label = f"{code} {name}: VLAN {seg.vlan}, {seg.subnet} {scope}"
        assert (f"cluster_{code}_{name}", label) in clusters
    for site_plan in plan.sites:
        for host in site_plan.hosts:
            assert f"{host.computer_name}\\n{host.address}\\n({host.kind})" in labels
        for printer in site_plan.printers:
            assert f"{printer.name}\\n{printer.address}" in labels
        for _, name, _, address in site_plan.network.devices:
            assert f"{name}\\n{address}" in labels
    # Every segment hangs off its site's router, and only guests' and the router's way out
    # is the internet.
    edges = _edges(dot)
    for code, name in segments:
        assert any(a == f"{code}_router" and b == f"{code}_{name}_gateway" for a, b, _ in edges)


def test_the_data_flow_diagram_draws_every_allowed_flow_and_nothing_else(
        plan: FleetPlan) -> None:
    dot = RENDERERS["dataflow-dot"](plan)
    drawn = _edges(dot)
    planned = {(f"{s.site.code}_source_{source}_{cidr}", f"{s.site.code}_host_{target}",
                f"{flow.name}: {flow.protocol}/{flow.port}")
               for s in plan.sites for flow in s.flows
               for source, cidr in flow.sources for target, _ in flow.targets}
    guests = {(f"{s.site.code}_source_guest_{s.network.segments['guest'].subnet}", "internet",
               "guest: internet only") for s in plan.sites if "guest" in s.network.segments}
    assert planned and guests
    assert drawn == planned | guests  # no flow left out, none invented
    assert not any(a.startswith(tuple(f"{code}_source_guest" for code in ("LIS01", "BER02",
                                                                          "LON01")))
                   and b != "internet" for a, b, _ in drawn)
    labels = _labels(dot)
    for site_plan in plan.sites:
        for host in site_plan.hosts:
            assert labels[f"{site_plan.site.code}_host_{host.computer_name}"].startswith(
                f"{host.computer_name}\\n{host.address}")
