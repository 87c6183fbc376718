"""The metrics the alert rules read: windows_exporter's own, and the kit's textfile metrics.

One place for the names: the alert rules (sitekit.monitoring.rules) and whatever writes
the textfile metrics (the backup, restore-test and integrity jobs) read them from here.

windows_exporter's metrics, as its collectors document them
(https://github.com/prometheus-community/windows_exporter/tree/master/docs):
`windows_service_state{name, state}` (service), `windows_logical_disk_free_bytes` and
`windows_logical_disk_size_bytes{volume}` (logical_disk), and
`windows_time_computed_time_offset_seconds` (time: W32Time's offset from its source).
"""

from __future__ import annotations

from sitekit.site.model import WORKSTATION_KINDS

# The scrape job every site host belongs to.
JOB = "sitekit-windows"

# The collectors the exporter runs on each kind of host (the monitoring role's list).
COLLECTORS = {
    "server": ("cpu", "memory", "logical_disk", "service", "mssql", "scheduled_task", "time",
               "textfile"),
    "station": ("cpu", "memory", "logical_disk", "service", "time", "textfile"),
}



def collectors(kind: str) -> tuple[str, ...]:
    """The collectors of a host kind: the server's, or every station kind's."""
    if kind == "server":
        return COLLECTORS["server"]
    if kind in WORKSTATION_KINDS:
        return COLLECTORS["station"]
    raise ValueError(f"no collectors for hosts of kind {kind!r}: the kinds are "
                     f"server, {', '.join(WORKSTATION_KINDS)}")


SERVICE_STATE = "windows_service_state"
DISK_FREE = "windows_logical_disk_free_bytes"
DISK_SIZE = "windows_logical_disk_size_bytes"
CLOCK_OFFSET = "windows_time_computed_time_offset_seconds"

# Textfile metrics (Unix times in seconds), written atomically by the jobs: write, rename.
BACKUP_LAST_SUCCESS = "sitekit_backup_last_success_timestamp_seconds"  # {database, type}
BACKUP_TYPES = ("full", "differential", "log")
CHECKDB_LAST_GOOD = "sitekit_checkdb_last_good_timestamp_seconds"  # {database}
RESTORE_TEST_LAST = "sitekit_restore_test_last_timestamp_seconds"  # {database}
RESTORE_TEST_SUCCESS = "sitekit_restore_test_last_success"  # {database}: 1 passed, 0 failed
DEFENDER_SIGNATURES = "sitekit_defender_signature_updated_timestamp_seconds"
