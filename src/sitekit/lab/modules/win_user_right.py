r"""ansible.windows.win_user_right: add, remove or set the accounts that hold a user right.

As win_user_right.ps1 does it through LSA: the accounts are resolved to SIDs first (a SID
string, then a name; "Failed to translate the account 'x' to a SID"), the right's holders
enumerated ("the specified right x is not a valid right" for a name LSA does not know),
and `added`/`removed` name accounts as SID.Translate gives them (BUILTIN\Administrators,
HOST\user). The diff shows the holders before and after, by name.

A fresh install's holders of each right are Windows' defaults for a stand-alone server
(Microsoft docs, "User Rights Assignment", each policy's "Default values" table). The lab
holds the rights below, whose defaults those tables give; any other valid right fails,
naming it, rather than inventing who holds it.
"""

from __future__ import annotations

from typing import Any

from sitekit.lab.host import LabHost
from sitekit.lab.modules import ModuleFailedError, register
from sitekit.lab.modules._accounts import qualified, resolve
from sitekit.lab.state import host_state

DEFAULT_HOLDERS: dict[str, tuple[str, ...]] = {
    "SeRemoteInteractiveLogonRight": ("Administrators", "Remote Desktop Users"),
    "SeBackupPrivilege": ("Administrators", "Backup Operators"),
    "SeRestorePrivilege": ("Administrators", "Backup Operators"),
    "SeDebugPrivilege": ("Administrators",),
    "SeTakeOwnershipPrivilege": ("Administrators",),
    "SeSecurityPrivilege": ("Administrators",),
    "SeDenyNetworkLogonRight": ("Guest",),
    "SeDenyInteractiveLogonRight": ("Guest",),
    "SeDenyRemoteInteractiveLogonRight": (),
    "SeDenyServiceLogonRight": (),
    "SeDenyBatchLogonRight": (),
}

# Every right and privilege LSA knows (winnt.h SE_*_NAME and ntsecapi.h's logon rights).
VALID_RIGHTS = frozenset({
    "SeAssignPrimaryTokenPrivilege", "SeAuditPrivilege", "SeBackupPrivilege",
    "SeBatchLogonRight", "SeChangeNotifyPrivilege", "SeCreateGlobalPrivilege",
    "SeCreatePagefilePrivilege", "SeCreatePermanentPrivilege", "SeCreateSymbolicLinkPrivilege",
    "SeCreateTokenPrivilege", "SeDebugPrivilege", "SeDelegateSessionUserImpersonatePrivilege",
    "SeDenyBatchLogonRight", "SeDenyInteractiveLogonRight", "SeDenyNetworkLogonRight",
    "SeDenyRemoteInteractiveLogonRight", "SeDenyServiceLogonRight", "SeEnableDelegationPrivilege",
    "SeImpersonatePrivilege", "SeIncreaseBasePriorityPrivilege", "SeIncreaseQuotaPrivilege",
    "SeIncreaseWorkingSetPrivilege", "SeInteractiveLogonRight", "SeLoadDriverPrivilege",
    "SeLockMemoryPrivilege", "SeMachineAccountPrivilege", "SeManageVolumePrivilege",
    "SeNetworkLogonRight", "SeProfileSingleProcessPrivilege", "SeRelabelPrivilege",
    "SeRemoteInteractiveLogonRight", "SeRemoteShutdownPrivilege", "SeRestorePrivilege",
    "SeSecurityPrivilege", "SeServiceLogonRight", "SeShutdownPrivilege",
    "SeSyncAgentPrivilege", "SeSystemEnvironmentPrivilege", "SeSystemProfilePrivilege",
    "SeSystemtimePrivilege", "SeTakeOwnershipPrivilege", "SeTcbPrivilege",
    "SeTimeZonePrivilege", "SeTrustedCredManAccessPrivilege", "SeUndockPrivilege",
})


def holders(state: dict[str, Any], right: str) -> list[str]:
    """The accounts holding a right (resolved names), the install's defaults until changed."""
    known = next((r for r in VALID_RIGHTS if r.lower() == right.lower()), None)
    if known is None:
        raise ModuleFailedError(f"the specified right {right} is not a valid right")
    rights = state.setdefault("user_rights", {})
    if known not in rights:
        if known not in DEFAULT_HOLDERS:
            raise ModuleFailedError(
                f"the sitekit lab does not model who holds {known} on a fresh install: model"
                " it in src/sitekit/lab/modules/win_user_right.py (DEFAULT_HOLDERS, from"
                " Microsoft's User Rights Assignment defaults)")
        rights[known] = list(DEFAULT_HOLDERS[known])
    return rights[known]  # type: ignore[no-any-return]


def _resolve(state: dict[str, Any], name: str) -> str:
    try:
        return resolve(state, name)
    except ModuleFailedError:
        raise ModuleFailedError(f"Failed to translate the account '{name}' to a SID") from None


@register("ansible.windows.win_user_right", supports_check_mode=True,
          implements=("name", "users", "action"))
def win_user_right(host: LabHost, args: dict[str, Any], check_mode: bool,
                   diff: bool) -> dict[str, Any]:
    """Grant or revoke the right; report who was added and removed."""
    state = host_state(host)
    wanted = list(dict.fromkeys(_resolve(state, name) for name in args["users"]))
    current = holders(state, args["name"])
    if args["action"] == "add":
        add, remove = [w for w in wanted if w not in current], []
    elif args["action"] == "remove":
        add, remove = [], [w for w in wanted if w in current]
    else:
        add = [w for w in wanted if w not in current]
        remove = [c for c in current if c not in wanted]
    after = [c for c in current if c not in remove] + add
    before_names = [qualified(state, c) for c in current]
    if not check_mode:
        current[:] = after
    result: dict[str, Any] = {
        "changed": bool(add or remove), "added": [qualified(state, a) for a in add],
        "removed": [qualified(state, r) for r in remove],
    }
    if diff:
        result["diff"] = {"before": {args["name"]: before_names},
                          "after": {args["name"]: [qualified(state, a) for a in after]}}
    return result
