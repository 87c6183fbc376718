"""The antivirus role's filter: a site's maintenance windows -> Defender's scan schedule.

A thin adapter over sitekit.plan.scans, where the logic lives and is unit-tested.
"""

from __future__ import annotations

from typing import Any

from ansible.errors import AnsibleFilterError

from sitekit.plan.scans import scan_schedule
from sitekit.plan.schedule import DEFENDER_SCAN_DAYS, WindowError


def sitekit_scan_schedule(windows: list[str], offset: int = 30,
                          duration: int = 60) -> dict[str, Any]:
    """{day, time, quick_scan_time} for sitekit_defender, from "sun 23:00-tue 10:00" windows."""
    try:
        return scan_schedule(list(windows), offset, duration).as_dict()
    except WindowError as exc:
        raise AnsibleFilterError(f"sitekit_scan_schedule: {exc}") from None


def antivirus_scan_days(_: object = None) -> list[str]:
    """The days antivirus_scan_day may name: Defender's ScanScheduleDay names but `never`.

    Used as `none | antivirus_scan_days` (a filter needs an input; it is not read), so the
    role keeps no list of its own (sitekit.plan.schedule.DEFENDER_SCAN_DAYS).
    """
    return [day for day in DEFENDER_SCAN_DAYS if day != "never"]


class FilterModule:
    """Filters of the antivirus role."""

    def filters(self) -> dict[str, Any]:
        """The filters by name."""
        return {"sitekit_scan_schedule": sitekit_scan_schedule,
                "antivirus_scan_days": antivirus_scan_days}
