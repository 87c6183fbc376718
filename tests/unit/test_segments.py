"""The network team's view of the plan: VLANs, DHCP scopes and the flow matrix, and the
inventory variables the roles' firewall rules read from the same matrix."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest
from netaddr import IPAddress, IPNetwork

from sitekit.cli import main
from sitekit.inventory import build_inventory
from sitekit.plan.fleet import plan_fleet_dir
from sitekit.site.model import Fleet
from tests.conftest import EXAMPLE, TODAY, messages, plan


def _csv(capsys: pytest.CaptureFixture[str], *args: str) -> list[dict[str, str]]:
    assert main(["plan", str(EXAMPLE), *args]) == 0
    return list(csv.DictReader(io.StringIO(capsys.readouterr().out)))


def test_vlan_table_has_one_row_per_segment(capsys: pytest.CaptureFixture[str]) -> None:
    rows = _csv(capsys, "--format", "vlans-csv")
    by_site: dict[str, dict[str, dict[str, str]]] = {}
    for row in rows:
        by_site.setdefault(row["site"], {})[row["segment"]] = row
    # LIS01 has no office: no back-office segment; BER02 and LON01 have every one.
    assert list(by_site["LIS01"]) == ["cde", "management", "handheld", "guest"]
    assert list(by_site["BER02"]) == ["cde", "management", "back_office", "handheld", "guest"]
    assert by_site["LIS01"]["cde"] | {"purpose": ""} == {
        "site": "LIS01", "segment": "cde", "vlan": "10", "subnet": "10.41.7.0/26",
        "netmask": "255.255.255.192", "gateway": "10.41.7.1", "cardholder_data": "true",
        "purpose": ""}
    assert by_site["BER02"]["guest"]["subnet"] == "172.16.2.0/24"  # index 2
    assert by_site["BER02"]["handheld"]["cardholder_data"] == "false"  # the fleet's decision
    subnets = [IPNetwork(r["subnet"]) for r in rows]
    for i, a in enumerate(subnets):  # no two segments of any sites overlap
        for b in subnets[i + 1:]:
            assert a.last < b.first or b.last < a.first, (a, b)


def test_dhcp_scopes_and_reservations(capsys: pytest.CaptureFixture[str]) -> None:
    rows = _csv(capsys, "--site", "LIS01", "--format", "dhcp-csv")
    scopes = {r["segment"]: r for r in rows if r["kind"] == "scope"}
    assert sorted(scopes) == ["cde", "guest", "handheld"]
    assert (scopes["guest"]["first"], scopes["guest"]["last"]) == ("172.16.41.10",
                                                                    "172.16.41.254")
    assert IPAddress(scopes["handheld"]["first"]) in IPNetwork("10.64.20.128/25")
    reservation = next(r for r in rows if r["kind"] == "reservation")
    assert (reservation["name"], reservation["first"], reservation["mac"]) == (
        "card-terminal-1", "10.41.7.22", "00:1a:2b:3c:4d:01")


def test_flow_matrix_allows_what_is_listed_and_denies_the_rest(
        capsys: pytest.CaptureFixture[str]) -> None:
    rows = _csv(capsys, "--site", "BER02", "--format", "flows-csv")
    assert rows[-1] == {"site": "BER02", "flow": "default", "action": "deny", "protocol": "any",
                        "port": "any", "source": "any", "source_address": "any",
                        "target": "any", "target_address": "any"}
    allowed = {(r["source"], r["target"], r["port"]) for r in rows[:-1]}
    assert ("cde", "BER02-SRV01", "1433") in allowed
    assert ("back_office", "BER02-SRV01", "8443") in allowed
    # Office stations sit outside the cde: the application server only, never SQL Server.
    assert ("back_office", "BER02-SRV01", "1433") not in allowed
    assert ("handheld", "BER02-SRV01", "8443") in allowed
    assert ("handheld", "BER02-SRV01", "1433") not in allowed  # handhelds: application only
    assert ("monitoring", "BER02-POS01", "9182") in allowed
    assert not any(source == "guest" for source, _, _ in allowed)
    assert not any(target == "BER02-POS01" and port in ("1433", "8443")
                   for _, target, port in allowed)


def test_network_json_matches_the_csvs(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", str(EXAMPLE), "--site", "LON01", "--format", "network-json"]) == 0
    lon01 = json.loads(capsys.readouterr().out)["sites"]["LON01"]
    assert lon01["default"] == "deny"
    assert [v["segment"] for v in lon01["vlans"]] == [
        "cde", "management", "back_office", "handheld", "guest"]
    sql = next(f for f in lon01["flows"] if f["name"] == "pos-sql")
    assert sql["port"] == 1433
    assert sql["sources"] == [{"name": "cde", "address": "10.50.0.0/23"}]
    assert sql["targets"] == [{"name": "LON01-SRV01", "address": "10.50.0.10"}]


def test_inventory_hands_each_kind_its_inbound_flows() -> None:
    inventory = build_inventory(plan_fleet_dir(EXAMPLE, today=TODAY))
    server = inventory.groups["site_ber02_server"].vars["sitekit_inbound"]
    by_port = {entry["port"]: entry for entry in server}
    assert by_port[1433]["sources"] == ["10.40.2.0/24"]
    assert by_port[8443]["sources"] == ["10.40.2.0/24", "10.61.0.64/27", "10.64.1.0/25"]
    assert by_port[8443]["flows"] == ["pos-application"]
    cashier = inventory.groups["site_ber02_cashier"].vars["sitekit_inbound"]
    assert sorted(entry["port"] for entry in cashier) == [5986, 9182]
    assert inventory.hosts["ber02-ofc01"]["sitekit_segment"] == "back_office"
    assert inventory.hosts["ber02-pos01"]["sitekit_segment"] == "cde"
    segments = inventory.groups["site_ber02"].vars["sitekit_segments"]
    assert segments["cde"] == {"vlan": 10, "subnet": "10.40.2.0/24", "gateway": "10.40.2.1",
                               "cardholder_data": True}


@pytest.mark.parametrize(("change", "field", "expect"), [
    ({"segments": {"guest": {"vlan": 10}}}, "network.segments.guest.vlan",
     "VLAN 10 is also the cde segment's"),
    ({"segments": {"guest": {"index": 4096}}}, "network.segments.guest.index",
     "index 4096 is past the end of the guest segment's address space 172.16.0.0/12"),
    ({"segments": {"guest": {"subnet": "172.16.9.3/24"}}}, "network.segments.guest.subnet",
     "has host bits set; did you mean 172.16.9.0/24"),
    ({"segments": {"handheld": {"dhcp": {"offset": 100, "size": 100}}}},
     "network.segments.handheld", "the dhcp block (offsets 100-199) does not fit the handheld"),
    ({"segments": {"guest": {"index": 3, "subnet": "172.16.9.0/24"}}},
     "network.segments.guest", "set either subnet or index, not both"),
])
def test_segment_errors_name_the_field(site_data: dict[str, Any], fleet: Fleet,
                                       change: dict[str, Any], field: str, expect: str) -> None:
    site_data["network"].update(change)
    site_plan, problems = plan(site_data, fleet)
    assert site_plan is None
    assert any(p.field == field and expect in p.message for p in problems), messages(problems)


def test_a_site_overrides_only_what_differs(site_data: dict[str, Any], fleet: Fleet) -> None:
    site_data["network"]["segments"] = {"guest": {"subnet": "192.168.77.0/24", "vlan": 99}}
    site_plan, problems = plan(site_data, fleet)
    assert site_plan is not None, messages(problems)
    guest = site_plan.network.segments["guest"]
    assert (guest.subnet, guest.vlan, guest.dhcp and guest.dhcp.first) == (
        "192.168.77.0/24", 99, "192.168.77.10")
    assert site_plan.network.segments["handheld"].subnet == "10.64.1.0/25"  # the fleet's
