"""lowlydba.sqlserver.database: create, configure or drop a user database.

Modelled on the module's own flow, including how it fails: in check mode a database that
does not exist yet has no recovery model to compare, so asking for one fails
("Setting recovery model for [db] failed.") as the real module does; and an owner must
be an existing login.
"""

from __future__ import annotations

from typing import Any

from sitekit.lab import filesystem, sqlserver
from sitekit.lab.host import LabHost
from sitekit.lab.modules import ModuleFailedError, register
from sitekit.lab.state import find

_RECOVERY = {"full": "FULL", "simple": "SIMPLE", "bulklogged": "BULK_LOGGED"}
_DBATOOLS_RECOVERY = {"FULL": "Full", "SIMPLE": "Simple", "BULK_LOGGED": "BulkLogged"}


def _data(name: str, database: dict[str, Any]) -> dict[str, Any]:
    """The module's `data`: what Get-DbaDatabase shows."""
    return {"Name": name, "Status": "Normal", "IsAccessible": True,
            "RecoveryModel": _DBATOOLS_RECOVERY[database["recovery_model"]],
            "Owner": database["owner"], "SizeMB": database["data_size_mb"] +
            database["log_size_mb"], "Compatibility": "Version160",
            "DataFile": database["data_file"], "LogFile": database["log_file"]}


def _check_owner(host: LabHost, instance: dict[str, Any], owner: str, database: str) -> None:
    """An owner must be a login of the instance (sa or a Windows login)."""
    known = owner.lower() in ("sa", sqlserver.login_name(host).lower()) or \
        find(instance.get("logins", {}), owner) is not None
    if not known:
        raise ModuleFailedError(f"Creating database [{database}] failed.",
                                exception=f"The login '{owner}' does not exist on this "
                                          "instance.")


@register("lowlydba.sqlserver.database", supports_check_mode=True,
          implements=("database", "recovery_model", "data_file_path", "log_file_path", "owner",
                      "state", "sql_instance", "sql_username"))
def database(host: LabHost, args: dict[str, Any], check_mode: bool,
             diff: bool) -> dict[str, Any]:
    """Bring a database to its state: exists, owner, recovery model."""
    sqlserver.require_dbatools(host, "lowlydba.sqlserver.database")
    instance = sqlserver.connect(host, args["sql_instance"], args["sql_username"])
    sqlserver.require_trusted_certificate(host, instance, "Error checking database status.")
    databases = instance["databases"]
    name = find(databases, args["database"])
    if args["state"] == "absent":
        if name is not None and not check_mode:
            del databases[name]
        return {"changed": name is not None}
    changed = False
    before = None if name is None else dict(databases[name])
    if name is None:
        owner = args["owner"] or sqlserver.login_name(host)
        _check_owner(host, instance, owner, args["database"])
        for folder in (args["data_file_path"], args["log_file_path"]):
            if folder and not filesystem.is_dir(host, folder):
                raise ModuleFailedError(f"Creating database [{args['database']}] failed.",
                                        exception=f"Directory lookup for the file "
                                                  f"\"{folder}\" failed.")
        changed = True
        if check_mode:
            if args["recovery_model"] is not None:
                raise ModuleFailedError(f"Setting recovery model for [{args['database']}] "
                                        "failed.")
            return {"changed": True}
        name = args["database"]
        databases[name] = sqlserver.new_database(instance, name, args["data_file_path"],
                                                 args["log_file_path"], owner)
    current = databases[name]
    wanted = dict(current)
    if args["owner"] is not None and current["owner"].lower() != args["owner"].lower():
        _check_owner(host, instance, args["owner"], name)
        wanted["owner"], changed = args["owner"], True
    if args["recovery_model"] is not None and \
            _RECOVERY[args["recovery_model"].lower()] != current["recovery_model"]:
        wanted["recovery_model"], changed = _RECOVERY[args["recovery_model"].lower()], True
    if not check_mode:
        databases[name] = wanted
    result: dict[str, Any] = {"changed": changed}
    if not check_mode:
        result["data"] = _data(name, wanted)
    if diff and changed:
        result["diff"] = {"before": before or {}, "after": wanted}
    return result
