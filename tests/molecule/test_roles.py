"""Every role's molecule scenario, as a user runs it: `molecule test` in the role's directory.

Each scenario starts lab hosts (create), rehearses the role in check mode, converges,
converges again expecting no change (idempotence), verifies, and removes the lab.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.lab.conftest import free_port

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = sorted(ROOT.glob("roles/*/molecule/*/molecule.yml"))
BIN = Path(sys.executable).parent


# Roles that only make sense inside their playbook, each tested through it instead.
PLAYBOOK_ONLY = {
    # Needs an opened site, a release and the rollout's history: playbooks/rollout.yml
    # drives it in tests/lab/test_rollout.py (upgrade, rollback, deferral, --check).
    "rollout_site",
}


def test_every_role_has_a_scenario() -> None:
    roles = sorted(p.name for p in (ROOT / "roles").iterdir() if (p / "tasks").is_dir())
    with_scenario = sorted({p.parents[2].name for p in SCENARIOS})
    assert roles
    assert set(roles) >= PLAYBOOK_ONLY  # an entry for a role that no longer exists goes
    assert sorted(set(roles) - PLAYBOOK_ONLY) == with_scenario
    assert not PLAYBOOK_ONLY & set(with_scenario)  # one with a scenario leaves the list


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda p: f"{p.parents[2].name}")
def test_molecule_scenario_passes(scenario: Path) -> None:
    role_dir = scenario.parents[2]
    env = os.environ | {"PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
                        "SITEKIT_LAB_PORT": str(free_port()), "NO_COLOR": "1"}
    command = [str(BIN / "molecule"), "test", "-s", scenario.parent.name]
    result = subprocess.run(command, cwd=role_dir, env=env, capture_output=True, text=True,
                            timeout=900, check=False)
    assert result.returncode == 0, (result.stdout + result.stderr)[-6000:]
    for step in ("check", "converge", "idempotence", "verify"):
        assert f"{step}: Executed: Successful" in result.stdout + result.stderr, step
