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
