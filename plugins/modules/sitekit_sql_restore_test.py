# Documentation of the PowerShell module sitekit_sql_restore_test.ps1 beside this file.
"""Documentation stub for the Windows module sitekit_sql_restore_test."""

DOCUMENTATION = r"""
---
module: sitekit_sql_restore_test
short_description: Prove that the newest SQL Server backup chain restores
description:
  - Runs the db_backup role's backup job in restore-test mode
    (C(Invoke-SitekitBackup.ps1 -Type RestoreTest)) for the databases that have not passed
    a restore test within I(max_age_hours).
  - The job restores the newest chain (the newest verified full backup, the newest
    differential after it, every log backup after that) to a scratch database, runs
    C(DBCC CHECKDB) on it and drops it, and records the result in its history.
  - A failed restore test fails the module with the job's message.
options:
  script:
    description:
      - The path of the backup job, C(Invoke-SitekitBackup.ps1), on the host.
    type: str
    required: true
  settings:
    description:
      - The path of the job's JSON settings on the host.
    type: str
    required: true
  max_age_hours:
    description:
      - Databases that passed a restore test within this many hours are not tested again.
        C(0) always tests.
    type: int
    default: 24
notes:
  - Supports check mode; before the job is deployed, check mode reports a change.
seealso:
  - module: lowlydba.sqlserver.restore
author:
  - sitekit
"""

EXAMPLES = r"""
- name: Prove the newest backup restores
  sitekit_sql_restore_test:
    script: C:\ProgramData\Sitekit\Backup\Invoke-SitekitBackup.ps1
    settings: C:\ProgramData\Sitekit\Backup\backup-settings.json
    max_age_hours: 24
"""

RETURN = r"""
restore_tests:
  description: The restore tests run, passed or failed.
  returned: always
  type: list
  elements: dict
  sample:
    - database: LotusPOS
      backup_path: C:\SQLBackup\LotusPOS\LotusPOS_FULL_20250330T120000Z.bak
      chain: [C:\SQLBackup\LotusPOS\LotusPOS_FULL_20250330T120000Z.bak]
      scratch_database: LotusPOS_RestoreTest
      finished: "2025-03-30T12:01:15Z"
      result: passed
      message: restored 1 backup(s) to [LotusPOS_RestoreTest], DBCC CHECKDB found 0 ...
"""
