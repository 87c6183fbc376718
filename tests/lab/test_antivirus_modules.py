"""sitekit_defender as ansible.windows tests its modules: check (nothing changes), real
(changed), again (not changed), a misspelled option, and the stale-signatures fault."""

from __future__ import annotations

from typing import Any

import pytest

from tests.lab.adhoc import adhoc, modelled
from tests.lab.conftest import CliLab

pytestmark = pytest.mark.slow
HOST = "lis01-srv01"
MODULE = "sitekit_defender"
ARGS = {
    "realtime_protection": True, "scan_day": "sunday", "scan_time": "23:30", "scan_type": "full",
    "quick_scan_time": "00:30", "signature_update_interval": 4,
    "check_signatures_before_scan": True, "exclusion_paths": ["C:\\SQLData", "C:\\SQLLogs"],
    "exclusion_extensions": ["ldf"], "signature_max_age_hours": 12,
}
POLICY = "HKLM:\\SOFTWARE\\Policies\\Microsoft\\Windows Defender\\Exclusions"


@pytest.fixture(scope="module")
def runs(module_lab: CliLab) -> dict[str, Any]:
    """The state before and after each of the three runs, and their results."""
    before = modelled(module_lab, HOST)
    check = adhoc(module_lab, HOST, MODULE, ARGS, "--check", "--diff")
    after_check = modelled(module_lab, HOST)
    real = adhoc(module_lab, HOST, MODULE, ARGS)
    after_real = modelled(module_lab, HOST)
    again = adhoc(module_lab, HOST, MODULE, ARGS)
    return {"before": before, "check": check, "after_check": after_check, "real": real,
            "after_real": after_real, "again": again, "after_again": modelled(module_lab, HOST)}


def test_check_mode_predicts_the_change_and_changes_nothing(runs: dict[str, Any]) -> None:
    check = runs["check"]
    assert check["changed"] is True
    assert runs["after_check"] == runs["before"]
    # The seeded install: a daily quick scan at 02:00, signatures 20 hours old.
    assert check["diff"]["before"]["preferences"]["scan_day"] == "everyday"
    assert check["preferences"]["scan_day"] == "sunday"
    assert check["exclusions"]["paths"] == ["C:\\SQLData", "C:\\SQLLogs"]
    assert check["signatures_updated"] is True
    assert check["status"]["antivirus_signature_age_hours"] >= 12
    assert set(check["changes"]) >= {"scan_day", "scan_time", "exclusion_paths"}


def test_real_run_sets_preferences_exclusions_and_signatures(runs: dict[str, Any]) -> None:
    real, state = runs["real"], runs["after_real"]
    assert real["changed"] is True
    assert state["defender"]["preferences"]["scan_type"] == "full"
    assert state["defender"]["preferences"]["quick_scan_time"] == "00:30"
    assert set(state["registry"][f"{POLICY}\\Paths"]) == {"C:\\SQLData", "C:\\SQLLogs"}
    assert state["registry"][POLICY]["Exclusions_Paths"] == {"type": "dword", "data": 1}
    assert real["status"]["antivirus_signature_age_hours"] == 0
    assert state["defender"]["antivirus_signature_version"] != \
        runs["before"]["defender"]["antivirus_signature_version"]


def test_again_changes_nothing(runs: dict[str, Any]) -> None:
    assert runs["again"]["changed"] is False
    assert runs["again"]["changes"] == []
    assert runs["again"]["signatures_updated"] is False
    assert runs["after_again"] == runs["after_real"]


def test_an_exclusion_left_out_is_removed(module_lab: CliLab, runs: dict[str, Any]) -> None:
    result = adhoc(module_lab, HOST, MODULE, ARGS | {"exclusion_paths": ["c:\\sqldata"]})
    assert result["changed"] is True
    assert result["changes"] == ["exclusion_paths"]
    assert list(modelled(module_lab, HOST)["registry"][f"{POLICY}\\Paths"]) == ["c:\\sqldata"]
    # Compared case-insensitively, as Windows compares paths.
    assert adhoc(module_lab, HOST, MODULE, {"exclusion_paths": ["C:\\SQLDATA"]})["changed"] is \
        False


def test_a_misspelled_option_fails(module_lab: CliLab) -> None:
    result = adhoc(module_lab, HOST, MODULE, {"scan_dya": "sunday"})
    assert result["failed"] is True
    assert "Unsupported parameters for (sitekit_defender) module: scan_dya" in result["msg"]


@pytest.mark.parametrize(("args", "message"), [
    ({"scan_time": "25:00"}, "scan_time must be a time of day written HH:MM, got '25:00'"),
    ({"signature_update_interval": 30}, "signature_update_interval must be 0 to 24 hours"),
    ({"scan_day": "someday"}, "value of scan_day must be one of"),
])
def test_bad_values_fail(module_lab: CliLab, args: dict[str, Any], message: str) -> None:
    result = adhoc(module_lab, HOST, MODULE, args)
    assert result["failed"] is True
    assert message in result["msg"]


def test_stale_signatures_fail_the_update_and_say_what_to_do(module_lab: CliLab) -> None:
    host = "lis01-kds01"
    assert module_lab.sitekit("fault", host, "stale-signatures").returncode == 0
    try:
        checked = adhoc(module_lab, host, MODULE, {"signature_max_age_hours": 12}, "--check")
        assert checked["changed"] is True and checked["signatures_updated"] is True
        result = adhoc(module_lab, host, MODULE, {"signature_max_age_hours": 12})
        assert result["failed"] is True
        assert "signatures are 720 hours old and updating them failed" in result["msg"]
        assert "run the role again" in result["msg"]
        assert result["status"]["antivirus_signature_age_hours"] == 720
    finally:
        assert module_lab.sitekit("fault", host, "clear").returncode == 0
    fixed = adhoc(module_lab, host, MODULE, {"signature_max_age_hours": 12})
    assert fixed["signatures_updated"] is True
    assert fixed["status"]["antivirus_signature_age_hours"] == 0
