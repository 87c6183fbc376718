"""What a fresh Windows has and lacks, stated once, with where each fact comes from.

The lab's models read these facts instead of restating them, so a lab host refuses what a
new install would: a printer on a driver that is only in the driver store, a plan named in
the wrong language, a firewall turned on with no rule for the WinRM listener. Power plans,
printer drivers, volumes, the firewall's built-in rules, the local account policy and
WinRM's own settings; seeded beside state.py's install.

States seeded before these keys existed get them on first use (`ensure`), so an old lab
directory keeps working.
"""

from __future__ import annotations

from typing import Any

from sitekit.lab import auditpol

# The three power plans every install has (powercfg /list); Balanced is active. Their GUIDs
# are the same on every install and language, their names are localised ("Höchstleistung"
# on German Windows): GUID_TYPICAL_POWER_SAVINGS, GUID_MIN_POWER_SAVINGS and
# GUID_MAX_POWER_SAVINGS in https://learn.microsoft.com/en-us/windows/win32/power/power-policy-settings
BALANCED = "381b4222-f694-41f0-9685-ff5bb260df2e"
HIGH_PERFORMANCE = "8c5e7fda-e8bf-4a96-9a85-a6e23a8c635c"
POWER_SAVER = "a1841308-3541-4fab-bc81-f71556f20b4a"
POWER_PLANS = {BALANCED: "Balanced", HIGH_PERFORMANCE: "High performance",
               POWER_SAVER: "Power saver"}

# Printer drivers. Installed (Get-PrinterDriver on a fresh install): the ones Windows' own
# printers use. "Generic / Text Only" ships in the inbox driver store (prnge001.inf) but is
# not installed: Add-Printer with it fails ("The specified driver does not exist") until
# Add-PrinterDriver -Name installs it from the store.
# https://learn.microsoft.com/en-us/powershell/module/printmanagement/add-printerdriver
INSTALLED_PRINTER_DRIVERS = ("Microsoft Print To PDF", "Microsoft XPS Document Writer v4")
STORE_PRINTER_DRIVERS = ("Generic / Text Only", "Microsoft enhanced Point and Print "
                         "compatibility driver", "Microsoft PCL6 Class Driver",
                         "Microsoft PS Class Driver")

# Volumes: a default install on one disk has C: only (the recovery partition has no letter);
# a D: exists only where the site's hardware plan says so.
# https://learn.microsoft.com/en-us/windows-hardware/manufacture/desktop/configure-uefigpt-based-hard-drive-partitions
VOLUMES = ("C",)

# Firewall: every profile on, blocking unsolicited inbound traffic
# (https://learn.microsoft.com/en-us/windows/security/operating-system-security/network-security/windows-firewall/)
# and the built-in "Windows Remote Management" group holds HTTP-In (TCP 5985) rules only:
# a listener over HTTPS (5986) needs a rule someone creates
# (https://learn.microsoft.com/en-us/troubleshoot/windows-client/system-management-components/configure-winrm-for-https).
# name -> group, TCP port, enabled on a fresh server / a fresh client.
FIREWALL_RULES = {
    "Windows Remote Management (HTTP-In)": ("Windows Remote Management", "5985", True, False),
    "Remote Desktop - User Mode (TCP-In)": ("Remote Desktop", "3389", False, False),
    "File and Printer Sharing (SMB-In)": ("File and Printer Sharing", "445", False, False),
}
# What the WinRM bootstrap adds to reach a new host (the kit's bootstrap, as Ansible's
# "Windows Remote Management" set-up guide does it): an HTTPS listener and its rule.
WINRM_HTTPS_PORT = "5986"
BOOTSTRAP_FIREWALL_RULES = {
    "Windows Remote Management (HTTPS-In)": ("Windows Remote Management", WINRM_HTTPS_PORT,
                                             True, True),
}

# Windows Update classifications: the display names are localised ("Sicherheitsupdates"),
# the category IDs are not. WSUS Classification GUIDs:
# https://learn.microsoft.com/en-us/previous-versions/windows/desktop/ff357803(v=vs.85)
UPDATE_CLASSIFICATIONS = {
    "Security Updates": "0fa1201d-4330-4fa8-8ae9-b877473b6441",
    "Critical Updates": "e6cf1350-c01b-414d-a61f-263d14d133b4",
    "Definition Updates": "e0789628-ce08-4437-be74-2495b842f43b",
    "Update Rollups": "28bc880e-0592-4cbf-8f95-c79b17911d5f",
    "Updates": "cd5ffd1e-e932-4e3a-bf74-18bf0b1bbd83",
    "Feature Packs": "b54e7d24-7add-428f-8b75-90a396fa584f",
    "Service Packs": "68c5b0a3-d1a6-4553-ae49-01d3a7827828",
    "Tools": "b4832bd8-e735-4761-8daf-37f882276dab",
    "Upgrades": "3689bdc8-b205-4af4-8d4a-a63924c5e9d5",
}

# Built-in local groups: their SIDs are the same everywhere, their names are localised
# ("Administratoren", "Benutzer" on German Windows). Well-known SIDs:
# https://learn.microsoft.com/en-us/windows/win32/secauthz/well-known-sids
BUILTIN_GROUP_SIDS = {
    "Administrators": "S-1-5-32-544", "Users": "S-1-5-32-545", "Guests": "S-1-5-32-546",
    "Power Users": "S-1-5-32-547", "Backup Operators": "S-1-5-32-551",
    "Remote Desktop Users": "S-1-5-32-555", "Remote Management Users": "S-1-5-32-580",
}
# A new local account joins Users by itself (the SAM adds it when NetUserAdd, ADSI
# Create("User") or New-LocalUser creates it; lusrmgr.msc shows it under "Member of"), and
# adding it again fails with ERROR_MEMBER_IN_ALIAS (1378). Source: issue 19 (defect 11), as
# a real host behaves; Local Accounts:
# https://learn.microsoft.com/en-us/windows/security/identity-protection/access-control/local-accounts
NEW_USER_GROUP_SID = BUILTIN_GROUP_SIDS["Users"]

# The access rules of C:\ on a fresh install (icacls C:\), inherited by every folder created
# under it: every local user may read (Users: read and execute) and every signed-in user may
# create folders and change what they create (Authenticated Users: modify, inherit only).
# Source: `icacls C:\` on Windows Server 2022 and Windows 11 (no current Microsoft page lists
# it; the CREATOR OWNER and Authenticated Users "create folders" entries are left out).
SYSTEM_DRIVE_ACL = {"protected": True, "rules": [
    {"sid": "S-1-5-18", "rights": "FullControl", "type": "allow"},
    {"sid": "S-1-5-32-544", "rights": "FullControl", "type": "allow"},
    {"sid": "S-1-5-32-545", "rights": "ReadAndExecute", "type": "allow"},
    {"sid": "S-1-5-11", "rights": "Modify", "type": "allow"},
]}


def group_by_sid(groups: dict[str, Any], sid: str) -> str | None:
    """The local name of the group with this SID, in whatever language the host has."""
    return next((name for name, group in groups.items() if group.get("sid") == sid), None)


def firewall_seed(server: bool) -> dict[str, Any]:
    """Firewall profiles and rules of a fresh install after the WinRM bootstrap."""
    def rule(display: str, group: str, port: str, enabled: bool) -> dict[str, Any]:
        return {"name": display, "description": display, "group": group, "direction": "in",
                "action": "allow", "protocol": "tcp", "localport": port, "remoteport": "any",
                "localip": "any", "remoteip": "any", "program": "System", "service": "any",
                "profiles": ["domain", "private", "public"], "enabled": enabled,
                "icmp_type_code": None}

    rules = FIREWALL_RULES | BOOTSTRAP_FIREWALL_RULES
    return {
        "profiles": {p: {"enabled": True, "inbound": "block", "outbound": "allow"}
                     for p in ("Domain", "Private", "Public")},
        "rules": {name: rule(name, group, port, on_server if server else on_client)
                  for name, (group, port, on_server, on_client) in rules.items()},
    }

# secedit /export [System Access] of a workgroup install. Windows Server 2022 ships
# complexity on and no lockout; Windows 11 22H2 and later ship a lockout of 10 failed
# logons for 10 minutes and complexity off. Neither meets PCI DSS 8.3.4 / 8.3.6.
_SERVER_POLICY = {"MinimumPasswordAge": 0, "MaximumPasswordAge": 42, "MinimumPasswordLength": 0,
                  "PasswordComplexity": 1, "PasswordHistorySize": 0, "LockoutBadCount": 0,
                  "LockoutDuration": 30, "ResetLockoutCount": 30}
_CLIENT_POLICY = _SERVER_POLICY | {"PasswordComplexity": 0, "LockoutBadCount": 10,
                                   "LockoutDuration": 10, "ResetLockoutCount": 10}
# WinRM's own configuration (winrm get winrm/config) as the WinRM bootstrap leaves it:
# Basic authentication allowed over HTTPS, no policy keys yet.
_WSMAN = "HKLM:\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\WSMAN"


def windows_base_state(server: bool) -> dict[str, Any]:
    """The power plans, local account policy and audit policy of a fresh install."""
    return {
        "power": {"active": BALANCED, "plans": dict(POWER_PLANS)},
        "account_policy": dict(_SERVER_POLICY if server else _CLIENT_POLICY),
        "audit_policy": auditpol.seed(),
    }


def windows_base_registry() -> dict[str, Any]:
    """Registry keys of a fresh install that the role's policy values override."""
    def dword(data: int) -> dict[str, Any]:
        return {"type": "dword", "data": data}

    return {
        f"{_WSMAN}\\Service": {"auth_basic": dword(1), "allow_unencrypted": dword(0)},
        f"{_WSMAN}\\Client": {"auth_basic": dword(1), "allow_unencrypted": dword(0)},
    }


def ensure(state: dict[str, Any]) -> dict[str, Any]:
    """Add what windows_base_state seeds to a state seeded before it existed; return it."""
    for key, value in windows_base_state(state.get("kind", "server") == "server").items():
        state.setdefault(key, value)
    return state
