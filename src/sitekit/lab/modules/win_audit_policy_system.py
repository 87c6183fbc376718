"""ansible.windows.win_audit_policy_system: one category's or subcategory's audit flags.

As the module's .ps1 does it: a name `auditpol /list` does not print fails ("Invalid sub
category provided"), the wanted setting is success and/or failure ("none" adds nothing),
the whole category is set when a category is given, and `current_audit_policy` is
`auditpol /get /r` of the target with names and settings in lower case.
"""

from __future__ import annotations

from typing import Any

from sitekit.lab import auditpol
from sitekit.lab.host import LabHost
from sitekit.lab.modules import ModuleFailedError, register
from sitekit.lab.seed_base import ensure
from sitekit.lab.state import host_state


def _named(name: str, names: tuple[str, ...]) -> str | None:
    """The name as auditpol spells it; PowerShell's -notin compares case-insensitively."""
    return next((known for known in names if known.lower() == name.lower()), None)


def _current(policy: dict[str, list[str]], names: tuple[str, ...]) -> dict[str, str]:
    return {name.lower(): auditpol.INCLUSION[tuple(f for f in ("success", "failure")
                                                   if f in policy[name])].lower()
            for name in names}


@register("ansible.windows.win_audit_policy_system", supports_check_mode=True,
          implements=("category", "subcategory", "audit_type"))
def win_audit_policy_system(host: LabHost, args: dict[str, Any], check_mode: bool,
                            diff: bool) -> dict[str, Any]:
    """Set the flags of every subcategory targeted; changed when any differed."""
    policy = ensure(host_state(host))["audit_policy"]
    if args["category"] is not None:
        category = _named(args["category"], tuple(auditpol.CATEGORIES))
        if category is None:
            raise ModuleFailedError("Invalid category provided")
        targets = auditpol.CATEGORIES[category]
    else:
        subcategory = _named(args["subcategory"], auditpol.SUBCATEGORIES)
        if subcategory is None:
            raise ModuleFailedError("Invalid sub category provided")
        targets = (subcategory,)
    wanted = [flag for flag in ("success", "failure") if flag in args["audit_type"]]
    if all(policy[name] == wanted for name in targets):
        return {"changed": False, "current_audit_policy": _current(policy, targets)}
    if not check_mode:
        for name in targets:
            policy[name] = list(wanted)
    return {"changed": True, "current_audit_policy": _current(policy, targets)}
