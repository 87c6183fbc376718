"""Rules between options: refused as the module refuses them, or acted on as it acts.

win_service's spec makes `password` require `username` and win_group's makes `members.set`
exclusive of `add` and `remove` (Ansible.Basic's messages); win_firewall_rule (legacy)
needs a name or a group, and with a group alone changes or removes every rule of the group,
creating none (win_firewall_rule.ps1). Models are called as Ansible calls them, no WinRM.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from sitekit.lab.host import LabHost
from sitekit.lab.modules.argspec import NO_LOG_MASK
from tests.lab.models import call, seeded

RULE = "community.windows.win_firewall_rule"
WINRM = ("Windows Remote Management (HTTP-In)", "Windows Remote Management (HTTPS-In)")


@pytest.fixture
def server() -> LabHost:
    """A server as `lab up` seeds it."""
    return seeded("server", "lis01-srv01")




REFUSED = [
    ("ansible.windows.win_service", {"name": "W32Time", "password": "Secret-1!"},
     "missing parameter(s) required by 'password': username"),
    ("ansible.windows.win_group", {"name": "Administrators",
                                   "members": {"set": ["sitekit"], "add": ["Guest"]}},
     "parameters are mutually exclusive: set, add found in members"),
    ("ansible.windows.win_group", {"name": "Administrators",
                                   "members": {"set": ["sitekit"], "remove": ["Guest"]}},
     "parameters are mutually exclusive: set, remove found in members"),
    (RULE, {"enabled": True}, "Either name or group must be specified"),
    (RULE, {"name": "", "state": "absent"}, "Either name or group must be specified"),
]


@pytest.mark.parametrize(("module", "args", "msg"), REFUSED, ids=[m for _, _, m in REFUSED])
def test_options_the_module_refuses_together_fail_and_change_nothing(
        server: LabHost, module: str, args: dict[str, Any], msg: str) -> None:
    before = copy.deepcopy({k: v for k, v in server.state.items() if k != "lab"})
    result = call(server, module, args)
    assert result["msg"] == msg
    assert {k: v for k, v in server.state.items() if k != "lab"} == before
    assert "Secret-1!" not in json.dumps(result)


def test_a_refused_tasks_secrets_stay_masked(server: LabHost) -> None:
    # Ansible.Basic's FailJson masks no_log values in the invocation whatever failed:
    # an argument check, or an option the lab does not model.
    for args in ({"name": "W32Time", "password": "Secret-1!"},
                 {"name": "W32Time", "username": "svc", "password": "Secret-1!",
                  "sid_info": "unrestricted"}):
        result = call(server, "ansible.windows.win_service", args)
        assert result["failed"] is True
        assert "Secret-1!" not in json.dumps(result)
        assert result["invocation"]["module_args"]["password"] == NO_LOG_MASK


def rules(host: LabHost) -> dict[str, Any]:
    return host.state["firewall"]["rules"]  # type: ignore[no-any-return]


def test_a_group_alone_changes_every_rule_of_the_group(server: LabHost) -> None:
    args = {"group": "windows remote management", "enabled": False}  # -eq: any case
    check = call(server, RULE, args, check=True)
    assert check["changed"] is True
    assert all(rules(server)[n]["enabled"] for n in WINRM)  # check mode changes nothing
    result = call(server, RULE, args)
    assert result["changed"] is True
    assert result["msg"] == f"Firewall rule(s) changed '{WINRM[0]}', '{WINRM[1]}' - unchanged ''"
    assert not any(rules(server)[n]["enabled"] for n in WINRM)
    assert rules(server)["Remote Desktop - User Mode (TCP-In)"]["enabled"] is False
    again = call(server, RULE, args)
    assert again["changed"] is False
    assert again["msg"] == f"Firewall rule(s) changed '' - unchanged '{WINRM[0]}', '{WINRM[1]}'"


def test_a_group_with_no_rules_creates_none(server: LabHost) -> None:
    before = copy.deepcopy(rules(server))
    result = call(server, RULE, {"group": "Sitekit POS", "enabled": True, "direction": "in"})
    assert result["changed"] is False
    assert rules(server) == before


def test_a_group_alone_removes_every_rule_of_the_group(server: LabHost) -> None:
    result = call(server, RULE, {"group": "Windows Remote Management", "state": "absent"})
    assert result["changed"] is True
    assert result["msg"] == f"Firewall rule(s) '{WINRM[0]}', '{WINRM[1]}' removed."
    assert not set(WINRM) & set(rules(server))
    gone = call(server, RULE, {"group": "Windows Remote Management", "state": "absent"})
    assert (gone["changed"], gone["msg"]) == (
        False, "No firewall rules in group 'Windows Remote Management' exist.")


def test_a_name_selects_one_rule_whatever_the_group(server: LabHost) -> None:
    result = call(server, RULE, {"name": WINRM[0], "group": "Other", "enabled": False})
    assert result["msg"] == f"Firewall rule(s) changed '{WINRM[0]}' - unchanged ''"
    assert rules(server)[WINRM[0]]["group"] == "Other"
    assert rules(server)[WINRM[1]]["group"] == "Windows Remote Management"
    created = call(server, RULE, {"name": "Sitekit POS", "direction": "in", "localport": "8443",
                                  "protocol": "tcp"})
    assert (created["changed"], created["msg"]) == (True, "Firewall rule 'Sitekit POS' created.")
