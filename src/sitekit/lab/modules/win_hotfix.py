"""ansible.windows.win_hotfix: a Windows update installed offline from its .msu (DISM).

As win_hotfix.ps1: `source` must be a file (Test-Path -PathType Leaf: on the share only
under `become`, see shares.py); its KB is read from the .msu and checked against
`hotfix_kb`; the DISM package's state decides: Installed is no change, InstallPending
answers reboot_required with no change, otherwise Add-WindowsPackage -NoRestart installs
it (changed) and reboot_required is its RestartNeeded. The lab's updates are monthly
cumulative updates, which always need a restart (Microsoft Learn, "Windows monthly
updates explained"): installed, they stay InstallPending until the host reboots.
state=absent removes an Installed one (Remove-WindowsPackage: UninstallPending until the
reboot); any other state is left alone, as the .ps1 does. A reboot (state.reboot) finishes
what is pending.
"""

from __future__ import annotations

from typing import Any

from sitekit.lab import filesystem, shares
from sitekit.lab.host import LabHost
from sitekit.lab.modules import ModuleFailedError, register
from sitekit.lab.state import host_state


def _identifier(kb: str) -> str:
    """The DISM package name of a KB, as Get-WindowsPackage shows it."""
    return f"Package_for_RollupFix~31bf3856ad364e35~amd64~~{kb.upper()}"


@register("ansible.windows.win_hotfix", supports_check_mode=True,
          implements=("hotfix_identifier", "hotfix_kb", "state", "source"))
def win_hotfix(host: LabHost, args: dict[str, Any], check_mode: bool,
               diff: bool) -> dict[str, Any]:
    """Install (from source) or remove (by KB or identifier) a hotfix."""
    hotfixes = host_state(host).get("hotfixes", {})  # kept only once one is installed
    result: dict[str, Any] = {"changed": False, "reboot_required": False}
    if args["state"] == "absent":
        return _remove(hotfixes, args, check_mode, result)
    source = args["source"]
    if not source:
        raise ModuleFailedError("source must be set when state=present", **result)
    entry = shares.installer(host_state(host), source) if shares.is_unc(source) else None
    if entry is None or entry.get("package") != "windows_update":
        if not shares.is_unc(source) and filesystem.is_file(host, filesystem.expand(host, source)):
            raise ModuleFailedError(f"the sitekit lab models win_hotfix with the .msu files a "
                                    f"release puts on the fleet's share only, not {source}")
        raise ModuleFailedError(f"the path set for source {source} does not exist or is not a "
                                "file", **result)
    kb = entry["kb"].upper()
    identifier = _identifier(kb)
    if args["hotfix_identifier"] and args["hotfix_identifier"] != identifier:
        raise ModuleFailedError(
            f"the hotfix identifier {args['hotfix_identifier']} does not match with the source "
            f"msu identifier {identifier}, please omit or specify the correct identifier to "
            "continue", **result)
    if args["hotfix_kb"] and args["hotfix_kb"] != kb:
        raise ModuleFailedError(
            f"the hotfix KB {args['hotfix_kb']} does not match with the source msu KB {kb}, "
            "please omit or specify the correct KB to continue", **result)
    result |= {"identifiers": [identifier], "identifier": identifier, "kbs": [kb], "kb": kb}
    state = hotfixes.get(identifier, {}).get("state")
    if state == "InstallPending":
        return result | {"reboot_required": True}
    if state == "Installed":
        return result
    if not check_mode:
        host_state(host).setdefault("hotfixes", {})[identifier] = {"kb": kb,
                                                                   "state": "InstallPending"}
        host_state(host)["reboot_pending"] = True
    return result | {"changed": True, "reboot_required": not check_mode}


def _remove(hotfixes: dict[str, Any], args: dict[str, Any], check_mode: bool,
            result: dict[str, Any]) -> dict[str, Any]:
    """Remove-WindowsPackage of an installed hotfix; a pending uninstall needs the reboot."""
    if args["hotfix_identifier"]:
        identifier = args["hotfix_identifier"]
    elif args["hotfix_kb"]:
        identifier = _identifier(args["hotfix_kb"])
    else:
        raise ModuleFailedError("either hotfix_identifier or hotfix_kb needs to be set when "
                                "state=absent", **result)
    found = hotfixes.get(identifier)
    if found is None:
        return result
    result |= {"identifier": identifier, "kb": found["kb"]}
    if found["state"] == "UninstallPending":
        return result | {"reboot_required": True}
    if found["state"] != "Installed":  # as the .ps1: only Installed is removed
        return result
    if not check_mode:
        found["state"] = "UninstallPending"
    return result | {"changed": True, "reboot_required": not check_mode}
