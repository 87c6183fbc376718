"""SQL Server backups in the lab: the db_backup role's job, its schedule and its faults.

The role deploys a PowerShell job (Invoke-SitekitBackup.ps1) with a JSON settings file
and registers one scheduled task per job type. This module models that job: a run
backs up every database in the settings WITH CHECKSUM, verifies the backup (RESTORE
VERIFYONLY), copies it to the second target and applies the retention rule of
sitekit.backup.retention (the same rule the PowerShell job implements); a restore-test
run restores the newest chain to a scratch database, runs DBCC CHECKDB and drops it.

Time passes in the lab as on the controller's clock. `catch_up` derives the backup
history from the schedule (sitekit.lab.scheduler: each enabled task runs once at the last
time its triggers fired since it last ran, as the Task Scheduler starts a missed task
once). Readers of the backup history (the db_backup modules, the audit) call `catch_up`
first.

What a run returns and records depends on the job as deployed (sitekit.lab.backupjob
reads its text): a job that logs to the success stream exits 1 after a passing restore
test; runs that start in the same second run together, and unless the job saves its
history under its mutex the run that writes last loses the others' entries; a backup
counts as verified only when it was taken WITH CHECKSUM and verified WITH CHECKSUM.

State: state["sql_instances"][<instance>]["backups"] entries {"database", "type"
(full | differential | log), "path", "copy_path", "started", "finished", "checksum",
"verified", "size_mb", "first_lsn", "last_lsn", "checkpoint_lsn", "database_backup_lsn",
"origin"} (the database keeps its own LSNs: "next_lsn", "differential_base_lsn",
"log_chain_lsn") and
["restore_tests"] entries {"database", "backup_path", "chain", "scratch_database",
"finished", "result" (passed | failed), "message"}.

Faults: `failed-backup` (on injection the history is cut back so the last good backup
is 8 days old; while it lasts every backup fails, scheduled or on demand) and
`disk-full` (writing the backup file fails, as does restoring a scratch database).
"""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import json
import ntpath
import shlex
from typing import Any

from sitekit import timestamps
from sitekit.backup.retention import expired
from sitekit.lab import backupjob, filesystem, jobmetrics, scheduler
from sitekit.lab.backupjob import JobTraits
from sitekit.lab.clock import utcnow
from sitekit.lab.host import LabHost
from sitekit.lab.state import find

SCRIPT_NAME = "Invoke-SitekitBackup.ps1"
# The job's -Type -> its kind, in the order runs due at the same time go (a log backup
# needs a full before it; the restore test and the integrity check read what is there).
JOB_TYPES = {"full": "full", "differential": "differential", "log": "log",
             "restoretest": "restore_test", "integrity": "integrity"}
EXTENSIONS = {"full": "bak", "differential": "dif", "log": "trn"}
FAILED_BACKUP_AGE = dt.timedelta(days=8)


class BackupError(Exception):
    """A backup job or restore test failed; the message is what the job reports."""


# -- the SQL Server state (pos_server's sqlserver model keeps the instances) --------------

def instance(state: dict[str, Any], name: str) -> dict[str, Any] | None:
    """An instance by name (case-insensitive), or None."""
    instances = state.get("sql_instances") or {}
    key = find(instances, name)
    return instances[key] if key is not None else None


def database(sql: dict[str, Any], name: str) -> tuple[str, dict[str, Any]] | None:
    """A database of an instance as (its spelling, its state), or None."""
    key = find(sql.get("databases") or {}, name)
    return (key, sql["databases"][key]) if key is not None else None


def _when(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value)


def backups_of(sql: dict[str, Any], db: str, kind: str | None = None) -> list[dict[str, Any]]:
    """A database's backups, oldest first; of one type when `kind` is given."""
    return sorted((b for b in sql.setdefault("backups", [])
                   if b["database"].lower() == db.lower() and kind in (None, b["type"])),
                  key=lambda b: b["finished"])


def newest(sql: dict[str, Any], db: str, kind: str,
           verified: bool = True) -> dict[str, Any] | None:
    """The newest backup of a type (verified ones only, unless told otherwise)."""
    found = [b for b in backups_of(sql, db, kind) if b["verified"] or not verified]
    return found[-1] if found else None


def chain(sql: dict[str, Any], db: str) -> list[dict[str, Any]]:
    """The newest restore chain by LSN, as msdb relates backups.

    The newest verified full; the newest verified differential whose database_backup_lsn
    is that full's checkpoint_lsn; then the log backup holding the base's last LSN
    (first_lsn <= last_lsn < its last_lsn) and each one starting where the previous ended
    ("Introduction to Log Sequence Numbers", "Apply Transaction Log Backups", Microsoft docs).
    """
    full = newest(sql, db, "full")
    if full is None:
        return []
    mine = backups_of(sql, db)
    diffs = [b for b in mine if b["type"] == "differential" and b["verified"] and
             b.get("database_backup_lsn") == full.get("checkpoint_lsn")]
    base = max(diffs, key=lambda b: b["last_lsn"]) if diffs else full
    logs = [b for b in mine if b["type"] == "log"]
    links = [full, *([base] if diffs else [])]
    follows = next((b for b in logs if b["first_lsn"] <= base["last_lsn"] < b["last_lsn"]), None)
    while follows is not None:
        links.append(follows)
        follows = next((b for b in logs if b["first_lsn"] == follows["last_lsn"]), None)
    return links


def chain_by_time(sql: dict[str, Any], db: str) -> list[dict[str, Any]]:
    """The chain a job that goes by time picks (issue 19, defect 16).

    The newest verified full, the newest verified differential finished after it, every
    log finished after that: a lost or out-of-band full pairs a differential with the
    wrong full.
    """
    full = newest(sql, db, "full")
    if full is None:
        return []
    after = [b for b in backups_of(sql, db) if b["finished"] > full["finished"]]
    diffs = [b for b in after if b["type"] == "differential" and b["verified"]]
    base = diffs[-1] if diffs else full
    logs = [b for b in after if b["type"] == "log" and b["finished"] > base["finished"]]
    return [full, *(diffs[-1:]), *logs]


def restore_error(links: list[dict[str, Any]], scratch: str) -> str:
    """What RESTORE says about a chain SQL Server cannot apply in order ("" when it can)."""
    base = links[0]
    for link in links[1:]:
        if link["type"] == "differential" and \
                link.get("database_backup_lsn") != base.get("checkpoint_lsn"):
            return f"RESTORE DATABASE [{scratch}] failed: Msg 3136, This differential backup" \
                " cannot be restored because the database has not been restored to the" \
                " correct earlier state."
        if link["type"] == "log" and not link["first_lsn"] <= base["last_lsn"] < \
                link["last_lsn"] and not (base["type"] == "log" and
                                          link["first_lsn"] == base["last_lsn"]):
            return f"RESTORE LOG [{scratch}] failed: Msg 4305, The log in this backup set" \
                f" begins at LSN {link['first_lsn']}, which is too recent to apply to the" \
                f" database. An earlier log backup that includes LSN {base['last_lsn']} can" \
                " be restored."
        base = link
    return ""


# -- the job's settings (templated by the role beside the script) -------------------------

def read_settings(host: LabHost, path: str) -> dict[str, Any]:
    """The job's JSON settings file on the host."""
    try:
        settings = json.loads(filesystem.read_file(host, path).decode("utf-8-sig"))
    except FileNotFoundError:
        raise BackupError(f"the backup settings file {path} does not exist: run the"
                          " db_backup role to deploy it") from None
    except ValueError as exc:
        raise BackupError(f"the backup settings file {path} is not valid JSON: {exc}") from None
    for key in ("instance", "databases", "backup_dir", "retention_days"):
        if key not in settings:
            raise BackupError(f"the backup settings file {path} has no {key}")
    return settings


def target_instance(state: dict[str, Any], settings: dict[str, Any]) -> dict[str, Any]:
    """The settings' instance; a missing one fails as connecting to it would."""
    sql = instance(state, settings["instance"])
    if sql is None:
        raise BackupError(f"Cannot connect to SQL Server instance {settings['instance']}: it is"
                          " not installed on this host. Run the pos_server role first.")
    return sql


def target_database(sql: dict[str, Any], name: str) -> tuple[str, dict[str, Any]]:
    """A database to back up as (its spelling, its state); a missing one fails."""
    found = database(sql, name)
    if found is None:
        raise BackupError(f"Database '{name}' does not exist on instance {sql['name']}. Create"
                          " it with the pos_server role, or remove it from"
                          " db_backup_databases.")
    return found


# -- one run of the job --------------------------------------------------------------------

def _write(host: LabHost, path: str, data: bytes) -> None:
    """Write a file, creating its folder; a full disk fails the way BACKUP reports it."""
    filesystem.make_dirs(host, ntpath.dirname(path))
    try:
        filesystem.write_file(host, path, data)
    except OSError as exc:
        raise BackupError(f"Write on '{path}' failed: {exc} BACKUP is terminating abnormally."
                          " Free space on the backup volume (or point db_backup_dir at another"
                          " one), then run the backup again.") from None


def _stamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def _next_lsn(sql: dict[str, Any], db: str) -> int:
    """The database's next LSN, kept on the database, not read from the history.

    The history can lose entries; a state from before the LSN was kept starts after it.
    """
    db_state = sql["databases"][db]
    if "next_lsn" not in db_state:
        previous = [b["last_lsn"] for b in backups_of(sql, db)]
        db_state["next_lsn"] = max(previous, default=37_000_000_001_600_001) + 1
    return int(db_state["next_lsn"])


def _lsns(sql: dict[str, Any], db: str, kind: str) -> dict[str, int | None]:
    """The LSNs of a new backup as msdb.dbo.backupset records them, advancing the database's.

    A full's checkpoint_lsn becomes the differential base of the differentials after it
    (their database_backup_lsn); a log backup starts where the previous one ended (the
    first starts at the first full's first LSN).
    """
    db_state = sql["databases"][db]
    first = _next_lsn(sql, db)
    last = first + 4200
    db_state["next_lsn"] = last + 1
    checkpoint = first + 100 if kind != "log" else None
    if kind == "full":
        db_state["differential_base_lsn"] = checkpoint
        db_state.setdefault("log_chain_lsn", first)
    base = db_state.get("differential_base_lsn")
    if kind == "log":
        first = int(db_state.get("log_chain_lsn") or first)
        db_state["log_chain_lsn"] = last
    return {"first_lsn": first, "last_lsn": last, "checkpoint_lsn": checkpoint,
            "database_backup_lsn": None if kind == "full" else base}


def _size_mb(db_state: dict[str, Any], kind: str) -> float:
    data = float(db_state.get("data_size_mb") or 8)
    log = float(db_state.get("log_size_mb") or 8)
    return round({"full": data * 0.6, "differential": data * 0.1, "log": log * 0.05}[kind], 2)


def backup(host: LabHost, settings: dict[str, Any], kind: str, at: dt.datetime,
           origin: str, *, job: JobTraits) -> list[dict[str, Any]]:
    """Back up, verify and copy every database of the settings; return the new entries."""
    state = host.state
    sql = target_instance(state, settings)
    taken = []
    for name in settings["databases"]:
        db, db_state = target_database(sql, name)
        if "failed-backup" in state.get("lab", {}).get("faults", {}):
            last = newest(sql, db, "full")
            since = f" The last good full backup finished {last['finished']}." if last else ""
            raise BackupError(f"BACKUP {'LOG' if kind == 'log' else 'DATABASE'} [{db}] failed:"
                              " Msg 3013, Level 16: BACKUP DATABASE is terminating abnormally"
                              f" (lab fault failed-backup).{since}")
        full = newest(sql, db, "full")
        if kind != "full" and full is None:
            raise BackupError(f"Cannot perform a {kind} backup for database '{db}', because a"
                              " current database backup does not exist. Take a full backup"
                              " first.")
        if kind == "log" and str(db_state.get("recovery_model", "FULL")).upper() == "SIMPLE":
            raise BackupError(f"The statement BACKUP LOG is not allowed while the recovery model"
                              f" of '{db}' is SIMPLE. Set it to FULL (pos_server).")
        finished = at + dt.timedelta(seconds=5 if kind == "log" else 30)
        file_name = f"{db}_{kind.upper()}_{_stamp(at)}.{EXTENSIONS[kind]}"
        path = ntpath.join(settings["backup_dir"], db, file_name)
        entry = {
            "database": db, "type": kind, "path": path, "copy_path": None,
            "started": timestamps.text(at), "finished": timestamps.text(finished),
            "checksum": job.takes_checksum(settings),
            # RESTORE VERIFYONLY WITH CHECKSUM fails (Msg 3187) on a backup without one.
            "verified": bool(settings.get("verify", True)) and job.takes_checksum(settings)
            and job.verify_checksum,
            "size_mb": _size_mb(db_state, kind), **_lsns(sql, db, kind), "origin": origin,
        }
        header = json.dumps({k: entry[k] for k in ("database", "type", "started", "first_lsn")})
        _write(host, path, f"SITEKIT LAB BACKUP {header}\r\n".encode())
        sql["backups"].append(entry)
        if kind == "full":  # what a restore of this file brings back (the lab's bookkeeping)
            sql.setdefault("lab_backup_content", {})[path.lower()] = content(db_state)
        if settings.get("copy_dir"):
            try:
                entry["copy_path"] = _copy(host, path, ntpath.join(settings["copy_dir"], db,
                                                                   file_name))
            except BackupError:
                if not job.records_before_copy:  # the job never got to record it
                    sql["backups"].remove(entry)
                raise
        taken.append(entry)
    return taken


# What a database holds that a restore brings back: its tables, their rows, its schema.
CONTENT = ("tables", "table_rows", "schema_version")


def content(db_state: dict[str, Any]) -> dict[str, Any]:
    """A copy of what a full backup of the database holds."""
    return json.loads(json.dumps({key: db_state[key] for key in CONTENT if key in db_state}))


def _copy(host: LabHost, path: str, copy_to: str) -> str:
    r"""Copy a backup to the second target; return the copy's path.

    A UNC target (\\nas\share) is refused as Windows would refuse it here: the job runs
    as SYSTEM (on a workgroup server it reaches shares anonymously) and the modules run in
    a WinRM logon that has no credentials for a second hop (NTLM), so the share denies it.
    """
    if copy_to.startswith(("\\\\", "//")):
        raise BackupError(f"Access to the path '{copy_to}' is denied. The backup job runs as"
                          " SYSTEM and has no credentials for the share: set"
                          " db_backup_copy_dir to a local volume.")
    _write(host, copy_to, filesystem.read_file(host, path))
    return copy_to


def copy_missing(host: LabHost, settings: dict[str, Any], entry: dict[str, Any]) -> str:
    """Copy a backup to the second target again (its copy was lost); return the copy's path."""
    copy_to = ntpath.join(settings["copy_dir"], entry["database"], ntpath.basename(entry["path"]))
    entry["copy_path"] = _copy(host, entry["path"], copy_to)
    return copy_to


def apply_retention(host: LabHost, settings: dict[str, Any],
                    now: dt.datetime) -> list[dict[str, Any]]:
    """Delete the backups the retention rule lets go (files on both targets); return them."""
    sql = target_instance(host.state, settings)
    names = {n.lower() for n in settings["databases"]}
    mine = [b for b in sql.get("backups", []) if b["database"].lower() in names]
    doomed = expired(mine, now, int(settings["retention_days"]))
    for entry in doomed:
        for path in (entry["path"], entry.get("copy_path")):
            if path and filesystem.is_file(host, path):
                filesystem.remove(host, path, recurse=False)
        sql["backups"].remove(entry)
    return [dict(entry) for entry in doomed]


def restore_test(host: LabHost, settings: dict[str, Any], at: dt.datetime,
                 origin: str, *, job: JobTraits) -> list[dict[str, Any]]:
    """Restore each database's newest chain to a scratch database, check it, drop it.

    Every test is recorded and returned, failed ones too (see `failures`).
    """
    state = host.state
    sql = target_instance(state, settings)
    tests = []
    for name in settings["databases"]:
        db, _ = target_database(sql, name)
        scratch = f"{db}{settings.get('scratch_suffix', '_RestoreTest')}"
        links = chain(sql, db) if job.chain_by_lsn else chain_by_time(sql, db)
        result, message = "passed", ""
        files = []
        for link in links:
            if filesystem.is_file(host, link["path"]):
                files.append(link["path"])
            elif link.get("copy_path") and filesystem.is_file(host, link["copy_path"]):
                files.append(link["copy_path"])
            else:
                result, message = "failed", f"the backup file {link['path']} is missing on" \
                    " both targets"
                break
        if not links:
            result, message = "failed", f"no verified full backup of {db} to restore"
        elif result == "passed" and restore_error(links, scratch):
            result, message = "failed", restore_error(links, scratch)
        elif result == "passed" and "disk-full" in state.get("lab", {}).get("faults", {}):
            result, message = "failed", f"RESTORE DATABASE [{scratch}] failed: There is not" \
                " enough space on the disk. Free space on the data volume, then run the" \
                " restore test again."
        elif result == "passed":
            message = f"restored {len(files)} backup(s) to [{scratch}], DBCC CHECKDB found 0" \
                f" allocation and 0 consistency errors, [{scratch}] dropped"
        entry = {"database": db, "backup_path": files[-1] if files else None, "chain": files,
                 "scratch_database": scratch,
                 "finished": timestamps.text(at + dt.timedelta(seconds=45)), "result": result,
                 "message": message, "origin": origin}
        sql.setdefault("restore_tests", []).append(entry)
        del sql["restore_tests"][:-50]
        tests.append(entry)
    return tests


def integrity_check(host: LabHost, settings: dict[str, Any],
                    at: dt.datetime) -> list[dict[str, Any]]:
    """DBCC CHECKDB of each database: the clean ones' last good time (LastGoodCheckDbTime).

    The lab's databases have no corruption to find; a full disk fails CHECKDB's internal
    snapshot, as on Windows (Msg 1823).
    """
    sql = target_instance(host.state, settings)
    checked = []
    for name in settings["databases"]:
        db, db_state = target_database(sql, name)
        if "disk-full" in host.state.get("lab", {}).get("faults", {}):
            raise BackupError(f"DBCC CHECKDB ([{db}]) failed: A database snapshot cannot be "
                              "created because it failed to start (Msg 1823): free space on "
                              "the data volume, then run the integrity check again.")
        db_state["last_good_checkdb"] = timestamps.text(at + dt.timedelta(seconds=30))
        checked.append({"database": db, "last_good_checkdb": db_state["last_good_checkdb"]})
    return checked


def write_metrics(host: LabHost, settings: dict[str, Any]) -> None:
    """Rewrite the job's textfile metrics (jobmetrics), if its settings name a file."""
    metrics = settings.get("metrics")
    sql = instance(host.state, settings["instance"])
    if not metrics or sql is None:
        return
    try:  # the job creates the folder when the monitoring role has not yet
        filesystem.make_dirs(host, ntpath.dirname(metrics["file"]))
        filesystem.write_file(host, metrics["file"], jobmetrics.render(settings, sql))
    except OSError as exc:  # a full disk
        raise BackupError(f"could not write the metrics file {metrics['file']}: {exc}") from None


def failures(tests: list[dict[str, Any]]) -> str:
    """What failed in a run of restore tests, as one message ("" when all passed)."""
    return "; ".join(f"restore test of {t['database']} failed: {t['message']}"
                     for t in tests if t["result"] != "passed")


def restore_test_failure(tests: list[dict[str, Any]], job: JobTraits) -> str:
    """Why a restore-test run of the job exits 1 ("" when it exits 0).

    The job counts a database as failed when Invoke-SitekitRestoreTest's value is not
    "passed"; a job that logs to the success stream returns the log line too, and the
    array is never equal to "passed" (about_Return, about_Comparison_Operators).
    """
    if failures(tests):
        return failures(tests)
    if job.logs_to_output and tests:
        return "the job exited 1: Invoke-SitekitRestoreTest returned its log line with" \
            " \"passed\" (Write-SitekitLog writes to the success stream)"
    return ""


def run_job(host: LabHost, settings: dict[str, Any], job: str, at: dt.datetime,
            origin: str, *, script: JobTraits) -> dict[str, Any]:
    """One run of the job (full, differential, log or restore_test) at `at`."""
    if job == "integrity":
        return {"checkdb": integrity_check(host, settings, at)}
    if job == "restore_test":
        tests = restore_test(host, settings, at, origin, job=script)
        if restore_test_failure(tests, script):
            raise BackupError(restore_test_failure(tests, script))
        return {"restore_tests": tests, "deleted": []}
    taken = backup(host, settings, job, at, origin, job=script)
    finished = max((_when(b["finished"]) for b in taken), default=at)
    return {"backups": taken, "deleted": apply_retention(host, settings, finished)}


# -- time passing: the scheduled tasks' runs ----------------------------------------------

def job_of(task: dict[str, Any]) -> tuple[str, str, str] | None:
    """(job type, script path, settings path) when a task runs the backup job, else None."""
    for action in task.get("actions") or []:
        arguments = str(action.get("arguments") or "")
        if SCRIPT_NAME.lower() not in arguments.lower():
            continue
        words = shlex.split(arguments.replace("\\", "\\\\"), posix=True)
        lowered = [w.lower() for w in words]
        script = next((w for w in words if w.lower().endswith(SCRIPT_NAME.lower())), "")
        job = words[lowered.index("-type") + 1] if "-type" in lowered[:-1] else ""
        settings = words[lowered.index("-settingspath") + 1] \
            if "-settingspath" in lowered[:-1] else ntpath.join(ntpath.dirname(script),
                                                                "backup-settings.json")
        if job.lower() in JOB_TYPES:
            return JOB_TYPES[job.lower()], script, settings
    return None


def catch_up(host: LabHost, now: dt.datetime | None = None) -> list[dict[str, Any]]:
    """Run the backup jobs whose scheduled time came since the last look; return the runs.

    Which tasks came due, and when, is sitekit.lab.scheduler's rule. Each run is recorded
    on the task (last_run_time, last_task_result: 0, or 1 when the job failed, with the
    job's message).
    """
    state = host.state
    due = [(when, job, task) for when, task in scheduler.due_tasks(host, now)
           if (job := job_of(task)) is not None]
    runs = []
    order = {kind: rank for rank, kind in enumerate(JOB_TYPES.values())}
    due.sort(key=lambda d: (d[0], order[d[1][0]]))
    for when in sorted({d[0] for d in due}):
        together = [d for d in due if d[0] == when]
        before = _histories(state)
        started = [_run_task(host, when, job, task) for _, job, task in together]
        runs += started
        if len(started) > 1 and not all(run.pop("locks_history") for run in started):
            _last_writer_wins(state, before, started)
        for run in started:
            run.pop("locks_history", None)
    return runs


def _run_task(host: LabHost, when: dt.datetime, job: tuple[str, str, str],
              task: dict[str, Any]) -> dict[str, Any]:
    """One scheduled run of the job, recorded on its task (last run time and result)."""
    kind, script, settings_path = job
    task["last_run_time"] = when.isoformat()
    run: dict[str, Any] = {"task": task["name"], "job": kind, "time": when.isoformat(),
                           "locks_history": True}
    try:
        if not filesystem.is_file(host, script):
            raise BackupError(f"the backup job {script} does not exist")
        traits = backupjob.read(host, script)
        run["locks_history"] = traits.locks_history
        settings = read_settings(host, settings_path)
        try:
            run |= run_job(host, settings, kind, when, "schedule", script=traits)
        finally:  # the job's last step, whether its databases passed or not
            write_metrics(host, settings)
        task["last_task_result"], task["last_task_message"] = 0, ""
    except BackupError as exc:
        task["last_task_result"], task["last_task_message"] = 1, str(exc)
        run["failed"] = str(exc)
    return run


def _histories(state: dict[str, Any]) -> dict[str, dict[str, list[dict[str, Any]]]]:
    """Every instance's history as it was (the lists copied, the entries shared)."""
    return {name: {"backups": list(sql.get("backups") or []),
                   "restore_tests": list(sql.get("restore_tests") or [])}
            for name, sql in (state.get("sql_instances") or {}).items()}


def _last_writer_wins(state: dict[str, Any], before: dict[str, Any],
                      runs: list[dict[str, Any]]) -> None:
    """Runs that started together without the lock: the last writer's history wins.

    Each read the history before any wrote, and wrote back what it read plus its own
    changes. The run that finished last wrote last, so the history holds its changes only;
    the others' entries are lost (their files stay, unknown to the retention).
    """
    def finished(run: dict[str, Any]) -> str:
        done = [e["finished"] for e in run.get("backups", []) + run.get("restore_tests", [])]
        return max(done, default=run["time"])

    last = max(runs, key=finished)
    mine = {id(e) for e in last.get("backups", []) + last.get("restore_tests", [])}
    gone = {id(e) for e in last.get("deleted", [])}
    for name, sql in (state.get("sql_instances") or {}).items():
        old = before.get(name, {"backups": [], "restore_tests": []})
        for key in ("backups", "restore_tests"):
            kept = [e for e in old[key] if id(e) not in gone]
            sql[key] = kept + [e for e in sql.get(key) or [] if id(e) in mine]


def looked_at(host: LabHost, check_mode: bool, now: dt.datetime | None = None) -> LabHost:
    """The host with its scheduled runs caught up; in check mode a copy, the state untouched."""
    if check_mode:
        host = LabHost(host.hostname, host.address, host.username, host.password,
                       state=copy.deepcopy(host.state))
    catch_up(host, now)
    return host


# -- the failed-backup fault ------------------------------------------------------------

def fail_backups(host: LabHost, now: dt.datetime | None = None) -> None:
    """Cut the history back: the last good backup is now 8 days old (a full, verified)."""
    now = now or utcnow()
    last_good = now - FAILED_BACKUP_AGE
    for sql in (host.state.get("sql_instances") or {}).values():
        for entry in [b for b in sql.get("backups", []) if _when(b["finished"]) > last_good]:
            for path in (entry["path"], entry.get("copy_path")):
                if path and filesystem.is_file(host, path):
                    filesystem.remove(host, path, recurse=False)
            sql["backups"].remove(entry)
        for db in sql.get("databases") or {}:
            full = newest(sql, db, "full")
            if full is not None and _when(full["finished"]) == last_good:
                continue
            path = ntpath.join(sql.get("backup_dir") or "C:\\SQLBackup", db,
                               f"{db}_FULL_{_stamp(last_good)}.bak")
            lsns = _lsns(sql, db, "full")
            sql.setdefault("backups", []).append({
                "database": db, "type": "full", "path": path, "copy_path": None,
                "started": timestamps.text(last_good - dt.timedelta(seconds=30)),
                "finished": timestamps.text(last_good), "checksum": True, "verified": True,
                "size_mb": _size_mb(sql["databases"][db], "full"), **lsns, "origin": "fault"})
            filesystem.make_dirs(host, ntpath.dirname(path))
            with contextlib.suppress(OSError):  # a full disk too: the entry stays, as msdb's
                filesystem.write_file(host, path, b"SITEKIT LAB BACKUP (before the fault)")
