"""The lab's answers for a rollout, called as ansible calls them (no WinRM, no playbook).

A release's MSI is a major upgrade of the fleet's (the older product goes, as Windows
Installer's major upgrades remove it), a downgrade over it is refused (1638), the
installer-fails fault ends a release's install in 1603 as win_package reports it
("unexpected rc from ..."), win_stat reads a release installer's SHA-256 on the share, and
the release's schema step moves the database's schema.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest

from sitekit.lab import faults, shares, state
from sitekit.lab.host import LabHost
from sitekit.lab.labdir import read_releases
from sitekit.lab.shares import share_listing
from sitekit.lab.state import seed_state
from sitekit.site.load import load_fleet_dir
from tests.lab.models import call, seeded

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "inventories" / "example"
SHARE = "\\\\dist.lotus-kitchen.example\\packages"
OLD = {"path": f"{SHARE}\\lotus-pos\\8.4.2\\LotusPOS-Client-8.4.2-x64.msi",
       "product_id": "{C3D7F2B5-6E4A-4F8B-AD32-80B19E4F7C62}", "state": "present"}
NEW = {"path": f"{SHARE}\\lotus-pos\\8.5.0\\LotusPOS-Client-8.5.0-x64.msi",
       "product_id": "{C3D7F2B5-6E4A-4F8B-AD32-80B19E4F7C63}", "state": "present"}
NEW_SHA256 = "41c0ab17471ca1ff5b6db6ce759ebb687813f5c59a6d67bc7a314327d55e03e0"


@pytest.fixture
def station() -> LabHost:
    """A station as `lab up` seeds it, the fleet's and the releases' installers on the share."""
    loaded = load_fleet_dir(EXAMPLE)
    assert loaded.fleet is not None
    host = LabHost("lis01-pos01", "127.0.0.1", "sitekit", "Lab-Passw0rd!")
    host.state = seed_state("workstation", "lis01-pos01", random.Random(1), "sitekit")  # noqa: S311
    host.state["shares"] = share_listing(loaded.fleet, read_releases(EXAMPLE))
    return host




def versions(host: LabHost) -> dict[str, str]:
    return {code: p["version"] for code, p in host.state["packages"].items()
            if p["name"].startswith("Lotus")}


def test_a_release_replaces_the_fleets_product_and_refuses_a_downgrade(station: LabHost) -> None:
    assert call(station, "ansible.windows.win_package", OLD)["changed"]
    assert call(station, "ansible.windows.win_package", NEW)["changed"]
    assert versions(station) == {NEW["product_id"]: "8.5.0"}
    refused = call(station, "ansible.windows.win_package", OLD)
    assert refused["failed"] and refused["rc"] == 1638
    assert refused["msg"].startswith("unexpected rc from ")
    # The rollback's order: the release's product removed, then the fleet's installed.
    assert call(station, "ansible.windows.win_package", {**NEW, "state": "absent"})["changed"]
    assert call(station, "ansible.windows.win_package", OLD)["changed"]
    assert versions(station) == {OLD["product_id"]: "8.4.2"}


def test_installer_fails_ends_a_release_install_in_1603_and_changes_nothing(
        station: LabHost) -> None:
    call(station, "ansible.windows.win_package", OLD)
    station.state.setdefault("lab", {})["faults"] = {"installer-fails": {}}
    failed = call(station, "ansible.windows.win_package", NEW)
    assert failed["failed"] and failed["rc"] == 1603
    assert versions(station) == {OLD["product_id"]: "8.4.2"}
    assert not call(station, "ansible.windows.win_package", OLD)["changed"]  # the fleet's: fine


def test_win_stat_reads_a_release_installers_checksum_only_with_network_credentials(
        station: LabHost) -> None:
    args = {"path": NEW["path"], "get_checksum": True, "checksum_algorithm": "sha256",
            "get_size": False}
    assert call(station, "ansible.windows.win_stat", args)["stat"]["checksum"] == NEW_SHA256
    unknown = call(station, "ansible.windows.win_stat", {**args, "checksum_algorithm": "md5"})
    assert unknown["failed"] and "does not model the md5 checksum" in unknown["msg"]
    sized = call(station, "ansible.windows.win_stat", {**args, "get_size": True})
    assert sized["failed"] and "does not model the size" in sized["msg"]
    missing = call(station, "ansible.windows.win_stat", {**args, "path": NEW["path"] + "x"})
    assert missing["stat"] == {"exists": False}
    with shares.logon(network_credentials=False):  # a WinRM logon without become: no share
        assert call(station, "ansible.windows.win_stat", args)["stat"] == {"exists": False}


def test_the_new_version_will_not_start_only_when_installed(station: LabHost) -> None:
    station.state.setdefault("lab", {})["faults"] = {"new-version-wont-start": {}}
    entry = next(e for e in station.state["shares"].values()
                 if e["package"] == "application_server" and e.get("sha256"))
    assert not faults.crashed(station.state, entry["service"])
    station.state["packages"][entry["product_id"].upper()] = {"name": "x", "version": "8.5.0"}
    assert faults.crashed(station.state, entry["service"])
    assert not faults.crashed(station.state, "Spooler")


def test_win_command_runs_only_the_releases_schema_step(station: LabHost) -> None:
    other = call(station, "ansible.windows.win_command", {"cmd": "whoami.exe /all"})
    assert other["failed"] and "models win_command only" in other["msg"]


def test_a_failing_schema_step_fails_as_win_command_does(station: LabHost) -> None:
    entry = next(e for e in station.state["shares"].values() if e.get("upgrade_step"))
    call(station, "ansible.windows.win_package", {
        "path": entry["path"], "product_id": entry["product_id"], "state": "present"})
    program = f'"{entry["install_dir"]}\\{entry["upgrade_step"]}" --database LotusPOS'
    missing = call(station, "ansible.windows.win_command", {"cmd": program})
    assert missing["failed"] and missing["rc"] == 2 and "not found" in missing["stderr"]
    station.state.setdefault("lab", {})["faults"] = {"schema-upgrade-fails": {}}
    failed = call(station, "ansible.windows.win_command", {"cmd": program})
    assert failed["failed"] and failed["msg"] == "non-zero return code" and failed["rc"] == 1


UPDATE = {"kb": "KB5048667", "installer": "windows\\2026-12\\windows10.0-kb5048667-x64.msu",
          "sha256": "7e" * 32}


@pytest.fixture
def patched(station: LabHost) -> LabHost:
    """The station with a release carrying one Windows update's .msu on the share."""
    loaded = load_fleet_dir(EXAMPLE)
    assert loaded.fleet is not None
    release = {"components": {"windows_updates": {"kbs": [UPDATE]}}}
    station.state["shares"] = share_listing(loaded.fleet, [release])
    return station


def test_win_hotfix_installs_from_the_share_and_a_restart_finishes_it(patched: LabHost) -> None:
    source = {"source": f"{SHARE}\\{UPDATE['installer']}", "hotfix_kb": "KB5048667"}
    checked = call(patched, "ansible.windows.win_hotfix", source, check=True)
    assert checked["changed"] and not checked["reboot_required"]
    assert not patched.state.get("hotfixes")
    first = call(patched, "ansible.windows.win_hotfix", source)
    assert first["changed"] and first["reboot_required"] and first["kb"] == "KB5048667"
    # Staged, not finished: no change, still asking for the restart (InstallPending).
    again = call(patched, "ansible.windows.win_hotfix", source)
    assert not again["changed"] and again["reboot_required"]
    state.reboot(patched.state)
    done = call(patched, "ansible.windows.win_hotfix", source)
    assert not done["changed"] and not done["reboot_required"]
    assert [h["state"] for h in patched.state["hotfixes"].values()] == ["Installed"]
    removed = call(patched, "ansible.windows.win_hotfix", {"hotfix_kb": "KB5048667",
                                                           "state": "absent"})
    assert removed["changed"] and removed["reboot_required"]
    state.reboot(patched.state)
    assert patched.state["hotfixes"] == {}


@pytest.mark.parametrize(("args", "message"), [
    ({"source": f"{SHARE}\\windows\\2026-12\\other.msu"}, "the path set for source "),
    ({"source": f"{SHARE}\\{UPDATE['installer']}", "hotfix_kb": "KB5000001"},
     "the hotfix KB KB5000001 does not match with the source msu KB KB5048667"),
    ({}, "source must be set when state=present"),
    ({"state": "absent"}, "either hotfix_identifier or hotfix_kb needs to be set"),
])
def test_win_hotfix_refuses_what_the_module_refuses(patched: LabHost, args: dict[str, Any],
                                                     message: str) -> None:
    failed = call(patched, "ansible.windows.win_hotfix", args)
    assert failed["failed"] and failed["msg"].startswith(message), failed


# A SQL Server cumulative update in a release: its package on the share, run unattended
# with /Action=Patch on the site's instance (Microsoft Learn, "Installing updates from the
# command prompt").
CU = {"cumulative_update": "CU27", "version": "16.0.4275.1",
      "installer": "sql-server\\2022\\updates\\SQLServer2022-KB5094000-x64.exe",
      "sha256": "5c" * 32}
PATCH = "/quiet /IAcceptSQLServerLicenseTerms /Action=Patch /InstanceName=SQLEXPRESS"


@pytest.fixture
def sql_server() -> LabHost:
    """A server with SQL Server 2022 Express at the fleet's CU26, a release's CU27 on the share."""
    loaded = load_fleet_dir(EXAMPLE)
    assert loaded.fleet is not None
    host = seeded("server", "lis01-srv01")
    host.state["shares"] = share_listing(loaded.fleet, [{"components": {"sql_server": CU}}])
    host.state["sql_instances"] = {"SQLEXPRESS": {"name": "SQLEXPRESS", "version": "16.0.4265.3"}}
    return host


def cu_args(arguments: str = PATCH) -> dict[str, Any]:
    return {"path": f"{SHARE}\\{CU['installer']}", "arguments": arguments, "state": "present"}


def test_a_cu_patches_the_instance_and_asks_for_a_restart(sql_server: LabHost) -> None:
    checked = call(sql_server, "ansible.windows.win_package", cu_args(), check=True)
    assert checked["changed"] and not checked["reboot_required"]
    assert sql_server.state["sql_instances"]["SQLEXPRESS"]["version"] == "16.0.4265.3"
    done = call(sql_server, "ansible.windows.win_package", cu_args())
    # Success with a restart to do: failed is false, or ansible would fail on the rc.
    assert done["changed"] and done["rc"] == 3010 and done["reboot_required"], done
    assert done["failed"] is False
    assert sql_server.state["sql_instances"]["SQLEXPRESS"]["version"] == "16.0.4275.1"
    # Setup's "Restart computer" rule: nothing more is installed before the restart.
    assert sql_server.state["reboot_pending"]
    state.reboot(sql_server.state)
    assert not sql_server.state["reboot_pending"]


@pytest.mark.parametrize(("arguments", "message"), [
    ("/IAcceptSQLServerLicenseTerms /Action=Patch /InstanceName=SQLEXPRESS", "/quiet or /qs"),
    ("/quiet /Action=Patch /InstanceName=SQLEXPRESS", "/IAcceptSQLServerLicenseTerms"),
    ("/quiet /IAcceptSQLServerLicenseTerms /Action=Install /InstanceName=SQLEXPRESS",
     "/Action=Patch"),
    ("/quiet /IAcceptSQLServerLicenseTerms /Action=Patch", "/InstanceName"),
    ("/quiet /IAcceptSQLServerLicenseTerms /Action=Patch /InstanceName=OTHER",
     "the instance OTHER is not installed"),
])
def test_a_cu_fails_as_setup_does(sql_server: LabHost, arguments: str, message: str) -> None:
    failed = call(sql_server, "ansible.windows.win_package", cu_args(arguments))
    assert failed["failed"] and failed["rc"] != 0 and message in failed["stdout"], failed
    assert sql_server.state["sql_instances"]["SQLEXPRESS"]["version"] == "16.0.4265.3"


def test_a_cu_waits_for_a_pending_restart(sql_server: LabHost) -> None:
    sql_server.state["reboot_pending"] = True  # a Windows update staged before it
    failed = call(sql_server, "ansible.windows.win_package", cu_args())
    assert failed["failed"] and "Restart computer" in failed["stdout"], failed
    assert sql_server.state["sql_instances"]["SQLEXPRESS"]["version"] == "16.0.4265.3"
