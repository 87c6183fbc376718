"""The lab's model of the db_backup job: time passing on the schedule, retention, faults,
and runs judged by the job the role deploys (its text), with known mistakes put back."""

from __future__ import annotations

import datetime as dt
import json
import random
from typing import Any

import pytest

from sitekit import timestamps
from sitekit.lab import backupjob, faults, filesystem, sqlbackup
from sitekit.lab.host import LabHost
from sitekit.lab.state import seed_state
from tests.lab.sql_seed import seed_instance
from tests.unit.test_backup_job import JOB, render

SCRIPT = "C:\\ProgramData\\Sitekit\\Backup\\Invoke-SitekitBackup.ps1"
SETTINGS = "C:\\ProgramData\\Sitekit\\Backup\\backup-settings.json"
# A Wednesday noon in Lisbon (UTC+0 in winter).
REGISTERED = dt.datetime(2025, 1, 8, 12, 0, tzinfo=dt.UTC)
# The job as the role renders it, and the mistakes issue 19 found, put back one at a time.
DEPLOYED = render(JOB.read_text(encoding="utf-8"))
LOGS_TO_OUTPUT = ("Write-Host $line", "Write-Output $line")
NO_LOCK = ("$held = $mutex.WaitOne([TimeSpan]::FromMinutes(10))", "$held = $true")
RECORD_AFTER_COPY = ("    $script:newBackups += $entry\r\n", "",
                     "            $entry.copy_path = $copyPath\r\n",
                     "            $entry.copy_path = $copyPath\r\n"
                     "            $script:newBackups += $entry\r\n")
# Get-SitekitChain as it was: the newest differential and logs by their finishing time.
_CHAIN_NOW = "Function Get-SitekitChain {" + \
    DEPLOYED.split("Function Get-SitekitChain {")[1].split("\nFunction ")[0]
CHAIN_BY_TIME = (_CHAIN_NOW.replace("\n", "\r\n"), """Function Get-SitekitChain {
    param($History, [String]$Name)
    $full = Get-SitekitNewest -History $History -Name $Name -Kind "full"
    if ($null -eq $full) {
        return , @()
    }
    $fullDone = ConvertTo-UtcDate -Value $full.finished
    $after = @($History.backups | Where-Object {
            $_.database -eq $Name -and (ConvertTo-UtcDate -Value $_.finished) -gt $fullDone
        } | Sort-Object -Property { ConvertTo-UtcDate -Value $_.finished })
    $diff = @($after | Where-Object { $_.type -eq "differential" -and $_.verified }) |
        Select-Object -Last 1
    $base = $fullDone
    $links = @($full)
    if ($null -ne $diff) {
        $base = ConvertTo-UtcDate -Value $diff.finished
        $links += $diff
    }
    $links += @($after | Where-Object { $_.type -eq "log" -and
        (ConvertTo-UtcDate -Value $_.finished) -gt $base })
    return , $links
}
""".replace("\n", "\r\n"))
CHECKSUM_BY_SETTING = ('$options = @("INIT", "FORMAT", "CHECKSUM")',
                       '$options = @("INIT", "FORMAT")\r\n    if ($settings.checksum) {\r\n'
                       '        $options += "CHECKSUM"\r\n    }')


def deploy(host: LabHost, *mistakes: tuple[str, ...]) -> None:
    """Deploy the job with CRLF, as win_template does, with the given text replaced."""
    text = DEPLOYED.replace("\n", "\r\n")
    for mistake in mistakes:
        for old, new in zip(mistake[::2], mistake[1::2], strict=True):
            assert text.count(old) == 1, old
            text = text.replace(old, new)
    filesystem.write_file(host, SCRIPT, text.encode("utf-8"))


def _task(name: str, job: str, trigger: dict[str, Any]) -> dict[str, Any]:
    return {"path": "\\Sitekit\\", "name": name, "enabled": True, "state": "ready",
            "last_run_time": None, "lab_registered": REGISTERED.isoformat(),
            "actions": [{"path": "powershell.exe", "arguments":
                         f'-NoProfile -File "{SCRIPT}" -SettingsPath "{SETTINGS}" -Type {job}'}],
            "triggers": [trigger]}


@pytest.fixture
def host() -> LabHost:
    lab = LabHost("lis01-srv01", "127.0.0.5", "sitekit", "pw",
                  state=seed_state("server", "lis01-srv01", random.Random(1),  # noqa: S311
                                   volumes=("C", "D")))  # the example fleet's servers
    lab.state["time_zone"] = "GMT Standard Time"
    seed_instance(lab.state)
    for folder in ("C:\\ProgramData\\Sitekit\\Backup", "C:\\SQLBackup", "D:\\Copy"):
        filesystem.make_dirs(lab, folder)
    deploy(lab)
    settings = {"instance": "SQLEXPRESS", "databases": ["LotusPOS"],
                "backup_dir": "C:\\SQLBackup", "copy_dir": "D:\\Copy", "retention_days": 14,
                "checksum": True, "verify": True}
    filesystem.write_file(lab, SETTINGS, json.dumps(settings).encode())
    tasks = [
        _task("full", "Full", {"type": "weekly", "days_of_week": "sunday",
                               "start_boundary": "2024-01-01T23:00:00"}),
        _task("diff", "Differential", {"type": "weekly", "days_of_week":
                                       "monday,tuesday,wednesday,thursday,friday,saturday",
                                       "start_boundary": "2024-01-01T23:00:00"}),
        _task("log", "Log", {"type": "daily", "start_boundary": "2024-01-01T00:00:00",
                             "repetition": {"interval": "PT15M", "duration": "P1D"}}),
        _task("restore", "RestoreTest", {"type": "monthlydow", "weeks_of_month": "1",
                                         "days_of_week": "monday",
                                         "start_boundary": "2024-01-01T01:00:00"}),
    ]
    lab.state["scheduled_tasks"].update({f"\\Sitekit\\{t['name']}": t for t in tasks})
    return lab


def _backups(host: LabHost) -> list[dict[str, Any]]:
    return host.state["sql_instances"]["SQLEXPRESS"]["backups"]


def test_nothing_runs_before_the_first_scheduled_time(host: LabHost) -> None:
    assert sqlbackup.catch_up(host, REGISTERED + dt.timedelta(minutes=10)) == []
    assert _backups(host) == []


def test_each_job_runs_at_its_last_scheduled_time(host: LabHost) -> None:
    # Sunday 12 January 23:20: the full ran at 23:00, the log at 23:15, the diff Saturday.
    now = dt.datetime(2025, 1, 12, 23, 20, tzinfo=dt.UTC)
    runs = sqlbackup.catch_up(host, now)
    assert {(r["task"], r["time"]) for r in runs} == {
        ("diff", "2025-01-11T23:00:00+00:00"), ("full", "2025-01-12T23:00:00+00:00"),
        ("log", "2025-01-12T23:15:00+00:00")}
    kinds = [(b["type"], b["started"]) for b in _backups(host)]
    assert ("log", "2025-01-12T23:15:00Z") in kinds  # the history's one time format
    assert all(b["verified"] and b["checksum"] and b["copy_path"] for b in _backups(host))
    log = next(b for b in _backups(host) if b["type"] == "log")
    full = next(b for b in _backups(host) if b["type"] == "full")
    assert log["database_backup_lsn"] == full["checkpoint_lsn"]  # msdb's differential base
    assert log["first_lsn"] <= full["last_lsn"] < log["last_lsn"]  # restores after the full
    assert sqlbackup.catch_up(host, now) == []  # looked at again: nothing new


def test_the_monthly_restore_test_runs_on_the_first_monday(host: LabHost) -> None:
    sqlbackup.catch_up(host, dt.datetime(2025, 1, 31, 12, 0, tzinfo=dt.UTC))
    runs = sqlbackup.catch_up(host, dt.datetime(2025, 2, 3, 1, 5, tzinfo=dt.UTC))
    test = next(r for r in runs if r["job"] == "restore_test")
    assert test["time"] == "2025-02-03T01:00:00+00:00"
    assert test["restore_tests"][0]["result"] == "passed"


def test_a_disabled_task_does_not_run(host: LabHost) -> None:
    for task in host.state["scheduled_tasks"].values():
        task["enabled"] = False
    assert sqlbackup.catch_up(host, REGISTERED + dt.timedelta(days=9)) == []


def test_retention_deletes_old_backups_and_their_files(host: LabHost) -> None:
    for day in range(0, 40, 3):
        sqlbackup.catch_up(host, REGISTERED + dt.timedelta(days=day, hours=12))
    finished = [dt.datetime.fromisoformat(b["finished"]) for b in _backups(host)]
    now = REGISTERED + dt.timedelta(days=39, hours=12)
    assert min(finished) > now - dt.timedelta(days=21)  # 14 days, back to a full before
    files = host.state["fs"]["files"]
    deleted = [key for key in files if "\\sqlbackup\\lotuspos\\" in key]
    assert len(deleted) == len(_backups(host))


def test_failed_backup_fault_leaves_an_eight_day_old_backup_and_fails_runs(
        host: LabHost) -> None:
    now = dt.datetime(2025, 1, 20, 9, 0, tzinfo=dt.UTC)
    sqlbackup.catch_up(host, now)
    host.state["lab"]["faults"] = {"failed-backup": {}}
    sqlbackup.fail_backups(host, now)
    (only,) = _backups(host)
    assert (only["type"], only["verified"]) == ("full", True)
    assert only["finished"] == timestamps.text(now - dt.timedelta(days=8))  # the one format
    runs = sqlbackup.catch_up(host, now + dt.timedelta(hours=1))
    assert runs and all("Msg 3013" in r["failed"] for r in runs)
    assert host.state["scheduled_tasks"]["\\Sitekit\\log"]["last_task_result"] == 1
    assert len(_backups(host)) == 1


def test_injecting_the_fault_through_the_lab_cuts_the_history(host: LabHost) -> None:
    sqlbackup.catch_up(host, dt.datetime.now(dt.UTC))
    faults._apply(host, {"failed-backup": {}})  # what `sitekit lab fault` triggers
    newest = max(dt.datetime.fromisoformat(b["finished"]) for b in _backups(host))
    assert dt.datetime.now(dt.UTC) - newest >= dt.timedelta(days=8)


def test_disk_full_fails_the_run_with_a_clear_message(host: LabHost) -> None:
    host.state["lab"]["faults"] = {"disk-full": {}}
    runs = sqlbackup.catch_up(host, dt.datetime(2025, 1, 12, 23, 5, tzinfo=dt.UTC))
    full = next(r for r in runs if r["job"] == "full")
    assert "There is not enough space on the disk" in full["failed"]
    # Without a full backup the differential and log backups cannot run either.
    assert all("current database backup does not exist" in r["failed"] for r in runs
               if r["job"] != "full")
    assert _backups(host) == []


def test_the_deployed_job_is_read_for_what_decides_its_runs(host: LabHost) -> None:
    assert backupjob.read(host, SCRIPT) == backupjob.JobTraits(
        logs_to_output=False, locks_history=True, records_before_copy=True,
        chain_by_lsn=True, backup_checksum="always", verify_checksum=True)


@pytest.mark.parametrize(("mistakes", "passes"), [((), True), ((LOGS_TO_OUTPUT,), False)])
def test_a_job_that_logs_to_the_success_stream_fails_its_passing_restore_test(
        host: LabHost, mistakes: tuple[tuple[str, ...], ...], passes: bool) -> None:
    deploy(host, *mistakes)
    sqlbackup.catch_up(host, dt.datetime(2025, 1, 31, 12, 0, tzinfo=dt.UTC))
    runs = sqlbackup.catch_up(host, dt.datetime(2025, 2, 3, 1, 5, tzinfo=dt.UTC))
    test = next(r for r in runs if r["job"] == "restore_test")
    task = host.state["scheduled_tasks"]["\\Sitekit\\restore"]
    assert task["last_task_result"] == (0 if passes else 1)
    assert ("failed" not in test) == passes
    if not passes:
        assert "Write-SitekitLog writes to the success stream" in test["failed"]


@pytest.mark.parametrize(("mistakes", "kept"), [((), True), ((NO_LOCK,), False)])
def test_jobs_that_start_together_lose_entries_unless_the_job_locks_its_history(
        host: LabHost, mistakes: tuple[tuple[str, ...], ...], kept: bool) -> None:
    deploy(host, *mistakes)
    # Sunday 23:00: the weekly full and a log backup start in the same second.
    runs = sqlbackup.catch_up(host, dt.datetime(2025, 1, 12, 23, 5, tzinfo=dt.UTC))
    together = [r for r in runs if r["time"] == "2025-01-12T23:00:00+00:00"]
    assert {r["job"] for r in together} == {"full", "log"}
    assert not any("failed" in r for r in together)
    kinds = {(b["type"], b["started"]) for b in _backups(host)}
    assert ("full", "2025-01-12T23:00:00Z") in kinds  # it finished last, wrote last
    assert (("log", "2025-01-12T23:00:00Z") in kinds) == kept
    log_file = "C:\\SQLBackup\\LotusPOS\\LotusPOS_LOG_20250112T230000Z.trn"
    assert filesystem.is_file(host, log_file)  # the file stays, unknown to the retention


@pytest.mark.parametrize(("mistakes", "checksum", "verified"), [
    ((), False, True),
    ((CHECKSUM_BY_SETTING,), True, True),
    ((CHECKSUM_BY_SETTING,), False, False),
])
def test_a_backup_counts_as_verified_only_when_taken_with_checksum(
        host: LabHost, mistakes: tuple[tuple[str, ...], ...], checksum: bool,
        verified: bool) -> None:
    deploy(host, *mistakes)
    settings = json.loads(filesystem.read_file(host, SETTINGS)) | {"checksum": checksum}
    filesystem.write_file(host, SETTINGS, json.dumps(settings).encode())
    sqlbackup.catch_up(host, dt.datetime(2025, 1, 12, 23, 20, tzinfo=dt.UTC))
    full = next(b for b in _backups(host) if b["type"] == "full")
    assert (full["checksum"], full["verified"]) == (verified, verified)


@pytest.mark.parametrize(("mistakes", "recorded"), [((), True), ((RECORD_AFTER_COPY,), False)])
def test_a_failed_copy_leaves_the_verified_backup_recorded(
        host: LabHost, mistakes: tuple[tuple[str, ...], ...], recorded: bool) -> None:
    deploy(host, *mistakes)
    settings = json.loads(filesystem.read_file(host, SETTINGS)) | {"copy_dir": "\\\\nas\\sql"}
    filesystem.write_file(host, SETTINGS, json.dumps(settings).encode())
    runs = sqlbackup.catch_up(host, dt.datetime(2025, 1, 12, 23, 20, tzinfo=dt.UTC))
    full = next(r for r in runs if r["job"] == "full")
    assert "Access to the path '\\\\nas\\sql\\LotusPOS\\" in full["failed"]
    assert "set db_backup_copy_dir to a local volume" in full["failed"]
    fulls = [b for b in _backups(host) if b["type"] == "full"]
    assert [(b["verified"], b["copy_path"]) for b in fulls] == ([(True, None)] if recorded else [])


@pytest.mark.parametrize(("mistakes", "passes"), [((), True), ((CHAIN_BY_TIME,), False)])
def test_the_restore_test_chains_backups_by_lsn_not_by_time(
        host: LabHost, mistakes: tuple[tuple[str, ...], ...], passes: bool) -> None:
    deploy(host, *mistakes)
    # Two weeks of backups; then the second Sunday's full is lost from the history (as a
    # lost write leaves it): Monday's differential is based on that full, not the first.
    sqlbackup.catch_up(host, dt.datetime(2025, 1, 12, 23, 20, tzinfo=dt.UTC))
    sqlbackup.catch_up(host, dt.datetime(2025, 1, 19, 23, 20, tzinfo=dt.UTC))
    sqlbackup.catch_up(host, dt.datetime(2025, 1, 20, 23, 20, tzinfo=dt.UTC))
    lost = next(b for b in _backups(host)
                if b["type"] == "full" and b["started"].startswith("2025-01-19"))
    _backups(host).remove(lost)
    (test,) = sqlbackup.restore_test(host, sqlbackup.read_settings(host, SETTINGS),
                                     dt.datetime(2025, 1, 21, 9, 0, tzinfo=dt.UTC), "test",
                                     job=backupjob.read(host, SCRIPT))
    assert (test["result"] == "passed") == passes, test["message"]
    if passes:  # the first full, its own differential (Saturday's), the logs after that
        assert [path.rsplit("_", 1)[-1] for path in test["chain"]][:2] == [
            "20250112T230000Z.bak", "20250118T230000Z.dif"]
        assert test["chain"][-1].endswith("20250120T231500Z.trn")
    else:
        assert "Msg 3136" in test["message"]


def test_a_copy_target_on_a_volume_the_server_lacks_fails() -> None:
    """A server bought with C: only has no D: for the second copy: the lab makes none up."""
    lab = LabHost("lis01-srv01", "127.0.0.5", "sitekit", "pw",
                  state=seed_state("server", "lis01-srv01", random.Random(1)))  # noqa: S311
    with pytest.raises(FileNotFoundError, match="Could not find a part of the path"):
        filesystem.make_dirs(lab, "D:\\SQLBackupCopy")
    assert filesystem.make_dirs(lab, "C:\\SQLBackupCopy") == "C:\\SQLBackupCopy"
