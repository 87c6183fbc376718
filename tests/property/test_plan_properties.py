"""Properties of the plan that must hold for every site, not just the examples."""

from __future__ import annotations

import copy
import dataclasses
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from netaddr import IPAddress, IPNetwork

from sitekit.site.model import DAYS, Fleet
from sitekit.site.model import SEGMENT_NAMES as SEGMENTS
from tests.conftest import messages, plan

SETTINGS = settings(max_examples=150, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])

# Block sizes of the example fleet: numbers 1..size fit.
SIZES = {"server": 10, "cashier": 30, "kitchen": 20, "office": 10}


def numbers(kind: str) -> st.SearchStrategy[frozenset[int]]:
    return st.frozensets(st.integers(1, SIZES[kind]), min_size=1 if kind == "server" else 0,
                         max_size=8)


def with_stations(base: dict[str, Any], stations: dict[str, frozenset[int]]) -> dict[str, Any]:
    data = copy.deepcopy(base)
    data["stations"] = {
        kind: [{"number": n, **({"section": f"s{n}"} if kind == "kitchen" else {})}
               for n in sorted(found)]
        for kind, found in stations.items()
    }
    data["printers"] = {}  # printers point at stations; their stability is the same rule
    return data


stations_strategy = st.fixed_dictionaries({kind: numbers(kind) for kind in SIZES})


@SETTINGS
@given(stations=stations_strategy, kind=st.sampled_from(sorted(SIZES)),
       number=st.integers(1, 10), add=st.booleans())
def test_adding_or_removing_a_station_never_moves_another(
        ber02_data: dict[str, Any], fleet: Fleet, stations: dict[str, frozenset[int]],
        kind: str, number: int, add: bool) -> None:
    before, problems = plan(with_stations(ber02_data, stations), fleet)
    assert before is not None, messages(problems)
    changed = dict(stations)
    changed[kind] = stations[kind] | {number} if add else stations[kind] - {number}
    if not changed["server"]:
        return  # a site always has its server
    after, problems = plan(with_stations(ber02_data, changed), fleet)
    assert after is not None, messages(problems)
    old = {h.computer_name: h.address for h in before.hosts}
    new = {h.computer_name: h.address for h in after.hosts}
    for name in old.keys() & new.keys():
        assert old[name] == new[name]
    assert set(new) ^ set(old) <= {f"BER02-{fleet.hostnames[kind]}{number:02d}"}


@SETTINGS
@given(stations=stations_strategy)
def test_addresses_are_unique_and_inside_their_blocks(
        ber02_data: dict[str, Any], fleet: Fleet, stations: dict[str, frozenset[int]]) -> None:
    site_plan, problems = plan(with_stations(ber02_data, stations), fleet)
    assert site_plan is not None, messages(problems)
    network = site_plan.network
    addresses = [IPAddress(h.address) for h in site_plan.hosts]
    assert len(set(addresses)) == len(addresses)
    for host in site_plan.hosts:
        block = network.blocks[host.kind]
        address = IPAddress(host.address)
        assert IPAddress(block.first) <= address <= IPAddress(block.last)
        # Each host in its planned segment: office stations in the back office, the rest
        # in the cardholder-data segment; never on a network, broadcast or gateway address.
        segment = network.segments[host.segment]
        assert host.segment == ("back_office" if host.kind == "office" else "cde")
        subnet = IPNetwork(segment.subnet)
        assert address in subnet
        assert address not in (subnet.network, subnet.broadcast, IPAddress(segment.gateway))


@SETTINGS
@given(prefix=st.integers(20, 30), handhelds=st.integers(0, 300))
def test_any_subnet_size_plans_or_says_why(ber02_data: dict[str, Any], fleet: Fleet,
                                           prefix: int, handhelds: int) -> None:
    data = copy.deepcopy(ber02_data)
    del data["network"]["index"]
    data["network"]["subnet"] = f"10.64.0.0/{prefix}"
    data["network"]["segments"] = {name: {"index": 2} for name in SEGMENTS[1:]}
    data["handhelds"] = handhelds
    site_plan, problems = plan(data, fleet)
    if site_plan is None:
        assert problems
        assert all(p.field.startswith(("network", "handhelds")) for p in problems), (
            messages(problems))
    else:
        for host in site_plan.hosts:
            subnet = IPNetwork(site_plan.network.segments[host.segment].subnet)
            assert IPAddress(host.address) in subnet
        assert prefix <= 24


hours = st.tuples(st.integers(0, 23), st.sampled_from([0, 30]), st.integers(1, 23 * 2))


@SETTINGS
@given(week=st.lists(st.one_of(st.none(), hours), min_size=7, max_size=7))
def test_maintenance_windows_never_meet_opening_hours(ber02_data: dict[str, Any], fleet: Fleet,
                                                      week: list[Any]) -> None:
    data = copy.deepcopy(ber02_data)
    opening = {}
    intervals = []
    for day, (number, entry) in zip(DAYS, enumerate(week), strict=True):
        if entry is None:
            opening[day] = "closed"
            continue
        hour, minute, half_hours = entry
        start = hour * 60 + minute
        end = start + half_hours * 30
        opening[day] = f"{hour:02d}:{minute:02d}-{(end // 60) % 24:02d}:{end % 60:02d}"
        intervals.append((number * 1440 + start, number * 1440 + end))
    data["opening_hours"] = opening
    site_plan, problems = plan(data, fleet)
    if site_plan is None:
        assert any(p.field.startswith("opening_hours") for p in problems), messages(problems)
        return
    week_minutes = 7 * 1440
    for window in site_plan.schedule.windows:
        h, m = map(int, window.start.split(":"))
        begin = DAYS.index(window.day) * 1440 + h * 60 + m
        assert window.minutes >= fleet.maintenance["minimum_minutes"]
        for opens, closes in intervals:
            for shift in (-week_minutes, 0, week_minutes):
                assert begin + window.minutes <= opens + shift or closes + shift <= begin


@SETTINGS
@given(stations=stations_strategy, dropped=st.sampled_from(["handheld", "guest"]),
       handhelds=st.integers(0, 100))
def test_adding_a_segment_never_moves_another(
        ber02_data: dict[str, Any], fleet: Fleet, stations: dict[str, frozenset[int]],
        dropped: str, handhelds: int) -> None:
    data = with_stations(ber02_data, stations)
    data["handhelds"] = handhelds
    data["network"]["guest_addresses"] = 0 if dropped == "guest" else 20
    fewer = dataclasses.replace(
        fleet, segments={n: s for n, s in fleet.segments.items() if n != dropped})
    if dropped == "handheld":  # without a segment of their own, handhelds use the cde's scope
        data["handhelds"] = min(handhelds, fleet.blocks["dhcp"].size)
    before, problems = plan(data, fewer)
    assert before is not None, messages(problems)
    data["network"]["guest_addresses"] = 20
    after, problems = plan(data, fleet)
    assert after is not None, messages(problems)
    assert {h.name: h.address for h in before.hosts} == {h.name: h.address for h in after.hosts}
    for name, segment in before.network.segments.items():
        assert after.network.segments[name].subnet == segment.subnet
        assert after.network.segments[name].vlan == segment.vlan
    assert set(after.network.segments) - set(before.network.segments) <= {dropped}


@SETTINGS
@given(stations=stations_strategy, handhelds=st.integers(0, 100),
       guests=st.integers(0, 200))
def test_segments_never_overlap_and_guests_never_reach_a_host(
        ber02_data: dict[str, Any], fleet: Fleet, stations: dict[str, frozenset[int]],
        handhelds: int, guests: int) -> None:
    data = with_stations(ber02_data, stations)
    data["handhelds"] = handhelds
    data["network"]["guest_addresses"] = guests
    site_plan, problems = plan(data, fleet)
    assert site_plan is not None, messages(problems)
    segments = site_plan.network.segments
    assert ("guest" in segments) == (guests > 0)
    assert ("handheld" in segments) == (handhelds > 0)
    subnets = [IPNetwork(s.subnet) for s in segments.values()]
    for i, a in enumerate(subnets):
        for b in subnets[i + 1:]:
            assert a.last < b.first or b.last < a.first
    assert len({s.vlan for s in segments.values()}) == len(segments)
    if "guest" in segments:
        guest = IPNetwork(segments["guest"].subnet)
        assert not segments["guest"].cardholder_data
        for flow in site_plan.flows:
            assert all(IPNetwork(cidr).cidr not in guest for _, cidr in flow.sources)
            assert "guest" not in {name for name, _ in flow.sources}
