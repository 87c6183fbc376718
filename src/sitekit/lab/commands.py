"""The small, explicit table of plain commands and PowerShell one-liners the lab answers.

Anything else fails loudly; a command silently "succeeding" would hide a real problem.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable

from sitekit.lab import faults, filesystem
from sitekit.lab.host import LabHost
from sitekit.lab.process import ExecResult, not_modelled
from sitekit.lab.state import AUTOLOGON_KEY, find, host_state, reboot

# What ansible.windows' _reboot.py appends to each command it runs.
_INLINE_TRAILER = ("; If (-not $?) { If (Get-Variable LASTEXITCODE -ErrorAction"
                   " SilentlyContinue) { exit $LASTEXITCODE } Else { exit 1 } }")
_FILETIME_EPOCH = dt.datetime(1601, 1, 1, tzinfo=dt.UTC)

CmdHandler = Callable[[LabHost, str], ExecResult]
ScriptHandler = Callable[[LabHost, re.Match[str]], ExecResult]


def _out(text: str) -> ExecResult:
    """Succeed with text on stdout, in Windows line endings."""
    return ExecResult(0, (text + "\r\n").encode())


def _hostname(host: LabHost, _args: str) -> ExecResult:
    """`hostname`: the NetBIOS name as Windows prints it."""
    return _out(filesystem.environment(host)["COMPUTERNAME"])


def _whoami(host: LabHost, _args: str) -> ExecResult:
    r"""`whoami`: machine\user in lower case."""
    env = filesystem.environment(host)
    return _out(f"{env['COMPUTERNAME']}\\{host.username}".lower())


def _echo(_host: LabHost, args: str) -> ExecResult:
    """`echo text`: cmd.exe echoes the rest of the line verbatim."""
    return _out(args or "ECHO is on.")


def _ipconfig(host: LabHost, args: str) -> ExecResult:
    """`ipconfig`: the one Ethernet adapter with the host's modelled address."""
    if args.strip() not in ("", "/all"):
        return not_modelled(f"ipconfig {args}")
    address = str(host.state.get("ip_address", host.address))
    lines = [
        "",
        "Windows IP Configuration",
        "",
        "",
        "Ethernet adapter Ethernet:",
        "",
        "   Connection-specific DNS Suffix  . : ",
        f"   IPv4 Address. . . . . . . . . . . : {address}",
        f"   Subnet Mask . . . . . . . . . . . : {host.state.get('subnet_mask', '255.255.255.0')}",
        f"   Default Gateway . . . . . . . . . : {host.state.get('gateway', '')}",
    ]
    return _out("\r\n".join(lines))


CMD_TABLE: dict[str, CmdHandler] = {
    "hostname": _hostname,
    "whoami": _whoami,
    "echo": _echo,
    "ipconfig": _ipconfig,
}


def run_cmd(host: LabHost, command_line: str) -> ExecResult:
    """Run a cmd.exe command line from the table."""
    program, _, args = command_line.strip().partition(" ")
    name = program.lower().removesuffix(".exe")
    handler = CMD_TABLE.get(name)
    if handler is None:
        return not_modelled(f"the command '{program}'")
    return handler(host, args.strip())


def _ps_quoted(value: str) -> str:
    """Undo PowerShell single-quote escaping."""
    return value.replace("''", "'")


def _ps_hostname(host: LabHost, _m: re.Match[str]) -> ExecResult:
    """`hostname` or `$env:COMPUTERNAME` in PowerShell."""
    return _hostname(host, "")


def _ps_write(_host: LabHost, m: re.Match[str]) -> ExecResult:
    """`Write-Output 'text'` or a bare quoted string."""
    return _out(_ps_quoted(m.group("text")))


def _ps_remove_item(host: LabHost, m: re.Match[str]) -> ExecResult:
    """`Remove-Item 'path' -Force [-Recurse];`, as ansible cleans up its temp dir."""
    try:
        filesystem.remove(host, _ps_quoted(m.group("path")), recurse=bool(m.group("recurse")))
    except OSError as exc:
        return ExecResult(1, b"", f"Remove-Item : {exc}\r\n".encode())
    return ExecResult(0)


def _ps_boot_time(host: LabHost, _m: re.Match[str]) -> ExecResult:
    """win_reboot's boot time check: LastBootUpTime as a FILETIME."""
    boot = dt.datetime.fromisoformat(host_state(host)["boot_time"])
    return _out(str(int((boot - _FILETIME_EPOCH).total_seconds()) * 10**7))


def _ps_shutdown(host: LabHost, m: re.Match[str]) -> ExecResult:
    """win_reboot's `shutdown.exe /r`: the lab host restarts at once and is back up."""
    state = host_state(host)
    if m.group("remove") == "True":
        state["registry"].pop(AUTOLOGON_KEY, None)
    reboot(state)
    if faults.active(state, "no-come-back") is not None:
        state["lab"]["stuck_in_reboot"] = True  # down from the next request on
    return _out(json.dumps({"stdout": "", "stderr": "", "rc": 0}))


def _ps_abort_shutdown(_host: LabHost, _m: re.Match[str]) -> ExecResult:
    """`shutdown.exe /a` with no shutdown in progress."""
    return ExecResult(1116, b"", b"Unable to abort the system shutdown because no shutdown"
                      b" was in progress.(1116)\r\n")


def _ps_logon_ui_test(host: LabHost, m: re.Match[str]) -> ExecResult:
    """win_reboot's post-reboot test: the AutoLogonChecked key exists once LogonUI is up."""
    if find(host_state(host)["registry"], AUTOLOGON_KEY) is None:
        return ExecResult(1, b"", (f"Get-Item : Cannot find path '{AUTOLOGON_KEY}' because it"
                                   " does not exist.\r\n").encode())
    return _out(f"\r\n    Hive: HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows NT\\"
                f"CurrentVersion\\Winlogon\r\n\r\nName\r\n----\r\nAutoLogonChecked\r\n"
                f"{m.group('expected')}")


_QUOTED = r"'(?P<{name}>(?:[^']|'')*)'"
SCRIPT_TABLE: list[tuple[re.Pattern[str], ScriptHandler]] = [
    (re.compile(r"(?i)(hostname|\$env:computername)"), _ps_hostname),
    (re.compile(r"(?i)(?:write-output\s+)?" + _QUOTED.format(name="text")), _ps_write),
    (
        re.compile(r"(?i)remove-item\s+" + _QUOTED.format(name="path")
                   + r"\s+-force(?P<recurse>\s+-recurse)?\s*;?"),
        _ps_remove_item,
    ),
    (re.compile(r"\(Get-CimInstance -ClassName Win32_OperatingSystem -Property LastBootUpTime\)"
                r"\.LastBootUpTime\.ToFileTime\(\)"), _ps_boot_time),
    (re.compile(r"\$ErrorActionPreference = 'Continue'\s+if \(\$(?P<remove>True|False)\) \{"
                r".*C:\\Windows\\System32\\shutdown\.exe /r /t \d+ /c .*", re.S),
     _ps_shutdown),
    (re.compile(r"(?i)C:\\Windows\\System32\\shutdown\.exe /a"), _ps_abort_shutdown),
    (re.compile(r"Get-Item -LiteralPath '" + re.escape(AUTOLOGON_KEY)
                + r"' -ErrorAction Stop; '(?P<expected>[\w-]+)'"), _ps_logon_ui_test),
]


def run_powershell(host: LabHost, script: str) -> ExecResult:
    """Run a one-line PowerShell script from the table."""
    script = script.strip().removesuffix(_INLINE_TRAILER).strip()
    for pattern, handler in SCRIPT_TABLE:
        match = pattern.fullmatch(script)
        if match:
            return handler(host, match)
    first = script.strip().splitlines()[0] if script.strip() else "(empty)"
    return not_modelled(f"this PowerShell script: {first[:120]}")
