"""ansible.windows.win_firewall: turn firewall profiles on or off, their default actions."""

from __future__ import annotations

from typing import Any

from sitekit.lab.host import LabHost
from sitekit.lab.modules import ModuleFailedError, register
from sitekit.lab.seed_base import WINRM_HTTPS_PORT
from sitekit.lab.state import host_state

_PROFILES = ("Domain", "Private", "Public")
# Get-NetFirewallProfile's GpoBoolean, as ConvertTo-Json writes the enum.
_GPO_TRUE, _GPO_FALSE = 1, 0


def _port_in(port: str, ports: str) -> bool:
    """Whether a rule's localport ("any", "5986", "80,443", "5000-6000") covers `port`."""
    for part in str(ports).replace(" ", "").lower().split(","):
        low, _, high = part.partition("-")
        if part in ("any", port):
            return True
        if high and low.isdigit() and high.isdigit() and int(low) <= int(port) <= int(high):
            return True
    return False


def winrm_allowed(rules: dict[str, Any], profile: str) -> bool:
    """Whether an enabled inbound rule lets WinRM over HTTPS through in `profile`."""
    return any(
        rule["enabled"] and rule["direction"] == "in" and rule["action"] == "allow"
        and rule["protocol"] in ("tcp", "6", "any")
        and _port_in(WINRM_HTTPS_PORT, rule["localport"])
        and (profile.lower() in rule["profiles"] or "any" in rule["profiles"])
        for rule in rules.values())


@register("ansible.windows.win_firewall", supports_check_mode=True,
          implements=("profiles", "state", "inbound_action", "outbound_action"))
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
        blocks = wanted["enabled"] and wanted["inbound"] == "block"
        blocked = current["enabled"] and current["inbound"] == "block"
        if blocks and not blocked and not winrm_allowed(host_state(host)["firewall"]["rules"],
                                                        name):
            # Windows would do it and drop every new connection to the listener: the next
            # task could not reach the host. Fail here, naming what has to come first.
            raise ModuleFailedError(
                f"turning on the {name} firewall profile (inbound: block) with no enabled"
                f" inbound rule allowing TCP {WINRM_HTTPS_PORT} (WinRM over HTTPS) in it would"
                " cut this host off: on Windows the connection is refused from the next task"
                " on. Allow TCP 5986 (community.windows.win_firewall_rule) before turning the"
                " profile on.")
        result[name] = {"enabled": wanted["enabled"], "considered": name.lower() in chosen,
                        "currentstate": _GPO_TRUE if current["enabled"] else _GPO_FALSE}
        if wanted != current:
            changed = True
            if not check_mode:
                profiles[name] = wanted
    return result | {"changed": changed}
