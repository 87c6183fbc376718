# Documentation of the PowerShell module sitekit_sql_backup_info.ps1 beside this file.
"""Documentation stub for the Windows module sitekit_sql_backup_info."""

DOCUMENTATION = r"""
---
module: sitekit_sql_backup_info
short_description: Report a SQL Server instance's databases and their backups
description:
  - Reports whether an instance is installed, its version and edition, and for each
    database whether it exists, its recovery model, when its last full, differential and
    log backups finished, its newest verified full backup and its last restore test.
  - Backup times come from C(msdb); verification, copies and restore tests from the
    db_backup job's history when I(settings) names the job's settings.
  - Changes nothing.
options:
  instance:
    description:
      - The instance name, e.g. C(SQLEXPRESS); C(MSSQLSERVER) for the default instance.
    type: str
    required: true
  service:
    description:
      - The instance's Windows service, the inventory's C(sitekit_sql.service)
        (C(MSSQLSERVER) for the default instance, C(MSSQL$NAME) for a named one).
      - When no such service exists the instance is reported as not installed.
    type: str
    required: true
  server:
    description:
      - What SqlClient connects to (C(Server=)), the inventory's C(sitekit_sql.connect)
        (C(localhost) for the default instance, C(localhost\NAME) for a named one).
    type: str
    required: true
  databases:
    description:
      - The databases to report; every user database when empty.
    type: list
    elements: str
    default: []
  settings:
    description:
      - The path of the db_backup job's JSON settings on the host.
    type: str
notes:
  - Supports check mode.
  - An instance that is not installed gives C(instance=null) and no databases, not a
    failure, so a preflight can say what to do.
author:
  - sitekit
"""

EXAMPLES = r"""
- name: Read the instance and its backups
  sitekit_sql_backup_info:
    instance: "{{ sitekit_sql.instance }}"
    service: "{{ sitekit_sql.service }}"
    server: "{{ sitekit_sql.connect }}"
    databases: [LotusPOS]
  register: db_backup_register_info
"""

RETURN = r"""
instance:
  description: The instance, or null when it is not installed.
  returned: always
  type: dict
  sample: {name: SQLEXPRESS, version: 16.0.1000.6, edition: Express Edition (64-bit),
           service: MSSQL$SQLEXPRESS}
databases:
  description: Per database, its state and last backups (C(exists=false) for a missing one).
  returned: always
  type: dict
  sample:
    LotusPOS:
      exists: true
      recovery_model: FULL
      last_full: "2025-03-30T12:00:30Z"
      last_verified_full: {path: C:\SQLBackup\LotusPOS\LotusPOS_FULL_20250330T120000Z.bak}
      last_differential: null
      last_log: null
      backup_count: 1
      last_restore_test: {result: passed}
"""
