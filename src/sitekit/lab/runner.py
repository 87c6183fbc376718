"""Run a command on a host model.

Plain commands, PowerShell one-liners, or ansible's exec wrapper actions (temp dirs,
file transfer, modules).

Wrapper actions in the manifest are decided deliberately: `become_wrapper.ps1` runs the
inner action unchanged, since the lab models no privilege boundary (every modelled
action runs with full rights, as become to SYSTEM would), except for the network: only
runas with a user's password gives the module credentials for the fleet's share (see
shares.py); async and coverage wrappers are not modelled and fail loudly.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import ntpath
import re
from collections.abc import Callable
from typing import Any

from sitekit.lab import commands, faults, filesystem, shares
from sitekit.lab.exec_wrapper import (
    Action,
    DecodeError,
    ExecManifest,
    base64_lines,
    decode_powershell,
    is_bootstrap_wrapper,
    parse_bootstrap_input,
)
from sitekit.lab.host import LabHost
from sitekit.lab.memo import Recent
from sitekit.lab.modules import run_module
from sitekit.lab.process import ExecResult, json_result, not_modelled
from sitekit.lab.state import host_state, reboot

_PASS_THROUGH_WRAPPERS = {"become_wrapper.ps1"}
_SERVICE_ACCOUNTS = {"SYSTEM", "NT AUTHORITY\\SYSTEM", "LOCALSERVICE", "LOCAL SERVICE",
                     "NETWORKSERVICE", "NETWORK SERVICE", "NT AUTHORITY\\LOCAL SERVICE",
                     "NT AUTHORITY\\NETWORK SERVICE"}
# module_wrapper's Script is '<fqcn module path>.ps1': a collection module's, or
# 'ansible.legacy.<name>.ps1' for the kit's own modules in plugins/modules (doubled when a
# task names one as ansible.legacy.<name>, as lint's FQCN rule asks).
_MODULE_SCRIPT = re.compile(
    r"^(?:ansible_collections\.(?P<ns>\w+)\.(?P<coll>\w+)\.plugins\.modules"
    r"|(?P<legacy>ansible\.legacy(?:\.ansible\.legacy)?))\.(?P<name>\w+)\.ps1$"
)
ActionHandler = Callable[[LabHost, Action, ExecManifest], ExecResult]
# Every host of a task gets the same stdin (see memo.py). Models get their own copy of
# the arguments, so a remembered manifest never changes.
_parse_stdin = Recent(parse_bootstrap_input)


def execute(host: LabHost, command_line: str, stdin: bytes) -> ExecResult:
    """Run a WinRS command line with its whole stdin on the host model."""
    faults.refresh(host)  # (slow is the connection's: it delays the answer, see connection.py)
    with host.lock:
        try:
            script = decode_powershell(command_line)
            if script is None:
                return commands.run_cmd(host, command_line)
            if is_bootstrap_wrapper(script):
                return _run_manifest(host, _parse_stdin(stdin))
            return commands.run_powershell(host, script.body)
        except DecodeError as exc:
            return ExecResult(1, b"", f"{exc}\r\n".encode())
        finally:
            host.save()


def _run_manifest(host: LabHost, manifest: ExecManifest) -> ExecResult:
    """Run the innermost manifest action after checking its wrappers."""
    for wrapper in manifest.wrappers:
        if wrapper.name not in _PASS_THROUGH_WRAPPERS:
            return json_result(
                {"failed": True, "msg": f"the sitekit lab does not model {wrapper.name}"}, rc=1
            )
    handler = _ACTIONS.get(manifest.action.name)
    if handler is None:
        return not_modelled(f"the exec wrapper action {manifest.action.name}")
    with shares.logon(network_credentials=_has_network_credentials(manifest)):
        return handler(host, manifest.action, manifest)


def _has_network_credentials(manifest: ExecManifest) -> bool:
    """Tell whether the logon reaches the network: runas as a user, with the password.

    A WinRM logon over NTLM cannot pass its credentials on, and neither can runas without
    a password (an S4U logon) or as a service account.
    """
    return any(wrapper.name == "become_wrapper.ps1"
               and "BecomePassword" in wrapper.secure_param_names
               and str(wrapper.params.get("BecomeUser", "")).upper() not in _SERVICE_ACCOUNTS
               for wrapper in manifest.wrappers)


def _module(host: LabHost, action: Action, _manifest: ExecManifest) -> ExecResult:
    """module_wrapper.ps1: run a collection module's model (unless the host reboots now)."""
    if faults.active(host.state, "reboot-mid-run") is not None:
        _reboot_now(host)
    match = _MODULE_SCRIPT.match(str(action.params.get("Script", "")))
    if match is None or not action.params.get("ForModule"):
        return not_modelled(f"the script {action.params.get('Script')}")
    variables = action.params.get("Variables") or []
    args: dict[str, Any] = {}
    for variable in variables:
        if isinstance(variable, dict) and variable.get("Name") == "complex_args":
            args = copy.deepcopy(dict(variable.get("Value") or {}))
    parts = match.groupdict()
    prefix = "ansible.legacy" if parts["legacy"] else f"{parts['ns']}.{parts['coll']}"
    with filesystem.task_environment(action.params.get("Environment") or {}):
        return run_module(host, f"{prefix}.{parts['name']}", args)


def _reboot_now(host: LabHost) -> None:
    """The reboot-mid-run fault: the host restarts under the module and drops the connection."""
    assert host.state_file is not None  # noqa: S101 - faults come from the host's directory
    injected = faults.read(host.state_file.parent)
    params = injected.pop("reboot-mid-run", None) or {}  # one reboot, then the host is back
    faults.write(host.state_file.parent, injected)
    faults.refresh(host)
    reboot(host_state(host))
    # Down while it restarts: connections reset, new ones refused (server.py, connection.py).
    faults.start_reboot(host.hostname, faults.parameter(params, "reboot-mid-run", "seconds"))
    raise ConnectionResetError(f"{host.hostname} rebooted in the middle of a module run")


def _mkdtemp(host: LabHost, action: Action, _manifest: ExecManifest) -> ExecResult:
    r"""powershell_mkdtemp.ps1: create Directory\Name and print its full path."""
    base = filesystem.expand(host, str(action.params.get("Directory", "")))
    path = ntpath.join(base, str(action.params.get("Name", "")))
    if filesystem.is_dir(host, path) or filesystem.is_file(host, path):
        msg = f"New-Item : An item with the specified name {path} already exists.\r\n"
        return ExecResult(1, b"", msg.encode())
    return ExecResult(0, (filesystem.make_dirs(host, path) + "\r\n").encode())


def _expand_user(host: LabHost, action: Action, _manifest: ExecManifest) -> ExecResult:
    """powershell_expand_user.ps1: resolve '~' to the user's profile."""
    path = str(action.params.get("Path", ""))
    profile = filesystem.environment(host)["USERPROFILE"]
    if path == "~":
        path = profile
    elif path.startswith("~\\"):
        path = ntpath.join(profile, path[2:])
    return ExecResult(0, (path + "\r\n").encode())


def _put_file(host: LabHost, action: Action, manifest: ExecManifest) -> ExecResult:
    """winrm_put_file.ps1: store the base64 lines after the second separator."""
    path = str(action.params.get("Path", ""))
    data = base64_lines(manifest.input_data or b"")
    try:
        filesystem.write_file(host, path, data)
    except OSError as exc:
        return ExecResult(1, b"", f"{exc}\r\n".encode())
    return json_result({"sha1": hashlib.sha1(data).hexdigest()})  # noqa: S324 - protocol's hash


def _fetch_file(host: LabHost, action: Action, _manifest: ExecManifest) -> ExecResult:
    """winrm_fetch_file.ps1: one base64 block from Offset, '[DIR]' for directories."""
    path = str(action.params.get("Path", ""))
    if filesystem.is_dir(host, path):
        return ExecResult(0, b"[DIR]\r\n")
    if not filesystem.is_file(host, path):
        return ExecResult(1, b"", f"{path} does not exist\r\n".encode())
    offset = int(action.params.get("Offset", 0))
    size = int(action.params.get("BufferSize", 0))
    block = filesystem.read_file(host, path)[offset : offset + size]
    return ExecResult(0, (base64.b64encode(block).decode() + "\r\n").encode() if block else b"")


_ACTIONS: dict[str, ActionHandler] = {
    "module_wrapper.ps1": _module,
    "powershell_mkdtemp.ps1": _mkdtemp,
    "powershell_expand_user.ps1": _expand_user,
    "winrm_put_file.ps1": _put_file,
    "winrm_fetch_file.ps1": _fetch_file,
}
