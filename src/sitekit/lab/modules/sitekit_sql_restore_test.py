"""sitekit_sql_restore_test (plugins/modules): prove the newest backup chain restores.

Runs the db_backup role's job in restore-test mode (the lab's model of it) unless every
database passed a restore test within max_age_hours.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sitekit.lab import backupjob, filesystem, sqlbackup
from sitekit.lab.host import LabHost
from sitekit.lab.modules import ModuleFailedError, register
from sitekit.lab.modules._common import utcnow
from sitekit.lab.state import host_state


@register("ansible.legacy.sitekit_sql_restore_test", supports_check_mode=True,
          implements=("script", "settings", "max_age_hours"))
def sitekit_sql_restore_test(host: LabHost, args: dict[str, Any], check_mode: bool,
                             diff: bool) -> dict[str, Any]:
    """Restore each database's newest chain to a scratch database unless tested recently."""
    host_state(host)
    if not (filesystem.is_file(host, args["script"]) and
            filesystem.is_file(host, args["settings"])):
        if check_mode:
            return {"changed": True, "restore_tests": []}
        raise ModuleFailedError(f"the backup job {args['script']} or its settings"
                                f" {args['settings']} do not exist: deploy them first")
    host = sqlbackup.looked_at(host, check_mode)
    now = utcnow()
    try:
        settings = sqlbackup.read_settings(host, args["settings"])
        sql = sqlbackup.target_instance(host.state, settings)
        untested = []
        for name in settings["databases"]:
            db, _ = sqlbackup.target_database(sql, name)
            passed = [t for t in sql.get("restore_tests", []) if t["database"].lower() ==
                      db.lower() and t["result"] == "passed" and now -
                      dt.datetime.fromisoformat(t["finished"]) <=
                      dt.timedelta(hours=args["max_age_hours"])]
            if not passed or args["max_age_hours"] == 0:
                untested.append(db)
        if check_mode or not untested:
            return {"changed": bool(untested), "restore_tests": []}
        tests = sqlbackup.restore_test(host, settings | {"databases": untested}, now,
                                       "sitekit_sql_restore_test",
                                       job=backupjob.read(host, args["script"]))
    except sqlbackup.BackupError as exc:
        raise ModuleFailedError(str(exc)) from None
    # The module runs the job and fails on its exit code, as sitekit_sql_restore_test.ps1 does.
    failed = sqlbackup.restore_test_failure(tests, backupjob.read(host, args["script"]))
    if failed:
        raise ModuleFailedError(f"{failed} (exit code 1)", changed=True, restore_tests=tests)
    return {"changed": True, "restore_tests": tests}
