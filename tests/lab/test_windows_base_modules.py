"""The windows_base role's module models, as ansible.windows tests modules: check mode
(nothing changes), real (changed), again (not changed); a misspelled option and a documented
failure each. Ad-hoc runs over real WinRM against one lab host."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from tests.lab.conftest import CliLab

pytestmark = pytest.mark.slow
HOST = "lis01-pos01"
POLICY = "HKLM:\\SOFTWARE\\Policies\\Microsoft\\Windows\\WinRM\\Service"


def run(lab: CliLab, module: str, args: dict[str, Any], *options: str) -> dict[str, Any]:
    """Run a module ad hoc with JSON arguments; return its result on HOST."""
    env = lab.env() | {"ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json",
                       "ANSIBLE_LOAD_CALLBACK_PLUGINS": "1"}
    result = lab.ansible(HOST, module, json.dumps(args), *options, env=env)
    return json.loads(result.stdout)["plays"][0]["tasks"][0]["hosts"][HOST]


def modelled(lab: CliLab) -> dict[str, Any]:
    """The host state without the lab's call counts."""
    state = lab.state(HOST)
    state.pop("lab")
    return state


def _registry(state: dict[str, Any]) -> Any:
    return state["registry"].get(POLICY)


def _policy(state: dict[str, Any]) -> Any:
    return state["account_policy"]


def _accounts(state: dict[str, Any]) -> Any:
    return {"users": state["users"], "groups": state["groups"]}


def _power(state: dict[str, Any]) -> Any:
    return state["power"]["active"]


def _audit(state: dict[str, Any]) -> Any:
    return state["audit_policy"]


def _firewall(state: dict[str, Any]) -> Any:
    return state["firewall"]["profiles"]


ACCOUNTS = {
    "users": [{"name": "tlopes", "fullname": "Tiago Lopes"},
              {"name": "mreis", "fullname": "Marta Reis"}],
    "groups": [{"name": "POS Test Operators", "description": "Test operators",
                "members": ["tlopes", "mreis"], "member_of": ["Users"]},
               {"name": "POS Test Admins", "description": "Test admins",
                "members": ["tlopes"], "member_of": ["Administrators"]}],
    "initial_password": "Initial-Passw0rd-42",
}
# module, arguments, what of the state it changes
CASES: list[tuple[str, dict[str, Any], Callable[[dict[str, Any]], Any]]] = [
    ("sitekit_registry", {"values": [
        {"path": POLICY, "name": "AllowBasic", "type": "dword", "data": 0},
        {"path": POLICY, "name": "AllowUnencryptedTraffic", "type": "dword", "data": "0x0"},
        {"path": POLICY, "name": "Note", "data": "hardened by sitekit"}]}, _registry),
    ("sitekit_account_policy", {"min_password_length": 12, "password_complexity": True,
                                "lockout_threshold": 10, "lockout_duration_minutes": 30,
                                "lockout_reset_minutes": 30, "password_history_size": 4},
     _policy),
    ("sitekit_local_accounts", ACCOUNTS, _accounts),
    ("community.windows.win_power_plan", {"name": "high performance"}, _power),
    # A category sets each of its subcategories; auditpol's names compare case-insensitively,
    # as the module's -notin does. (A subcategory: test_audit_gather.py's drift.)
    ("ansible.windows.win_audit_policy_system",
     {"category": "logon/logoff", "audit_type": ["failure", "none"]}, _audit),
]


@pytest.mark.parametrize(("module", "args", "part"), CASES, ids=[c[0] for c in CASES])
def test_check_real_again(module_lab: CliLab, module: str, args: dict[str, Any],
                          part: Callable[[dict[str, Any]], Any]) -> None:
    before = modelled(module_lab)
    check = run(module_lab, module, args, "--check")
    assert check["changed"] is True, check
    assert modelled(module_lab) == before
    real = run(module_lab, module, args, "--diff")
    assert real["changed"] is True, real
    after = modelled(module_lab)
    assert part(after) != part(before)
    again = run(module_lab, module, args)
    assert again["changed"] is False, again
    assert modelled(module_lab) == after


@pytest.mark.parametrize(("module", "args"), [
    ("sitekit_registry", {"valeus": []}),
    ("sitekit_account_policy", {"min_passwd_length": 12}),
    ("sitekit_local_accounts", {"user": []}),
    ("community.windows.win_power_plan", {"nmae": "Balanced"}),
    ("ansible.windows.win_firewall", {"state": "enabled", "profile": ["Public"]}),
])
def test_misspelled_option_fails(module_lab: CliLab, module: str, args: dict[str, Any]) -> None:
    result = run(module_lab, module, args)
    assert result.get("failed") is True
    assert "Unsupported parameters" in result["msg"]


@pytest.mark.parametrize(("module", "args", "message"), [
    ("sitekit_registry", {"values": [{"path": POLICY, "name": "A", "type": "dword", "data": 1},
                                     {"path": POLICY.upper(), "name": "a", "data": "x"}]},
     "listed twice"),
    ("sitekit_registry", {"values": [{"path": "HKXX:\\Nope", "name": "A", "data": "x"}]},
     "is not a valid powershell path"),
    ("sitekit_account_policy", {"lockout_threshold": 5, "lockout_duration_minutes": 30,
                                "lockout_reset_minutes": 60}, "must not be longer than"),
    ("sitekit_account_policy", {"min_password_length": 20}, "between 0 and 14"),
    ("sitekit_local_accounts", {"users": [{"name": "nopassword"}]}, "initial_password"),
    ("sitekit_local_accounts", {"groups": [{"name": "POS X", "members": ["ghost"]}]},
     "ghost is not a valid account"),
    ("community.windows.win_power_plan", {"name": "Ultimate"}, "is not available"),
    ("ansible.windows.win_audit_policy_system",
     {"subcategory": "Process Creations", "audit_type": ["success"]},
     "Invalid sub category provided"),
])
def test_documented_failure_changes_nothing(module_lab: CliLab, module: str,
                                            args: dict[str, Any], message: str) -> None:
    before = modelled(module_lab)
    result = run(module_lab, module, args)
    assert result.get("failed") is True
    assert message in result["msg"]
    assert modelled(module_lab) == before


def test_firewall_profile_off_then_on(module_lab: CliLab) -> None:
    off = run(module_lab, "ansible.windows.win_firewall",
              {"profiles": ["Public"], "state": "disabled"})
    assert off["changed"] is True
    assert modelled(module_lab)["firewall"]["profiles"]["Public"]["enabled"] is False
    before = modelled(module_lab)
    args = {"state": "enabled", "inbound_action": "block", "outbound_action": "allow"}
    check = run(module_lab, "ansible.windows.win_firewall", args, "--check")
    assert check["changed"] is True
    assert check["Public"] == {"enabled": True, "considered": True, "currentstate": 0}
    assert modelled(module_lab) == before
    assert run(module_lab, "ansible.windows.win_firewall", args)["changed"] is True
    assert _firewall(modelled(module_lab))["Public"]["enabled"] is True
    assert run(module_lab, "ansible.windows.win_firewall", args)["changed"] is False


def test_new_users_must_change_password_and_join_member_of(module_lab: CliLab) -> None:
    run(module_lab, "sitekit_local_accounts", ACCOUNTS)
    state = modelled(module_lab)
    user = state["users"]["tlopes"]
    assert (user["password_expired"], user["enabled"], user["description"]) == \
        (True, True, "Managed by sitekit")
    assert "tlopes" in state["groups"]["Administrators"]["members"]
    assert "mreis" not in state["groups"]["Administrators"]["members"]
    assert {"tlopes", "mreis"} <= set(state["groups"]["Users"]["members"])
    result = run(module_lab, "sitekit_local_accounts", ACCOUNTS)
    assert "Initial-Passw0rd-42" not in json.dumps(result)


def test_plan_without_a_user_disables_it_and_takes_it_out(module_lab: CliLab) -> None:
    run(module_lab, "sitekit_local_accounts", ACCOUNTS)
    smaller = {"users": [ACCOUNTS["users"][1]], "groups": [
        {"name": "POS Test Operators", "members": ["mreis"], "member_of": ["Users"]},
        {"name": "POS Test Admins", "members": [], "member_of": ["Administrators"]}]}
    result = run(module_lab, "sitekit_local_accounts", smaller)
    assert result["changed"] is True
    assert result["users_disabled"] == ["tlopes"]
    state = modelled(module_lab)
    assert state["users"]["tlopes"]["enabled"] is False
    assert "tlopes" not in state["groups"]["Administrators"]["members"]
    # The built-in members the module does not manage stay.
    assert "Administrator" in state["groups"]["Administrators"]["members"]
    assert state["groups"]["POS Test Operators"]["members"] == ["mreis"]
    assert run(module_lab, "sitekit_local_accounts", smaller)["changed"] is False
    # Back in the plan: enabled again, its password untouched.
    password = state["users"]["tlopes"]["password"]
    back = run(module_lab, "sitekit_local_accounts", ACCOUNTS)
    assert back["users_updated"] == ["tlopes"]
    assert modelled(module_lab)["users"]["tlopes"]["enabled"] is True
    assert modelled(module_lab)["users"]["tlopes"]["password"] == password


def test_registry_removes_values(module_lab: CliLab) -> None:
    value = {"path": POLICY, "name": "Remove me", "data": "x"}
    run(module_lab, "sitekit_registry", {"values": [value]})
    absent = {"values": [value | {"state": "absent"}]}
    assert run(module_lab, "sitekit_registry", absent)["changed"] is True
    assert "Remove me" not in modelled(module_lab)["registry"][POLICY]
    assert run(module_lab, "sitekit_registry", absent)["changed"] is False
