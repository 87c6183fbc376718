# Documentation of the PowerShell module sitekit_sql_backup.ps1 beside this file.
"""Documentation stub for the Windows module sitekit_sql_backup."""

DOCUMENTATION = r"""
---
module: sitekit_sql_backup
short_description: Make sure each database has a recent verified SQL Server backup
description:
  - Reads the settings of the db_backup role's backup job and its history, and runs the job
    (C(Invoke-SitekitBackup.ps1 -Type <type>)) on demand for the databases whose newest
    verified backup of I(type) is older than I(max_age_hours), or that have none. The job
    backs up WITH CHECKSUM, verifies with RESTORE VERIFYONLY, copies the backup to the
    second target and applies the retention rule.
  - When the newest backup is recent but its copy on the second target is missing, copies
    it again.
  - Otherwise changes nothing, so a second run of the role is not changed.
  - Idempotent where M(lowlydba.sqlserver.backup) always takes a backup; the backup itself
    is the job's, the same code the scheduled tasks run.
options:
  script:
    description:
      - The path of the backup job, C(Invoke-SitekitBackup.ps1), on the host.
    type: str
    required: true
  settings:
    description:
      - The path of the job's JSON settings (instance, databases, backup folder, second
        target, retention) on the host.
    type: str
    required: true
  type:
    description:
      - The type of backup to make sure of.
    type: str
    choices: [full, differential, log]
    default: full
  max_age_hours:
    description:
      - A backup is taken only when the newest verified backup of I(type) finished more than
        this many hours ago. C(0) always takes one.
    type: int
    default: 24
notes:
  - Supports check mode; before the job is deployed, check mode reports a change.
  - Fails with the job's message when a backup fails (for example a full disk); a later run
    takes the backup once the cause is fixed.
seealso:
  - module: lowlydba.sqlserver.backup
author:
  - sitekit
"""

EXAMPLES = r"""
- name: Take a verified full backup unless one is less than a week old
  sitekit_sql_backup:
    script: C:\ProgramData\Sitekit\Backup\Invoke-SitekitBackup.ps1
    settings: C:\ProgramData\Sitekit\Backup\backup-settings.json
    type: full
    max_age_hours: 168
"""

RETURN = r"""
backups:
  description: The backups taken by this run, as recorded in the job's history.
  returned: always
  type: list
  elements: dict
  sample:
    - database: LotusPOS
      type: full
      path: C:\SQLBackup\LotusPOS\LotusPOS_FULL_20250330T120000Z.bak
      copy_path: D:\SitekitBackupCopy\LotusPOS\LotusPOS_FULL_20250330T120000Z.bak
      started: "2025-03-30T12:00:00Z"
      finished: "2025-03-30T12:00:30Z"
      checksum: true
      verified: true
      size_mb: 30.5
copied:
  description: Copies made again on the second target.
  returned: always
  type: list
  elements: str
deleted:
  description: Backup files the retention deleted after the backup.
  returned: always
  type: list
  elements: str
"""
