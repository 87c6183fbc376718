"""NET-01 and NET-02: a host in its planned segment, its firewall within the flow matrix."""

from __future__ import annotations

from typing import Any

import pytest

from sitekit.audit import facts as facts_format
from sitekit.audit.checks import FAIL, PASS, UNKNOWN, Check
from sitekit.audit.gather import document
from sitekit.audit.settings import fleet_policy
from tests.conftest import EXAMPLE

PLANNED = {"address": "10.41.7.4", "subnet": "10.41.7.0/26",
           "inbound": [{"port": 1433, "sources": ["10.41.7.0/26"]},
                       {"port": 5986, "sources": ["10.39.0.10/32", "10.39.0.20/31"]},
                       {"port": 8443, "sources": ["10.41.7.0/26", "10.64.20.128/25"]}]}
# As Windows reports them (Get-NetFirewallAddressFilter): address/netmask, bare addresses.
RULES = [{"name": "POS SQL Server (TCP-In)", "protocol": "tcp", "local_ports": ["1433"],
          "remote_addresses": ["10.41.7.0/255.255.255.192"]},
         {"name": "Windows Remote Management (HTTPS-In, sitekit)", "protocol": "tcp",
          "local_ports": ["5986"],
          "remote_addresses": ["10.39.0.10", "10.39.0.20/255.255.255.254"]},
         {"name": "Windows Remote Management (HTTP-In)", "protocol": "tcp",
          "local_ports": ["5985"], "remote_addresses": ["Any"]}]


def _facts(addresses: list[str], rules: list[dict[str, Any]]) -> dict[str, Any]:
    return {"network": {"addresses": addresses, "inbound_rules": rules},
            "planned_network": PLANNED}


def _control(control_id: str) -> Check:
    return next(c for c in fleet_policy(str(EXAMPLE)).controls if c.id == control_id).check


@pytest.mark.parametrize(("addresses", "status"), [
    (["10.41.7.4/26"], PASS),
    (["10.41.7.4/26", "10.41.7.60/26"], PASS),
    (["10.41.7.4/26", "10.61.5.66/27"], FAIL),  # a second leg in the back office
    (["192.168.1.20/24"], FAIL),  # plugged into another VLAN
    ([], FAIL),
])
def test_net01_the_host_is_in_its_planned_segment(addresses: list[str], status: str) -> None:
    assert _control("NET-01").evaluate(_facts(addresses, RULES), None)[0] == status


def test_net01_is_unknown_without_the_network_facts() -> None:
    assert _control("NET-01").evaluate({"planned_network": PLANNED}, None)[0] == UNKNOWN
    assert _control("NET-01").evaluate({"network": {"addresses": ["10.41.7.4/26"],
                                                    "inbound_rules": []}}, None)[0] == UNKNOWN


@pytest.mark.parametrize(("change", "status", "note"), [
    ({}, PASS, ""),
    ({"remote_addresses": ["Any"]}, FAIL, "5986 open to Any"),
    ({"remote_addresses": ["LocalSubnet"]}, FAIL, "5986 open to LocalSubnet"),
    ({"remote_addresses": ["10.39.0.0/255.255.255.0"]}, FAIL, "5986 open to 10.39.0.0/"),
    ({"remote_addresses": ["10.39.0.20-10.39.0.21"]}, PASS, ""),
    ({"local_ports": ["5000-6000"], "remote_addresses": ["Any"]}, FAIL, "5986 open to Any"),
    ({"local_ports": ["Any"], "protocol": "udp", "remote_addresses": ["Any"]}, PASS, ""),
])
def test_net02_each_port_is_open_to_no_more_than_the_matrix(change: dict[str, Any],
                                                            status: str, note: str) -> None:
    rules = [RULES[0], RULES[1] | change, RULES[2]]
    found, observed, expected, why = _control("NET-02").evaluate(_facts(["10.41.7.4/26"], rules),
                                                                 None)
    assert found == status, why
    assert note in why
    assert "1433 from 10.41.7.0/255.255.255.192" in observed
    assert "5986 from 10.39.0.10/32, 10.39.0.20/31" in expected


def test_net02_a_second_rule_opening_sql_to_the_back_office_fails() -> None:
    wider = {"name": "someone's test", "protocol": "tcp", "local_ports": ["1433"],
             "remote_addresses": ["10.61.5.64/255.255.255.224"]}
    status, _, _, why = _control("NET-02").evaluate(
        _facts(["10.41.7.4/26"], [*RULES, wider]), None)
    assert status == FAIL
    assert "1433 open to 10.61.5.64/255.255.255.224 by someone's test" in why


def test_net02_is_unknown_when_a_rule_is_not_a_record() -> None:
    """Damaged facts (a rule as a bare string) are unknown, never a pass or a crash."""
    status, _, _, why = _control("NET-02").evaluate(
        _facts(["10.41.7.4/26"], [*RULES, "POS SQL Server"]), None)  # type: ignore[list-item]
    assert status == UNKNOWN
    assert "not a record" in why


def test_the_audit_document_carries_the_plan_beside_the_network_facts() -> None:
    result = {"facts": {"network": {"addresses": ["10.41.7.4/26"], "inbound_rules": RULES}},
              "gathered_at": "2026-11-25T12:00:00Z"}
    doc = document(result, host="lis01-srv01", site="LIS01", kind="server",
                   planned_network=PLANNED)
    assert doc["facts"]["planned_network"] == PLANNED
    assert facts_format.problems(doc) == []
    # Not gathered: no plan either, so NET-01 and NET-02 stay unknown.
    bare = document({"facts": {}, "gathered_at": "2026-11-25T12:00:00Z"}, host="lis01-srv01",
                    site="LIS01", kind="server", planned_network=PLANNED)
    assert "planned_network" not in bare["facts"]
