"""`sitekit lab up | status | down | reset`, and the lab inventory used as a user would."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
import yaml

from sitekit.credentials.passwords import SiteSecrets, secrets_file
from sitekit.credentials.vault import read_vault_vars
from sitekit.lab import control
from tests.lab.conftest import CliLab, port_closed

pytestmark = pytest.mark.slow


def test_up_serves_the_planned_hosts_on_loopback(cli_lab: CliLab) -> None:
    hosts = {h.hostname: h.address for h in cli_lab.hosts()}
    assert hosts == {"lis01-srv01": "127.41.7.4", "lis01-pos01": "127.41.7.6",
                     "lis01-kds01": "127.41.7.10",
                     # the guest vantage point: 172.16.41.254, the last guest DHCP address
                     "lis01-guest": "127.16.41.254"}
    assert all(not port_closed(a, cli_lab.port) for a in hosts.values())
    assert cli_lab.pid is not None


def test_credentials_reach_ansible_through_a_vault_file(cli_lab: CliLab) -> None:
    layout = cli_lab.layout
    site_file = secrets_file(layout.inventory, "LIS01")
    vault_text = site_file.read_text() + layout.vault_file.read_text()
    assert site_file.read_text().startswith("$ANSIBLE_VAULT;1.1;AES256")
    hosts = {host.hostname: host.password for host in cli_lab.hosts()}
    # Every host its own management password, the one its site's vault file holds.
    assert len(set(hosts.values())) == len(hosts) == 4
    site = SiteSecrets.read(site_file, layout.vault_password_file)
    assert {name: entry["password"] for name, entry in site.hosts.items()} == hosts
    secrets = read_vault_vars(layout.vault_file, layout.vault_password_file)
    assert "ansible_password" not in secrets
    autologon = secrets.pop("sitekit_autologon_password")
    assert secrets == {}
    # Each user of the plan its own first-logon password (PCI DSS 8.3.5).
    initial = [entry["password"] for entry in site.users.values()]
    assert len(initial) == len(set(initial)) >= 2
    for secret in (*initial, autologon, *hosts.values()):
        assert len(secret) >= 12 and secret not in vault_text
    for secret in (layout.vault_password_file, layout.config, site_file):
        assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    config = yaml.safe_load(layout.inventory_file.read_text())
    assert config["plugin"] == "sitekit"
    assert config["loopback"] is True
    assert not any(password in layout.inventory_file.read_text() for password in hosts.values())


def test_ansible_runs_with_only_the_inventory_and_vault_password_changed(cli_lab: CliLab) -> None:
    result = cli_lab.ansible("site_lis01", "ansible.windows.win_ping")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("SUCCESS") == 4  # its 3 hosts and its guest vantage point
    without = {k: v for k, v in cli_lab.env().items() if k != "ANSIBLE_VAULT_PASSWORD_FILE"}
    denied = cli_lab.ansible("lis01-srv01", "ansible.windows.win_ping", env=without)
    assert denied.returncode != 0
    assert "vault" in denied.stdout + denied.stderr


def test_status_shows_hosts_pid_and_module_calls(cli_lab: CliLab) -> None:
    assert cli_lab.ansible("lis01-pos01", "ansible.windows.win_ping").returncode == 0
    result = cli_lab.sitekit("status")
    assert result.returncode == 0, result.stderr
    assert f"running, pid {cli_lab.pid}" in result.stdout
    lines = {line.split()[0]: line.split() for line in result.stdout.splitlines()
             if line.startswith("lis01-")}
    assert lines["lis01-pos01"][1] == "127.41.7.6"
    assert lines["lis01-pos01"][3] == "1"  # one module call
    assert lines["lis01-srv01"][3] == "0"
    assert "ANSIBLE_VAULT_PASSWORD_FILE=" in result.stdout


def test_down_keeps_state_up_restores_it_and_reset_forgets_it(cli_lab: CliLab) -> None:
    name = cli_lab.state("lis01-srv01")["hostname"]
    assert name.startswith("WIN-")
    assert cli_lab.ansible("lis01-srv01", "ansible.windows.win_ping").returncode == 0
    pid = cli_lab.pid
    assert cli_lab.sitekit("down").returncode == 0
    assert cli_lab.pid is None
    assert port_closed("127.41.7.4", cli_lab.port)
    stopped = cli_lab.sitekit("status")
    assert stopped.returncode == 3
    assert "stopped" in stopped.stdout
    cli_lab.up("LIS01")
    assert cli_lab.pid not in (None, pid)
    assert cli_lab.state("lis01-srv01")["hostname"] == name
    assert cli_lab.state("lis01-srv01")["lab"]["module_calls"] == {"ansible.windows.win_ping": 1}
    assert cli_lab.sitekit("reset").returncode == 0
    assert cli_lab.pid is not None  # a running lab restarts fresh
    fresh = cli_lab.state("lis01-srv01")
    assert fresh["lab"]["module_calls"] == {}
    assert fresh["hostname"] != name


def test_up_refuses_a_fleet_with_problems(tmp_path: Path) -> None:
    lab = CliLab(tmp_path / "lab", 1)
    result = lab.sitekit("up", str(tmp_path / "missing"))
    assert result.returncode == 1
    assert "sitekit lab up:" in result.stderr
    assert control.running_pid(lab.layout.root) is None


def test_status_without_a_lab_says_how_to_start_one(tmp_path: Path) -> None:
    result = CliLab(tmp_path / "none", 1).sitekit("status")
    assert result.returncode == 3
    assert "sitekit lab up" in result.stdout
