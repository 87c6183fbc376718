r"""Local account names as Windows resolves them: '.\\user', 'HOST\\user' and 'user' alike."""

from __future__ import annotations

from typing import Any

from sitekit.lab.modules import ModuleFailedError
from sitekit.lab.state import find

# Well-known principals a group may hold besides local accounts.
_WELL_KNOWN = ("NT AUTHORITY\\SYSTEM", "NT AUTHORITY\\NETWORK SERVICE",
               "NT AUTHORITY\\Authenticated Users", "NT AUTHORITY\\INTERACTIVE", "Everyone")


def resolve(state: dict[str, Any], name: str) -> str:
    """The canonical member name of an account, or a failure naming it as Windows would."""
    local = name
    for prefix in (".\\", f"{state['hostname']}\\"):
        if local.lower().startswith(prefix.lower()):
            local = local[len(prefix):]
    for table in (state["users"], state["groups"]):
        key = find(table, local)
        if key is not None:
            return key
    known = next((w for w in _WELL_KNOWN if w.lower() == name.lower()), None)
    if known is None:
        raise ModuleFailedError(f"account_name {name} is not a valid account, cannot get SID")
    return known


def qualified(state: dict[str, Any], member: str) -> str:
    r"""The member as the modules return it: HOST\\name for local accounts."""
    if member in state["users"] or member in state["groups"]:
        return f"{state['hostname']}\\{member}"
    return member


def group_of(state: dict[str, Any], name: str) -> str:
    """The key of an existing local group, or a failure."""
    key = find(state["groups"], name)
    if key is None:
        raise ModuleFailedError(f"group '{name}' not found")
    return key


# The service accounts' well-known SIDs, by the names NTAccount.Translate resolves for them
# (Microsoft docs, "Well-known SIDs"); Convert-ToSID also takes the SID itself.
_SERVICE_SIDS = {"S-1-5-18": ("SYSTEM", "NT AUTHORITY\\SYSTEM"),
                 "S-1-5-19": ("LOCAL SERVICE", "NT AUTHORITY\\LOCAL SERVICE"),
                 "S-1-5-20": ("NETWORK SERVICE", "NT AUTHORITY\\NETWORK SERVICE")}


def service_sid(name: str) -> str | None:
    """The SID of SYSTEM, LOCAL SERVICE or NETWORK SERVICE by any of its names, else None."""
    for sid, names in _SERVICE_SIDS.items():
        if name.upper() == sid or name.upper() in names:
            return sid
    return None
