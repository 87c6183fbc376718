"""sitekit_printers and ansible.windows.win_auto_logon as ansible.windows tests its modules:
check (nothing changes), real (changed), again (not changed), misspelled options and the
documented failures."""

from __future__ import annotations

import secrets
from typing import Any

import pytest

from sitekit.lab.modules.argspec import NO_LOG_MASK
from tests.lab.adhoc import adhoc, modelled
from tests.lab.conftest import CliLab

pytestmark = pytest.mark.slow
HOST = "lis01-pos01"
PRINTERS = {"printers": [
    {"name": "LIS01-PRN01", "address": "10.41.7.16", "location": "receipt printer"},
    {"name": "LIS01-PRN02", "address": "10.41.7.17", "port_number": 9101},
], "purge": True}
WINLOGON = "HKLM:\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Winlogon"


def three_runs(lab: CliLab, host: str, module: str, args: dict[str, Any]) -> dict[str, Any]:
    """Check, real, again, with the host's state before and after each."""
    before = modelled(lab, host)
    check = adhoc(lab, host, module, args, "--check", "--diff")
    after_check = modelled(lab, host)
    real = adhoc(lab, host, module, args, "--diff")
    after_real = modelled(lab, host)
    again = adhoc(lab, host, module, args)
    return {"before": before, "check": check, "after_check": after_check, "real": real,
            "after_real": after_real, "again": again, "after_again": modelled(lab, host)}


@pytest.fixture(scope="module")
def printers(module_lab: CliLab) -> dict[str, Any]:
    """The three runs of sitekit_printers on a fresh cashier station."""
    return three_runs(module_lab, HOST, "sitekit_printers", PRINTERS)


def test_printers_check_predicts_and_changes_nothing(printers: dict[str, Any]) -> None:
    assert printers["check"]["changed"] is True
    assert printers["check"]["changes"] == [{"name": "LIS01-PRN01", "action": "added"},
                                            {"name": "LIS01-PRN02", "action": "added"}]
    assert printers["after_check"] == printers["before"]


def test_printers_real_adds_ports_and_printers(printers: dict[str, Any]) -> None:
    printing = printers["after_real"]["printing"]
    assert printers["real"]["changed"] is True
    assert printing["ports"]["IP_10.41.7.16"] == {"address": "10.41.7.16", "port_number": 9100}
    assert printing["ports"]["IP_10.41.7.17_9101"]["port_number"] == 9101
    assert printing["printers"]["LIS01-PRN01"] == {
        "driver": "Generic / Text Only", "port": "IP_10.41.7.16",
        "comment": "Managed by sitekit", "location": "receipt printer"}
    assert "Microsoft Print to PDF" in printing["printers"]


def test_printers_again_change_nothing(printers: dict[str, Any]) -> None:
    assert printers["again"]["changed"] is False
    assert printers["again"]["changes"] == []
    assert printers["after_again"] == printers["after_real"]


def test_purge_removes_only_printers_sitekit_added(module_lab: CliLab,
                                                   printers: dict[str, Any]) -> None:
    args = {"printers": [PRINTERS["printers"][0]], "purge": True}
    result = adhoc(module_lab, HOST, "sitekit_printers", args)
    assert result["changes"] == [{"name": "LIS01-PRN02", "action": "removed"}]
    printing = modelled(module_lab, HOST)["printing"]
    assert sorted(printing["printers"]) == ["LIS01-PRN01", "Microsoft Print to PDF"]
    assert "IP_10.41.7.17_9101" not in printing["ports"]
    # Without purge a printer the list leaves out stays.
    adhoc(module_lab, HOST, "sitekit_printers", PRINTERS)
    kept = adhoc(module_lab, HOST, "sitekit_printers", {"printers": []})
    assert kept["changed"] is False


def test_a_moved_printer_is_changed(module_lab: CliLab, printers: dict[str, Any]) -> None:
    moved = {"printers": [PRINTERS["printers"][0] | {"address": "10.41.7.18"}]}
    result = adhoc(module_lab, HOST, "sitekit_printers", moved)
    assert result["changes"] == [{"name": "LIS01-PRN01", "action": "changed"}]
    assert modelled(module_lab, HOST)["printing"]["printers"]["LIS01-PRN01"]["port"] == \
        "IP_10.41.7.18"


@pytest.mark.parametrize(("args", "message"), [
    ({"printers": [{"name": "P1", "adress": "10.0.0.1"}]},
     "Unsupported parameters for (sitekit_printers) module: adress found in printers"),
    ({"printers": [{"name": "P1", "address": "10.0.0.1", "driver": "Epson TM-T88VI"}]},
     "the printer driver 'Epson TM-T88VI' is neither installed nor in this host's driver store"),
    ({"printers": [{"name": "P1"}]}, "address is required to add the printer P1"),
    ({"printers": [{"name": "P1", "address": "10.0.0.1"}, {"name": "p1", "address": "10.0.0.2"}]},
     "the printer p1 is listed twice"),
])
def test_printers_fail_before_changing_anything(module_lab: CliLab, args: dict[str, Any],
                                                message: str) -> None:
    before = modelled(module_lab, "lis01-kds01")
    result = adhoc(module_lab, "lis01-kds01", "sitekit_printers", args)
    assert result["failed"] is True
    assert message in result["msg"]
    assert modelled(module_lab, "lis01-kds01") == before


@pytest.fixture(scope="module")
def password() -> str:
    """A throwaway password, never printed."""
    return "Lab-" + secrets.token_urlsafe(12)


@pytest.fixture(scope="module")
def autologon(module_lab: CliLab, password: str) -> dict[str, Any]:
    """An account, then the three runs of win_auto_logon for it on the kitchen station."""
    host = "lis01-kds01"
    created = adhoc(module_lab, host, "ansible.windows.win_user",
                    {"name": "pos-station", "password": password, "groups": ["Users"]})
    assert created["changed"] is True
    args = {"username": "pos-station", "password": password}
    return three_runs(module_lab, host, "ansible.windows.win_auto_logon", args)


def test_autologon_check_real_again(autologon: dict[str, Any]) -> None:
    assert autologon["check"]["changed"] is True
    assert autologon["check"]["diff"]["after"]["username"] == "pos-station"
    assert autologon["after_check"] == autologon["before"]
    assert autologon["real"]["changed"] is True
    values = autologon["after_real"]["registry"][WINLOGON]
    assert values["AutoAdminLogon"]["data"] == 1
    assert values["DefaultUserName"]["data"] == "pos-station"
    assert "DefaultPassword" not in values
    assert autologon["after_real"]["lsa_secrets"]["DefaultPassword"]
    assert autologon["again"]["changed"] is False
    assert autologon["after_again"] == autologon["after_real"]


def test_autologon_password_is_kept_nowhere_in_clear(module_lab: CliLab, password: str,
                                                     autologon: dict[str, Any]) -> None:
    # Booleans only: a failing assert must not print the password either.
    in_results = password in str(autologon)
    in_state = password in module_lab.layout.state_file("lis01-kds01").read_text()
    in_log = password in (module_lab.layout.root / "lab.log").read_text()
    assert not in_results, "the password is in a module result"
    assert not in_state, "the password is in the host's state"
    assert not in_log, "the password is in the lab's log"
    assert autologon["real"]["invocation"]["module_args"]["password"] == NO_LOG_MASK


def test_autologon_new_password_changes_and_absent_removes(module_lab: CliLab,
                                                           autologon: dict[str, Any]) -> None:
    host = "lis01-kds01"
    changed = adhoc(module_lab, host, "ansible.windows.win_auto_logon",
                    {"username": "pos-station", "password": "Lab-" + secrets.token_urlsafe(12)})
    assert changed["changed"] is True
    removed = adhoc(module_lab, host, "ansible.windows.win_auto_logon", {"state": "absent"})
    assert removed["changed"] is True
    state = modelled(module_lab, host)
    assert state["registry"][WINLOGON]["AutoAdminLogon"]["data"] == 0
    assert "DefaultUserName" not in state["registry"][WINLOGON]
    assert "DefaultPassword" not in state["lsa_secrets"]
    assert adhoc(module_lab, host, "ansible.windows.win_auto_logon",
                 {"state": "absent"})["changed"] is False


@pytest.mark.parametrize(("args", "message"), [
    ({"username": "nobody-here", "password": "x"},
     "Failed to find a local or domain user with the name 'nobody-here'"),
    ({"username": "pos-station"}, "state is present but all of the following are missing:"
     " password"),
    ({"usename": "pos-station"}, "Unsupported parameters for (ansible.windows.win_auto_logon)"
     " module: usename"),
])
def test_autologon_failures(module_lab: CliLab, args: dict[str, Any], message: str) -> None:
    result = adhoc(module_lab, HOST, "ansible.windows.win_auto_logon", args)
    assert result["failed"] is True
    assert message in result["msg"]
