"""sitekit_sql_backup_info (plugins/modules): an instance's databases and backup history."""

from __future__ import annotations

from typing import Any

from sitekit.lab import filesystem, sqlbackup, sqlserver
from sitekit.lab.host import LabHost
from sitekit.lab.modules import ModuleFailedError, register
from sitekit.lab.state import host_state


def _when(entry: dict[str, Any] | None) -> str | None:
    return entry["finished"] if entry else None


@register("ansible.legacy.sitekit_sql_backup_info", supports_check_mode=True,
          implements=("instance", "service", "server", "databases", "settings"))
def sitekit_sql_backup_info(host: LabHost, args: dict[str, Any], check_mode: bool,
                            diff: bool) -> dict[str, Any]:
    """Report the instance, the named (or all) databases and their last backups."""
    host_state(host)
    # Reading is no change: the scheduled runs since the last look are caught up, in
    # check mode on a copy.
    host = sqlbackup.looked_at(host, check_mode)
    sql = sqlbackup.instance(host.state, args["instance"])
    # Get-Service -Name <service>: no such service, no instance (the module's answer).
    if sql is None or sql["service"].upper() != args["service"].upper():
        return {"changed": False, "instance": None, "databases": {}}
    try:
        sqlserver.connect(host, args["server"])
    except ModuleFailedError as exc:
        raise ModuleFailedError(f"cannot query SQL Server instance {args['instance']}: "
                                f"{exc.msg}") from exc
    names = args["databases"] or list(sql.get("databases") or {})
    # The job's history (verified backups, restore tests) is found through its settings
    # file; without one, or with a path that is not there, the module reads none.
    history = bool(args["settings"]) and filesystem.is_file(host, args["settings"])
    databases: dict[str, Any] = {}
    for name in names:
        found = sqlbackup.database(sql, name)
        if found is None:
            databases[name] = {"exists": False}
            continue
        db, db_state = found
        tests = [t for t in sql.get("restore_tests", []) if t["database"].lower() == db.lower()
                 ] if history else []
        full = sqlbackup.newest(sql, db, "full") if history else None
        databases[db] = {
            "exists": True,
            "recovery_model": db_state.get("recovery_model"),
            "last_full": _when(sqlbackup.newest(sql, db, "full", verified=False)),
            "last_verified_full": full,
            "last_differential": _when(sqlbackup.newest(sql, db, "differential", False)),
            "last_log": _when(sqlbackup.newest(sql, db, "log", verified=False)),
            "backup_count": len(sqlbackup.backups_of(sql, db)),
            "last_restore_test": tests[-1] if tests else None,
        }
    return {"changed": False, "databases": databases,
            "instance": {k: sql.get(k) for k in ("name", "version", "edition", "service",
                                                 "backup_dir")}}
