"""The windows_base role against a lab of LIS01: a check run changes nothing, the first run
changes things, the second changes nothing with at most one module call per task per host,
and verify.yml finds the plan on every host."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tests.lab.conftest import ROOT, CliLab

pytestmark = pytest.mark.slow
SCENARIO = ROOT / "roles" / "windows_base" / "molecule" / "default"
HOSTS = ("lis01-srv01", "lis01-pos01", "lis01-kds01")
# Actions that run on the controller only.
LOCAL = {"ansible.builtin.assert", "ansible.builtin.debug",
         "ansible.builtin.validate_argument_spec"}


def run(lab: CliLab, playbook: Path, *options: str) -> dict[str, Any]:
    """Run a playbook with the JSON callback; fail with its output if it fails."""
    env = lab.env() | {"ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json"}
    result = lab.playbook(playbook, *options, env=env)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    return json.loads(result.stdout)


def modelled(lab: CliLab, host: str) -> dict[str, Any]:
    """A host's state without the lab's call counts."""
    state = lab.state(host)
    state.pop("lab")
    return state


def calls(lab: CliLab, host: str) -> Counter[str]:
    """Module calls the host has answered, per module."""
    return Counter(lab.state(host)["lab"]["module_calls"])


def remote_tasks(output: dict[str, Any], host: str) -> Counter[str]:
    """Module runs on the host (not skipped, not controller-only), per action.

    A looped task runs its module once per item (the audit policy's categories).
    """
    ran: Counter[str] = Counter()
    for task in output["plays"][0]["tasks"]:
        result = task["hosts"].get(host)
        if result is None or result.get("skipped") or result.get("action") in LOCAL:
            continue
        items = [item for item in result.get("results", [result]) if not item.get("skipped")]
        ran[result["action"]] += len(items)
    return ran


@pytest.fixture(scope="module")
def runs(module_lab: CliLab) -> dict[str, Any]:
    """Check run, first run, second run and verify, with the states and call counts."""
    fresh = {h: modelled(module_lab, h) for h in HOSTS}
    check = run(module_lab, SCENARIO / "converge.yml", "--check", "--diff")
    after_check = {h: modelled(module_lab, h) for h in HOSTS}
    first = run(module_lab, SCENARIO / "converge.yml")
    after_first = {h: modelled(module_lab, h) for h in HOSTS}
    before_second = {h: calls(module_lab, h) for h in HOSTS}
    second = run(module_lab, SCENARIO / "converge.yml")
    second_calls = {h: calls(module_lab, h) - before_second[h] for h in HOSTS}
    verify = run(module_lab, SCENARIO / "verify.yml")
    return {"fresh": fresh, "check": check, "after_check": after_check, "first": first,
            "after_first": after_first, "second": second, "second_calls": second_calls,
            "verify": verify}


def test_check_run_reports_changes_and_changes_nothing(runs: dict[str, Any]) -> None:
    assert runs["after_check"] == runs["fresh"]
    for host in HOSTS:
        assert runs["check"]["stats"][host]["changed"] > 0


def test_first_run_changes_the_hosts(runs: dict[str, Any]) -> None:
    for host in HOSTS:
        assert runs["first"]["stats"][host]["changed"] >= 8
        state = runs["after_first"][host]
        assert state["hostname"] == host.upper()
        assert state["time_zone"] == "GMT Standard Time"
        assert state["account_policy"]["MinimumPasswordLength"] == 12
        assert state["account_policy"]["LockoutBadCount"] == 10
        assert state["power"]["active"] == "8c5e7fda-e8bf-4a96-9a85-a6e23a8c635c"
        assert state["network"]["Ethernet"]["dns_servers"] == ["10.41.7.1"]
        assert state["services"]["W32Time"]["start_mode"] == "auto"
        winrm = state["registry"]["HKLM:\\SOFTWARE\\Policies\\Microsoft\\Windows\\WinRM\\Service"]
        assert winrm["AllowBasic"]["data"] == 0
        assert "acosta" in state["groups"]["Administrators"]["members"]
        assert state["users"]["acosta"]["password_expired"] is True
        # The audit policy: whole categories, and only part of Detailed Tracking.
        audit = state["audit_policy"]
        assert audit["Other Logon/Logoff Events"] == audit["Process Creation"] == [
            "success", "failure"]
        assert audit["Process Termination"] == audit["File System"] == []
        lsa = state["registry"]["HKLM:\\SYSTEM\\CurrentControlSet\\Control\\Lsa"]
        assert lsa["SCENoApplyLegacyAuditPolicy"]["data"] == 1
        # The idle lock on the server only: the till and kitchen screen log on by themselves.
        system = state["registry"].get(
            "HKLM:\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Policies\\System", {})
        assert system.get("InactivityTimeoutSecs", {}).get("data") == (
            900 if host == "lis01-srv01" else None)
        lsa_values = {k: v["data"] for k, v in lsa.items()}
        assert lsa_values["LmCompatibilityLevel"] == 5
        # The built-in accounts off, the kit's own account still in (it ran the role).
        assert state["users"]["Administrator"]["enabled"] is False
        assert state["users"]["Guest"]["enabled"] is False
        assert state["users"]["sitekit"]["enabled"] is True


def test_windows_update_installs_inside_the_maintenance_window(runs: dict[str, Any]) -> None:
    au = runs["after_first"]["lis01-srv01"]["registry"][
        "HKLM:\\SOFTWARE\\Policies\\Microsoft\\Windows\\WindowsUpdate\\AU"]
    # LIS01 is closed every night from 23:00 (the plan's windows start at 23:00).
    assert {k: v["data"] for k, v in au.items()} == {
        "NoAutoUpdate": 0, "AUOptions": 4, "ScheduledInstallDay": 0, "ScheduledInstallTime": 23}


def test_second_run_changes_nothing(runs: dict[str, Any]) -> None:
    for host in HOSTS:
        assert runs["second"]["stats"][host]["changed"] == 0
        assert runs["second"]["stats"][host]["failures"] == 0


def test_second_run_makes_at_most_one_call_per_task(runs: dict[str, Any]) -> None:
    for host in HOSTS:
        ran = remote_tasks(runs["second"], host)
        made = runs["second_calls"][host]
        assert sum(made.values()) == sum(ran.values()), (host, made, ran)
        # The role's remote tasks: the WinRM rule and the bootstrap's rule removed included,
        # the audit policy's seven, the built-in accounts' facts (none left to disable), and
        # event forwarding's policy and Event Log Readers.
        assert sum(made.values()) <= 25
        for module, count in made.items():
            assert count <= ran[module.removeprefix("ansible.legacy.")], (host, module, ran)


def test_verify_finds_the_plan(runs: dict[str, Any]) -> None:
    for host in HOSTS:
        assert runs["verify"]["stats"][host]["failures"] == 0
        assert runs["verify"]["stats"][host]["changed"] == 0


def test_no_secret_in_the_output(runs: dict[str, Any], module_lab: CliLab) -> None:
    from sitekit.credentials.passwords import SiteSecrets, secrets_file  # noqa: PLC0415

    layout = module_lab.layout
    site = SiteSecrets.read(secrets_file(layout.inventory, "LIS01"), layout.vault_password_file)
    text = json.dumps([runs["check"], runs["first"], runs["second"]])
    users = [entry["password"] for entry in site.users.values()]
    assert users
    for secret in (*users, *(h.password for h in module_lab.hosts())):
        assert secret not in text
