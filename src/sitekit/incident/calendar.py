"""The vendor's working calendar: working hours on working days, holidays off, in its zone.

The on-site promise (an engineer on site within N working hours) is counted on it; the
response promise (an answer within an hour) runs around the clock. Pauses, while the
customer cannot be reached, count on neither. Pure: instants in, durations out.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

Span = tuple[dt.datetime, dt.datetime]  # aware instants, start before end


@dataclass(frozen=True, slots=True)
class WorkingCalendar:
    """Working hours (local wall clock) on some weekdays (0 = Monday), less holidays."""

    time_zone: str
    start: dt.time
    end: dt.time
    weekdays: frozenset[int]
    holidays: frozenset[dt.date]

    def working_spans(self, begin: dt.datetime, until: dt.datetime) -> Iterator[Span]:
        """The working hours between two instants, clipped to them, in UTC."""
        zone = zoneinfo.ZoneInfo(self.time_zone)
        day = begin.astimezone(zone).date()
        last = until.astimezone(zone).date()
        while day <= last:
            if day.weekday() in self.weekdays and day not in self.holidays:
                # Wall-clock hours: 09:00-18:00 stays 09:00-18:00 across daylight saving.
                opens = dt.datetime.combine(day, self.start, zone).astimezone(dt.UTC)
                closes = dt.datetime.combine(day, self.end, zone).astimezone(dt.UTC)
                first, second = max(opens, begin), min(closes, until)
                if first < second:
                    yield first, second
            day += dt.timedelta(days=1)

    def working_time(self, begin: dt.datetime, until: dt.datetime,
                     pauses: Iterable[Span] = ()) -> dt.timedelta:
        """Working time between two instants, less the pauses."""
        if until <= begin:
            return dt.timedelta()
        return _total(_minus(list(self.working_spans(begin, until)), pauses))


def wall_time(begin: dt.datetime, until: dt.datetime,
              pauses: Iterable[Span] = ()) -> dt.timedelta:
    """Time around the clock between two instants, less the pauses."""
    if until <= begin:
        return dt.timedelta()
    return _total(_minus([(begin.astimezone(dt.UTC), until.astimezone(dt.UTC))], pauses))


def _merged(spans: Iterable[Span]) -> list[Span]:
    out: list[list[dt.datetime]] = []
    for start, end in sorted((s.astimezone(dt.UTC), e.astimezone(dt.UTC)) for s, e in spans):
        if end <= start:
            continue
        if out and start <= out[-1][1]:
            out[-1][1] = max(out[-1][1], end)
        else:
            out.append([start, end])
    return [(start, end) for start, end in out]


def _minus(spans: list[Span], pauses: Iterable[Span]) -> list[Span]:
    """The parts of `spans` outside every pause."""
    cut = _merged(pauses)
    out = []
    for start, end in spans:
        at = start
        for pause_start, pause_end in cut:
            if pause_end <= at or pause_start >= end:
                continue
            if pause_start > at:
                out.append((at, pause_start))
            at = max(at, pause_end)
        if at < end:
            out.append((at, end))
    return out


def _total(spans: Iterable[Span]) -> dt.timedelta:
    # Differences in UTC: Python subtracts two times of one zone as wall clocks.
    return sum(((end.astimezone(dt.UTC) - start.astimezone(dt.UTC)) for start, end in spans),
               dt.timedelta())
