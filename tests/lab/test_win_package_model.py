"""ansible.windows.win_package in the lab: arguments as its code checks them, and installed or
not as its Get-InstalledStatus decides (win_package.ps1): creates_path's existence, and with
creates_version the FILE version of creates_path, never the product's version.

Issue 19, defect 2: pos_workstation passed creates_version without creates_path, which
win_package's spec rejects (`required_by = @{ creates_version = "creates_path" }`).
"""

from __future__ import annotations

import copy
import json
import random
from pathlib import Path
from typing import Any

import pytest
import yaml

from sitekit.lab import filesystem
from sitekit.lab.host import LabHost
from sitekit.lab.modules import run_module
from sitekit.lab.shares import share_listing
from sitekit.lab.state import seed_state
from sitekit.site.load import load_fleet_dir

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "inventories" / "example"
SHARE = "\\\\dist.lotus-kitchen.example\\packages"
CLIENT_MSI = f"{SHARE}\\lotus-pos\\8.4.2\\LotusPOS-Client-8.4.2-x64.msi"
CLIENT_ID = "{C3D7F2B5-6E4A-4F8B-AD32-80B19E4F7C62}"
CLIENT_EXE = "C:\\Program Files\\Lotus POS\\Client\\LotusPOS.Client.exe"
FILE_VERSION = "8.4.2.1207"  # the example fleet's application_client.file_version
# The task as pos_workstation had it before issue 19: the product's version, no creates_path.
OLD_TASK = {"path": CLIENT_MSI, "product_id": CLIENT_ID, "creates_version": "8.4.2",
            "state": "present"}
FIXED = {"path": CLIENT_MSI, "product_id": CLIENT_ID, "creates_path": CLIENT_EXE,
         "creates_version": FILE_VERSION, "state": "present"}


def fresh_station() -> LabHost:
    """A cashier station as `lab up` seeds it, with the fleet's share listed."""
    loaded = load_fleet_dir(EXAMPLE)
    assert loaded.fleet is not None
    host = LabHost("lis01-pos01", "127.0.0.1", "sitekit", "Lab-Passw0rd!")
    host.state = seed_state("workstation", "lis01-pos01", random.Random(1), "sitekit")  # noqa: S311
    host.state["shares"] = share_listing(loaded.fleet)
    return host


def call(host: LabHost, args: dict[str, Any], check: bool = False) -> dict[str, Any]:
    """Run the model as ansible does; the module's JSON result (rc 1 = failed)."""
    result = run_module(host, "ansible.windows.win_package",
                        {**copy.deepcopy(args), "_ansible_check_mode": check})
    data: dict[str, Any] = json.loads(result.stdout)
    assert bool(data.get("failed")) == (result.rc == 1), data
    return data


def test_the_old_task_fails_as_win_package_does() -> None:
    host = fresh_station()
    for check in (True, False):
        result = call(host, OLD_TASK, check=check)
        assert result["failed"] is True
        assert result["msg"] == "missing parameter(s) required by 'creates_version': creates_path"
    assert CLIENT_ID not in host.state["packages"]


def test_the_roles_task_passes_win_packages_spec() -> None:
    # The role's task as written, its variables rendered from the example fleet's data.
    task = yaml.safe_load((ROOT / "roles" / "pos_workstation" / "tasks" / "install.yml")
                          .read_text(encoding="utf-8"))[0]["ansible.windows.win_package"]
    assert {"creates_path", "creates_version"} <= set(task)
    assert task["creates_path"] == "{{ pos_workstation_executable_path }}"
    assert task["creates_version"] == "{{ pos_workstation_file_version }}"


def test_fixed_task_installs_once_and_leaves_the_program_with_its_file_version() -> None:
    host = fresh_station()
    check = call(host, FIXED, check=True)
    assert check["changed"] is True and CLIENT_ID not in host.state["packages"]
    assert call(host, FIXED)["changed"] is True
    assert filesystem.file_version(host, CLIENT_EXE) == (8, 4, 2, 1207)
    assert host.state["packages"][CLIENT_ID]["version"] == "8.4.2"
    assert call(host, FIXED)["changed"] is False
    assert call(host, FIXED, check=True)["changed"] is False


@pytest.mark.parametrize(("creates_version", "changed"), [
    (FILE_VERSION, False),
    ("8.4.2.1206", True),  # another file version: upgraded
    ("8.4.2", True),  # the product's version never equals a four-part file version
    ("8.4.2.1207 ", True),  # a string comparison, as in PowerShell
])
def test_creates_version_compares_the_file_version_of_creates_path(
        creates_version: str, changed: bool) -> None:
    host = fresh_station()
    call(host, FIXED)
    result = call(host, FIXED | {"creates_version": creates_version}, check=True)
    assert result["changed"] is changed, result


def test_the_product_alone_does_not_count_as_installed_when_creates_path_is_missing() -> None:
    host = fresh_station()
    call(host, FIXED)
    filesystem.remove(host, CLIENT_EXE, recurse=False)
    assert call(host, FIXED, check=True)["changed"] is True


def test_creates_path_a_directory_with_creates_version_crashes_as_the_module_throws() -> None:
    host = fresh_station()
    call(host, FIXED)
    result = call(host, FIXED | {"creates_path": "C:\\Program Files\\Lotus POS\\Client"})
    assert result["failed"] is True
    assert result["msg"] == ("Unhandled exception while executing module: creates_path must be"
                             " a file not a directory when creates_version is set")


def test_removal_takes_the_program_away() -> None:
    host = fresh_station()
    call(host, FIXED)
    removed = call(host, {"path": CLIENT_MSI, "product_id": CLIENT_ID, "state": "absent"})
    assert removed["changed"] is True
    assert not filesystem.is_file(host, CLIENT_EXE)
    assert call(host, FIXED, check=True)["changed"] is True


def test_a_real_run_tests_the_path_first_even_when_installed() -> None:
    host = fresh_station()
    call(host, FIXED)
    moved = FIXED | {"path": CLIENT_MSI.replace("8.4.2\\", "8.4.3\\")}
    assert call(host, moved, check=True)["changed"] is False
    result = call(host, moved)
    assert result["failed"] is True and "cannot be reached" in result["msg"]
