r"""Local account names as Windows resolves them: '.\\user', 'HOST\\user' and 'user' alike."""

from __future__ import annotations

from typing import Any

from sitekit.lab.modules import ModuleFailedError
from sitekit.lab.state import find

# Well-known principals a group may hold besides local accounts.
_WELL_KNOWN = ("NT AUTHORITY\\SYSTEM", "NT AUTHORITY\\NETWORK SERVICE",
               "NT AUTHORITY\\Authenticated Users", "NT AUTHORITY\\INTERACTIVE", "Everyone")


# Well-known SIDs a name may be given as (Microsoft docs, "Well-known SIDs"), by the name
# SecurityIdentifier.Translate gives them.
_WELL_KNOWN_SIDS = {"S-1-5-18": "NT AUTHORITY\\SYSTEM", "S-1-5-19": "NT AUTHORITY\\LOCAL SERVICE",
                    "S-1-5-20": "NT AUTHORITY\\NETWORK SERVICE",
                    "S-1-5-11": "NT AUTHORITY\\Authenticated Users",
                    "S-1-5-4": "NT AUTHORITY\\INTERACTIVE", "S-1-1-0": "Everyone"}


def resolve(state: dict[str, Any], name: str) -> str:
    """The canonical member name of an account, or a failure naming it as Windows would.

    As ConvertTo-SecurityIdentifier does, a SID string is taken first (S-1-5-32-547 is the
    local Power Users group whatever the host's language), then the name.
    """
    by_sid = _by_sid(state, name)
    if by_sid is not None:
        return by_sid
    sid = service_sid(name)
    if sid is not None:
        return _WELL_KNOWN_SIDS[sid]
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


def _by_sid(state: dict[str, Any], sid: str) -> str | None:
    """The account a SID string names: a local user or group, or a well-known principal."""
    if not sid.upper().startswith("S-1-"):
        return None
    for table in (state["users"], state["groups"]):
        key = next((k for k, v in table.items() if str(v.get("sid", "")).upper()
                    == sid.upper()), None)
        if key is not None:
            return key
    known = _WELL_KNOWN_SIDS.get(sid.upper())
    if known is None:
        # SecurityIdentifier.Translate of a SID no account has: IdentityNotMappedException.
        raise ModuleFailedError(f"account_name {sid} is not a valid account, cannot get SID")
    return known


def nt_account(state: dict[str, Any], name: str) -> str:
    r"""An account in the Netlogon form SID.Translate(NTAccount) gives.

    HOST\user, BUILTIN\Users, NT AUTHORITY\NETWORK SERVICE (however it was given:
    NetworkService, S-1-5-20, ...).
    """
    return qualified(state, resolve(state, name))


def qualified(state: dict[str, Any], member: str) -> str:
    r"""The member as the modules return it: HOST\\name for local accounts."""
    # The built-in groups' domain is BUILTIN (their SIDs are S-1-5-32-*), not the host's.
    if str(state["groups"].get(member, {}).get("sid", "")).startswith("S-1-5-32-"):
        return f"BUILTIN\\{member}"
    if member in state["users"] or member in state["groups"]:
        return f"{state['hostname']}\\{member}"
    return member


def local_group(state: dict[str, Any], name: str) -> str:
    """A group as win_user.ps1 takes its `groups`: a SID string first, else a name.

    New SecurityIdentifier($inputGroup), else NTAccount.Translate; either must then be a
    local group (Get-AnsibleLocalGroup -Sid), or "group '<name>' not found".
    """
    try:
        account = resolve(state, name)
    except ModuleFailedError:
        raise ModuleFailedError(f"group '{name}' not found") from None
    if account not in state["groups"]:
        raise ModuleFailedError(f"group '{name}' not found")
    return account


def group_of(state: dict[str, Any], name: str) -> str:
    """The key of an existing local group, or a failure."""
    key = find(state["groups"], name)
    if key is None:
        raise ModuleFailedError(f"group '{name}' not found")
    return key


# The service accounts' well-known SIDs, by the names NTAccount.Translate resolves for them
# (Microsoft docs, "Well-known SIDs"); Convert-ToSID also takes the SID itself.
# LSA also knows LocalService and NetworkService by their one-word names, the form the
# service control manager stores (WinRM's StartName is NT AUTHORITY\\NetworkService).
_SERVICE_SIDS = {"S-1-5-18": ("SYSTEM", "NT AUTHORITY\\SYSTEM"),
                 "S-1-5-19": ("LOCAL SERVICE", "NT AUTHORITY\\LOCAL SERVICE", "LOCALSERVICE",
                              "NT AUTHORITY\\LOCALSERVICE"),
                 "S-1-5-20": ("NETWORK SERVICE", "NT AUTHORITY\\NETWORK SERVICE",
                              "NETWORKSERVICE", "NT AUTHORITY\\NETWORKSERVICE")}


def service_sid(name: str) -> str | None:
    """The SID of SYSTEM, LOCAL SERVICE or NETWORK SERVICE by any of its names, else None."""
    for sid, names in _SERVICE_SIDS.items():
        if name.upper() == sid or name.upper() in names:
            return sid
    return None
