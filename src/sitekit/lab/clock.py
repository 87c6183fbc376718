"""The lab's clock and Windows time zones, for the module models and the lab's own jobs."""

from __future__ import annotations

import datetime as dt
import functools
import zoneinfo

from tzlocal.windows_tz import win_tz

_FILETIME_EPOCH = dt.datetime(1601, 1, 1, tzinfo=dt.UTC)


def utcnow() -> dt.datetime:
    """The lab's clock: the controller's, in UTC, to the second."""
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def filetime(moment: dt.datetime) -> int:
    """A datetime as a Windows FILETIME (100 ns ticks since 1601)."""
    return int((moment - _FILETIME_EPOCH).total_seconds() * 10**7)


@functools.cache
def windows_zones() -> dict[str, str]:
    """Windows time zone ids -> an IANA zone (CLDR windowsZones), 'UTC' included."""
    zones = dict(win_tz)
    zones.setdefault("UTC", "Etc/UTC")
    return zones


def zone(windows_id: str) -> zoneinfo.ZoneInfo:
    """The zoneinfo of a Windows time zone id."""
    return zoneinfo.ZoneInfo(windows_zones().get(windows_id, "Etc/UTC"))
