"""A virtual host's state as installed: a fresh Windows of a stated build, before opening day.

The state is plain JSON (persisted as hosts/<host>/state.json), so every module model
reads and changes the same dict and `down`/`up` keeps it. Names that Windows compares
case-insensitively are looked up through `find`, keeping the spelling first used.
"""

from __future__ import annotations

import base64
import datetime as dt
import random
import string
from collections.abc import Sequence
from typing import Any

from sitekit.lab.clock import utcnow
from sitekit.lab.filesystem import path_key
from sitekit.lab.host import LabHost
from sitekit.lab.seed_base import (
    VOLUMES,
    firewall_seed,
    windows_base_registry,
    windows_base_state,
)
from sitekit.lab.seed_stations import defender_seed, printing_seed

# The stated builds, each with the newest cumulative update in the example fleet's release
# table (inventories/example/release-table.yml): Windows Server 2022 with KB5120242
# (20348.5499) and Windows 11 Enterprise 25H2 with KB5121003 (26200.9168), both of
# 2026-08-11. 23H2 is out of servicing for Enterprise since 2026-11-10.
SERVER_OS = {
    "name": "Microsoft Windows Server 2022 Standard",
    "product_name": "Windows Server 2022 Standard",
    "edition": "ServerStandard", "version": "10.0.20348", "build": 20348, "ubr": 5499,
    "display_version": "21H2", "product_type": "server", "installation_type": "Server",
}
CLIENT_OS = {
    "name": "Microsoft Windows 11 Enterprise", "product_name": "Windows 10 Enterprise",
    "edition": "Enterprise", "version": "10.0.26200", "build": 26200, "ubr": 9168,
    "display_version": "25H2", "product_type": "workstation", "installation_type": "Client",
}
_NAME_CHARS = string.ascii_uppercase + string.digits


def find(table: dict[str, Any], name: str) -> str | None:
    """Return the key of `name` in a table compared case-insensitively, or None."""
    if name in table:
        return name
    lowered = name.lower()
    return next((key for key in table if key.lower() == lowered), None)


def host_state(host: LabHost) -> dict[str, Any]:
    """Return a host's state, seeding a server install for hosts set up without one."""
    if "os" not in host.state:
        fs = host.state.get("fs")
        # Seeded by name: a host set up without `lab up` gets the same install every time.
        rng = random.Random(host.hostname)  # noqa: S311 - a model, not a secret
        host.state.update(seed_state("server", host.hostname, rng, host.username))
        if fs is not None:
            host.state["fs"] = fs
    return host.state


def seed_state(kind: str, name: str, rng: random.Random, username: str = "sitekit",
               *, now: dt.datetime | None = None,
               volumes: Sequence[str] = VOLUMES) -> dict[str, Any]:
    """The state of a fresh install: the server OS for servers, the client OS for stations.

    `volumes` are the drive letters the machine was bought with (the fleet's `hardware`).
    """
    now = now or dt.datetime.now(dt.UTC).replace(microsecond=0)
    server = kind == "server"
    machine_sid = "S-1-5-21-" + "-".join(str(rng.randint(10**8, 4 * 10**9)) for _ in range(3))
    return {
        "kind": kind,
        "lab_name": name,
        "os": dict(SERVER_OS if server else CLIENT_OS),
        "hostname": "WIN-" + "".join(rng.choice(_NAME_CHARS) for _ in range(11)),
        "pending_hostname": None,
        "domain": "WORKGROUP",
        "machine_sid": machine_sid,
        "time_zone": "UTC",
        "install_time": (now - dt.timedelta(days=2)).isoformat(),
        "boot_time": (now - dt.timedelta(hours=rng.randint(1, 30))).isoformat(),
        "reboot_pending": False,
        "memory_mb": 16384 if server else 8192,
        "processors": 4 if server else 2,
        "disks": {letter: {"size": (256 if server else 128) * 2**30,
                           "free": (200 if server else 90) * 2**30} for letter in volumes},
        "fs": _filesystem(username, volumes),
        "services": _services(server),
        "packages": _packages(),
        "users": _users(machine_sid, username, server),
        "groups": _groups(username),
        "next_rid": 1001,
        "firewall": firewall_seed(server),
        "scheduled_tasks": _scheduled_tasks(),
        "registry": _registry(SERVER_OS if server else CLIENT_OS) | windows_base_registry(),
        "features": _features() if server else {},
        "updates": _updates(server, now),
        "defender": _defender(now) | defender_seed(server),
        "printing": printing_seed(server),
        "sql_instances": {},
        "network": {"Ethernet": {"dns_servers": [], "dhcp": False}},
        "lab": {"module_calls": {}},
        **windows_base_state(server),
    }


def _filesystem(username: str, volumes: Sequence[str]) -> dict[str, Any]:
    """The directories every install has, keyed as filesystem.py keys them."""
    profile = f"C:\\Users\\{username}"
    paths = [*(f"{letter}:\\" for letter in volumes if letter != "C"),
             "C:\\", "C:\\Windows", "C:\\Windows\\System32", "C:\\Windows\\System32\\drivers",
             "C:\\Windows\\System32\\drivers\\etc", "C:\\Windows\\Temp", "C:\\ProgramData",
             "C:\\Program Files", "C:\\Program Files (x86)", "C:\\Users", "C:\\Users\\Public",
             profile, f"{profile}\\AppData", f"{profile}\\AppData\\Local",
             f"{profile}\\AppData\\Local\\Temp", f"{profile}\\Desktop"]
    hosts = (b"# Copyright (c) 1993-2009 Microsoft Corp.\r\n#\r\n"
             b"# localhost name resolution is handled within DNS itself.\r\n")
    etc_hosts = "C:\\Windows\\System32\\drivers\\etc\\hosts"
    return {
        "installed": utcnow().timestamp(),  # what filesystem.times gives the install's items
        "times": {},
        "dirs": {path_key(p): p for p in paths},
        "files": {path_key(etc_hosts): {"path": etc_hosts,
                                               "data": base64.b64encode(hosts).decode()}},
    }


def created_service_config() -> dict[str, Any]:
    """What CreateService gives a new service beyond what win_service sets.

    Only services created on the lab carry it: win_service_info reads a service in full
    only when the lab knows its whole configuration (see win_service_info.py).
    """
    return {"error_control": "normal", "ever_started": False}


def _service(display: str, state: str, start: str, path: str, *,
             user: str = "LocalSystem", depends: tuple[str, ...] = ()) -> dict[str, Any]:
    """One service as the service control manager knows it."""
    return {"display_name": display, "state": state, "start_mode": start, "path": path,
            "username": user, "description": display, "dependencies": list(depends),
            "desktop_interact": False}


def _services(server: bool) -> dict[str, Any]:
    """The services of a fresh install that the kit's roles and audit look at."""
    svchost = "C:\\Windows\\System32\\svchost.exe -k "
    return {
        "WinRM": _service("Windows Remote Management (WS-Management)", "running", "auto",
                          svchost + "NetworkService -p", user="NT AUTHORITY\\NetworkService",
                          depends=("RPCSS", "HTTP")),
        "WinDefend": _service("Microsoft Defender Antivirus Service", "running", "auto",
                              '"C:\\ProgramData\\Microsoft\\Windows Defender\\platform\\'
                              '4.18.26040.7-0\\MsMpEng.exe"', depends=("RpcSs",)),
        "W32Time": _service("Windows Time", "running", "manual", svchost + "LocalService",
                            user="NT AUTHORITY\\LocalService"),
        "mpssvc": _service("Windows Defender Firewall", "running", "auto",
                           svchost + "LocalServiceNoNetworkFirewall -p",
                           user="NT AUTHORITY\\LocalService", depends=("mpsdrv", "bfe")),
        "Spooler": _service("Print Spooler", "running", "auto",
                            "C:\\Windows\\System32\\spoolsv.exe", depends=("RPCSS", "http")),
        "EventLog": _service("Windows Event Log", "running", "auto",
                             svchost + "LocalServiceNetworkRestricted -p",
                             user="NT AUTHORITY\\LocalService"),
        "Schedule": _service("Task Scheduler", "running", "auto", svchost + "netsvcs -p"),
        "wuauserv": _service("Windows Update", "stopped", "manual", svchost + "netsvcs -p"),
        "BITS": _service("Background Intelligent Transfer Service", "stopped", "manual",
                         svchost + "netsvcs -p"),
        "TermService": _service("Remote Desktop Services", "running" if server else "stopped",
                                "manual", svchost + "NetworkService",
                                user="NT Authority\\NetworkService", depends=("RPCSS",)),
    }


def _packages() -> dict[str, Any]:
    """Installed MSI products: product code -> name, version, publisher."""
    return {
        "{5AF95FD8-1F70-4A6B-8B0C-A6DB2F3A5E4E}": {
            "name": "Microsoft Visual C++ 2015-2022 Redistributable (x64) - 14.38.33135",
            "version": "14.38.33135.0", "publisher": "Microsoft Corporation"},
        "{2BDA0F8E-1D8C-3F4B-9E66-1E6A4D7A9A11}": {
            "name": "Microsoft Edge", "version": "131.0.2903.70",
            "publisher": "Microsoft Corporation"},
    }


def _user(sid: str, full_name: str, description: str, enabled: bool) -> dict[str, Any]:
    """One local account."""
    return {"sid": sid, "full_name": full_name, "description": description,
            "enabled": enabled, "password": None, "password_never_expires": False,
            "user_cannot_change_password": False, "password_expired": False,
            "locked": False, "home_directory": None, "login_script": None, "profile": None}


def _users(machine_sid: str, username: str, server: bool) -> dict[str, Any]:
    """The built-in accounts and the account Ansible connects as (set up by the bootstrap)."""
    users = {
        "Administrator": _user(f"{machine_sid}-500", "",
                               "Built-in account for administering the computer/domain", server),
        "Guest": _user(f"{machine_sid}-501", "",
                       "Built-in account for guest access to the computer/domain", False),
        "DefaultAccount": _user(f"{machine_sid}-503", "",
                                "A user account managed by the system.", False),
        "WDAGUtilityAccount": _user(f"{machine_sid}-504", "",
                                    "A user account managed and used by the system for Windows"
                                    " Defender Application Guard scenarios.", False),
    }
    users[username] = _user(f"{machine_sid}-1000", "sitekit automation",
                            "WinRM account for sitekit", True)
    users[username]["password_never_expires"] = True
    return users


def _groups(username: str) -> dict[str, Any]:
    """The built-in local groups and their members."""
    def group(rid: int, description: str, members: list[str]) -> dict[str, Any]:
        return {"sid": f"S-1-5-32-{rid}", "description": description, "members": members}

    return {
        "Administrators": group(544, "Administrators have complete and unrestricted access to"
                                " the computer/domain", ["Administrator", username]),
        "Users": group(545, "Users are prevented from making accidental or intentional"
                       " system-wide changes and can run most applications", []),
        "Guests": group(546, "Guests have the same access as members of the Users group by"
                        " default, except for the Guest account", ["Guest"]),
        "Remote Desktop Users": group(555, "Members in this group are granted the right to"
                                      " logon remotely", []),
        "Remote Management Users": group(580, "Members of this group can access WMI resources"
                                         " over management protocols", []),
        "Backup Operators": group(551, "Backup Operators can override security restrictions"
                                  " for the sole purpose of backing up or restoring files", []),
        # The other built-in groups of a fresh install (Get-LocalGroup; Microsoft docs,
        # "Well-known SIDs"), found by SID whatever the host's language.
        "Power Users": group(547, "Power Users are included for backwards compatibility and"
                             " possess limited administrative powers", []),
        "Replicator": group(552, "Supports file replication in a domain", []),
        "Network Configuration Operators": group(
            556, "Members in this group can have some administrative privileges to manage"
            " configuration of networking features", []),
        "Performance Monitor Users": group(558, "Members of this group can access performance"
                                           " counter data locally and remotely", []),
        "Performance Log Users": group(
            559, "Members of this group may schedule logging of performance counters, enable"
            " trace providers, and collect event traces both locally and via remote access to"
            " this computer", []),
        "Distributed COM Users": group(562, "Members are allowed to launch, activate and use"
                                       " Distributed COM objects on this machine.", []),
        "IIS_IUSRS": group(568, "Built-in group used by Internet Information Services.", []),
        "Cryptographic Operators": group(569, "Members are authorized to perform cryptographic"
                                         " operations.", []),
        "Event Log Readers": group(573, "Members of this group can read event logs from local"
                                   " machine", []),
        "Hyper-V Administrators": group(578, "Members of this group have complete and"
                                        " unrestricted access to all features of Hyper-V.", []),
        "Access Control Assistance Operators": group(
            579, "Members of this group can remotely query authorization attributes and"
            " permissions for resources on this computer.", []),
        "System Managed Accounts Group": group(581, "Members of this group are managed by the"
                                               " system.", ["DefaultAccount"]),
        "Device Owners": group(583, "Members of this group can change system-wide settings.",
                               []),
    }


def _scheduled_tasks() -> dict[str, Any]:
    r"""Built-in scheduled tasks, keyed by path\\name."""
    def task(path: str, name: str, description: str) -> dict[str, Any]:
        return {"path": path, "name": name, "description": description, "enabled": True,
                "actions": [], "triggers": [], "username": "SYSTEM", "logon_type": None,
                "run_level": "highest", "state": "ready", "last_run_time": None}

    tasks = [task("\\Microsoft\\Windows\\Defrag\\", "ScheduledDefrag",
                  "This task optimizes local storage drives."),
             task("\\Microsoft\\Windows\\WindowsUpdate\\", "Scheduled Start",
                  "This task is used to start the Windows Update service when needed.")]
    return {f"{t['path']}{t['name']}": t for t in tasks}


def _registry(os_info: dict[str, Any]) -> dict[str, Any]:
    """Registry keys and values the modules and the audit read: key -> {name: {type, data}}."""
    def value(kind: str, data: Any) -> dict[str, Any]:
        return {"type": kind, "data": data}

    return {
        "HKLM:\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion": {
            "ProductName": value("string", os_info["product_name"]),
            "EditionID": value("string", os_info["edition"]),
            "CurrentBuild": value("string", str(os_info["build"])),
            "UBR": value("dword", os_info["ubr"]),
            "DisplayVersion": value("string", os_info["display_version"]),
            "InstallationType": value("string", os_info["installation_type"]),
        },
        "HKLM:\\SYSTEM\\CurrentControlSet\\Control\\TimeZoneInformation": {
            "TimeZoneKeyName": value("string", "UTC"),
        },
        "HKLM:\\SOFTWARE\\Policies\\Microsoft\\Windows Defender": {},
        "HKLM:\\SYSTEM\\CurrentControlSet\\Services\\W32Time\\Parameters": {
            "NtpServer": value("string", "time.windows.com,0x9"),
            "Type": value("string", "NTP"),
        },
        # The hives' standard keys every install has (their parents exist with them:
        # win_regedit.find_key); the user's environment as a new profile has it.
        **{key: {} for key in _STANDARD_KEYS},
        "HKCU:\\Environment": {
            "Path": value("expandstring",
                          "%USERPROFILE%\\AppData\\Local\\Microsoft\\WindowsApps;"),
            "TEMP": value("expandstring", "%USERPROFILE%\\AppData\\Local\\Temp"),
            "TMP": value("expandstring", "%USERPROFILE%\\AppData\\Local\\Temp"),
        },
    }


# Keys of a fresh install's hives (regedit on Windows Server 2022 / Windows 11): HKCR's
# file classes, HKU's default and service profiles, HKCC's current hardware profile.
_STANDARD_KEYS = (
    "HKLM:\\HARDWARE\\DESCRIPTION\\System", "HKLM:\\SAM", "HKLM:\\SECURITY",
    "HKLM:\\SOFTWARE\\Classes", "HKLM:\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run",
    "HKLM:\\SOFTWARE\\Policies", "HKLM:\\SYSTEM\\CurrentControlSet\\Control",
    "HKU:\\.DEFAULT\\Software", "HKU:\\S-1-5-18", "HKU:\\S-1-5-19", "HKU:\\S-1-5-20",
    "HKCR:\\*\\shellex", "HKCR:\\.txt", "HKCR:\\CLSID",
    "HKCU:\\Software\\Microsoft\\Windows\\CurrentVersion\\Run", "HKCU:\\Control Panel\\Desktop",
    "HKCC:\\Software", "HKCC:\\System\\CurrentControlSet",
)


def _features() -> dict[str, Any]:
    """Windows Server features: name -> display name and whether installed."""
    def feature(display: str, installed: bool, restart: bool = False) -> dict[str, Any]:
        return {"display_name": display, "installed": installed, "restart_needed": restart}

    return {
        "NET-Framework-45-Core": feature(".NET Framework 4.8", True),
        "PowerShellRoot": feature("Windows PowerShell", True),
        "Windows-Defender": feature("Microsoft Defender Antivirus", True),
        "FS-FileServer": feature("File Server", True),
        "Web-Server": feature("Web Server (IIS)", False),
        "SNMP-Service": feature("SNMP Service", False),
        "Telnet-Client": feature("Telnet Client", False),
        "Windows-Server-Backup": feature("Windows Server Backup", False),
        "Hyper-V": feature("Hyper-V", False, restart=True),
    }


def _updates(server: bool, now: dt.datetime) -> dict[str, Any]:
    """Installed and pending updates of the stated build."""
    def update(kb: str, title: str, category: str, reboot: bool) -> dict[str, Any]:
        return {"kb": [kb], "title": title, "categories": [category],
                "reboot_required": reboot, "id": f"lab-{kb.lower()}"}

    product = "Microsoft server operating system version 21H2" if server else \
        "Windows 11 Version 25H2"
    month = (now - dt.timedelta(days=40)).strftime("%Y-%m")
    return {
        "installed": [update("KB5041160", f"{month} Cumulative Update for {product} for"
                             " x64-based Systems (KB5041160)", "Security Updates", True)],
        "pending": [
            update("KB5044281", f"Cumulative Update for {product} for x64-based Systems"
                   " (KB5044281)", "Security Updates", True),
            update("KB890830", "Windows Malicious Software Removal Tool x64 (KB890830)",
                   "Update Rollups", False),
            update("KB2267602", "Security Intelligence Update for Microsoft Defender Antivirus"
                   " (KB2267602)", "Definition Updates", False),
        ],
    }


def _defender(now: dt.datetime) -> dict[str, Any]:
    """Defender status as Get-MpComputerStatus reports it."""
    return {
        "antivirus_enabled": True, "realtime_protection_enabled": True,
        # The newest platform and engine the example fleet's release table knows.
        "am_product_version": "4.18.26040.7", "am_engine_version": "1.1.26080.3",
        "antivirus_signature_version": "1.419.163.0",
        "antivirus_signature_last_updated": (now - dt.timedelta(hours=20)).isoformat(),
    }


AUTOLOGON_KEY = "HKLM:\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Winlogon\\AutoLogonChecked"


def reboot(state: dict[str, Any], now: dt.datetime | None = None) -> None:
    """Restart the machine: a pending rename takes effect, the boot time moves on.

    LogonUI recreates its volatile AutoLogonChecked key at the logon screen, which is
    what win_reboot waits for.
    """
    now = now or dt.datetime.now(dt.UTC).replace(microsecond=0)
    if state.get("pending_hostname"):
        state["hostname"] = state["pending_hostname"]
    state["pending_hostname"] = None
    state["reboot_pending"] = False
    # DISM finishes staged packages (win_hotfix) during the restart.
    hotfixes = state.get("hotfixes", {})
    for identifier, hotfix in list(hotfixes.items()):
        if hotfix["state"] == "InstallPending":
            hotfix["state"] = "Installed"
        elif hotfix["state"] == "UninstallPending":
            del hotfixes[identifier]
    previous = dt.datetime.fromisoformat(state["boot_time"])
    # Two reboots within a second must still show different boot times.
    state["boot_time"] = max(now, previous + dt.timedelta(seconds=1)).isoformat()
    state["registry"][AUTOLOGON_KEY] = {}
