"""ansible.windows.win_feature: Windows Server roles and features (servers only)."""

from __future__ import annotations

from typing import Any

from sitekit.lab.host import LabHost
from sitekit.lab.modules import ModuleFailedError, register
from sitekit.lab.state import find, host_state


@register("ansible.windows.win_feature", supports_check_mode=True,
          implements=("name", "state"))
def win_feature(host: LabHost, args: dict[str, Any], check_mode: bool,
                diff: bool) -> dict[str, Any]:
    """Install or remove features; client Windows has no Install-WindowsFeature."""
    state = host_state(host)
    if state["os"]["product_type"] != "server":
        raise ModuleFailedError("This version of Windows does not support the"
                                " Enable-WindowsOptionalFeature cmdlet: win_feature manages"
                                " Windows Server features only")
    features = state["features"]
    install = args["state"] == "present"
    names = []
    for name in args["name"]:
        key = find(features, name)
        if key is None:
            raise ModuleFailedError(f"Failed to {'add' if install else 'remove'} feature: "
                                    f"ArgumentNotValid: The role, role service, or feature name"
                                    f" is not valid: '{name}'. The name was not found.")
        names.append(key)
    changing = [n for n in names if features[n]["installed"] != install]
    reboot = any(features[n]["restart_needed"] for n in changing)
    if changing and not check_mode:
        for name in changing:
            features[name]["installed"] = install
        state["reboot_pending"] |= reboot
    results = [{"display_name": features[n]["display_name"], "id": index, "message": [],
                "reboot_required": features[n]["restart_needed"], "skip_reason": "NotSkipped",
                "success": True} for index, n in enumerate(changing)]
    return {"changed": bool(changing), "exitcode": "Success" if changing else "NoChangeNeeded",
            "feature_result": results, "reboot_required": reboot, "success": True}
