"""A fresh lab host is a fresh Windows, and the roles do what a real one needs.

Each test here states a fact of a new install (seed_base.py, with its source) or a defect a
real server would hit that the lab used to pass (issue 19). Models run in-process through
run_module: the same argument validation and result framing as over WinRM.
"""

from __future__ import annotations

import copy
import json
import random
from pathlib import Path
from typing import Any

import pytest
import yaml

from sitekit.lab import filesystem, seed_base
from sitekit.lab.host import LabHost
from sitekit.lab.modules import run_module
from sitekit.lab.modules.sitekit_acl import readers
from sitekit.lab.state import seed_state
from tests.lab.sql_seed import seed_instance

ROOT = Path(__file__).resolve().parents[2]
WINDOWS_BASE = ROOT / "roles" / "windows_base"


def fresh(kind: str = "server", name: str = "lis01-srv01") -> LabHost:
    """A host as `sitekit lab up` seeds it."""
    host = LabHost(name, "127.0.0.1", "sitekit", "Lab-Passw0rd!")
    host.state = seed_state(kind, name, random.Random(1), "sitekit")  # noqa: S311
    return host


def call(host: LabHost, fqcn: str, args: dict[str, Any], check: bool = False) -> dict[str, Any]:
    """Run a model as ansible does; return the module's JSON result."""
    result = run_module(host, fqcn, {**copy.deepcopy(args), "_ansible_check_mode": check,
                                     "_ansible_diff": True})
    data: dict[str, Any] = json.loads(result.stdout)
    assert bool(data.get("failed")) == (result.rc == 1), data
    return data


def tasks(role: Path, name: str) -> list[dict[str, Any]]:
    """A role's task file, parsed."""
    return yaml.safe_load((role / "tasks" / name).read_text(encoding="utf-8"))


def defaults(role: Path) -> dict[str, Any]:
    """A role's defaults."""
    return yaml.safe_load((role / "defaults" / "main.yml").read_text(encoding="utf-8"))


# What a new install has and lacks.

@pytest.mark.parametrize("kind", ["server", "station"])
def test_a_fresh_install_has_c_only(kind: str) -> None:
    assert sorted(fresh(kind).state["disks"]) == ["C"]


@pytest.mark.parametrize("kind", ["server", "station"])
def test_generic_text_only_is_in_the_driver_store_not_installed(kind: str) -> None:
    printing = fresh(kind).state["printing"]
    assert "Generic / Text Only" not in printing["drivers"]
    assert "Generic / Text Only" in printing["driver_store"]


@pytest.mark.parametrize("kind", ["server", "station"])
def test_no_built_in_firewall_rule_lets_winrm_over_https_in(kind: str) -> None:
    assert all(port != "5986" for _, port, _, _ in seed_base.FIREWALL_RULES.values())
    rules = fresh(kind).state["firewall"]["rules"]
    builtin = [r for n, r in rules.items() if n in seed_base.FIREWALL_RULES]
    assert all(r["localport"] != "5986" for r in builtin)


def test_power_plans_are_keyed_by_their_guids() -> None:
    plans = fresh().state["power"]["plans"]
    assert plans[seed_base.HIGH_PERFORMANCE] == "High performance"
    assert fresh().state["power"]["active"] == seed_base.BALANCED


# Defect 6: the receipt printers' driver is only in the store.

PRINTERS = {"printers": [{"name": "LIS01-PRN01", "address": "10.41.7.16",
                          "driver": "Generic / Text Only"}]}


def test_printers_install_the_driver_from_the_store() -> None:
    host = fresh("station", "lis01-pos01")
    check = call(host, "ansible.legacy.sitekit_printers", PRINTERS, check=True)
    assert check["changed"] is True
    assert check["drivers_installed"] == ["Generic / Text Only"]
    assert "Generic / Text Only" not in host.state["printing"]["drivers"]
    real = call(host, "ansible.legacy.sitekit_printers", PRINTERS)
    assert real["drivers_installed"] == ["Generic / Text Only"]
    assert "Generic / Text Only" in host.state["printing"]["drivers"]
    assert host.state["printing"]["printers"]["LIS01-PRN01"]["driver"] == "Generic / Text Only"
    again = call(host, "ansible.legacy.sitekit_printers", PRINTERS)
    assert again["changed"] is False
    assert again["drivers_installed"] == []


def test_a_driver_in_neither_place_fails_before_anything_changes() -> None:
    host = fresh("station", "lis01-pos01")
    before = copy.deepcopy(host.state["printing"])
    args = {"printers": [{"name": "LIS01-PRN01", "address": "10.41.7.16",
                          "driver": "EPSON TM-T88V Receipt"}]}
    result = call(host, "ansible.legacy.sitekit_printers", args)
    assert result["failed"] is True
    assert "'EPSON TM-T88V Receipt'" in result["msg"]
    assert "pnputil /add-driver" in result["msg"]
    assert host.state["printing"] == before


def test_pos_workstation_prints_with_a_driver_a_fresh_station_can_get() -> None:
    drivers = defaults(ROOT / "roles" / "pos_workstation")["pos_workstation_printer_drivers"]
    store = seed_base.INSTALLED_PRINTER_DRIVERS + seed_base.STORE_PRINTER_DRIVERS
    assert set(drivers.values()) <= set(store)


# Defect 13: the firewall is turned on only once WinRM over HTTPS has a rule.

def _bootstrapped_without_a_rule() -> LabHost:
    """A host whose bootstrap turned the Public profile off instead of adding a rule."""
    host = fresh()
    firewall = host.state["firewall"]
    firewall["profiles"]["Public"]["enabled"] = False
    for name in seed_base.BOOTSTRAP_FIREWALL_RULES:
        del firewall["rules"][name]
    return host


FIREWALL_ON = {"profiles": ["Domain", "Private", "Public"], "state": "enabled",
               "inbound_action": "block", "outbound_action": "allow"}


def test_turning_the_firewall_on_without_a_winrm_rule_fails_as_a_cut_connection() -> None:
    host = _bootstrapped_without_a_rule()
    result = call(host, "ansible.windows.win_firewall", FIREWALL_ON)
    assert result["failed"] is True
    assert "Public" in result["msg"] and "5986" in result["msg"]
    assert host.state["firewall"]["profiles"]["Public"]["enabled"] is False


def test_windows_base_allows_winrm_before_turning_the_firewall_on() -> None:
    policy = tasks(WINDOWS_BASE, "policy.yml")
    keywords = {"name", "register", "when", "vars", "tags", "no_log", "check_mode", "notify"}
    actions = [next(k for k in t if k not in keywords) for t in policy]
    rule_at = actions.index("community.windows.win_firewall_rule")
    assert rule_at < actions.index("ansible.windows.win_firewall")
    rule = policy[rule_at]["community.windows.win_firewall_rule"]
    assert defaults(WINDOWS_BASE)["windows_base_winrm_https_port"] == 5986
    # What the task sends, rendered by hand from the role's defaults.
    host = _bootstrapped_without_a_rule()
    args = {k: v for k, v in rule.items() if "{{" not in str(v)} | {
        "name": "Windows Remote Management (HTTPS-In, sitekit)", "localport": "5986",
        "profiles": ["domain", "private", "public"]}
    assert call(host, "community.windows.win_firewall_rule", args)["changed"] is True
    result = call(host, "ansible.windows.win_firewall", FIREWALL_ON)
    assert result.get("failed") is not True, result
    assert host.state["firewall"]["profiles"]["Public"]["enabled"] is True


# Defect 22: the power plan by GUID, not by its localised name.

def test_windows_base_chooses_the_power_plan_by_guid() -> None:
    task = next(t for t in tasks(WINDOWS_BASE, "network.yml")
                if "community.windows.win_power_plan" in t)
    assert set(task["community.windows.win_power_plan"]) == {"guid"}
    guid = defaults(WINDOWS_BASE)["windows_base_power_plan"]
    assert guid == seed_base.HIGH_PERFORMANCE
    host = fresh()
    # A German install names it "Höchstleistung"; the GUID is the same.
    host.state["power"]["plans"][seed_base.HIGH_PERFORMANCE] = "Höchstleistung"
    result = call(host, "community.windows.win_power_plan", {"guid": guid})
    assert result["changed"] is True
    assert host.state["power"]["active"] == seed_base.HIGH_PERFORMANCE


# Defects 10 and 11: built-in groups by SID; a new account is already in Users.

ACCOUNTS = {
    "users": [{"name": "tlopes", "fullname": "Tiago Lopes"}],
    "groups": [{"name": "POS Operators", "members": ["tlopes"], "member_of": ["Users"]},
               {"name": "POS Admins", "members": ["tlopes"], "member_of": ["Administrators"]}],
    "initial_password": "Initial-Passw0rd-42",
}


def german(host: LabHost) -> LabHost:
    """The same install in German: the built-in groups keep their SIDs, not their names."""
    groups = host.state["groups"]
    for english, local in (("Administrators", "Administratoren"), ("Users", "Benutzer"),
                           ("Guests", "Gäste")):
        groups[local] = groups.pop(english)
    return host


def test_a_new_account_is_in_users_by_itself() -> None:
    host = fresh("station", "lis01-pos01")
    result = call(host, "ansible.legacy.sitekit_local_accounts", ACCOUNTS)
    assert "tlopes" in host.state["groups"]["Users"]["members"]
    # Windows would refuse to add it again (ERROR_MEMBER_IN_ALIAS): the plan must know.
    assert {"group": "Users", "member": "tlopes"} not in result["members_added"]
    assert {"group": "Administrators", "member": "tlopes"} in result["members_added"]
    created = call(host, "ansible.windows.win_user", {"name": "station", "password": "Pw-1234567"})
    assert created["changed"] is True
    assert "station" in host.state["groups"]["Users"]["members"]


def test_built_in_groups_are_found_by_sid_in_any_language() -> None:
    host = german(fresh("station", "lis01-pos01"))
    result = call(host, "ansible.legacy.sitekit_local_accounts", ACCOUNTS)
    assert result.get("failed") is not True, result
    assert "tlopes" in host.state["groups"]["Administratoren"]["members"]
    assert "tlopes" in host.state["groups"]["Benutzer"]["members"]
    by_sid = copy.deepcopy(ACCOUNTS)
    by_sid["groups"][1]["member_of"] = ["S-1-5-32-544"]
    by_sid["groups"][0]["member_of"] = ["S-1-5-32-545"]
    assert call(host, "ansible.legacy.sitekit_local_accounts", by_sid)["changed"] is False


def test_pos_workstation_names_no_built_in_group() -> None:
    text = (ROOT / "roles" / "pos_workstation" / "tasks" / "autologon.yml").read_text()
    assert "'Users'" not in text and '"Users"' not in text


# Defect 7: the policy's 0 ("never", "until an administrator unlocks") is -1 in secedit.

NEVER = {"max_password_age_days": 0, "lockout_threshold": 10, "lockout_duration_minutes": 0,
         "lockout_reset_minutes": 30}


def test_zero_is_written_as_secedit_writes_it_and_read_back_the_same() -> None:
    host = fresh()
    assert call(host, "ansible.legacy.sitekit_account_policy", NEVER)["changed"] is True
    policy = host.state["account_policy"]
    assert policy["MaximumPasswordAge"] == -1
    assert policy["LockoutDuration"] == -1
    again = call(host, "ansible.legacy.sitekit_account_policy", NEVER)
    assert again["changed"] is False
    assert again["policy"]["lockout_duration_minutes"] == 0


def test_a_host_exported_with_minus_one_is_already_never() -> None:
    host = fresh()
    host.state["account_policy"] |= {"MaximumPasswordAge": -1, "LockoutDuration": -1,
                                      "LockoutBadCount": 10, "ResetLockoutCount": 30}
    result = call(host, "ansible.legacy.sitekit_account_policy", NEVER)
    assert result["changed"] is False, result.get("diff")


# Defect 14: Windows refuses a password that fails its complexity rule.

def test_a_password_windows_refuses_fails_the_account_it_would_create() -> None:
    host = fresh()
    call(host, "ansible.legacy.sitekit_account_policy",
         {"password_complexity": True, "min_password_length": 12})
    weak = ACCOUNTS | {"initial_password": "Welcome-Lopes-2026"}  # tlopes is Tiago Lopes
    result = call(host, "ansible.legacy.sitekit_local_accounts", weak)
    assert result["failed"] is True
    assert "does not meet the password policy requirements" in result["msg"]
    assert "tlopes" not in host.state["users"]


# Defect 18: tamper protection ignores Set-MpPreference silently; the module reads back.

def test_a_setting_tamper_protection_ignores_fails_instead_of_passing() -> None:
    host = fresh("station", "lis01-pos01")
    assert host.state["defender"]["is_tamper_protected"] is True  # Windows 11's default
    result = call(host, "ansible.legacy.sitekit_defender",
                  {"realtime_protection": False, "scan_time": "03:30"})
    assert result["failed"] is True
    assert "realtime_protection" in result["msg"] and "tamper protection" in result["msg"]
    preferences = host.state["defender"]["preferences"]
    assert preferences["realtime_protection"] is True
    assert preferences["scan_time"] == "03:30"  # not tamper protected: it took


def test_without_tamper_protection_the_setting_takes() -> None:
    host = fresh()
    assert host.state["defender"]["is_tamper_protected"] is False
    result = call(host, "ansible.legacy.sitekit_defender", {"behavior_monitoring": False})
    assert result["changed"] is True
    assert host.state["defender"]["preferences"]["behavior_monitoring"] is False


# Defect 23: "/" is part of a registry key's name, not a separator.

CIPHERS = "HKLM:\\SYSTEM\\CurrentControlSet\\Control\\SecurityProviders\\SCHANNEL\\Ciphers"


def test_a_key_name_with_a_slash_is_one_key() -> None:
    host = fresh()
    args = {"values": [{"path": f"{CIPHERS}\\RC4 128/128", "name": "Enabled", "type": "dword",
                        "data": 0}]}
    assert call(host, "ansible.legacy.sitekit_registry", args)["changed"] is True
    registry = host.state["registry"]
    assert f"{CIPHERS}\\RC4 128/128" in registry
    assert f"{CIPHERS}\\RC4 128\\128" not in registry
    assert call(host, "ansible.legacy.sitekit_registry", args)["changed"] is False


def test_the_audit_finds_built_in_groups_by_sid_in_any_language() -> None:
    host = german(fresh())
    result = call(host, "ansible.legacy.sitekit_facts",
                  {"gather": ["local_groups"], "groups": ["Administrators", "Users"]})
    groups = result["facts"]["local_groups"]
    assert "Administrator" in groups["Administrators"]["members"]
    assert "Users" in groups


# Defect 12: backup folders under C:\ inherit "Users: read"; db_backup closes them.

def _backup_acl_task() -> dict[str, Any]:
    install = tasks(ROOT / "roles" / "db_backup", "install.yml")
    return next(t for t in install if "sitekit_acl" in t)


def test_a_folder_made_under_c_is_readable_by_every_local_user() -> None:
    host = fresh()
    filesystem.make_dirs(host, "C:\\SQLBackup")
    assert seed_base.BUILTIN_GROUP_SIDS["Users"] in readers(host.state, "C:\\SQLBackup")


def test_db_backup_keeps_the_backups_from_every_local_user() -> None:
    task = _backup_acl_task()["sitekit_acl"]
    assert task["paths"] == ["{{ db_backup_dir }}", "{{ db_backup_copy_dir }}"]
    principals = [r["principal"] for r in task["rules"]]
    assert principals[:2] == ["S-1-5-18", "S-1-5-32-544"]
    host = fresh()
    seed_instance(host.state)  # SQL Server's service, whose virtual account gets Modify
    for folder in ("C:\\SQLBackup", "C:\\SQLBackupCopy"):
        filesystem.make_dirs(host, folder)
    args = {"paths": ["C:\\SQLBackup", "C:\\SQLBackupCopy"], "rules": [
        *task["rules"][:2], {"principal": "NT SERVICE\\MSSQL$SQLEXPRESS", "rights": "Modify"}]}
    check = call(host, "ansible.legacy.sitekit_acl", args, check=True)
    assert check["changed_paths"] == ["C:\\SQLBackup", "C:\\SQLBackupCopy"]
    assert seed_base.BUILTIN_GROUP_SIDS["Users"] in readers(host.state, "C:\\SQLBackup")
    assert call(host, "ansible.legacy.sitekit_acl", args)["changed"] is True
    allowed = readers(host.state, "C:\\SQLBackup")
    assert seed_base.BUILTIN_GROUP_SIDS["Users"] not in allowed
    assert "S-1-5-11" not in allowed  # Authenticated Users
    assert any(sid.startswith("S-1-5-80-") for sid in allowed)  # the SQL Server service
    assert call(host, "ansible.legacy.sitekit_acl", args)["changed"] is False


def test_an_account_windows_cannot_translate_fails() -> None:
    host = fresh()
    filesystem.make_dirs(host, "C:\\SQLBackup")
    result = call(host, "ansible.legacy.sitekit_acl", {
        "paths": ["C:\\SQLBackup"],
        "rules": [{"principal": "NT SERVICE\\MSSQL$SQLEXPRESS", "rights": "Modify"}]})
    assert result["failed"] is True
    assert "could not be translated" in result["msg"]
