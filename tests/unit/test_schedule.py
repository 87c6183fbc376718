"""Time zones and maintenance windows derived from the opening hours."""

from __future__ import annotations

from typing import Any

import pytest

from sitekit.site.model import Fleet
from tests.conftest import messages, plan


def test_windows_follow_closing_and_opening(site_data: dict[str, Any], fleet: Fleet) -> None:
    site_plan, problems = plan(site_data, fleet)
    assert site_plan is not None, messages(problems)
    schedule = site_plan.schedule
    assert schedule.windows_time_zone == "W. Europe Standard Time"
    by_day = {w.day: w for w in schedule.windows}
    # Closes 23:00 Sunday-Thursday: window from 00:00 (60 min later) to 09:30 (90 before 11:00).
    assert (by_day["mon"].start, by_day["mon"].end, by_day["mon"].minutes) == ("00:00", "09:30",
                                                                               570)
    # Closes 00:30 on Friday and Saturday nights: the window starts 01:30.
    assert (by_day["sat"].start, by_day["sat"].minutes) == ("01:30", 480)
    assert len(schedule.windows) == 7


def test_a_closed_day_gives_one_long_window(site_data: dict[str, Any], fleet: Fleet) -> None:
    site_data["opening_hours"] = {"daily": "11:00-22:00", "mon": "closed"}
    site_plan, _ = plan(site_data, fleet)
    assert site_plan is not None
    longest = max(site_plan.schedule.windows, key=lambda w: w.minutes)
    # Sunday 22:00 + 60 min to Tuesday 11:00 - 90 min.
    assert (longest.day, longest.start, longest.end) == ("sun", "23:00", "09:30")
    assert longest.minutes == 34 * 60 + 30
    assert len(site_plan.schedule.windows) == 6
    assert longest.text == "sun 23:00-tue 09:30"


def test_a_short_night_needs_an_explicit_window(site_data: dict[str, Any], fleet: Fleet) -> None:
    site_data["opening_hours"] = {"daily": "07:00-03:30"}
    _, problems = plan(site_data, fleet)
    assert "closing at 03:30 (tue) and opening at 07:00 leaves 60 minutes" in messages(problems)
    site_data["maintenance_window"] = "04:00-06:30"
    site_plan, problems = plan(site_data, fleet)
    assert site_plan is not None, messages(problems)
    assert {w.start for w in site_plan.schedule.windows} == {"04:00"}


def test_an_explicit_window_may_not_overlap_opening(site_data: dict[str, Any],
                                                    fleet: Fleet) -> None:
    site_data["maintenance_window"] = "22:00-02:00"
    _, problems = plan(site_data, fleet)
    assert any(p.field == "maintenance_window" and "overlaps the opening hours" in p.message
               for p in problems), messages(problems)


@pytest.mark.parametrize(
    ("zone", "expect"),
    [("Europe/Berln", "did you mean 'Europe/Berlin'?"), ("Mars/Olympus", "unknown time zone")],
)
def test_unknown_time_zone(site_data: dict[str, Any], fleet: Fleet, zone: str,
                           expect: str) -> None:
    site_data["time_zone"] = zone
    _, problems = plan(site_data, fleet)
    assert any(p.field == "time_zone" and expect in p.message for p in problems)


def test_hours_missing_for_a_day(site_data: dict[str, Any], fleet: Fleet) -> None:
    site_data["opening_hours"] = {"mon": "11:00-22:00"}
    _, problems = plan(site_data, fleet)
    assert "no hours for tue; add `tue:` or `daily:`" in messages(problems)
