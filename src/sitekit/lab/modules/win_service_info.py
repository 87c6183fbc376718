r"""ansible.windows.win_service_info: read services' full configuration back.

As win_service_info.ps1 finds them: services whose name equals `name`, else Get-Service
-Name (wildcards; a display name matches too); every field read through the SCM API.

The lab knows the whole SCM configuration only of the services created on it (by
win_service, or the kit's application installer): CreateService's defaults, which
the module's own integration test asserts for a service New-Service made (error
control normal, own process, no failure actions, SID type none, never started: exit code
1077, ERROR_SERVICE_NEVER_STARTED). A service of Windows or of a product (WinRM, SQL
Server) has recovery actions, SID types and triggers the lab does not hold: asking for one
fails, naming it, rather than inventing them; so does asking for every service (a real
host has hundreds the lab does not hold).
"""

from __future__ import annotations

import fnmatch
from typing import Any

from sitekit.lab import faults
from sitekit.lab.host import LabHost
from sitekit.lab.modules import ModuleFailedError, register
from sitekit.lab.state import host_state

# SERVICE_PRESHUTDOWN_INFO: "The default value is 180,000 milliseconds" (Microsoft docs).
_PRESHUTDOWN_MS = 180_000
_NEVER_STARTED = 1077


def _matching(services: dict[str, Any], name: str) -> list[str]:
    """Name equality first (win_service_info.ps1), then Get-Service -Name's wildcard."""
    exact = [key for key in services if key.lower() == name.lower()]
    if exact:
        return exact
    pattern = name.lower()
    return [key for key, s in services.items()
            if fnmatch.fnmatchcase(key.lower(), pattern)
            or fnmatch.fnmatchcase(str(s["display_name"]).lower(), pattern)]


def _account(username: str) -> str:
    r"""The account as the SCM's SID translates back: LocalSystem is NT AUTHORITY\SYSTEM."""
    return "NT AUTHORITY\\SYSTEM" if username.lower() == "localsystem" else username


def _describe(services: dict[str, Any], name: str, state: dict[str, Any]) -> dict[str, Any]:
    service = services[name]
    scm = service.get("scm")
    if scm is None:
        raise ModuleFailedError(
            f"the sitekit lab does not model the full configuration of the service {name}"
            " (installed with Windows or a product): read it with win_service, or model it in"
            " src/sitekit/lab/modules/win_service_info.py")
    running = service["state"] == "running" and not faults.crashed(state, name)
    return {
        "checkpoint": 0,
        # What the lab's service programs register when running (SetServiceStatus): stop.
        "controls_accepted": ["stop"] if running else [],
        "dependencies": list(service["dependencies"]),
        "dependency_of": sorted(n for n, s in services.items()
                                if name.lower() in (d.lower() for d in s["dependencies"])),
        "description": service["description"] or None,
        "desktop_interact": bool(service["desktop_interact"]),
        "display_name": service["display_name"], "error_control": scm["error_control"],
        "failure_actions": [], "failure_actions_on_non_crash_failure": False,
        "failure_command": None, "failure_reboot_msg": None, "failure_reset_period_sec": 0,
        "launch_protection": "none", "load_order_group": "", "name": name,
        "path": service["path"], "pre_shutdown_timeout_ms": _PRESHUTDOWN_MS,
        "preferred_node": None,
        "process_id": (sum(map(ord, name)) * 4 + 1000) if running else 0,
        "required_privileges": [], "service_exit_code": 0, "service_flags": [],
        "service_type": "win32_own_process", "sid_info": "none",
        "start_mode": service["start_mode"], "state": "started" if running else "stopped",
        "triggers": [], "username": _account(service["username"]), "wait_hint_ms": 0,
        "win32_exit_code": 0 if running or scm["ever_started"] else _NEVER_STARTED,
    }


@register("ansible.windows.win_service_info", supports_check_mode=True, implements=("name",))
def win_service_info(host: LabHost, args: dict[str, Any], check_mode: bool,
                     diff: bool) -> dict[str, Any]:
    """exists, and each matching service's configuration and status."""
    if args["name"] is None:
        raise ModuleFailedError(
            "the sitekit lab does not model listing every service (a real host has hundreds"
            " it does not hold): give win_service_info a name")
    state = host_state(host)
    services = state["services"]
    names = sorted(_matching(services, args["name"]), key=str.lower)
    described = [_describe(services, name, state) for name in names]
    return {"changed": False, "exists": bool(described), "services": described}
