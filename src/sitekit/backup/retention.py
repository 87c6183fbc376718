"""Which SQL Server backups the retention may delete: one pure rule, shared by two copies.

The rule, per database:

1. Nothing finished within the last `retention_days` is deleted.
2. The newest verified full backup, and every backup finished at or after it, is kept.
3. The oldest backups kept can still be restored: the cut-off moves back to the newest
   verified full backup finished at or before it, so a kept differential or log backup
   never loses the full backup it needs (when every verified full is younger than the
   retention, the cut-off stays at the retention: older backups precede them all).
4. A database without any verified full backup loses nothing: there is nothing safe to
   keep instead.

Everything finished before the cut-off is deleted. The PowerShell job the db_backup role
deploys (roles/db_backup/templates/ProgramData/Sitekit/Backup/Invoke-SitekitBackup.ps1.j2,
function Select-SitekitExpiredBackup) implements the same rule: the two must agree. The
lab's model of that job (sitekit.lab.sqlbackup) calls this function, and
tests/property/test_backup_retention.py states the rule as properties.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from sitekit import timestamps


def _finished(backup: Mapping[str, Any]) -> dt.datetime:
    """When a backup finished, as an aware datetime.

    The history's text is the kit's one time format (sitekit.timestamps), as the job writes it.
    """
    value = backup["finished"]
    return timestamps.parse(value) if isinstance(value, str) else value


def cutoff(backups: Iterable[Mapping[str, Any]], now: dt.datetime,
           retention_days: int) -> dt.datetime | None:
    """The moment before which one database's backups may go; None keeps them all."""
    fulls = sorted((_finished(b) for b in backups if b["type"] == "full" and b["verified"]),
                   reverse=True)
    if not fulls:
        return None
    limit = min(now - dt.timedelta(days=retention_days), fulls[0])
    return next((finished for finished in fulls if finished <= limit), limit)


def expired(backups: Iterable[Mapping[str, Any]], now: dt.datetime,
            retention_days: int) -> list[Mapping[str, Any]]:
    """The backups the retention deletes, oldest first, of any number of databases."""
    if retention_days < 0:
        raise ValueError(f"retention_days must be 0 or more, not {retention_days}")
    by_database: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for backup in backups:
        by_database[str(backup["database"]).lower()].append(backup)
    doomed: list[Mapping[str, Any]] = []
    for group in by_database.values():
        limit = cutoff(group, now, retention_days)
        if limit is not None:
            doomed.extend(b for b in group if _finished(b) < limit)
    return sorted(doomed, key=_finished)
