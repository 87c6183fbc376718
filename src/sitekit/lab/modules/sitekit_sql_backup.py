"""sitekit_sql_backup (plugins/modules): make sure each database has a recent verified backup.

Runs the db_backup role's job on demand (the lab's model of it, sitekit.lab.sqlbackup)
when the newest verified backup of the type is older than max_age_hours, or copies it
again when its copy on the second target is missing; otherwise changes nothing.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sitekit.lab import backupjob, filesystem, sqlbackup
from sitekit.lab.host import LabHost
from sitekit.lab.modules import ModuleFailedError, register
from sitekit.lab.modules._common import utcnow
from sitekit.lab.state import host_state


def _deployed(host: LabHost, args: dict[str, Any]) -> bool:
    return filesystem.is_file(host, args["script"]) and filesystem.is_file(host, args["settings"])


@register("ansible.legacy.sitekit_sql_backup", supports_check_mode=True,
          implements=("script", "settings", "type", "max_age_hours"))
def sitekit_sql_backup(host: LabHost, args: dict[str, Any], check_mode: bool,
                       diff: bool) -> dict[str, Any]:
    """Back up the databases whose newest verified backup is too old; re-copy lost copies."""
    host_state(host)
    if not _deployed(host, args):
        if check_mode:  # the role's earlier tasks would deploy the job
            return {"changed": True, "backups": [], "copied": [], "deleted": [],
                    "msg": "the backup job is not deployed yet: it would run after deployment"}
        raise ModuleFailedError(f"the backup job {args['script']} or its settings"
                                f" {args['settings']} do not exist: deploy them first")
    host = sqlbackup.looked_at(host, check_mode)
    now = utcnow()
    try:
        settings = sqlbackup.read_settings(host, args["settings"])
        sql = sqlbackup.target_instance(host.state, settings)
        stale, uncopied = [], []
        for name in settings["databases"]:
            db, _ = sqlbackup.target_database(sql, name)
            last = sqlbackup.newest(sql, db, args["type"])
            fresh = last is not None and now - dt.datetime.fromisoformat(last["finished"]) <= \
                dt.timedelta(hours=args["max_age_hours"]) and args["max_age_hours"] > 0
            if not fresh:
                stale.append(db)
            elif last is not None and settings.get("copy_dir") and not (
                    last["copy_path"] and filesystem.is_file(host, last["copy_path"])):
                uncopied.append(last)
        result: dict[str, Any] = {"changed": bool(stale or uncopied), "backups": [],
                                  "copied": [], "deleted": []}
        if check_mode or not result["changed"]:
            return result
        result["copied"] = [sqlbackup.copy_missing(host, settings, entry) for entry in uncopied]
        if stale:
            run = sqlbackup.run_job(host, settings | {"databases": stale}, args["type"], now,
                                    "sitekit_sql_backup",
                                    script=backupjob.read(host, args["script"]))
            result["backups"] = run["backups"]
            result["deleted"] = [entry["path"] for entry in run["deleted"]]
    except sqlbackup.BackupError as exc:
        raise ModuleFailedError(str(exc)) from None
    return result
