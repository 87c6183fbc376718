"""windows_base's preflight refuses an initial password that Windows would refuse, before
the run creates the first account (issue 19, defect 14). The asserts run on the
controller: the real ansible-playbook against the example fleet, no host needed."""

from __future__ import annotations

import json
import subprocess

import pytest

from tests.conftest import BIN, EXAMPLE, ROOT

pytestmark = pytest.mark.slow
CONVERGE = ROOT / "roles" / "windows_base" / "molecule" / "default" / "converge.yml"


def preflight(password: str) -> subprocess.CompletedProcess[str]:
    """The role's preflight on LIS01's server (users acosta/Ana Costa, rmatos/Rui Matos...)."""
    extra = json.dumps({"windows_base_initial_password": password})
    return subprocess.run(
        [str(BIN / "ansible-playbook"), "-i", str(EXAMPLE), str(CONVERGE), "--tags",
         "windows_base_preflight", "--limit", "lis01-srv01", "-e", extra],
        capture_output=True, text=True, cwd=ROOT, timeout=120, check=False)


@pytest.mark.parametrize(("password", "reason"), [
    ("Welcome-Costa-2026", "it contains 'Costa' of acosta's full name"),
    ("welcomelisbon2026", "it uses 2 of the character categories"),
    ("Rmatos-Opening-7", "it contains the account name rmatos"),
])
def test_a_password_windows_refuses_fails_the_preflight(password: str, reason: str) -> None:
    result = preflight(password)
    assert result.returncode != 0, result.stdout[-2000:]
    assert reason in result.stdout
    assert password not in result.stdout.replace(f'"{password}"', "")


def test_a_complex_password_passes_the_preflight() -> None:
    result = preflight("Opening-Day-Lisbon-2026")
    assert result.returncode == 0, result.stdout[-3000:]


def test_a_fleet_without_an_event_collector_fails_the_preflight() -> None:
    # PCI DSS 10.3.3: events that never leave the host; the message names the fleet field.
    extra = json.dumps({"windows_base_initial_password": "Opening-Day-Lisbon-2026",
                        "windows_base_event_collector": {}})
    result = subprocess.run(
        [str(BIN / "ansible-playbook"), "-i", str(EXAMPLE), str(CONVERGE), "--tags",
         "windows_base_preflight", "--limit", "lis01-srv01", "-e", extra],
        capture_output=True, text=True, cwd=ROOT, timeout=120, check=False)
    assert result.returncode != 0, result.stdout[-2000:]
    output = " ".join(result.stdout.split())
    assert "lis01-srv01 has no event collector to forward its events to" in output
    assert "add logging.collector" in output
    assert "to the fleet file sitekit.yml under fleet:" in output
