"""The lab's clock and Windows time zones, for the module models and the lab's own jobs."""

from __future__ import annotations

import datetime as dt
import functools
import json
import os
import zoneinfo
from pathlib import Path

from tzlocal.windows_tz import win_tz

from sitekit.plan.fleet import planning_now

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


def clock_offset(lab_dir: Path) -> dt.timedelta:
    """How far the clock of the lab in `lab_dir` runs ahead of the controller's.

    To SITEKIT_NOW when set (the planner's "now", so windows open and close for the hosts
    as for the rollout), plus what `sitekit lab advance` added (clock.json).
    """
    offset = dt.timedelta(0)
    if os.environ.get("SITEKIT_NOW"):
        offset = planning_now() - dt.datetime.now(dt.UTC)
    clock = lab_dir / CLOCK_FILE
    if clock.exists():
        offset += dt.timedelta(seconds=json.loads(clock.read_text(encoding="utf-8"))[
            "offset_seconds"])
    return offset


def lab_clock(lab_dir: Path) -> dt.datetime:
    """The clock of the lab in `lab_dir` as its process will run it.

    For what is written before the lab process starts: a fresh host's install time, its
    signatures and updates are as old as the lab's clock says, not the controller's.
    """
    return (dt.datetime.now(dt.UTC) + clock_offset(lab_dir)).replace(microsecond=0)


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
