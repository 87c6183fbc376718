"""The real-Windows molecule scenario (tests/molecule/windows): the roles against a real host.

It needs a Windows machine named by the environment (SITEKIT_WINDOWS_HOST and the rest,
README.md "A real Windows machine"); without one the runs are SKIPPED, with the reason,
never counted as passing. That the scenario finds each role's playbooks and the fleet's
inventory is checked here without a host.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
SCENARIO = ROOT / "tests" / "molecule" / "windows" / "molecule.yml"
ROLES = sorted(p.parents[2].name for p in ROOT.glob("roles/*/molecule/default/molecule.yml"))
BIN = Path(sys.executable).parent
NO_WINDOWS = "SITEKIT_WINDOWS_HOST" not in os.environ


def molecule(role: str, action: str, env: dict[str, str] | None = None,
             timeout: int = 300) -> subprocess.CompletedProcess[str]:
    environment = os.environ | (env or {}) | {
        "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}", "NO_COLOR": "1",
        "MOLECULE_GLOB": os.path.relpath(SCENARIO, ROOT / "roles" / role)}
    return subprocess.run([str(BIN / "molecule"), action, "-s", "windows"],
                          cwd=ROOT / "roles" / role, env=environment, capture_output=True,
                          text=True, timeout=timeout, check=False)


def test_the_scenario_runs_a_roles_own_playbooks() -> None:
    result = molecule("pos_workstation", "syntax")
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]
    assert "roles/pos_workstation/molecule/default/converge.yml" in result.stdout + result.stderr


def test_without_a_host_create_says_what_to_set() -> None:
    env = {name: "" for name in os.environ if name.startswith("SITEKIT_WINDOWS_")}
    result = molecule("windows_base", "create", env=env)
    assert result.returncode != 0
    assert "Set SITEKIT_WINDOWS_HOST" in result.stdout + result.stderr


@pytest.mark.skipif(NO_WINDOWS, reason="no real Windows host: set SITEKIT_WINDOWS_HOST (and"
                    " _USER, _PASSWORD, _CA_FILE, _INVENTORY_HOST) to run the roles on one")
@pytest.mark.parametrize("role", ROLES)
def test_role_on_real_windows(role: str) -> None:
    result = molecule(role, "test", timeout=3600)
    assert result.returncode == 0, (result.stdout + result.stderr)[-6000:]
    for step in ("check", "converge", "idempotence", "verify"):
        assert f"{step}: Executed: Successful" in result.stdout + result.stderr, step
