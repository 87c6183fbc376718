"""win_wait_for waits and retries as win_wait_for.ps1 does, with the time it really takes.

The module (ansible.windows 3.x, plugins/modules/win_wait_for.ps1) sleeps `delay`, then
tries the port until `timeout` seconds have passed, `sleep` seconds apart; each attempt
waits up to `connect_timeout` for an unanswered connect, and a reset ends it at once.
`elapsed` and `wait_attempts` are measured. Short timeouts keep this file at a few seconds.
"""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import pytest

from sitekit.lab import network
from sitekit.lab.host import LabHost
from sitekit.lab.modules import run_module

RULE = {"direction": "in", "action": "allow", "protocol": "tcp", "localport": "1433",
        "remoteip": "10.41.7.0/26", "enabled": True}


@pytest.fixture
def server() -> LabHost:
    """A server whose firewall lets the station reach 1433 (SQL Server stopped) only."""
    state: dict[str, Any] = {
        "hostname": "LIS01-SRV01", "planned_address": "10.41.7.4",
        "services": {"MSSQL$SQLEXPRESS": {"state": "stopped"}},
        "sql_instances": {"SQLEXPRESS": {"service": "MSSQL$SQLEXPRESS", "tcp_port": 1433}},
        "firewall": {"profiles": {"Private": {"enabled": True}}, "rules": {"sql": RULE}},
    }
    return LabHost("lis01-srv01", "127.41.7.4", "u", "p", state=state)


@pytest.fixture
def station(server: LabHost) -> LabHost:
    """The station the module runs on, on the same network as the server."""
    pos = LabHost("lis01-pos01", "127.41.7.6", "u", "p",
                  state={"hostname": "LIS01-POS01", "planned_address": "10.41.7.6"})
    network.attach([server, pos])
    return pos


def wait_for(station: LabHost, **args: Any) -> tuple[int, dict[str, Any], float]:
    """Run the model; its rc, result and the wall time it took."""
    started = time.monotonic()
    result = run_module(station, "ansible.windows.win_wait_for", {"host": "10.41.7.4", **args})
    return result.rc, json.loads(result.stdout), time.monotonic() - started


def test_a_refused_port_is_retried_every_sleep_until_the_timeout(station: LabHost) -> None:
    rc, result, took = wait_for(station, port=1433, timeout=2, sleep=1)
    assert rc == 1
    assert result["msg"] == "timeout while waiting for 10.41.7.4:1433 to start listening"
    assert result["wait_attempts"] == 2  # at 0 s and 1 s; the loop ends at 2 s
    assert 2 <= result["elapsed"] <= took


def test_an_unanswered_connect_costs_the_whole_connect_timeout(station: LabHost) -> None:
    # 8443 has no firewall rule: Windows Firewall drops the SYN, nothing answers.
    rc, result, took = wait_for(station, port=8443, timeout=1, connect_timeout=1, sleep=1)
    assert rc == 1
    assert result["wait_attempts"] == 1
    assert result["elapsed"] >= 2  # the connect's 1 s, then the sleep's
    assert took >= 2


def test_a_port_that_starts_listening_while_it_waits_is_found(station: LabHost,
                                                              server: LabHost) -> None:
    def start_sql() -> None:
        time.sleep(1.2)
        server.state["services"]["MSSQL$SQLEXPRESS"]["state"] = "running"

    starter = threading.Thread(target=start_sql)
    starter.start()
    rc, result, _ = wait_for(station, port=1433, timeout=10, sleep=1)
    starter.join()
    assert rc == 0, result
    assert result["wait_attempts"] >= 2
    assert 1.2 <= result["elapsed"] < 10


def test_delay_comes_before_the_first_attempt(station: LabHost, server: LabHost) -> None:
    server.state["services"]["MSSQL$SQLEXPRESS"]["state"] = "running"
    rc, result, _ = wait_for(station, port=1433, delay=1)
    assert rc == 0
    assert result["wait_attempts"] == 1
    assert result["elapsed"] >= 1


def test_stopped_succeeds_once_the_port_is_closed(station: LabHost) -> None:
    rc, result, _ = wait_for(station, port=1433, state="stopped", timeout=5)
    assert rc == 0
    assert result["wait_attempts"] == 1


def test_the_port_probe_waits_once_for_every_unanswered_connect(station: LabHost,
                                                                server: LabHost) -> None:
    """sitekit_port_probe starts every connect before it waits (its .ps1): three dropped
    ports cost one connect_timeout, a reset answers at once, an open port connects."""
    server.state["services"]["MSSQL$SQLEXPRESS"]["state"] = "running"
    probes = [{"host": "10.41.7.4", "port": port} for port in (1433, 8443, 9182, 5986)]
    started = time.monotonic()
    result = run_module(station, "ansible.legacy.sitekit_port_probe",
                        {"probes": probes, "connect_timeout": 1})
    took = time.monotonic() - started
    answers = json.loads(result.stdout)
    assert result.rc == 0, answers
    assert [(a["port"], a["open"]) for a in answers["probes"]] == [
        (1433, True), (8443, False), (9182, False), (5986, False)]
    assert answers["probes"][1]["error"] == "no answer within 1 s"
    assert 1 <= took < 2
    server.state["services"]["MSSQL$SQLEXPRESS"]["state"] = "stopped"
    started = time.monotonic()
    refused = json.loads(run_module(station, "ansible.legacy.sitekit_port_probe",
                                    {"probes": probes[:1], "connect_timeout": 5}).stdout)
    assert refused["probes"][0]["open"] is False
    assert "actively refused" in refused["probes"][0]["error"]
    assert time.monotonic() - started < 1
