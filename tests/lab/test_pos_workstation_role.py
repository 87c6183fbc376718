"""The pos_workstation role's converge playbook against a CLI lab of LIS01: a check run
changes nothing, the first run changes the stations, the second changes nothing with one
module call per task per host, verify.yml reads the result back, and the automatic logon
password appears in no output and no log."""

from __future__ import annotations

import base64
import secrets
from pathlib import Path
from typing import Any

import pytest

from sitekit.lab.modules.win_auto_logon import secret
from tests.lab.adhoc import calls, delta, modelled, playbook, without_temp_dirs
from tests.lab.conftest import ROOT, CliLab

pytestmark = pytest.mark.slow
SCENARIO = ROOT / "roles" / "pos_workstation" / "molecule" / "default"
STATIONS = ("lis01-pos01", "lis01-kds01")
# The role's tasks that reach the host, by the module each calls once (win_template
# compares the file through win_copy's query).
SECOND_RUN_CALLS = {"ansible.windows.win_package": 1, "ansible.windows.win_file": 1,
                    "ansible.windows.win_copy": 1, "ansible.windows.win_user": 1,
                    "ansible.windows.win_auto_logon": 1, "ansible.legacy.sitekit_registry": 1,
                    "ansible.legacy.sitekit_printers": 1}
EXCEPTION = "HKLM:\\SOFTWARE\\Sitekit\\Exceptions\\AutoLogon"
CLIENT_INI = "c:\\programdata\\lotus pos\\client.ini"


def states(lab: CliLab) -> dict[str, Any]:
    return {host: without_temp_dirs(modelled(lab, host)) for host in (*STATIONS, "lis01-srv01")}


@pytest.fixture(scope="module")
def password_file(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The autologon password as a vault would give it: a file only this user reads."""
    password = "Lab-" + secrets.token_urlsafe(16)
    path = tmp_path_factory.mktemp("secret") / "autologon.yml"
    path.touch(mode=0o600)
    path.write_text(f'pos_workstation_autologon_password: "{password}"\n', encoding="utf-8")
    return path, password


@pytest.fixture(scope="module")
def runs(module_lab: CliLab, password_file: tuple[Path, str]) -> dict[str, Any]:
    """Check, first and second run of converge.yml, then verify.yml."""
    secret = f"@{password_file[0]}"
    fresh = states(module_lab)
    check = playbook(module_lab, SCENARIO / "converge.yml", "-e", secret, "--check")
    after_check = states(module_lab)
    first = playbook(module_lab, SCENARIO / "converge.yml", "-e", secret)
    before_second = {host: calls(module_lab, host) for host in STATIONS}
    second = playbook(module_lab, SCENARIO / "converge.yml", "-e", secret, "--diff")
    second_calls = {host: delta(calls(module_lab, host), before_second[host])
                    for host in STATIONS}
    verify = playbook(module_lab, SCENARIO / "verify.yml")
    return {"fresh": fresh, "check": check, "after_check": after_check, "first": first,
            "second": second, "second_calls": second_calls, "verify": verify,
            "after": states(module_lab)}


def test_check_run_predicts_changes_and_changes_nothing(runs: dict[str, Any]) -> None:
    assert runs["after_check"] == runs["fresh"]
    stats = runs["check"]["report"]["stats"]
    assert "lis01-srv01" not in stats
    assert all(stats[host]["changed"] >= 5 and stats[host]["failures"] == 0
               for host in STATIONS)


def test_first_run_installs_configures_and_maps(runs: dict[str, Any]) -> None:
    stats = runs["first"]["report"]["stats"]
    assert {host: stats[host]["changed"] for host in STATIONS} == dict.fromkeys(STATIONS, 7)
    kds = runs["after"]["lis01-kds01"]
    assert kds["packages"]["{C3D7F2B5-6E4A-4F8B-AD32-80B19E4F7C62}"]["version"] == "8.4.2"
    ini = base64.b64decode(kds["fs"]["files"][CLIENT_INI]["data"]).decode()
    assert "Address=10.41.7.4\r\nPort=8443\r\n" in ini
    assert "Kind=kitchen\r\nNumber=1\r\nSection=wok\r\n" in ini
    assert sorted(kds["printing"]["printers"]) == ["LIS01-PRN02", "Microsoft Print to PDF"]
    assert sorted(runs["after"]["lis01-pos01"]["printing"]["printers"]) == [
        "LIS01-PRN01", "Microsoft Print to PDF"]
    assert kds["users"]["pos-station"]["password_never_expires"] is True
    exception = kds["registry"][EXCEPTION]
    assert exception["ApprovedBy"]["data"] == "Lotus Kitchen Group IT security, change CHG-2041"
    assert exception["Since"]["data"] == "2026-11-02"
    assert exception["Reason"]["data"].startswith("Shared cashier and kitchen stations")
    # The server is not a workstation: untouched.
    assert runs["after"]["lis01-srv01"] == runs["fresh"]["lis01-srv01"]


def test_second_run_changes_nothing_with_one_call_per_task(runs: dict[str, Any]) -> None:
    stats = runs["second"]["report"]["stats"]
    assert {host: stats[host]["changed"] for host in STATIONS} == dict.fromkeys(STATIONS, 0)
    assert runs["second_calls"] == dict.fromkeys(STATIONS, SECOND_RUN_CALLS)


def test_verify_passes(runs: dict[str, Any]) -> None:
    stats = runs["verify"]["report"]["stats"]
    assert all(stats[host]["failures"] == 0 and stats[host]["changed"] == 0
               for host in STATIONS)


def test_the_password_appears_in_no_output_and_no_log(module_lab: CliLab, runs: dict[str, Any],
                                                      password_file: tuple[Path, str]) -> None:
    password = password_file[1]
    texts = {name: runs[name]["output"] for name in ("check", "first", "second", "verify")}
    texts["lab.log"] = (module_lab.layout.root / "lab.log").read_text(encoding="utf-8")
    for host in STATIONS:
        texts[host] = module_lab.layout.state_file(host).read_text(encoding="utf-8")
    # Names only: a failing assert must not print the password.
    leaks = [name for name, text in texts.items() if password in text]
    assert leaks == []
    # ... and yet it reached the station: the LSA secret is the vault's password.
    kds = runs["after"]["lis01-kds01"]
    matches = kds["lsa_secrets"]["DefaultPassword"] == secret(kds, password)
    assert matches, "the automatic logon secret is not the password from the vault file"


def test_a_printer_the_plan_drops_is_removed(module_lab: CliLab, runs: dict[str, Any],
                                             password_file: tuple[Path, str]) -> None:
    host = "lis01-pos01"
    result = playbook(module_lab, SCENARIO / "converge.yml", "-e", f"@{password_file[0]}",
                      "--limit", host, "-e", '{"pos_workstation_printers": []}')
    assert result["report"]["stats"][host]["changed"] == 2  # client.ini and the printers
    printing = modelled(module_lab, host)["printing"]
    assert sorted(printing["printers"]) == ["Microsoft Print to PDF"]
    assert "IP_10.41.7.16" not in printing["ports"]


@pytest.mark.parametrize(("extra", "message"), [
    ('{"pos_workstation_autologon_password": ""}', "pos_workstation_autologon_password from an"
     " ansible-vault file"),
    ('{"pos_workstation_autologon_since": "January"}', 'approval date, YYYY-MM-DD; is "January"'),
    ('{"pos_workstation_printer_drivers": {"receipt": "Generic / Text Only"}}',
     "Add a driver for each printer kind"),
])
def test_preflight_says_what_to_change(module_lab: CliLab, runs: dict[str, Any], extra: str,
                                       message: str, password_file: tuple[Path, str]) -> None:
    before = calls(module_lab, "lis01-kds01")
    result = module_lab.playbook(SCENARIO / "converge.yml", "--limit", "lis01-kds01",
                                 "-e", f"@{password_file[0]}", "-e", extra)
    assert result.returncode == 2
    assert message in " ".join(result.stdout.split())
    assert calls(module_lab, "lis01-kds01") == before
