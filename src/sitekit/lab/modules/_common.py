"""Small helpers the module models share: time, diffs and Windows time zones."""

from __future__ import annotations

import datetime as dt
import functools
import zoneinfo
from typing import Any

from tzlocal.windows_tz import win_tz

from sitekit.lab.modules import ModuleFailedError

_FILETIME_EPOCH = dt.datetime(1601, 1, 1, tzinfo=dt.UTC)


# How far the lab's clock runs ahead of the controller's: `sitekit lab advance` moves it on
# (kept in <lab>/clock.json, read when the lab starts), so days and weeks pass for the
# virtual hosts: scheduled backups, scans and signature updates run by their schedules.
CLOCK_FILE = "clock.json"
_clock_offset = dt.timedelta(0)


def set_clock_offset(offset: dt.timedelta) -> None:
    """Run the lab's clock `offset` ahead of the controller's."""
    global _clock_offset  # noqa: PLW0603 - one clock per lab process
    _clock_offset = offset


def utcnow() -> dt.datetime:
    """The lab's clock: the controller's (moved on by `sitekit lab advance`), UTC, to the second."""
    return (dt.datetime.now(dt.UTC) + _clock_offset).replace(microsecond=0)


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


def diff(before: Any, after: Any) -> dict[str, Any]:
    """The diff key modules return: before and after."""
    return {"before": before, "after": after}


def put(store: dict[str, Any], key: str, wanted: dict[str, Any], check_mode: bool,
        with_diff: bool) -> dict[str, Any]:
    """Make store[key] equal wanted unless it already is; the module result says which."""
    current = store.get(key)
    changed = wanted != current
    if changed and not check_mode:
        store[key] = wanted
    result: dict[str, Any] = {"changed": changed}
    if with_diff and changed:
        result["diff"] = diff(current or {}, wanted)
    return result


def require(condition: bool, msg: str) -> None:
    """Fail the module with msg unless condition holds."""
    if not condition:
        raise ModuleFailedError(msg)
