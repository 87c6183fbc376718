"""ansible.windows.win_firewall: turn firewall profiles on or off, their default actions."""

from __future__ import annotations

from typing import Any

from sitekit.lab.host import LabHost
from sitekit.lab.modules import register
from sitekit.lab.state import host_state

_PROFILES = ("Domain", "Private", "Public")
# Get-NetFirewallProfile's GpoBoolean, as ConvertTo-Json writes the enum.
_GPO_TRUE, _GPO_FALSE = 1, 0


@register("ansible.windows.win_firewall", supports_check_mode=True)
def win_firewall(host: LabHost, args: dict[str, Any], check_mode: bool,
                 diff: bool) -> dict[str, Any]:
    """Enable (with default actions) or disable the chosen profiles."""
    profiles = host_state(host)["firewall"]["profiles"]
    chosen = {p.lower() for p in args["profiles"]}
    result: dict[str, Any] = {"restart_required": False, "profiles": args["profiles"],
                              "state": args["state"]}
    changed = False
    for name in _PROFILES:
        current = profiles[name]
        wanted = dict(current)
        if name.lower() in chosen:
            wanted["enabled"] = args["state"] == "enabled"
            if args["state"] == "enabled":
                for option, field in (("inbound_action", "inbound"),
                                      ("outbound_action", "outbound")):
                    if args[option] is not None:
                        wanted[field] = args[option]
        result[name] = {"enabled": wanted["enabled"], "considered": name.lower() in chosen,
                        "currentstate": _GPO_TRUE if current["enabled"] else _GPO_FALSE}
        if wanted != current:
            changed = True
            if not check_mode:
                profiles[name] = wanted
    return result | {"changed": changed}
