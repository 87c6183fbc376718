"""Lab hosts as `lab up` seeds them, and module models called as ansible calls them.

For the tests of one model at a time: no WinRM, no playbook, just the model's answer.
"""

from __future__ import annotations

import copy
import json
import random
from typing import Any

from sitekit.lab.host import LabHost
from sitekit.lab.modules import run_module
from sitekit.lab.state import seed_state


def seeded(kind: str, name: str) -> LabHost:
    """A host of `kind` (server or workstation) as `lab up` seeds it."""
    host = LabHost(name, "127.0.0.1", "sitekit", "Lab-Passw0rd!")
    host.state = seed_state(kind, name, random.Random(1), "sitekit")  # noqa: S311
    return host


def call(host: LabHost, fqcn: str, args: dict[str, Any], check: bool = False,
         diff: bool = False) -> dict[str, Any]:
    """Run a model as ansible does; its JSON result (rc 1 = failed, and only then)."""
    result = run_module(host, fqcn, {**copy.deepcopy(args), "_ansible_check_mode": check,
                                     "_ansible_diff": diff})
    data: dict[str, Any] = json.loads(result.stdout)
    assert bool(data.get("failed")) == (result.rc == 1), data
    return data
