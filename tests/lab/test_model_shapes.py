"""The lab answers what Windows answers: changed, return shapes, a fresh install (issue 14).

Each test calls one model as ansible calls it (no WinRM) and asserts what the module's own
code or Microsoft's documentation says Windows does; the source is cited per test.
"""

from __future__ import annotations

from typing import Any

import pytest

from sitekit.lab.host import LabHost
from tests.lab.models import call, seeded

RULE = "community.windows.win_firewall_rule"
PROBE = "ansible.legacy.sitekit_port_probe"


@pytest.fixture
def server() -> LabHost:
    """A server as `lab up` seeds it."""
    return seeded("server", "lis01-srv01")


def rules(host: LabHost) -> dict[str, Any]:
    """The host's firewall rules, by name."""
    return host.state["firewall"]["rules"]  # type: ignore[no-any-return]


def test_a_negative_probe_timeout_is_refused_as_the_module_refuses_it(server: LabHost) -> None:
    # sitekit_port_probe.ps1: a deadline in the past would wait for nothing.
    result = call(server, PROBE, {"probes": [{"host": "lis01-srv01", "port": 5986}],
                                  "connect_timeout": -1})
    assert result["failed"] is True
    assert result["msg"] == "connect_timeout must be 0 or more, not -1"


def test_a_new_rule_without_direction_is_inbound(server: LabHost) -> None:
    # win_firewall_rule.ps1 sets Direction only when given; INetFwRule's default is in.
    result = call(server, RULE, {"name": "POS app", "localport": "8443", "protocol": "tcp"})
    assert result["changed"] is True
    assert rules(server)["POS app"]["direction"] == "in"
    assert rules(server)["POS app"]["action"] == "allow"


@pytest.mark.parametrize(("given", "again"), [
    ("192.168.2.0/255.255.255.0", "192.168.2.0/24"),
    ("192.168.2.0/24,10.0.0.1", "192.168.2.0/255.255.255.0,10.0.0.1/32"),
])
def test_one_address_in_two_forms_is_unchanged(server: LabHost, given: str, again: str) -> None:
    # The firewall keeps a subnet as address/netmask whatever form it was given in, and the
    # module compares the rule's own properties (win_firewall_rule.ps1).
    base = {"name": "SQL", "localport": "1433", "protocol": "tcp", "direction": "in"}
    assert call(server, RULE, base | {"remoteip": given})["changed"] is True
    assert call(server, RULE, base | {"remoteip": again})["changed"] is False
    assert call(server, RULE, base | {"remoteip": "192.168.3.0/24"})["changed"] is True
