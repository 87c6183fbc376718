"""What a fresh Windows has that the windows_base role changes, as installed.

Power plans, the local account policy and WinRM's own settings, seeded beside state.py's
install.

States seeded before these keys existed get them on first use (`ensure`), so an old lab
directory keeps working.
"""

from __future__ import annotations

from typing import Any

# The three power plans every install has (powercfg /list); Balanced is active.
BALANCED = "381b4222-f694-41f0-9685-ff5bb260df2e"
HIGH_PERFORMANCE = "8c5e7fda-e8bf-4a96-9a85-a6e23a8c635c"
POWER_SAVER = "a1841308-3541-4fab-bc81-f71556f20b4a"

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
    """The power plans and local account policy of a fresh install."""
    return {
        "power": {"active": BALANCED, "plans": {BALANCED: "Balanced",
                                                HIGH_PERFORMANCE: "High performance",
                                                POWER_SAVER: "Power saver"}},
        "account_policy": dict(_SERVER_POLICY if server else _CLIENT_POLICY),
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
