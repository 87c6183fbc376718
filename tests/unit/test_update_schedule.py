"""The Windows Update install hour inside a site's maintenance windows."""

from __future__ import annotations

import pytest

from sitekit.plan.updates import UpdateSchedule, update_schedule

NIGHTLY_BUT_MONDAY = ["tue 23:00-wed 10:00", "wed 23:00-thu 10:00", "thu 23:00-fri 10:00",
                      "fri 23:00-sat 10:00", "sat 23:00-sun 10:00", "sun 23:00-tue 10:00"]


@pytest.mark.parametrize(("windows", "minutes", "expected"), [
    (NIGHTLY_BUT_MONDAY, 120, UpdateSchedule(0, 23)),       # every day at 23:00
    (NIGHTLY_BUT_MONDAY, 11 * 60, UpdateSchedule(0, 23)),   # 23:00-10:00 holds 11 hours
    (NIGHTLY_BUT_MONDAY, 12 * 60, UpdateSchedule(1, 23)),   # only Sunday night holds 12 h
    (["sun 23:00-mon 02:00"], 120, UpdateSchedule(1, 23)),  # Sunday
    (["wed 01:30-wed 04:00"], 120, UpdateSchedule(4, 2)),   # starts at the next full hour
    (["sat 22:15-sun 01:00"], 120, UpdateSchedule(7, 23)),  # Saturday
    (["mon 00:00-mon 00:00"], 120, UpdateSchedule(0, 0)),   # a whole week is a window
])
def test_schedule(windows: list[str], minutes: int, expected: UpdateSchedule) -> None:
    assert update_schedule(windows, minutes) == expected


@pytest.mark.parametrize(("windows", "minutes", "message"), [
    ([], 120, "no maintenance window"),
    (["wed 01:30-wed 03:00"], 120, "long enough"),
    (["wed 01:30 wed 03:00"], 60, "is not a maintenance window like"),
    (["xyz 01:30-wed 03:00"], 60, "is not a maintenance window like"),
    (["wed 01:00-wed 03:00"], 0, "positive"),
])
def test_schedule_refuses(windows: list[str], minutes: int, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        update_schedule(windows, minutes)
