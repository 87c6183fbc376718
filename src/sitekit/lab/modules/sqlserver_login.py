"""lowlydba.sqlserver.login: SQL Server logins; Windows logins need the Windows account."""

from __future__ import annotations

from typing import Any

from sitekit.lab import sqlserver
from sitekit.lab.host import LabHost
from sitekit.lab.modules import ModuleFailedError, register
from sitekit.lab.state import find, host_state


def windows_account_exists(host: LabHost, login: str) -> bool:
    r"""Whether DOMAIN\name resolves: a service's virtual account, a local user or group."""
    domain, _, name = login.rpartition("\\")
    state = host_state(host)
    domain = domain.upper()
    if domain == "NT SERVICE":
        return find(state["services"], name) is not None
    if domain in ("NT AUTHORITY",):
        return name.upper() in ("SYSTEM", "NETWORK SERVICE", "LOCAL SERVICE")
    if domain == "BUILTIN":
        return find(state["groups"], name) is not None
    return find(state["users"], name) is not None or find(state["groups"], name) is not None


@register("lowlydba.sqlserver.login", supports_check_mode=True,
          implements=("login", "password", "enabled", "default_database", "skip_password_reset",
                      "state", "sql_instance", "sql_username"))
def login(host: LabHost, args: dict[str, Any], check_mode: bool, diff: bool) -> dict[str, Any]:
    """Create, change or drop a login."""
    sqlserver.require_dbatools(host, "lowlydba.sqlserver.login")
    instance = sqlserver.connect(host, args["sql_instance"], args["sql_username"])
    sqlserver.require_trusted_certificate(host, instance, "Configuring login failed: {error} ; ")
    logins = instance.setdefault("logins", {})
    name = find(logins, args["login"])
    if args["state"] == "absent":
        if name is not None and not check_mode:
            del logins[name]
        return {"changed": name is not None}
    windows = "\\" in args["login"]
    if name is None:
        if windows and args["password"] is not None:
            raise ModuleFailedError(f"Creating login [{args['login']}] failed: a Windows login"
                                    " takes no password")
        if not windows and args["password"] is None:
            raise ModuleFailedError(f"Creating login [{args['login']}] failed: a SQL login "
                                    "needs a password")
        if windows and not check_mode and not windows_account_exists(host, args["login"]):
            raise ModuleFailedError(
                f"Creating login [{args['login']}] failed: Windows NT user or group "
                f"'{args['login']}' not found. Check the name again.")
        wanted = {"type": "windows" if windows else "sql", "enabled": args["enabled"],
                  "default_database": args["default_database"] or "master"}
        if not check_mode:
            logins[args["login"]] = wanted
        result: dict[str, Any] = {"changed": True}
        if diff:
            result["diff"] = {"before": {}, "after": {args["login"]: wanted}}
        return result
    current = logins[name]
    changed = current["enabled"] != args["enabled"] or (
        args["password"] is not None and not args["skip_password_reset"])
    if changed and not check_mode:
        current["enabled"] = args["enabled"]
        if args["default_database"]:
            current["default_database"] = args["default_database"]
    return {"changed": changed, "data": {"Name": name, "IsDisabled": not current["enabled"],
                                         "DefaultDatabase": current["default_database"]}}
