"""The lab answers what Windows answers: changed, return shapes, a fresh install (issue 14).

Each test calls one model as ansible calls it (no WinRM) and asserts what the module's own
code or Microsoft's documentation says Windows does; the source is cited per test.
"""

from __future__ import annotations

import io
import time
import zipfile
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes

from sitekit.lab import filesystem
from sitekit.lab.clock import zone
from sitekit.lab.host import LabHost
from sitekit.lab.pki import issue_pki
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


GROUP = "ansible.windows.win_group"
USER = "ansible.windows.win_user"
SERVICE = "ansible.windows.win_service"
REGEDIT = "ansible.windows.win_regedit"


def test_a_group_description_differing_only_in_case_is_unchanged(server: LabHost) -> None:
    # win_group.ps1 compares the description with PowerShell's -ne (case-insensitive).
    description = server.state["groups"]["Users"]["description"]
    result = call(server, GROUP, {"name": "users", "description": description.upper()})
    assert result["changed"] is False
    assert server.state["groups"]["Users"]["description"] == description
    assert call(server, GROUP, {"name": "Users", "description": "Other"})["changed"] is True


def test_a_group_created_in_check_mode_has_the_placeholder_sid(server: LabHost) -> None:
    # win_group.ps1: a group check mode would create has no SID yet, it returns S-1-5-0000.
    result = call(server, GROUP, {"name": "POS Operators"}, check=True)
    assert (result["changed"], result["sid"]) == (True, "S-1-5-0000")
    assert "POS Operators" not in server.state["groups"]
    assert call(server, GROUP, {"name": "POS Operators"})["sid"].startswith("S-1-5-21-")


def test_group_members_are_found_by_sid_and_by_any_name_of_the_account(server: LabHost) -> None:
    # ConvertTo-SecurityIdentifier takes a SID string first, then the name; members are
    # compared by SID, so one account under two names is one member.
    members = {"add": ["S-1-5-20", "S-1-5-32-545"]}
    assert call(server, GROUP, {"name": "POS Operators", "members": members})["changed"] is True
    again = {"add": ["NT AUTHORITY\\NetworkService", "users"]}
    assert call(server, GROUP, {"name": "POS Operators", "members": again})["changed"] is False
    assert server.state["groups"]["POS Operators"]["members"] == [
        "NT AUTHORITY\\NETWORK SERVICE", "Users"]
    unknown = call(server, GROUP, {"name": "POS Operators", "members": {"add": ["S-1-5-32-9"]}})
    assert unknown["failed"] is True


def test_a_user_created_in_check_mode_is_present_and_one_deleted_is_absent(
        server: LabHost) -> None:
    # win_user.ps1 returns the state it acted on and reads the user back: in check mode the
    # new user does not exist yet, the deleted one still does.
    created = call(server, USER, {"name": "kit", "password": "Lab-Passw0rd!"}, check=True)
    assert (created["changed"], created["state"]) == (True, "present")
    assert "sid" not in created
    deleted = call(server, USER, {"name": "Guest", "state": "absent"}, check=True)
    assert (deleted["changed"], deleted["state"]) == (True, "absent")
    assert deleted["sid"].endswith("-501")
    assert deleted["msg"] == "User 'Guest' deleted successfully"
    assert call(server, USER, {"name": "nobody", "state": "absent"})["msg"] == \
        "User 'nobody' was not found"


def test_a_service_is_found_by_its_display_name(server: LabHost) -> None:
    # Get-ServiceFromName (win_service.ps1): ServiceName -eq $Name -or DisplayName -eq $Name.
    result = call(server, SERVICE, {"name": "windows time", "state": "stopped"})
    assert (result["changed"], result["name"]) == (True, "W32Time")
    assert server.state["services"]["W32Time"]["state"] == "stopped"


@pytest.mark.parametrize(("given", "returned"), [
    ("NetworkService", "NT AUTHORITY\\NETWORK SERVICE"),
    ("nt authority\\network service", "NT AUTHORITY\\NETWORK SERVICE"),
    ("S-1-5-20", "NT AUTHORITY\\NETWORK SERVICE"),
])
def test_a_service_account_is_compared_by_sid_and_returned_normalised(
        server: LabHost, given: str, returned: str) -> None:
    # win_service.ps1 compares the accounts' SIDs and returns the given one as
    # SID.Translate(NTAccount) names it; WinRM already runs as NT AUTHORITY\NetworkService.
    result = call(server, SERVICE, {"name": "WinRM", "username": given})
    assert (result["changed"], result["username"]) == (False, returned)


def test_a_service_set_to_system_returns_localsystem(server: LabHost) -> None:
    # SCManager.cs stores SYSTEM as LocalSystem; win_service.ps1 returns that name for it.
    result = call(server, SERVICE, {"name": "W32Time", "username": "NT AUTHORITY\\SYSTEM"})
    assert (result["changed"], result["username"]) == (True, "LocalSystem")
    assert call(server, SERVICE, {"name": "W32Time", "username": "SYSTEM"})["changed"] is False


def test_a_registry_value_created_or_removed_has_no_data_changed(server: LabHost) -> None:
    # win_regedit.ps1 sets data_changed only when an existing value's data differs.
    value = {"path": "HKLM:\\SOFTWARE\\Lotus\\POS", "name": "Site", "data": "LIS01"}
    created = call(server, REGEDIT, value)
    assert (created["changed"], created["data_changed"]) == (True, False)
    changed = call(server, REGEDIT, value | {"data": "LIS02"})
    assert (changed["changed"], changed["data_changed"]) == (True, True)
    removed = call(server, REGEDIT, value | {"state": "absent"})
    assert (removed["changed"], removed["data_changed"]) == (True, False)


STAT = "ansible.windows.win_stat"


def test_stat_returns_the_times_as_seconds_since_1970(server: LabHost) -> None:
    # win_stat.ps1: creationtime, lastaccesstime, lastwritetime (UTC, seconds since epoch).
    path = "C:\\ProgramData\\settings.ini"
    filesystem.write_file(server, path, b"a")  # as win_copy's transfer writes it
    first = call(server, STAT, {"path": path})["stat"]
    assert first["creationtime"] == first["lastwritetime"] == first["lastaccesstime"]
    assert abs(first["creationtime"] - time.time()) < 120
    windows = call(server, STAT, {"path": "C:\\Windows"})["stat"]
    assert windows["creationtime"] <= first["creationtime"]
    assert {"creationtime", "lastaccesstime", "lastwritetime"} <= windows.keys()


def test_setup_returns_the_environment_as_windows_spells_it(server: LabHost) -> None:
    # setup.ps1 lists Env: with the names as Windows spells them (Path, SystemRoot, windir).
    env = call(server, "ansible.windows.setup", {"gather_subset": ["!all", "env"]})[
        "ansible_facts"]["ansible_env"]
    assert env["Path"].split(";")[:2] == ["C:\\Windows\\system32", "C:\\Windows"]
    assert (env["SystemRoot"], env["windir"], env["COMPUTERNAME"]) == (
        "C:\\Windows", "C:\\Windows", server.state["hostname"])
    assert "PATH" not in env
    assert env["NUMBER_OF_PROCESSORS"] == str(server.state["processors"])


TASK = "community.windows.win_scheduled_task"
TASK_STAT = "community.windows.win_scheduled_task_stat"


def test_task_stat_returns_the_modules_keys(server: LabHost) -> None:
    # win_scheduled_task_stat.ps1 lists every property of the task's COM objects, named in
    # snake_case; unset ones are null, settings are the Task Scheduler's defaults.
    call(server, TASK, {"name": "Lab task", "path": "\\Sitekit\\", "username": "SYSTEM",
                        "logon_type": "service_account",
                        "actions": [{"path": "cmd.exe", "arguments": "/c exit 0"}],
                        "triggers": [{"type": "boot"},
                                     {"type": "daily", "start_boundary": "2026-01-05T22:00:00"}],
                        "execution_time_limit": "PT10M"})
    stat = call(server, TASK_STAT, {"path": "\\Sitekit\\", "name": "Lab task"})
    assert stat["actions"] == [{"type": "TASK_ACTION_EXEC", "id": None, "path": "cmd.exe",
                                "arguments": "/c exit 0", "working_directory": None}]
    boot, daily = stat["triggers"]
    assert (boot["type"], boot["enabled"], boot["start_boundary"], boot["delay"]) == (
        "TASK_TRIGGER_BOOT", True, None, None)
    assert boot["repetition"] == {"duration": None, "interval": None,
                                  "stop_at_duration_end": False}
    assert (daily["type"], daily["days_interval"], daily["start_boundary"]) == (
        "TASK_TRIGGER_DAILY", 1, "2026-01-05T22:00:00")
    settings = stat["settings"]
    assert (settings["execution_time_limit"], settings["allow_demand_start"],
            settings["stop_if_going_on_batteries"], settings["priority"]) == (
        "PT10M", True, True, 7)
    assert settings["idle_settings"]["idle_duration"] == "PT10M"
    assert stat["principal"]["user_id"] == "NT AUTHORITY\\SYSTEM"
    assert stat["registration_info"]["uri"] == "\\Sitekit\\Lab task"
    assert stat["state"]["last_run_time"] == "1899-12-30T00:00:00"  # never ran


REG_STAT = "ansible.windows.win_reg_stat"
MEMBERSHIP = "ansible.windows.win_group_membership"


def test_a_fresh_install_has_the_builtin_groups_found_by_sid(server: LabHost) -> None:
    # Well-known SIDs (Microsoft docs): S-1-5-32-547 is Power Users on every install.
    result = call(server, MEMBERSHIP, {"name": "Power Users", "members": ["S-1-5-32-545"]})
    assert result["changed"] is True
    assert result["added"] == ["BUILTIN\\Users"]  # SID.Translate: the BUILTIN domain
    assert server.state["groups"]["Power Users"]["sid"] == "S-1-5-32-547"
    assert call(server, GROUP, {"name": "Event Log Readers"})["sid"] == "S-1-5-32-573"


@pytest.mark.parametrize("path", ["HKLM:\\SOFTWARE", "HKU:\\.DEFAULT", "HKCR:\\*",
                                  "HKCU:\\Environment", "HKLM:\\", "HKCC:\\System"])
def test_the_hives_standard_keys_exist(server: LabHost, path: str) -> None:
    # A fresh install's hives, and a key's parents: the registry has no key without them.
    assert call(server, REG_STAT, {"path": path})["exists"] is True


def test_the_parent_of_a_key_lists_it_and_an_unknown_key_does_not_exist(
        server: LabHost) -> None:
    software = call(server, REG_STAT, {"path": "HKLM:\\SOFTWARE"})
    assert {"Microsoft", "Policies", "Classes"} <= set(software["sub_keys"])
    assert call(server, REG_STAT, {"path": "HKLM:\\SOFTWARE\\NoSuchVendor"})["exists"] is False
    # An existing parent is not created again.
    created = call(server, REGEDIT, {"path": "HKLM:\\SOFTWARE"})
    assert created["changed"] is False


def test_an_expand_string_reads_expanded_and_its_raw_value_as_stored(server: LabHost) -> None:
    # win_reg_stat.ps1: GetValue expands environment names; raw_value uses
    # DoNotExpandEnvironmentNames.
    value = call(server, REG_STAT, {"path": "HKCU:\\Environment", "name": "TEMP"})
    assert value["type"] == "REG_EXPAND_SZ"
    assert value["raw_value"] == "%USERPROFILE%\\AppData\\Local\\Temp"
    assert value["value"] == f"C:\\Users\\{server.username}\\AppData\\Local\\Temp"


def test_a_reg_none_value_reads_as_bytes(server: LabHost) -> None:
    # win_reg_stat.ps1 formats REG_NONE as it does REG_BINARY: each byte as 0xNN.
    call(server, REGEDIT, {"path": "HKLM:\\SOFTWARE\\Lotus", "name": "Marker", "type": "none",
                           "data": "hex:00,01,ee,ff"})
    value = call(server, REG_STAT, {"path": "HKLM:\\SOFTWARE\\Lotus", "name": "Marker"})
    assert value["type"] == "REG_NONE"
    assert value["value"] == [0, 1, 238, 255]
    assert value["raw_value"] == ["0x00", "0x01", "0xee", "0xff"]


@pytest.mark.parametrize("option", [{"interfacetypes": ["ras", "lan"]}, {"edge": "deferapp"},
                                    {"security": "authenticate"}])
def test_a_legacy_option_only_the_code_reads_is_refused_not_ignored(
        server: LabHost, option: dict[str, Any]) -> None:
    # win_firewall_rule.ps1 (community.windows 3.1.0) reads interfacetypes, edge and security
    # with Get-AnsibleParam; its documentation does not name them. Windows applies them, so
    # a lab that ignored them would answer "unchanged" where Windows changes the rule.
    base = {"name": "http", "localport": "80", "protocol": "tcp"}
    assert call(server, RULE, base)["changed"] is True
    result = call(server, RULE, base | option)
    assert result["failed"] is True
    name = next(iter(option))
    assert result["msg"].startswith(f"the sitekit lab does not model the option {name} of {RULE}")


def test_win_copy_keeps_its_own_definition_of_the_options_its_action_sends(
        server: LabHost) -> None:
    # The action plugin sends _copy_mode (win_copy.ps1 reads it with Get-AnsibleParam and a
    # -validateset): a value outside it fails as Get-AnsibleParam fails it.
    result = call(server, "ansible.windows.win_copy", {"dest": "C:\\x", "_copy_mode": "bogus"})
    assert result["failed"] is True
    assert "_copy_mode needs to be one of" in result["msg"]


@pytest.mark.parametrize("check_mode", [True, False])
def test_removing_a_group_returns_no_sid(server: LabHost, check_mode: bool) -> None:
    # win_group.ps1: the result's sid starts $null and only the present branch sets it.
    group = "ansible.windows.win_group"
    assert call(server, group, {"name": "POS Tellers"})["changed"] is True
    result = call(server, group, {"name": "POS Tellers", "state": "absent"},
                  check=check_mode)
    assert result["changed"] is True
    assert result["sid"] is None


def test_setup_reads_the_listener_certificate_back(server: LabHost, tmp_path: Path) -> None:
    # setup.ps1's winrm subset: the HTTPS listener's certificate from Cert:\LocalMachine\My,
    # NotAfter in local time as 'yyyy-MM-dd HH:mm:ss', and its Thumbprint (SHA-1, upper hex).
    assert "ansible_win_rm_certificate_thumbprint" not in call(
        server, "ansible.windows.setup", {"gather_subset": ["winrm"]})["ansible_facts"]
    paths = issue_pki(tmp_path, ["127.0.0.1"], ["lis01-srv01"])
    server.state_file = tmp_path / "hosts" / "lis01-srv01" / "state.json"
    facts = call(server, "ansible.windows.setup", {"gather_subset": ["winrm"]})["ansible_facts"]
    cert = x509.load_pem_x509_certificate(paths.server_cert.read_bytes())
    assert facts["ansible_win_rm_certificate_thumbprint"] == \
        cert.fingerprint(hashes.SHA1()).hex().upper()  # noqa: S303 - what Windows shows
    local = cert.not_valid_after_utc.astimezone(zone(server.state["time_zone"]))
    assert facts["ansible_win_rm_certificate_expires"] == local.strftime("%Y-%m-%d %H:%M:%S")


def test_win_copy_creates_a_missing_folder_only_when_dest_names_a_folder(
        server: LabHost) -> None:
    # win_copy.ps1 (single mode): dest ending with a separator gets the file's name appended
    # and its missing parent created; dest naming the file itself in a missing folder fails.
    copy = "ansible.windows.win_copy"
    src = "C:\\Windows\\Temp\\source"
    filesystem.write_file(server, src, b"foo\r\nbar")  # as the action plugin uploads it
    single = {"src": src, "_copy_mode": "single", "_original_basename": "foo.txt"}
    result = call(server, copy, single | {"dest": "C:\\lab\\missing\\"})
    assert result["changed"] is True
    assert result["dest"] == "C:\\lab\\missing\\foo.txt"
    assert filesystem.read_file(server, "C:\\lab\\missing\\foo.txt") == b"foo\r\nbar"
    result = call(server, copy, single | {"dest": "C:\\lab\\absent\\foo.txt"})
    assert result["failed"] is True
    assert result["msg"] == "Destination directory 'C:\\lab\\absent' does not exist"
    assert not filesystem.is_dir(server, "C:\\lab\\absent")


def test_win_user_sets_the_password_of_a_disabled_or_expired_account_again(
        server: LabHost) -> None:
    # win_user.ps1: ValidateCredentials cannot check a disabled or expired account's
    # password, so with update_password=always it is set again and reported as a change.
    user = "ansible.windows.win_user"
    account = {"name": "clerk", "password": "Lab-Passw0rd!7"}
    assert call(server, user, account)["changed"] is True
    assert call(server, user, account)["changed"] is False
    assert call(server, user, {"name": "clerk", "password_expired": True})["changed"] is True
    result = call(server, user, account)
    assert result["changed"] is True
    assert result["password_expired"] is False  # a new password clears the flag
    assert call(server, user, {"name": "clerk", "account_disabled": True})["changed"] is True
    assert call(server, user, account)["changed"] is True
    assert call(server, user, account | {"update_password": "on_create"})["changed"] is False


@pytest.mark.parametrize("group", ["S-1-5-32-547", "Power Users"])
def test_win_user_takes_a_group_by_sid_or_name(server: LabHost, group: str) -> None:
    # win_user.ps1: each of groups is a SID string first, else a name; either must be a
    # local group ("group '<given>' not found" otherwise).
    user = "ansible.windows.win_user"
    result = call(server, user, {"name": "clerk", "password": "Lab-Passw0rd!7",
                                 "groups": [group], "groups_action": "add"})
    assert "Power Users" in [g["name"] for g in result["groups"]]
    for missing in ("S-1-5-32-999", "Userz"):
        result = call(server, user, {"name": "clerk", "groups": [missing]})
        assert result["msg"] == f"group '{missing}' not found"


def test_win_unzip_says_removed_in_check_mode_too(server: LabHost) -> None:
    # win_unzip.ps1: Remove-Item -WhatIf:$check_mode, then removed = $true either way.
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("rabbit.txt", "hop")
    filesystem.write_file(server, "C:\\Windows\\Temp\\hat.zip", buffer.getvalue())
    args = {"src": "C:\\Windows\\Temp\\hat.zip", "dest": "C:\\Windows\\Temp\\out",
            "delete_archive": True}
    result = call(server, "community.windows.win_unzip", args, check=True)
    assert (result["changed"], result["removed"]) == (True, True)
    assert filesystem.is_file(server, "C:\\Windows\\Temp\\hat.zip")  # only what-if
    result = call(server, "community.windows.win_unzip", args)
    assert (result["changed"], result["removed"]) == (True, True)
    assert not filesystem.is_file(server, "C:\\Windows\\Temp\\hat.zip")
