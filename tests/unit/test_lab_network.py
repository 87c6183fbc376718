"""The lab's site network: a station reaches the server's port only when something listens
there and the server's firewall lets the station's planned address in."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from sitekit.lab import network
from sitekit.lab.host import LabHost

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
