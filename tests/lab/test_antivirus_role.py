"""The antivirus role's converge playbook against a CLI lab of LIS01: a check run changes
nothing, the first run changes every host, the second changes nothing with one module call
per task per host, and verify.yml reads the result back."""

from __future__ import annotations

from typing import Any

import pytest

from tests.lab.adhoc import calls, delta, modelled, playbook, without_temp_dirs
from tests.lab.conftest import ROOT, CliLab

pytestmark = pytest.mark.slow
SCENARIO = ROOT / "roles" / "antivirus" / "molecule" / "default"
HOSTS = ("lis01-srv01", "lis01-pos01", "lis01-kds01")
# The role's tasks that reach the host, by the module each calls once.
SECOND_RUN_CALLS = {"ansible.legacy.sitekit_registry": 1, "ansible.legacy.sitekit_defender": 1}


def states(lab: CliLab) -> dict[str, Any]:
    return {host: without_temp_dirs(modelled(lab, host)) for host in HOSTS}


@pytest.fixture(scope="module")
def runs(module_lab: CliLab) -> dict[str, Any]:
    """Check, first and second run of converge.yml, then verify.yml."""
    fresh = states(module_lab)
    check = playbook(module_lab, SCENARIO / "converge.yml", "--check")
    after_check = states(module_lab)
    first = playbook(module_lab, SCENARIO / "converge.yml")
    before_second = {host: calls(module_lab, host) for host in HOSTS}
    second = playbook(module_lab, SCENARIO / "converge.yml")
    second_calls = {host: delta(calls(module_lab, host), before_second[host]) for host in HOSTS}
    verify = playbook(module_lab, SCENARIO / "verify.yml")
    return {"fresh": fresh, "check": check, "after_check": after_check, "first": first,
            "second": second, "second_calls": second_calls, "verify": verify,
            "after": states(module_lab)}


def test_check_run_predicts_changes_and_changes_nothing(runs: dict[str, Any]) -> None:
    assert runs["after_check"] == runs["fresh"]
    stats = runs["check"]["report"]["stats"]
    assert {host: stats[host]["changed"] for host in HOSTS} == dict.fromkeys(HOSTS, 2)


def test_first_run_configures_defender(runs: dict[str, Any]) -> None:
    stats = runs["first"]["report"]["stats"]
    assert all(stats[host]["changed"] == 2 and stats[host]["failures"] == 0 for host in HOSTS)
    server = runs["after"]["lis01-srv01"]
    station = runs["after"]["lis01-pos01"]
    assert server["defender"]["preferences"] | {"quick_scan_time": None} == {
        "realtime_protection": True, "behavior_monitoring": True, "scan_day": "sunday",
        "scan_time": "23:30", "scan_type": "full", "quick_scan_time": None,
        "check_signatures_before_scan": True, "signature_update_interval": 4}
    paths = "HKLM:\\SOFTWARE\\Policies\\Microsoft\\Windows Defender\\Exclusions\\Paths"
    assert sorted(server["registry"][paths]) == [
        "C:\\Program Files\\Lotus POS\\Server", "C:\\SQLBackup", "C:\\SQLData", "C:\\SQLLogs"]
    assert list(station["registry"][paths]) == ["C:\\Program Files\\Lotus POS\\Client"]
    policy = station["registry"]["HKLM:\\SOFTWARE\\Policies\\Microsoft\\Windows Defender"]
    assert policy["DisableLocalAdminMerge"] == {"type": "dword", "data": 1}
    # Signatures seeded 20 hours old are updated on the first run.
    assert station["defender"]["antivirus_signature_last_updated"] > \
        runs["fresh"]["lis01-pos01"]["defender"]["antivirus_signature_last_updated"]


def test_second_run_changes_nothing_with_one_call_per_task(runs: dict[str, Any]) -> None:
    stats = runs["second"]["report"]["stats"]
    assert {host: stats[host]["changed"] for host in HOSTS} == dict.fromkeys(HOSTS, 0)
    assert runs["second_calls"] == dict.fromkeys(HOSTS, SECOND_RUN_CALLS)


def test_verify_passes(runs: dict[str, Any]) -> None:
    stats = runs["verify"]["report"]["stats"]
    assert all(stats[host]["failures"] == 0 and stats[host]["changed"] == 0 for host in HOSTS)
    assert all(stats[host]["ok"] == 5 for host in HOSTS)


def test_stale_signatures_stop_the_host_with_what_to_do(module_lab: CliLab,
                                                        runs: dict[str, Any]) -> None:
    host = "lis01-kds01"
    assert module_lab.sitekit("fault", host, "stale-signatures").returncode == 0
    try:
        result = module_lab.playbook(SCENARIO / "converge.yml", "--limit", host)
        assert result.returncode == 2
        assert "signatures are 720 hours old and updating them failed" in result.stdout
        assert "run the role again" in result.stdout
    finally:
        assert module_lab.sitekit("fault", host, "clear").returncode == 0
    again = module_lab.playbook(SCENARIO / "converge.yml", "--limit", host)
    assert again.returncode == 0, again.stdout[-2000:]
    assert "changed=1" in again.stdout


@pytest.mark.parametrize(("extra", "message"), [
    ("antivirus_scan_day=monday", "Set both antivirus_scan_day and antivirus_scan_time"),
    ("antivirus_signature_update_interval=0", "set antivirus_signature_update_interval to 1-24"),
    ('{"antivirus_workstation_exclusion_paths": ["Lotus"]}', "every exclusion path must be"
     " absolute"),
    ('{"antivirus_maintenance_windows": ["sun 23:00-mon 00:20"]}', "the longest maintenance"
     " window lasts 80 minutes"),
])
def test_preflight_says_what_to_change(module_lab: CliLab, runs: dict[str, Any], extra: str,
                                       message: str) -> None:
    before = calls(module_lab, "lis01-pos01")
    result = module_lab.playbook(SCENARIO / "converge.yml", "--limit", "lis01-pos01", "-e", extra)
    assert result.returncode == 2
    assert message in " ".join(result.stdout.split())
    assert calls(module_lab, "lis01-pos01") == before
