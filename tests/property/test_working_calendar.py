"""The working calendar the on-site clock counts on: weekends, holidays, zones, pauses.

Properties rather than examples: working time adds up over any split, never exceeds the
time around the clock, is nothing on days off, does not depend on the zone the instants
are written in, and a pause takes away exactly the working time inside it.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

from hypothesis import given, settings
from hypothesis import strategies as st

from sitekit.incident.calendar import WorkingCalendar, wall_time

ZONES = ("Europe/Lisbon", "Europe/Berlin", "America/New_York", "Asia/Shanghai",
         "Australia/Sydney", "UTC")
START = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
ZERO = dt.timedelta()


@st.composite
def calendars(draw: st.DrawFn) -> WorkingCalendar:
    opens = draw(st.integers(0, 22 * 60))
    closes = draw(st.integers(opens + 1, 24 * 60 - 1))
    weekdays = draw(st.frozensets(st.integers(0, 6), min_size=1))
    holidays = draw(st.frozensets(st.dates(dt.date(2026, 1, 1), dt.date(2026, 12, 31)),
                                  max_size=20))
    return WorkingCalendar(draw(st.sampled_from(ZONES)), dt.time(opens // 60, opens % 60),
                           dt.time(closes // 60, closes % 60), weekdays, holidays)


# Instants to the minute across 2026, daylight-saving changes included.
instants = st.integers(0, 365 * 24 * 60).map(lambda m: START + dt.timedelta(minutes=m))


def ordered(a: dt.datetime, b: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    return (a, b) if a <= b else (b, a)


@settings(max_examples=150, deadline=None)
@given(calendars(), instants, instants, instants)
def test_working_time_adds_up_over_any_split(calendar: WorkingCalendar, a: dt.datetime,
                                             b: dt.datetime, c: dt.datetime) -> None:
    first, middle, last = sorted((a, b, c))
    whole = calendar.working_time(first, last)
    assert whole == calendar.working_time(first, middle) + calendar.working_time(middle, last)
    assert ZERO <= whole <= last - first


@settings(max_examples=100, deadline=None)
@given(calendars(), instants, instants, st.sampled_from(ZONES))
def test_the_zone_instants_are_written_in_changes_nothing(
        calendar: WorkingCalendar, a: dt.datetime, b: dt.datetime, zone: str) -> None:
    first, last = ordered(a, b)
    other = zoneinfo.ZoneInfo(zone)
    assert calendar.working_time(first, last) == \
        calendar.working_time(first.astimezone(other), last.astimezone(other))


@settings(max_examples=100, deadline=None)
@given(calendars(), st.dates(dt.date(2026, 1, 5), dt.date(2026, 12, 20)))
def test_a_day_off_has_no_working_time_and_a_working_day_its_hours(
        calendar: WorkingCalendar, day: dt.date) -> None:
    zone = zoneinfo.ZoneInfo(calendar.time_zone)
    begin = dt.datetime.combine(day, dt.time(0), zone)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), zone)
    worked = calendar.working_time(begin, end)
    if day.weekday() not in calendar.weekdays or day in calendar.holidays:
        assert worked == ZERO
    else:
        # Wall-clock hours: 09:00-18:00 is nine hours on any day; on a day the clocks
        # change inside the hours, the hours as the clock shows them, an hour more or less.
        opens = dt.datetime.combine(day, calendar.start, zone).astimezone(dt.UTC)
        closes = dt.datetime.combine(day, calendar.end, zone).astimezone(dt.UTC)
        assert worked == closes - opens


@settings(max_examples=150, deadline=None)
@given(calendars(), instants, instants, instants, instants)
def test_a_pause_takes_away_exactly_the_working_time_inside_it(
        calendar: WorkingCalendar, a: dt.datetime, b: dt.datetime, p: dt.datetime,
        q: dt.datetime) -> None:
    first, last = ordered(a, b)
    pause = ordered(p, q)
    inside = calendar.working_time(max(first, pause[0]), min(last, pause[1]))
    assert calendar.working_time(first, last, [pause]) == \
        calendar.working_time(first, last) - inside
    # Around the clock likewise: the pause's overlap with the span, no more.
    overlap = max(ZERO, min(last, pause[1]) - max(first, pause[0]))
    assert wall_time(first, last, [pause]) == (last - first) - overlap


@settings(max_examples=60, deadline=None)
@given(calendars(), instants, instants, instants, instants)
def test_overlapping_pauses_count_once(calendar: WorkingCalendar, a: dt.datetime,
                                       b: dt.datetime, p: dt.datetime, q: dt.datetime) -> None:
    first, last = ordered(a, b)
    pause = ordered(p, q)
    assert calendar.working_time(first, last, [pause, pause]) == \
        calendar.working_time(first, last, [pause])


def test_a_call_on_friday_evening_is_answered_on_monday_morning() -> None:
    """The example contract's calendar: 09:00-18:00 Lisbon, Monday to Friday."""
    calendar = WorkingCalendar("Europe/Lisbon", dt.time(9), dt.time(18),
                               frozenset(range(5)), frozenset({dt.date(2026, 12, 8)}))
    friday = dt.datetime(2026, 12, 4, 17, 0, tzinfo=dt.UTC)  # 17:00 in Lisbon (winter)
    monday = dt.datetime(2026, 12, 7, 12, 0, tzinfo=dt.UTC)
    assert calendar.working_time(friday, monday) == dt.timedelta(hours=4)  # 1 h + 3 h
    # Tuesday 8 December is a holiday: Monday 17:00 to Wednesday 10:00 is 2 hours.
    assert calendar.working_time(dt.datetime(2026, 12, 7, 17, tzinfo=dt.UTC),
                                 dt.datetime(2026, 12, 9, 10, tzinfo=dt.UTC)) == \
        dt.timedelta(hours=2)
    # In summer Lisbon is UTC+1: 09:00 local is 08:00 UTC.
    july = dt.datetime(2026, 7, 6, 8, 0, tzinfo=dt.UTC)
    assert calendar.working_time(july, july + dt.timedelta(hours=1)) == dt.timedelta(hours=1)
    assert calendar.working_time(july - dt.timedelta(hours=1), july) == ZERO
