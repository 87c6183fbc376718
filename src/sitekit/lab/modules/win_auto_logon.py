"""ansible.windows.win_auto_logon: automatic logon via the Winlogon key and LSA.

As the module does: AutoAdminLogon, DefaultUserName, DefaultDomainName and AutoLogonCount
under the Winlogon key, and the password in the LSA private store (never the registry's
DefaultPassword, which it removes). The lab keeps a salted hash of the password as the
LSA secret (state["lsa_secrets"]["DefaultPassword"]), so no password is ever stored.
"""

from __future__ import annotations

import hashlib
from typing import Any

from sitekit.lab.host import LabHost
from sitekit.lab.modules import ModuleFailedError, OptionSpec, register
from sitekit.lab.state import find, host_state

WINLOGON = "HKLM:\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Winlogon"
_VALUES = {"DefaultUserName": "username", "DefaultDomainName": "domain",
           "AutoLogonCount": "logon_count"}


def secret(state: dict[str, Any], password: str) -> str:
    """The LSA secret as the lab keeps it: a hash salted with the machine's SID."""
    return hashlib.sha256(f"{state['machine_sid']}:{password}".encode()).hexdigest()


def _account(state: dict[str, Any], username: str) -> tuple[str, str]:
    """(domain, user) of a local account, as NTAccount.Translate gives them."""
    name = username.split("\\", 1)[-1] if "\\" in username else username
    prefix = username.split("\\", 1)[0].lower() if "\\" in username else None
    found = find(state["users"], name)
    if found is None or prefix not in (None, ".", state["hostname"].lower()):
        raise ModuleFailedError(f"Failed to find a local or domain user with the name "
                                f"'{username}'")
    return state["hostname"], found


# The .ps1's spec marks password no_log, which its DOCUMENTATION does not say: declared
# again here so the lab masks it in the result's invocation as Ansible.Basic does.
_NO_LOG = (OptionSpec(name="password", type="str", no_log=True),)


@register("ansible.windows.win_auto_logon", supports_check_mode=True, hidden=_NO_LOG,
          implements=("logon_count", "state", "username"))
def win_auto_logon(host: LabHost, args: dict[str, Any], check_mode: bool,
                   diff: bool) -> dict[str, Any]:
    """Turn automatic logon on for an account, or off."""
    state = host_state(host)
    present = args["state"] == "present"
    if present:
        missing = [k for k in ("username", "password") if args[k] is None]
        if missing:
            raise ModuleFailedError(f"state is present but all of the following are missing: "
                                    f"{', '.join(missing)}")
    registry = state["registry"]
    key = find(registry, WINLOGON) or WINLOGON
    values = dict(registry.get(key, {}))
    auto = values.get("AutoAdminLogon", {}).get("data")
    before: dict[str, Any] = {"state": "present" if str(auto) == "1" else "absent"}
    for name, field in _VALUES.items():
        if name in values:
            before[field] = values[name]["data"]
    after: dict[str, Any] = {"state": args["state"]}
    wanted: dict[str, Any] = {}
    if present:
        domain, user = _account(state, args["username"])
        after |= {"username": user, "domain": domain}
        wanted = {"DefaultUserName": user, "DefaultDomainName": domain,
                  "AutoLogonCount": args["logon_count"]}
    changed = _set_values(values, before["state"] != args["state"], present, wanted)
    secrets = state.get("lsa_secrets", {})
    new_secret = secret(state, args["password"]) if present else None
    if secrets.get("DefaultPassword") != new_secret:
        changed = True
    if changed and not check_mode:
        registry[key] = values
        secrets = state.setdefault("lsa_secrets", {})
        if new_secret is None:
            secrets.pop("DefaultPassword", None)
        else:
            secrets["DefaultPassword"] = new_secret
    result: dict[str, Any] = {"changed": changed}
    if diff:
        result["diff"] = {"before": before, "after": after}
    return result


def _set_values(values: dict[str, Any], toggled: bool, present: bool,
                wanted: dict[str, Any]) -> bool:
    """Bring the Winlogon values to `wanted` (no DefaultPassword ever); tell if any changed."""
    changed = values.pop("DefaultPassword", None) is not None
    if toggled:
        values["AutoAdminLogon"] = {"type": "dword", "data": 1 if present else 0}
        changed = True
    for name in _VALUES:
        target = wanted.get(name)
        if values.get(name, {}).get("data") == target:
            continue
        changed = True
        if target is None:
            values.pop(name, None)
        else:
            values[name] = {"type": "dword" if name == "AutoLogonCount" else "string",
                            "data": target}
    return changed
