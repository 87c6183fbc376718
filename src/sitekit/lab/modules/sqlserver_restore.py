"""lowlydba.sqlserver.restore: restore a database from a full backup file (Restore-DbaDatabase).

Modelled for what the rollout needs: one full backup that the db_backup job took (the lab
knows what each holds), restored over the database WITH REPLACE. As dbatools does, an
existing database is not overwritten without with_replace, and a file that is no backup
fails ("Error restoring database: ..."). In check mode (-WhatIf) nothing is restored.
"""

from __future__ import annotations

from typing import Any

from sitekit.lab import filesystem, sqlbackup, sqlserver
from sitekit.lab.host import LabHost
from sitekit.lab.modules import ModuleFailedError, register
from sitekit.lab.state import find


@register("lowlydba.sqlserver.restore", supports_check_mode=True,
          implements=("database", "path", "with_replace", "sql_instance", "sql_username"))
def restore(host: LabHost, args: dict[str, Any], check_mode: bool,
            diff: bool) -> dict[str, Any]:
    """Restore `database` from the full backup at `path`."""
    sqlserver.require_dbatools(host, "lowlydba.sqlserver.restore")
    instance = sqlserver.connect(host, args["sql_instance"], args["sql_username"])
    path, name = args["path"], args["database"]
    if not name:
        raise ModuleFailedError("the sitekit lab models lowlydba.sqlserver.restore with "
                                "database set only")
    saved = instance.get("lab_backup_content", {}).get(path.lower())
    if saved is None or not filesystem.is_file(host, path):
        raise ModuleFailedError(f"Error restoring database: No backups passed through. This "
                                f"could mean the SQL instance cannot see the referenced files "
                                f"({path}), or no backups are in it.")
    databases = instance["databases"]
    key = find(databases, name)
    if key is not None and not args["with_replace"]:
        raise ModuleFailedError(f"Error restoring database: Database {name} exists, so "
                                "WithReplace must be specified.")
    if not check_mode:
        target = databases[key] if key is not None else sqlserver.new_database(
            instance, name, None, None, sqlserver.login_name(host))
        for field in sqlbackup.CONTENT:
            target.pop(field, None)
        target.update(sqlbackup.content(saved))
        databases[key or name] = target
    return {"changed": True, "data": {"Database": name, "BackupFile": path,
                                      "RestoreComplete": not check_mode}}
