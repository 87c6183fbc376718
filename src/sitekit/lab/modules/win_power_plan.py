"""community.windows.win_power_plan: make one of the installed power plans active."""

from __future__ import annotations

from typing import Any

from sitekit.lab.host import LabHost
from sitekit.lab.modules import ModuleFailedError, register
from sitekit.lab.seed_base import ensure
from sitekit.lab.state import host_state


@register("community.windows.win_power_plan", supports_check_mode=True,
          implements=("name", "guid"))
def win_power_plan(host: LabHost, args: dict[str, Any], check_mode: bool,
                   diff: bool) -> dict[str, Any]:
    """Activate the plan named by name or guid; only installed plans can be activated."""
    power = ensure(host_state(host))["power"]
    if args["name"] is None and args["guid"] is None:
        raise ModuleFailedError("one of the following is required: name, guid")
    plans: dict[str, str] = power["plans"]
    if args["guid"] is not None:
        guid = args["guid"].strip("{}").lower()
        if guid not in plans:
            raise ModuleFailedError(f"Defined power_plan: ({args['guid']}) is not available")
    else:
        guid = next((g for g, n in plans.items() if n.lower() == args["name"].lower()), "")
        if not guid:
            raise ModuleFailedError(f"Defined power_plan: ({args['name']}) is not available")
    changed = power["active"] != guid
    if changed and not check_mode:
        power["active"] = guid
    return {"changed": changed, "power_plan_name": args["name"] or plans[guid],
            "power_plan_enabled": True,
            "all_available_plans": {n: g == guid for g, n in plans.items()}}
