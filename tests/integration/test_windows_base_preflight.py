"""windows_base's preflight refuses an initial password that Windows would refuse, and a user
without one of their own (PCI DSS 8.3.5), before the run creates the first account (issue 19,
defect 14; issue 15). The asserts run on the controller: the real ansible-playbook against
the example fleet, no host needed."""

from __future__ import annotations

import json
import subprocess

import pytest

from sitekit.plan.fleet import plan_fleet_dir
from tests.conftest import BIN, EXAMPLE, ROOT

pytestmark = pytest.mark.slow
CONVERGE = ROOT / "roles" / "windows_base" / "molecule" / "default" / "converge.yml"


# LIS01's users; each gets a password of its own but for the one the case is about.
USERS = {"acosta": "Opening-Day-Lisbon-2026", "rmatos": "Another-One-Lisbon-77"}


def preflight(password: str | None, user: str = "acosta") -> subprocess.CompletedProcess[str]:
    """The role's preflight on LIS01's server (users acosta/Ana Costa, rmatos/Rui Matos...).

    Every user of its plan gets its own valid password; `user` gets `password` (None: none).
    """
    passwords = {**{name: f"Valid-{n}-Passw0rd-#" for n, name in enumerate(_users())}, **USERS}
    if password is None:
        del passwords[user]
    else:
        passwords[user] = password
    extra = json.dumps({"windows_base_initial_passwords": passwords})
    return subprocess.run(
        [str(BIN / "ansible-playbook"), "-i", str(EXAMPLE), str(CONVERGE), "--tags",
         "windows_base_preflight", "--limit", "lis01-srv01", "-e", extra],
        capture_output=True, text=True, cwd=ROOT, timeout=120, check=False)


def _users() -> list[str]:
    plan = plan_fleet_dir(EXAMPLE, only=["LIS01"])
    return [user.user for user in plan.sites[0].users.users]


@pytest.mark.parametrize(("user", "password", "reason"), [
    ("acosta", "Welcome-Costa-2026", "acosta's: it contains 'Costa' of acosta's full name"),
    ("acosta", "welcomelisbon2026", "acosta's: it uses 2 of the character categories"),
    ("rmatos", "Rmatos-Opening-7", "rmatos's: it contains the account name rmatos"),
    ("rmatos", None, "rmatos has no initial password"),
])
def test_a_password_windows_refuses_fails_the_preflight(user: str, password: str | None,
                                                        reason: str) -> None:
    result = preflight(password, user)
    assert result.returncode != 0, result.stdout[-2000:]
    assert reason in " ".join(result.stdout.split())
    if password is not None:
        assert password not in result.stdout.replace(f'"{password}"', "")


def test_a_complex_password_passes_the_preflight() -> None:
    result = preflight(USERS["acosta"])
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
