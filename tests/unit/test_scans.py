"""A site's maintenance windows -> Defender's weekly scan and daily quick scan."""

from __future__ import annotations

import pytest

from sitekit.plan.scans import ScanSchedule, scan_schedule
from sitekit.plan.schedule import WindowError

NIGHTS = [f"{a} 23:00-{b} 10:00" for a, b in
          (("tue", "wed"), ("wed", "thu"), ("thu", "fri"), ("fri", "sat"), ("sat", "sun"))]


@pytest.mark.parametrize(("windows", "expected"), [
    # LIS01: closed on Monday, so Sunday night's window is the longest.
    ([*NIGHTS, "sun 23:00-tue 10:00"], ScanSchedule("sunday", "23:30", "23:30")),
    # Every night alike: the first longest window, Monday's.
    ([f"{d} 01:30-{d} 09:30" for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")],
     ScanSchedule("monday", "02:00", "02:00")),
    # The offset passes midnight: the scan is on the next day.
    (["sat 23:45-sun 09:00"], ScanSchedule("sunday", "00:15", None)),
    # Saturday night wraps into Monday: the quick scan time still fits every night.
    ([f"{a} 00:00-{a} 09:30" for a in ("mon", "tue", "wed", "thu", "fri", "sat")] +
     ["sun 00:00-sun 09:30"], ScanSchedule("monday", "00:30", "00:30")),
    # Friday and Saturday close late: 02:30 is inside every night, 00:30 is not.
    ([f"{d} 00:00-{d} 09:30" for d in ("mon", "tue", "wed", "thu", "sun")] +
     ["fri 02:00-fri 09:30", "sat 02:00-sat 09:30"], ScanSchedule("monday", "00:30", "02:30")),
    # One night a week only: no daily quick scan fits.
    (["sun 22:00-mon 06:00"], ScanSchedule("sunday", "22:30", None)),
])
def test_schedule(windows: list[str], expected: ScanSchedule) -> None:
    assert scan_schedule(windows) == expected


def test_offset_and_duration_move_and_limit_the_scan() -> None:
    assert scan_schedule(["sun 23:00-mon 01:00"], offset=60, duration=60).time == "00:00"
    with pytest.raises(WindowError, match="lasts 120 minutes, less than the 90 minutes"):
        scan_schedule(["sun 23:00-mon 01:00"], offset=90, duration=60)


@pytest.mark.parametrize(("windows", "message"), [
    ([], "no maintenance window"),
    (["sunday 23:00-mon 06:00"], "is not a maintenance window like"),
    (["sun 24:00-mon 06:00"], "is not a maintenance window like"),
    (["xyz 23:00-mon 06:00"], "is not a maintenance window like"),
    (["sun 23:00-mon 6:00"], "is not a maintenance window like"),
])
def test_bad_windows(windows: list[str], message: str) -> None:
    with pytest.raises(WindowError, match=message):
        scan_schedule(windows)


def test_as_dict_is_what_the_role_passes() -> None:
    assert scan_schedule(["sun 22:00-mon 06:00"]).as_dict() == {
        "day": "sunday", "time": "22:30", "quick_scan_time": None}
