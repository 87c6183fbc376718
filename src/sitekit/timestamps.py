"""The one way the kit writes a moment: UTC to the second, `2026-12-07T03:12:00Z`.

Every own module emits it (plugins/module_utils/Ansible.ModuleUtils.SitekitTime.psm1 writes
it with the invariant culture, `yyyy-MM-ddTHH:mm:ssZ`), the backup job's history holds it,
the lab's models answer with it, and the audit reads exactly it: text in any other form
(an offset, a fraction, a date alone) is refused by `parse`, not guessed at.
"""

from __future__ import annotations

import datetime as dt
import re

# .NET custom format, as the PowerShell util and the backup job template write it.
DOTNET_FORMAT = "yyyy-MM-ddTHH:mm:ssZ"
FORMAT = "%Y-%m-%dT%H:%M:%SZ"
# The facts schema's `timestamp` carries the same pattern (tests hold them equal).
PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$"
_TEXT = re.compile(PATTERN)


def text(moment: dt.datetime) -> str:
    """A moment as the kit writes it; a naive moment is taken as UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC).strftime(FORMAT)


def parse(value: str) -> dt.datetime:
    """The moment `text` wrote; ValueError for anything else."""
    if not isinstance(value, str) or not _TEXT.match(value):
        raise ValueError(f"{value!r} is not a UTC time written yyyy-MM-ddTHH:mm:ssZ")
    return dt.datetime.strptime(value, FORMAT).replace(tzinfo=dt.UTC)
