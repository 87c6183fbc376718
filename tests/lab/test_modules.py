"""Each modelled module as ansible.windows tests them: check (nothing changes), real
(changed), again (not changed), in one playbook run per step over real WinRM."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.lab.adhoc import without_temp_dirs
from tests.lab.conftest import CliLab

pytestmark = pytest.mark.slow
PLAYBOOK = Path(__file__).parent / "playbooks" / "modules.yml"
HOST = "lis01-srv01"
# Tasks that only read, or that run only when a change happened before them.
READERS = {"Gathering Facts", "Read the settings file", "Check the settings file exists"}
CONDITIONAL = {"Reboot for the new name"}


def run(lab: CliLab, *options: str) -> dict[str, dict[str, Any]]:
    """Run the playbook with the JSON callback; return each task's result on the host."""
    env = lab.env() | {"ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json"}
    result = lab.playbook(PLAYBOOK, *options, env=env)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr
    tasks = json.loads(result.stdout)["plays"][0]["tasks"]
    return {t["task"]["name"]: t["hosts"][HOST] for t in tasks}


def modelled_state(lab: CliLab) -> dict[str, Any]:
    """The host's state without the lab's own bookkeeping (call counts, update runs).

    Also without ansible's remote temp dirs: win_template (ansible.windows 2.x) leaves one
    behind on every run, check mode included, as it would on Windows.
    """
    state = lab.state(HOST)
    state.pop("lab")
    return without_temp_dirs(state)


@pytest.fixture(scope="module")
def runs(module_lab: CliLab) -> dict[str, Any]:
    """The state before, and the three runs with the state after each."""
    before = modelled_state(module_lab)
    check = run(module_lab, "--check", "--diff")
    after_check = modelled_state(module_lab)
    real = run(module_lab, "--diff")
    after_real = modelled_state(module_lab)
    again = run(module_lab)
    return {"before": before, "check": check, "after_check": after_check, "real": real,
            "after_real": after_real, "again": again, "after_again": modelled_state(module_lab)}


def changing_tasks(results: dict[str, Any]) -> list[str]:
    """The tasks that make a change (not readers)."""
    return [name for name in results if name not in READERS | CONDITIONAL]


def test_check_mode_predicts_every_change_and_changes_nothing(runs: dict[str, Any]) -> None:
    assert runs["after_check"] == runs["before"]
    unchanged = [t for t in changing_tasks(runs["check"]) if not runs["check"][t]["changed"]]
    assert unchanged == []
    assert len(changing_tasks(runs["check"])) == 17


def test_real_run_changes_every_task(runs: dict[str, Any]) -> None:
    unchanged = [t for t in changing_tasks(runs["real"]) if not runs["real"][t]["changed"]]
    assert unchanged == []
    assert runs["real"]["Reboot for the new name"]["rebooted"] is True
    assert runs["after_real"] != runs["before"]


def test_again_changes_nothing(runs: dict[str, Any]) -> None:
    changed = [t for t, r in runs["again"].items() if r.get("changed")]
    assert changed == []
    assert runs["again"]["Reboot for the new name"].get("skipped") is True
    assert runs["after_again"]["boot_time"] == runs["after_real"]["boot_time"]


def test_real_run_left_the_documented_state(runs: dict[str, Any]) -> None:
    state = runs["after_real"]
    assert state["hostname"] == "LIS01-SRV01"
    assert state["time_zone"] == "GMT Standard Time"
    assert state["services"]["Spooler"] | {} == state["services"]["Spooler"]
    assert (state["services"]["Spooler"]["state"], state["services"]["Spooler"]["start_mode"]) \
        == ("stopped", "disabled")
    assert "rmatos" in state["groups"]["Users"]["members"]
    assert state["groups"]["Remote Desktop Users"]["members"] == ["Administrator"]
    assert state["groups"]["POS Operators"]["description"] == "Lotus POS operators"
    assert state["firewall"]["rules"]["Lotus POS server"]["localport"] == "8443"
    assert state["registry"]["HKLM:\\SOFTWARE\\Lotus\\POS"]["Site"]["data"] == "LIS01"
    assert state["network"]["Ethernet"]["dns_servers"] == ["10.41.7.1"]
    assert state["features"]["SNMP-Service"]["installed"] is True
    assert state["packages"]["{7D2B4A38-5F0C-4E3B-9C1D-1A2B3C4D5E6F}"]["version"] == "8.4.2"
    assert state["packages"]["{C3D7F2B5-6E4A-4F8B-AD32-80B19E4F7C62}"] == {
        "name": "Lotus POS Client", "version": "8.4.2", "publisher": "sitekit lab"}
    assert [u["kb"] for u in state["updates"]["installed"]][-1] == ["KB5044281"]
    assert "\\sitekit\\Lotus POS backup" in state["scheduled_tasks"]
    assert state["reboot_pending"] is False


def test_returns_documented_values(runs: dict[str, Any]) -> None:
    real = runs["real"]
    assert real["Rename the computer"]["old_name"].startswith("WIN-")
    assert real["Rename the computer"]["reboot_required"] is True
    assert real["Set the time zone"]["previous_timezone"] == "UTC"
    assert real["Create a local user"]["groups"][0]["name"] == "Users"
    assert real["Create a local user"]["sid"].startswith("S-1-5-21-")
    assert real["Install the SNMP service"]["feature_result"][0]["display_name"] == "SNMP Service"
    assert real["Install security updates"]["installed_update_count"] == 1
    assert real["Render the application settings from a template"]["checksum"]
    # Created, not changed: win_regedit.ps1 sets data_changed only for an existing value.
    assert real["Set a registry value"]["changed"] is True
    assert real["Set a registry value"]["data_changed"] is False
    stat = runs["again"]["Read the settings file"]["stat"]
    assert stat["exists"] is True
    assert stat["size"] == real["Render the application settings from a template"]["size"]
    facts = runs["again"]["Gathering Facts"]["ansible_facts"]
    assert facts["ansible_hostname"] == "LIS01-SRV01"
    assert facts["ansible_os_name"] == "Microsoft Windows Server 2022 Standard"
    assert facts["ansible_distribution_version"] == "10.0.20348.0"
    assert facts["ansible_date_time"]["tz"] == "GMT Standard Time"
    assert facts["ansible_interfaces"][0]["ipv4"]["address"] == "127.41.7.4"


def test_diff_shows_before_and_after(runs: dict[str, Any]) -> None:
    timezone = runs["check"]["Set the time zone"]["diff"]
    assert timezone == {"before": "UTC\n", "after": "GMT Standard Time\n"}
    assert "host=10.41.7.4" in runs["real"]["Render the application settings from a "
                                            "template"]["diff"]["after"]


SHARE = "\\\\dist.lotus-kitchen.example\\packages"
CLIENT = "{C3D7F2B5-6E4A-4F8B-AD32-80B19E4F7C62}"
CLIENT_MSI = f"{SHARE}\\lotus-pos\\8.4.2\\LotusPOS-Client-8.4.2-x64.msi"
# runas as the connecting account, with its (vaulted) password: a logon that has network
# credentials, as the roles do for their installs.
RUNAS = ("--become", "--become-method", "runas", "-e",
         json.dumps({"ansible_become_user": "{{ ansible_user }}",
                     "ansible_become_password": "{{ ansible_password }}"}))


@pytest.mark.parametrize(("path", "product_id", "message"), [
    (f"{SHARE}\\lotus-pos\\8.4.1\\LotusPOS-Client-8.4.1-x64.msi", CLIENT,
     "cannot be reached"),
    (CLIENT_MSI, "{B2C6E1A4-5D3F-4E7A-9C21-7F0A8D3E6B51}", "installs the product " + CLIENT),
])
def test_share_has_only_the_fleets_installers(module_lab: CliLab, path: str, product_id: str,
                                              message: str) -> None:
    args = json.dumps({"path": path, "product_id": product_id})
    result = module_lab.ansible("lis01-pos01", "ansible.windows.win_package", args, *RUNAS)
    assert result.returncode != 0
    assert message in result.stdout


@pytest.mark.parametrize(("options", "message"), [
    # The WinRM logon: NTLM cannot pass its credentials on to the share.
    ((), f"the file at the path '{CLIENT_MSI}' cannot be reached"),
    # runas without a password, as SYSTEM: no credentials for another machine either.
    (("--become", "--become-method", "runas", "--become-user", "SYSTEM"),
     f"the file at the path '{CLIENT_MSI}' cannot be reached"),
    # runas as the connecting account with its password reaches the share and reads the
    # installer (whose product is not the one asked for: nothing gets installed).
    (RUNAS, "installs the product " + CLIENT),
])
def test_share_needs_a_logon_with_network_credentials(
        module_lab: CliLab, options: tuple[str, ...], message: str) -> None:
    args = json.dumps({"path": CLIENT_MSI, "product_id": "{B2C6E1A4-5D3F-4E7A-9C21-7F0A8D3E6B51}"})
    result = module_lab.ansible("lis01-pos01", "ansible.windows.win_package", args, *options)
    assert result.returncode != 0
    assert message in result.stdout, result.stdout[-2000:]


def test_check_mode_does_not_reach_for_the_share(module_lab: CliLab) -> None:
    # As on Windows, win_package tests that the path can be reached on a real run only: a
    # rehearsal without network credentials passes and predicts the install.
    args = json.dumps({"path": CLIENT_MSI, "product_id": CLIENT})
    result = module_lab.ansible("lis01-pos01", "ansible.windows.win_package", args, "--check")
    assert result.returncode == 0, result.stdout[-2000:]
    assert '"changed": true' in result.stdout
