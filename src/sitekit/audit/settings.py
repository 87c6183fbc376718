"""Settings a role is about to apply, judged by the fleet's audit policy before it applies them.

The audit policy is the one judge: a role does not keep its own copy of the floors (lockout
duration, password length, ...) but asks the same controls the monthly audit evaluates
whether the values it was given would pass, and refuses them with the control that fails.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from sitekit.audit.checks import FAIL
from sitekit.audit.policy import Policy, load_policy, policy_file
from sitekit.site import strict_yaml


@functools.cache
def fleet_policy(fleet_dir: str) -> Policy:
    """The fleet's audit policy, read once per process; ValueError naming what is wrong."""
    directory = Path(fleet_dir)
    fleet_file = directory / "sitekit.yml"
    fleet = strict_yaml.plain(strict_yaml.load(fleet_file.read_text(encoding="utf-8")))
    policy, problems = load_policy(policy_file(directory), fleet.get("fleet"))
    if policy is None:
        raise ValueError("; ".join(str(problem) for problem in problems))
    return policy


def failing(fleet_dir: str, kind: str, facts: dict[str, Any],
            variables: dict[str, str]) -> list[str]:
    """What the fleet's policy would fail in `facts`, naming the control and the variable.

    `facts` are what the settings will make the host report.

    Only the controls on the given facts are asked (every fact a control reads must be
    among them); `variables` maps a fact path (lockout_policy.duration_minutes) to the
    role variable that sets it.
    """
    policy = fleet_policy(fleet_dir)
    found = []
    for control in policy.controls:
        top = control.check.fact.split(".", 1)[0]
        if top not in facts or kind not in control.applies_to:
            continue
        status, observed, expected, _ = control.check.evaluate(facts, None)
        if status != FAIL:
            continue
        variable = variables.get(control.check.fact, control.check.fact)
        found.append(f"{variable} is {observed}, which fails {control.id} ({control.title}) "
                     f"of {policy.file}: expected {expected}; set {variable} to a value the "
                     "audit accepts")
    return found
