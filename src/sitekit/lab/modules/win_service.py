"""ansible.windows.win_service: start, stop, restart and configure services.

A service the service-wont-start fault covers is not running, whatever it was: its
process terminates as it starts. win_service reports it stopped, and starting it fails
where Windows fails: win_service.ps1 pipes the service to Start-Service outside any
try/catch, so the cmdlet's error is module_wrapper's "Unhandled exception while
executing module: Service '<display name> (<name>)' cannot be started due to the
following error: Cannot start service <name> on computer '.'." with Win32 error 1067
(ERROR_PROCESS_ABORTED) underneath. In check mode (-WhatIf) nothing is started: changed.
"""

from __future__ import annotations

from typing import Any

from sitekit.lab import faults, filesystem
from sitekit.lab.host import LabHost
from sitekit.lab.modules import ModuleCrashError, ModuleFailedError, register
from sitekit.lab.modules._accounts import nt_account, service_sid
from sitekit.lab.state import created_service_config, find, host_state

_CONFIG = ("display_name", "description", "path", "start_mode", "username", "desktop_interact")


def _describe(services: dict[str, Any], name: str, state: dict[str, Any]) -> dict[str, Any]:
    """The documented return values of an existing service."""
    service = services[name]
    return {
        "exists": True, "name": name, "display_name": service["display_name"],
        "state": "stopped" if faults.crashed(state, name) else service["state"],
        "start_mode": service["start_mode"],
        "path": service["path"], "description": service["description"],
        "username": service["username"], "desktop_interact": service["desktop_interact"],
        "can_pause_and_continue": False, "dependencies": service["dependencies"],
        "depended_by": sorted(n for n, s in services.items()
                              if name.lower() in (d.lower() for d in s["dependencies"])),
    }


@register("ansible.windows.win_service", supports_check_mode=True,
          implements=("description", "desktop_interact", "display_name", "name", "path",
                      "start_mode", "state", "username"))
def win_service(host: LabHost, args: dict[str, Any], check_mode: bool,
                diff: bool) -> dict[str, Any]:
    """Configure a service and bring it to the requested state."""
    state = host_state(host)
    services = state["services"]
    if args["path"] is not None:  # win_service.ps1: [Environment]::ExpandEnvironmentVariables
        args = dict(args, path=filesystem.expand(host, args["path"]))
    name = _find(services, args["name"])
    if name is None:
        if args["state"] == "absent" or args["path"] is None:
            if args["state"] not in (None, "absent") or any(args[k] for k in _CONFIG):
                raise ModuleFailedError(f"Service '{args['name']}' is not installed, need to"
                                        " set 'path' to create a new service")
            return {"changed": False, "exists": False}
        name = args["name"]
        service = {"display_name": name, "state": "stopped", "start_mode": "auto",
                   "path": args["path"], "username": "LocalSystem", "description": "",
                   "dependencies": [], "desktop_interact": False, "scm": created_service_config()}
        changed = True
    else:
        service, changed = dict(services[name]), False
    if args["state"] == "absent":
        if not check_mode:
            del services[name]
        return {"changed": True, "exists": False}
    for key in _CONFIG:
        if key != "username" and args[key] is not None and service[key] != args[key]:
            service[key], changed = args[key], True
    username = None if args["username"] is None else _account(state, args["username"])
    if username is not None and _current_account(state, service["username"]) != username:
        service["username"], changed = username, True
    changed |= _run_state(state, name, service, args["state"], check_mode)
    if changed and not check_mode:
        services[name] = service
    result = _describe({**services, name: service}, name, state)
    if username is not None:  # the given account in its Netlogon form (win_service.ps1)
        result["username"] = username
    return {**result, "changed": changed}


def _current_account(state: dict[str, Any], name: str) -> str:
    """The service's own account as _account gives it.

    An account the lab cannot resolve (a virtual account of a service since removed) is
    compared by its name.
    """
    try:
        return _account(state, name)
    except ModuleFailedError:
        return name


def _find(services: dict[str, Any], name: str) -> str | None:
    """The service whose name or display name is `name`, compared as PowerShell's -eq does.

    Get-ServiceFromName in win_service.ps1: ServiceName -eq $Name -or DisplayName -eq $Name.
    """
    return find(services, name) or next(
        (key for key, s in services.items() if s["display_name"].lower() == name.lower()), None)


def _account(state: dict[str, Any], name: str) -> str:
    r"""A service account as win_service.ps1 compares and stores it.

    By SID, in the Netlogon form SID.Translate gives (NT AUTHORITY\NETWORK SERVICE for
    NetworkService or S-1-5-20), and SYSTEM as LocalSystem (the SCM's own name for it,
    which the module returns).
    """
    if name.lower() == "localsystem" or service_sid(name) == "S-1-5-18":
        return "LocalSystem"
    domain, _, service = name.rpartition("\\")
    if domain.lower() == "nt service":  # a service's virtual account: the service must exist
        key = find(state["services"], service)
        if key is not None:
            return f"NT SERVICE\\{key}"
    return nt_account(state, name)


def _run_state(state: dict[str, Any], name: str, service: dict[str, Any],
               wanted: str | None, check_mode: bool = False) -> bool:
    """Start, stop or restart; a service-wont-start fault makes starting fail."""
    crashed = faults.crashed(state, name)
    running = service["state"] == "running" and not crashed
    if crashed:
        service["state"] = "stopped"  # its process terminated as it started
    if wanted is None or (wanted == "stopped" and not running):
        return False
    if wanted == "paused":
        raise ModuleFailedError(f"Service '{name}' cannot be paused")
    if wanted in ("started", "restarted"):
        if wanted == "started" and running:
            return False
        if service["start_mode"] == "disabled":
            raise ModuleFailedError(f"Service '{name}' cannot be started: the service is"
                                    " disabled")
        if check_mode:
            service["state"] = "running"
            return True
        if crashed:
            raise ModuleCrashError(
                f"Service '{service['display_name']} ({name})' cannot be started due to the"
                f" following error: Cannot start service {name} on computer '.'. (Error "
                "1067: The process terminated unexpectedly.)")
        service["state"] = "running"
        if "scm" in service:  # the exit code win_service_info reads: no longer 1077
            service["scm"] = {**service["scm"], "ever_started": True}
        return True
    service["state"] = "stopped"
    return True
