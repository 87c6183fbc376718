"""The real ansible-inventory over the example fleet, against a stored JSON.

Set SITEKIT_UPDATE_GOLDEN=1 to rewrite the stored JSON after a deliberate change, then
read the diff before committing it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import BIN, EXAMPLE, ROOT

GOLDEN = ROOT / "tests" / "data" / "golden" / "example-inventory.json"
pytestmark = pytest.mark.slow


def ansible_inventory(*args: str, cache_dir: Path | None = None,
                      extra_env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SITEKIT_TODAY": "2026-12-01", "NO_COLOR": "1", **(extra_env or {})}
    if cache_dir is None:
        env["ANSIBLE_INVENTORY_CACHE"] = "false"
    else:
        env["ANSIBLE_INVENTORY_CACHE_CONNECTION"] = str(cache_dir)
    return subprocess.run([BIN / "ansible-inventory", *args], capture_output=True, text=True,
                          check=False, cwd=ROOT, env=env)


def _plain(value: dict[str, Any]) -> Any:
    # ansible-core 2.19 marks values a plugin did not trust for templating this way; the
    # plan's values are data, never templates, so they all carry the mark.
    return value["__ansible_unsafe"] if set(value) == {"__ansible_unsafe"} else value


def listed(text: str) -> Any:
    """ansible-inventory --list output as plain data."""
    return json.loads(text, object_hook=_plain)


def _normalised(text: str, root: Path) -> Any:
    # Absolute paths differ per checkout; the golden file stores them from the fleet dir.
    return listed(text.replace(str(root), "<fleet>"))


def test_example_inventory_matches_golden() -> None:
    result = ansible_inventory("-i", "inventories/example", "--list")
    assert result.returncode == 0, result.stderr
    assert "WARNING" not in result.stderr, result.stderr
    found = _normalised(result.stdout, EXAMPLE)
    if os.environ.get("SITEKIT_UPDATE_GOLDEN"):
        GOLDEN.write_text(json.dumps(found, indent=2, sort_keys=True) + "\n")
    assert found == json.loads(GOLDEN.read_text())


def test_golden_has_the_groups_the_roles_rely_on() -> None:
    golden = json.loads(GOLDEN.read_text())
    assert golden["workstations"]["children"] == ["cashier", "kitchen", "office"]
    assert set(golden["fleet_example"]["children"]) == {"site_ber02", "site_lis01", "site_lon01"}
    assert golden["city_lisbon"]["children"] == ["site_lis01"]
    assert golden["ring_0"]["children"] == ["site_lis01"]
    host = golden["_meta"]["hostvars"]["lon01-kds03"]
    assert host["ansible_host"] == "10.50.0.52"
    assert host["sitekit_section"] == "dim sum"
    assert host["sitekit_printers"] == [
        {"name": "LON01-PRN13", "kind": "kitchen", "address": "10.50.0.92"}]
    assert [g["name"] for g in host["sitekit_local_groups"]] == [
        "POS Administrators", "POS Kitchen Display Operators"]
    assert set(host["sitekit_local_users"]) == {"oclarke", "hpatel", "sturner", "mali", "cwei"}
    assert host["ansible_winrm_ca_trust_path"] == "<fleet>/files/site-ca.pem"
    assert host["ansible_winrm_server_cert_validation"] == "validate"
    assert host["ansible_winrm_message_encryption"] == "always"
    assert host["sitekit_windows_time_zone"] == "GMT Standard Time"
    assert "ansible_password" not in host


def test_compose_keyed_groups_and_groups_work_as_in_constructed(tmp_path: Path) -> None:
    fleet = tmp_path / "fleet"
    shutil.copytree(EXAMPLE, fleet)
    config = fleet / "sitekit.yml"
    config.write_text(config.read_text() + (
        "compose:\n"
        "  sitekit_label: sitekit_computer_name ~ ' @ ' ~ sitekit_site.city\n"
        "  sitekit_tier: \"'pilot' if sitekit_site.rollout_ring == 0 else 'fleet'\"\n"
        "keyed_groups:\n"
        "  - key: sitekit_kind\n"
        "    prefix: kind\n"
        "  - key: sitekit_tier\n"
        "    prefix: tier\n"
        "groups:\n"
        "  pilot: sitekit_site.rollout_ring == 0\n"))
    result = ansible_inventory("-i", str(fleet), "--list")
    assert result.returncode == 0, result.stderr
    found = listed(result.stdout)
    assert found["_meta"]["hostvars"]["lis01-pos01"]["sitekit_label"] == "LIS01-POS01 @ Lisbon"
    assert sorted(found["kind_kitchen"]["hosts"])[:2] == ["ber02-kds01", "ber02-kds02"]
    assert sorted(found["pilot"]["hosts"]) == ["lis01-kds01", "lis01-pos01", "lis01-srv01"]
    # A keyed group on a composed value, as ansible.builtin.constructed allows.
    assert sorted(found["tier_pilot"]["hosts"]) == sorted(found["pilot"]["hosts"])
    assert len(found["tier_fleet"]["hosts"]) == 23


def test_compose_error_is_reported_when_strict(tmp_path: Path) -> None:
    fleet = tmp_path / "fleet"
    shutil.copytree(EXAMPLE, fleet)
    config = fleet / "sitekit.yml"
    config.write_text(config.read_text() + "strict: true\ncompose:\n  x: no_such_var.attr\n")
    result = ansible_inventory("-i", str(fleet), "--list")
    assert result.returncode != 0
    assert "no_such_var" in result.stderr


def test_cached_run_gives_the_same_inventory_and_sees_edits(tmp_path: Path) -> None:
    fleet = tmp_path / "fleet"
    shutil.copytree(EXAMPLE, fleet)
    cache = tmp_path / "cache"
    first = ansible_inventory("-i", str(fleet), "--list", cache_dir=cache)
    assert first.returncode == 0, first.stderr
    assert len(_entries(cache)) == 1
    second = ansible_inventory("-i", str(fleet), "--list", cache_dir=cache)
    assert listed(second.stdout) == listed(first.stdout)
    # An edited site file changes the cache key: the edit shows, never the stale plan.
    site = fleet / "sites" / "lis01.yml"
    site.write_text(site.read_text().replace("city: Lisbon", "city: Porto"))
    third = ansible_inventory("-i", str(fleet), "--list", cache_dir=cache)
    assert "city_porto" in listed(third.stdout)
    assert len(_entries(cache)) == 2


def _entries(cache: Path) -> list[Path]:
    # Beside the entries, the cache keeps its HMAC key in a dotfile.
    return [path for path in cache.iterdir() if not path.name.startswith(".")]


def test_limit_to_a_missing_site_is_an_error() -> None:
    result = subprocess.run(
        [BIN / "ansible", "all", "-i", "inventories/example", "--limit", "site_nowhere",
         "--list-hosts"],
        capture_output=True, text=True, check=False, cwd=ROOT,
        env={**os.environ, "ANSIBLE_INVENTORY_CACHE": "false"})
    assert result.returncode != 0
    assert "site_nowhere" in result.stderr


def test_plugin_documentation_parses() -> None:
    result = subprocess.run([BIN / "ansible-doc", "-t", "inventory", "sitekit", "--json"],
                            capture_output=True, text=True, check=False, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)["sitekit"]["doc"]
    assert {"fleet", "source", "sites", "loopback", "connection", "compose",
            "keyed_groups", "cache"} <= set(doc["options"])
