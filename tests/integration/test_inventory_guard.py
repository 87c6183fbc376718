"""The connection stays HTTPS, validated against the site CA, encrypted, whatever the
plugin's compose, keyed_groups, its `connection` option or a cache file say; and the cache
serves only the plan of the files as they are, unedited, readable by its owner alone.

Real ansible-inventory runs: the promise is about what Ansible gets.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from sitekit.inventory import connection_problem
from sitekit.site.load import fleet_file_keys
from tests.conftest import BIN, EXAMPLE, ROOT
from tests.integration.test_inventory_golden import ansible_inventory, listed

pytestmark = pytest.mark.slow


def _fleet(tmp_path: Path, extra: str = "") -> Path:
    fleet = tmp_path / "fleet"
    shutil.copytree(EXAMPLE, fleet)
    config = fleet / "sitekit.yml"
    config.write_text(config.read_text() + extra)
    return fleet


@pytest.mark.parametrize(("compose", "variable"), [
    ("ansible_winrm_server_cert_validation: \"'ignore'\"", "ansible_winrm_server_cert_validation"),
    ("ansible_winrm_message_encryption: \"'never'\"", "ansible_winrm_message_encryption"),
    ("ansible_winrm_scheme: \"'http'\"", "ansible_winrm_scheme"),
    ("ansible_winrm_transport: \"'basic'\"", "ansible_winrm_transport"),
    ("ansible_winrm_transport: \"['basic']\"", "ansible_winrm_transport"),
    ("ansible_port: 5985", "ansible_port"),
    ("ansible_connection: \"'psrp'\"", "ansible_connection"),
    ("ansible_winrm_ca_trust_path: \"''\"", "ansible_winrm_ca_trust_path"),
    ("ansible_winrm_password: \"'hunter2'\"", "ansible_winrm_password"),
    ("ansible_psrp_cert_validation: \"'ignore'\"", "ansible_psrp_cert_validation"),
])
def test_compose_cannot_change_the_connection(tmp_path: Path, compose: str,
                                              variable: str) -> None:
    fleet = _fleet(tmp_path, f"compose:\n  {compose}\n")
    result = ansible_inventory("-i", str(fleet), "--list")
    assert result.returncode != 0
    assert result.stdout.strip() == ""
    assert f"compose may not set {variable}" in " ".join(result.stderr.split())


@pytest.mark.parametrize(("connection", "expect"), [
    ("ansible_winrm_password: hunter2", "connection may not set ansible_winrm_password"),
    ("ansible_password: hunter2", "connection may not set ansible_password"),
    ("ansible_become_password: hunter2", "connection may not set ansible_become_password"),
    ("ansible_winrm_token: abc", "connection may not set ansible_winrm_token"),
    ("ansible_winrm_server_cert_validation: ignore", "stays validate"),
    ("ansible_winrm_transport: [ntlm, basic]", "is not one of: credssp, kerberos, ntlm"),
    ("ansible_port: 5985", "is not an HTTPS WinRM port"),
    ("ansible_winrm_send_cbt: false", "ansible_winrm_send_cbt stays true"),
])
def test_connection_option_refuses_secrets_and_weakening(tmp_path: Path, connection: str,
                                                         expect: str) -> None:
    fleet = _fleet(tmp_path, f"connection:\n  {connection}\n")
    result = ansible_inventory("-i", str(fleet), "--list")
    assert result.returncode != 0
    assert expect in " ".join(result.stderr.split())


def test_connection_option_may_point_at_another_ca_and_port(tmp_path: Path) -> None:
    ca = tmp_path / "lab-ca.pem"
    ca.write_text("not checked here")
    fleet = _fleet(tmp_path, f"connection:\n  ansible_port: 15986\n"
                             f"  ansible_winrm_ca_trust_path: {ca}\nloopback: true\n")
    result = ansible_inventory("-i", str(fleet), "--list")
    assert result.returncode == 0, result.stderr
    host = listed(result.stdout)["_meta"]["hostvars"]["lis01-pos01"]
    assert host["ansible_port"] == 15986
    assert host["ansible_winrm_ca_trust_path"] == str(ca)
    assert host["ansible_host"].startswith("127.")


def test_unknown_key_in_the_plugin_file(tmp_path: Path) -> None:
    lab = tmp_path / "lab"
    lab.mkdir()
    (lab / "sitekit.yml").write_text(f"plugin: sitekit\nsource: {EXAMPLE}\nsitez: [LIS01]\n")
    result = ansible_inventory("-i", str(lab), "--list")
    assert result.returncode != 0
    assert "unknown key 'sitez'; did you mean 'sites'?" in result.stderr


def _cached(tmp_path: Path) -> tuple[Path, Path, dict]:
    fleet = _fleet(tmp_path)
    cache = tmp_path / "cache"
    first = ansible_inventory("-i", str(fleet), "--list", cache_dir=cache)
    assert first.returncode == 0, first.stderr
    return fleet, cache, listed(first.stdout)


def _entry(cache: Path) -> Path:
    (entry,) = [p for p in cache.iterdir() if not p.name.startswith(".")]
    return entry


def test_cache_is_its_owners_alone(tmp_path: Path) -> None:
    _, cache, _ = _cached(tmp_path)
    assert stat.S_IMODE(cache.stat().st_mode) == 0o700
    for file in cache.iterdir():
        assert stat.S_IMODE(file.stat().st_mode) == 0o600, file


@pytest.mark.parametrize("edit", ["remove-host", "validation-off", "other-address"])
def test_a_hand_edited_cache_is_not_served(tmp_path: Path, edit: str) -> None:
    fleet, cache, first = _cached(tmp_path)
    entry = _entry(cache)
    wrapper = json.loads(entry.read_text())  # ansible-core keeps the value as a JSON text
    data = json.loads(wrapper["__payload__"])
    inventory = json.loads(data["inventory"])
    if edit == "remove-host":
        del inventory["hosts"]["lis01-pos01"]
        for group in inventory["groups"].values():
            group["hosts"] = [h for h in group["hosts"] if h != "lis01-pos01"]
    elif edit == "validation-off":
        inventory["groups"]["fleet_example"]["vars"][
            "ansible_winrm_server_cert_validation"] = "ignore"
    else:
        inventory["hosts"]["lis01-pos01"]["ansible_host"] = "192.0.2.66"
    data["inventory"] = json.dumps(inventory, sort_keys=True)
    wrapper["__payload__"] = json.dumps(data)
    entry.write_text(json.dumps(wrapper))
    entry.chmod(0o600)
    again = ansible_inventory("-i", str(fleet), "--list", cache_dir=cache)
    assert again.returncode == 0, again.stderr
    assert "changed outside sitekit" in again.stderr
    assert listed(again.stdout) == first


def test_an_edit_keeping_size_and_mtime_is_seen(tmp_path: Path) -> None:
    fleet, cache, _ = _cached(tmp_path)
    site = fleet / "sites" / "lis01.yml"
    before = site.stat()
    text = site.read_text()
    # Same length, same modification time: what `cp -p`, `rsync -t` or `tar x` leave.
    site.write_text(text.replace("city: Lisbon", "city: Lisbom"))
    os.utime(site, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert site.stat().st_size == before.st_size
    again = ansible_inventory("-i", str(fleet), "--list", cache_dir=cache)
    assert again.returncode == 0, again.stderr
    assert "city_lisbom" in listed(again.stdout)


def test_a_world_readable_cache_file_is_not_used(tmp_path: Path) -> None:
    fleet, cache, first = _cached(tmp_path)
    _entry(cache).chmod(0o644)
    again = ansible_inventory("-i", str(fleet), "--list", cache_dir=cache)
    assert again.returncode == 0, again.stderr
    assert "readable by it alone" in again.stderr
    assert listed(again.stdout) == first
    assert stat.S_IMODE(_entry(cache).stat().st_mode) == 0o600


@pytest.mark.parametrize(("key", "value", "refused"), [
    ("ansible_winrm_server_cert_validation", "validate", False),
    ("ansible_winrm_server_cert_validation", "Ignore", True),
    ("ansible_winrm_transport", "ntlm", False),
    ("ansible_winrm_transport", "ntlm,basic", True),
    ("ansible_winrm_transport", ["kerberos"], False),
    ("ansible_winrm_transport", [], True),
    ("ansible_port", 5986, False),
    ("ansible_port", "5985", True),
    ("ansible_winrm_cert_key_pem", "/etc/key.pem", False),
    ("ansible_winrm_private_key", "xyz", True),
])
def test_connection_problem(key: str, value: object, refused: bool) -> None:
    assert (connection_problem(key, value) is not None) is refused


def test_a_forged_cache_entry_still_meets_the_guard(tmp_path: Path) -> None:
    # Even an entry re-signed with the cache's own key may not weaken the connection.
    fleet, cache, _ = _cached(tmp_path)
    entry = _entry(cache)
    wrapper = json.loads(entry.read_text())
    data = json.loads(wrapper["__payload__"])
    inventory = json.loads(data["inventory"])
    inventory["groups"]["fleet_example"]["vars"]["ansible_winrm_message_encryption"] = "never"
    data["inventory"] = json.dumps(inventory, sort_keys=True)
    secret = (cache / ".sitekit-cache-key").read_bytes()
    data["mac"] = hmac.new(secret, f"{data['fingerprint']}\n{data['inventory']}".encode(),
                           hashlib.sha256).hexdigest()
    wrapper["__payload__"] = json.dumps(data)
    entry.write_text(json.dumps(wrapper))
    again = ansible_inventory("-i", str(fleet), "--list", cache_dir=cache)
    assert again.returncode != 0
    assert "group fleet_example: ansible_winrm_message_encryption stays always" in " ".join(
        again.stderr.split())


def test_a_group_readable_cache_folder_is_made_private(tmp_path: Path) -> None:
    fleet = _fleet(tmp_path)
    cache = tmp_path / "cache"
    cache.mkdir(mode=0o755)
    cache.chmod(0o755)
    result = ansible_inventory("-i", str(fleet), "--list", cache_dir=cache)
    assert result.returncode == 0, result.stderr
    assert stat.S_IMODE(cache.stat().st_mode) == 0o700


def test_fleet_file_keys_are_the_plugins_documented_options() -> None:
    # sitekit validate reads them from the plugin's DOCUMENTATION; ansible-doc agrees.
    result = subprocess.run([BIN / "ansible-doc", "-t", "inventory", "sitekit", "--json"],
                            capture_output=True, text=True, check=False, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    documented = set(json.loads(result.stdout)["sitekit"]["doc"]["options"])
    assert fleet_file_keys() == documented
