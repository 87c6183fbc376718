"""The IP plan: fixed blocks, fixed numbers, other subnet sizes, clear errors."""

from __future__ import annotations

from typing import Any

import pytest

from sitekit.site.model import Fleet
from tests.conftest import messages, plan


def test_mid_size_site_addresses_follow_the_blocks(site_data: dict[str, Any],
                                                   fleet: Fleet) -> None:
    site_plan, problems = plan(site_data, fleet)
    assert not problems
    assert site_plan is not None
    network = site_plan.network
    assert network.subnet == "10.40.2.0/24"  # index 2 of 10.40.0.0/16
    assert network.gateway == "10.40.2.1"
    addresses = {h.computer_name: h.address for h in site_plan.hosts}
    assert addresses["BER02-SRV01"] == "10.40.2.10"
    assert addresses["BER02-POS03"] == "10.40.2.22"
    assert addresses["BER02-KDS01"] == "10.40.2.50"
    # The office station lives in the back-office segment: index 2 of 10.61.0.0/16 as /27s.
    assert addresses["BER02-OFC01"] == "10.61.0.66"
    printers = {p.name: p.address for p in site_plan.printers}
    assert printers["BER02-PRN05"] == "10.40.2.84"
    assert network.blocks["dhcp"].first == "10.40.2.128"
    assert network.blocks["dhcp"].last == "10.40.2.254"
    assert network.dns_servers == ("10.40.2.1",)  # the fleet says: the gateway


def test_a_station_number_past_its_block_says_what_to_change(site_data: dict[str, Any],
                                                             fleet: Fleet) -> None:
    site_data["stations"]["cashier"].append({"number": 31, "location": "terrace"})
    site_plan, problems = plan(site_data, fleet)
    assert site_plan is None
    text = messages(problems)
    assert "stations.cashier[3].number: number 31 does not fit the cashier block" in text
    assert "use 1-30, or enlarge network.blocks.cashier" in text


@pytest.mark.parametrize(
    ("subnet", "blocks", "ok", "expect"),
    [
        # A /23 keeps the /24 layout and grows the DHCP scope.
        ("10.60.0.0/23", {"dhcp": {"offset": 128, "size": 383}}, True, ""),
        # A /25 fits the /24 layout only if the DHCP scope shrinks into it.
        ("10.60.0.0/25", {}, False, "the fleet's dhcp block (offsets 128-254) does not fit a /25"),
        ("10.60.0.0/26", {}, False, "set network.blocks.printer for this site, or use a larger"),
        (
            "10.60.0.0/26",
            {
                "infrastructure": {"offset": 2, "size": 2},
                "server": {"offset": 4, "size": 2},
                "cashier": {"offset": 6, "size": 4},
                "kitchen": {"offset": 10, "size": 4},
                "office": {"offset": 14, "size": 2},
                "printer": {"offset": 16, "size": 8},
                "reserved": {"offset": 24, "size": 4},
                "dhcp": {"offset": 32, "size": 30},
            },
            True,
            "",
        ),
    ],
)
def test_other_subnet_sizes(site_data: dict[str, Any], fleet: Fleet, subnet: str,
                            blocks: dict[str, Any], ok: bool, expect: str) -> None:
    network = site_data["network"]
    del network["index"]
    network["subnet"] = subnet
    network["segments"] = SEGMENT_INDEXES
    network["blocks"] = blocks
    site_data["handhelds"] = 4
    network["guest_addresses"] = 10
    site_plan, problems = plan(site_data, fleet)
    assert (site_plan is not None) is ok, messages(problems)
    assert expect in messages(problems)
    if site_plan is not None:
        dhcp = site_plan.network.blocks["dhcp"]
        assert site_plan.network.subnet == subnet
        assert dhcp.first == ("10.60.0.32" if "/26" in subnet else "10.60.0.128")
        assert dhcp.size == (30 if "/26" in subnet else 383)


# A site with its own subnet takes each other segment by index.
SEGMENT_INDEXES = {name: {"index": 2} for name in ("management", "back_office", "handheld",
                                                   "guest")}


@pytest.mark.parametrize(
    ("change", "field", "expect"),
    [
        ({"subnet": "10.60.0.7/24"}, "network.subnet",
         "has host bits set; did you mean 10.60.0.0/24"),
        ({"subnet": "10.60.0/24x"}, "network.subnet", "is not a subnet"),
        ({"index": 256}, "network.index",
         "index 256 is past the end of the fleet's address space"),
        ({"gateway": "10.99.0.1"}, "network.gateway",
         "is not a usable address of the site's subnet"),
        ({"gateway": "10.40.2.12"}, "network.gateway", "lies inside the server block"),
        ({"dns_servers": ["gateway", "8.8.8"]}, "network.dns_servers[1]", "is not an IPv4 address"),
        ({"blocks": {"office": {"offset": 60, "size": 10}}}, "network.blocks.office", "overlap"),
    ],
)
def test_network_errors_name_the_field(site_data: dict[str, Any], fleet: Fleet,
                                       change: dict[str, Any], field: str, expect: str) -> None:
    if "subnet" in change:
        del site_data["network"]["index"]
    site_data["network"].update(change)
    site_plan, problems = plan(site_data, fleet)
    assert site_plan is None
    assert any(p.field == field and expect in p.message for p in problems), messages(problems)


def test_both_subnet_and_index_is_an_error(site_data: dict[str, Any], fleet: Fleet) -> None:
    site_data["network"]["subnet"] = "10.60.0.0/24"
    _, problems = plan(site_data, fleet)
    assert "set either network.subnet or network.index, not both" in messages(problems)


def test_duplicate_station_number(site_data: dict[str, Any], fleet: Fleet) -> None:
    site_data["stations"]["kitchen"][2]["number"] = 1
    _, problems = plan(site_data, fleet)
    assert any(p.field == "stations.kitchen[2].number" and "already used" in p.message
               for p in problems), messages(problems)


def test_printers_share_one_numbering(site_data: dict[str, Any], fleet: Fleet) -> None:
    site_data["printers"]["kitchen"][0]["number"] = 1  # receipt printer 1 has it
    _, problems = plan(site_data, fleet)
    assert any(p.field == "printers.kitchen[0].number" for p in problems), messages(problems)


def test_dhcp_scope_must_hold_handhelds(site_data: dict[str, Any], fleet: Fleet) -> None:
    site_data["handhelds"] = 120
    _, problems = plan(site_data, fleet)
    assert any(p.field == "handhelds" and "handheld segment's DHCP scope (116 addresses) is "
               "too small for 120 handhelds" in p.message for p in problems), messages(problems)


def test_reservation_macs_are_written_one_way(site_data: dict[str, Any], fleet: Fleet) -> None:
    site_data["network"]["reservations"][0]["mac"] = "00-1A-2B-3C-5E-01"
    site_plan, problems = plan(site_data, fleet)
    assert site_plan is not None, messages(problems)
    assert ("reserved", "card-terminal-1", "00:1a:2b:3c:5e:01", "10.40.2.110") in (
        site_plan.network.devices)
