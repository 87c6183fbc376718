"""The lab's site network: a station reaches the server's port only when something listens
there and the server's firewall lets the station's planned address in."""

from __future__ import annotations

import copy
import json
import random
from typing import Any

import pytest

from sitekit.lab import network
from sitekit.lab.host import LabHost
from sitekit.lab.labdir import site_networks
from sitekit.lab.modules import run_module
from sitekit.lab.state import seed_state
from sitekit.plan.fleet import plan_fleet_dir
from tests.conftest import EXAMPLE, TODAY

SQL_RULE = {"direction": "in", "action": "allow", "protocol": "tcp", "localport": "1433",
            "remoteip": "10.41.7.0/26", "enabled": True}
SERVER: dict[str, Any] = {
    "hostname": "LIS01-SRV01", "planned_address": "10.41.7.4",
    "services": {"MSSQL$SQLEXPRESS": {"state": "running"},
                 "LotusPosServer": {"state": "running", "ports": [8443]}},
    "sql_instances": {"SQLEXPRESS": {"service": "MSSQL$SQLEXPRESS", "tcp_port": 1433}},
    "firewall": {"profiles": {"Private": {"enabled": True}},
                 "rules": {"sql": SQL_RULE, "winrm": SQL_RULE | {"localport": "5986",
                                                                "remoteip": "any"}}},
}


def _lab(server: dict[str, Any], station_address: str = "10.41.7.6") -> LabHost:
    """Attach a server and a station; return the station."""
    srv = LabHost("lis01-srv01", "127.41.7.4", "u", "p", state=server)
    pos = LabHost("lis01-pos01", "127.41.7.6", "u", "p",
                  state={"hostname": "LIS01-POS01", "planned_address": station_address})
    network.attach([srv, pos])
    return pos


def _changed(changes: dict[str, Any]) -> dict[str, Any]:
    """The server's state with changes at slash-separated paths."""
    state = copy.deepcopy(SERVER)
    for path, value in changes.items():
        *parents, last = path.split("/")
        node = state
        for key in parents:
            node = node[key]
        node[last] = value
    return state


@pytest.mark.parametrize(("server", "target", "port", "reason"), [
    (SERVER, "10.41.7.4", 1433, ""),
    (SERVER, "LIS01-SRV01", 1433, ""),
    (SERVER, "10.41.7.4", 5986, ""),
    (SERVER, "10.41.7.9", 1433, "no host 10.41.7.9"),
    (_changed({"services/MSSQL$SQLEXPRESS": {"state": "stopped"}}), "10.41.7.4", 1433,
     "nothing listens"),
    (SERVER, "10.41.7.4", 8443, "firewall drops 8443/tcp"),
    (_changed({"firewall/profiles": {"Private": {"enabled": False}}}), "10.41.7.4", 8443, ""),
    (_changed({"firewall/rules": {"sql": SQL_RULE | {"remoteip": "10.99.0.0/24"}}}), "10.41.7.4",
     1433, "firewall drops 1433/tcp"),
    (_changed({"firewall/rules": {"sql": SQL_RULE | {"localport": "1400-1500"}}}), "10.41.7.4",
     1433, ""),
    (_changed({"lab": {"faults": {"unreachable": {}}}}), "10.41.7.4", 1433, "is off"),
])
def test_connects(server: dict[str, Any], target: str, port: int, reason: str) -> None:
    up, why = network.connects(_lab(server), target, port)
    assert up == (reason == "")
    assert reason in why


def _segmented(station: str) -> tuple[LabHost, LabHost]:
    """BER02's server and one station as the lab seeds them: the plan's segments and matrix,
    and a server firewall open to every address, so only the router decides."""
    plan = plan_fleet_dir(EXAMPLE, only=["BER02"], today=TODAY)
    networks = site_networks(plan)
    addresses = {h.name: h.address for s in plan.sites for h in s.hosts}
    server = copy.deepcopy(SERVER) | {"planned_address": addresses["ber02-srv01"],
                                      "hostname": "BER02-SRV01",
                                      "site_network": networks["ber02-srv01"]}
    server["firewall"]["rules"] = {"all": SQL_RULE | {"localport": "any", "remoteip": "any"}}
    srv = LabHost("ber02-srv01", "127.40.2.10", "u", "p", state=server)
    other = LabHost(station, "127.0.0.9", "u", "p",
                    state={"hostname": station.upper(), "planned_address": addresses[station],
                           "site_network": networks[station]})
    network.attach([srv, other])
    return srv, other


HANDHELD = {"segment": "handheld", "subnet": "10.64.1.0/25", "inbound": []}  # BER02's


@pytest.mark.parametrize(("station", "handheld", "port", "reason"), [
    ("ber02-pos01", False, 1433, ""),  # same segment (cde): the router is not in the way
    ("ber02-pos01", False, 8443, ""),
    ("ber02-ofc01", False, 8443, ""),  # back office -> application: a flow of the matrix
    ("ber02-ofc01", False, 1433, "the site's router drops 1433/tcp from back_office"),
    ("ber02-ofc01", False, 5986, "the site's router drops 5986/tcp from back_office"),
    ("ber02-pos01", True, 8443, ""),  # handheld -> application: a flow of the matrix
    ("ber02-pos01", True, 1433, "the site's router drops 1433/tcp from handheld to BER02-SRV01"),
])
def test_the_router_passes_only_the_matrix_between_segments(station: str, handheld: bool,
                                                            port: int, reason: str) -> None:
    _, source = _segmented(station)
    if handheld:  # a handheld ordering device's address, seen from the server
        source.state |= {"planned_address": "10.64.1.10", "site_network": HANDHELD}
    up, why = network.connects(source, "BER02-SRV01", port)
    assert up == (reason == "")
    assert reason in why


def test_a_guest_address_reaches_nothing_in_the_cde() -> None:
    _, source = _segmented("ber02-pos01")
    assert all(network.connects(source, "BER02-SRV01", port)[0] for port in (1433, 8443, 5986))
    source.state["planned_address"] = "172.16.2.50"  # BER02's guest segment
    source.state["site_network"] = {"segment": "guest", "subnet": "172.16.2.0/24",
                                    "inbound": []}
    for port in (1433, 8443, 5986):
        up, why = network.connects(source, "BER02-SRV01", port)
        assert not up
        assert "router drops" in why


def test_the_guest_vantage_point_sits_in_the_guest_segment_and_reaches_nothing() -> None:
    plan = plan_fleet_dir(EXAMPLE, only=["BER02"], today=TODAY)
    vantage = site_networks(plan)["ber02-guest"]
    assert vantage == {"segment": "guest", "subnet": "172.16.2.0/24", "inbound": []}
    srv, _ = _segmented("ber02-pos01")
    guest = LabHost("ber02-guest", "127.16.2.254", "u", "p",
                    state={"hostname": "BER02-GUEST", "planned_address": "172.16.2.254",
                           "site_network": vantage})
    network.attach([srv, guest])
    for port in (1433, 8443, 5986, 9182):
        up, why = network.connects(guest, "10.40.2.10", port)
        assert not up
        assert why  # the router or nothing listening, never an answer


def test_the_lab_reports_its_address_and_inbound_rules_as_windows_does() -> None:
    """sitekit_facts' network subset in the lab: the planned address with its segment's
    prefix; rules' remote addresses as Get-NetFirewallAddressFilter shows them."""
    host = LabHost("lis01-srv01", "127.41.7.4", "u", "p",
                   state=seed_state("server", "lis01-srv01", random.Random(1)))  # noqa: S311
    host.state |= {"planned_address": "10.41.7.4",
                   "site_network": {"segment": "cde", "subnet": "10.41.7.0/26", "inbound": []}}
    host.state["firewall"]["rules"] |= {
        "sql": SQL_RULE | {"name": "POS SQL Server (TCP-In)",
                           "remoteip": "10.41.7.0/26,10.39.0.10/32"},
        "off": SQL_RULE | {"name": "off", "enabled": False}}
    result = run_module(host, "ansible.legacy.sitekit_facts",
                        {"gather": ["network"], "_ansible_check_mode": False,
                         "_ansible_diff": False})
    network_facts = json.loads(result.stdout)["facts"]["network"]
    assert network_facts["addresses"] == ["10.41.7.4/26"]
    rules = {rule["name"]: rule for rule in network_facts["inbound_rules"]}
    assert "off" not in rules  # enabled allow rules only
    assert rules["POS SQL Server (TCP-In)"] == {
        "name": "POS SQL Server (TCP-In)", "protocol": "tcp", "local_ports": ["1433"],
        "remote_addresses": ["10.41.7.0/255.255.255.192", "10.39.0.10"]}
    # The WinRM bootstrap's rule (Ansible's set-up guide) is open to any address.
    assert rules["Windows Remote Management (HTTPS-In)"]["remote_addresses"] == ["Any"]
