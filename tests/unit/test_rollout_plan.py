"""The rollout planner: each site's next window, batches, rings and what is deferred."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sitekit.plan.schedule import Schedule, Window
from sitekit.rollout.planner import SiteInput, next_slot, plan_rollout
from sitekit.rollout.release import Release, RingPolicy
from sitekit.site.model import DAYS

UTC = dt.UTC
# Every night 00:00-09:30 local (the example's ber02 Sunday to Thursday).
NIGHTS = tuple(Window(day, "00:00", "09:30", 570) for day in DAYS)
BERLIN = Schedule("Europe/Berlin", "W. Europe Standard Time", NIGHTS)


def _t(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def release(rings: tuple[RingPolicy, ...] = (RingPolicy(0, 1, 0, 24, False),),
            canary: tuple[str, ...] = (), minutes: int = 90, canary_soak: int = 0) -> Release:
    return Release("r1", "releases/r1.yml", "test", minutes, {"application": {"version": "9"}},
                   False, canary, canary_soak, rings)


@pytest.mark.parametrize(("schedule", "now", "minutes", "start", "closes"), [
    # Inside a window with time left: now.
    (BERLIN, "2026-12-07T01:00+00:00", 90, "2026-12-07T01:00+00:00", "2026-12-07T08:30+00:00"),
    # Inside, but 60 minutes left for a 90-minute upgrade: the next night.
    (BERLIN, "2026-12-07T07:30+00:00", 90, "2026-12-07T23:00+00:00", "2026-12-08T08:30+00:00"),
    # Exactly the upgrade's time left: still fits.
    (BERLIN, "2026-12-07T07:00+00:00", 90, "2026-12-07T07:00+00:00", "2026-12-07T08:30+00:00"),
    # Open for business: the window that opens tonight (00:00 Berlin is 23:00 UTC in winter).
    (BERLIN, "2026-12-07T12:00+00:00", 90, "2026-12-07T23:00+00:00", "2026-12-08T08:30+00:00"),
    # Summer time: 00:00 Berlin is 22:00 UTC.
    (BERLIN, "2027-07-01T12:00+00:00", 90, "2027-07-01T22:00+00:00", "2027-07-02T07:30+00:00"),
    # The night the clocks go forward (28 March 2027): opens in winter, closes in summer.
    (BERLIN, "2027-03-27T22:30+00:00", 90, "2027-03-27T23:00+00:00", "2027-03-28T07:30+00:00"),
    # One window a week, on Monday: from a Tuesday, six days on.
    (Schedule("Europe/Lisbon", "GMT Standard Time", (Window("mon", "02:00", "08:00", 360),)),
     "2026-12-08T12:00+00:00", 60, "2026-12-14T02:00+00:00", "2026-12-14T08:00+00:00"),
    # A window over midnight into the next day, already open since Sunday.
    (Schedule("Asia/Tokyo", "Tokyo Standard Time", (Window("sun", "23:00", "tue 09:30", 2070),)),
     "2026-12-07T00:00+00:00", 600, "2026-12-07T00:00+00:00", "2026-12-08T00:30+00:00"),
])
def test_next_slot(schedule: Schedule, now: str, minutes: int, start: str, closes: str) -> None:
    slot = next_slot(schedule, _t(now), minutes)
    assert slot is not None
    assert (slot.start, slot.window_closes) == (_t(start), _t(closes))
    assert slot.end == slot.start + dt.timedelta(minutes=minutes)
    assert slot.local_start.utcoffset() == slot.start.astimezone(
        slot.local_start.tzinfo).utcoffset()


@pytest.mark.parametrize("minutes", [571, 1440])
def test_no_slot_when_every_window_is_too_short(minutes: int) -> None:
    assert next_slot(BERLIN, _t("2026-12-07T12:00+00:00"), minutes) is None


def test_the_canary_goes_first_then_the_ring_after_its_soak() -> None:
    sites = [SiteInput(code, 0, BERLIN) for code in ("A01", "B01", "C01")]
    plan = plan_rollout(release(canary=("B01",), canary_soak=24), sites,
                        _t("2026-12-07T12:00+00:00"))
    batches = plan.rings[0].batches
    assert [[s.code for s in batch] for batch in batches] == [["B01"], ["A01"], ["C01"]]
    assert batches[0][0].canary and not batches[1][0].canary
    canary_end = batches[0][0].slot.end  # type: ignore[union-attr]
    # The canary soaks 24 h: the next site starts in the first window after that.
    assert batches[1][0].slot.start >= canary_end + dt.timedelta(hours=24)  # type: ignore[union-attr]


@pytest.mark.parametrize(("count", "size", "sizes"), [
    (25, 10, [10, 10, 5]), (3, 10, [3]), (4, 1, [1, 1, 1, 1]), (0, 5, []),
])
def test_batches_take_the_policy_size(count: int, size: int, sizes: list[int]) -> None:
    sites = [SiteInput(f"S{n:03d}", 1, BERLIN) for n in range(count)]
    rings = (RingPolicy(1, size, 5, 0, True),)
    plan = plan_rollout(release(rings), sites, _t("2026-12-07T12:00+00:00"))
    assert [len(batch) for batch in plan.rings[0].batches] == sizes
    for earlier, later in zip(plan.rings[0].batches, plan.rings[0].batches[1:], strict=False):
        assert min(s.slot.start for s in later) >= max(s.slot.end for s in earlier)  # type: ignore[union-attr]


def test_a_site_whose_windows_are_too_short_is_deferred_with_the_reason() -> None:
    short = Schedule("Europe/Berlin", "W. Europe Standard Time",
                     (Window("mon", "02:00", "03:00", 60),))
    plan = plan_rollout(release(), [SiteInput("S1", 0, short), SiteInput("S2", 0, BERLIN)],
                        _t("2026-12-07T12:00+00:00"))
    assert [s.code for s in plan.rings[0].deferred] == ["S1"]
    assert "longest maintenance window is 60 minutes, shorter than the 90" in \
        plan.rings[0].deferred[0].deferred
    assert [s.code for s in plan.sites] == ["S2", "S1"]


def test_sites_already_done_are_left_out() -> None:
    sites = [SiteInput("S1", 0, BERLIN), SiteInput("S2", 0, BERLIN)]
    plan = plan_rollout(release(), sites, _t("2026-12-07T12:00+00:00"), done=frozenset({"S1"}))
    assert [s.code for s in plan.sites] == ["S2"]


def test_rings_wait_for_the_ring_before_and_its_soak() -> None:
    rings = (RingPolicy(0, 5, 0, 48, False), RingPolicy(2, 5, 0, 0, True))
    sites = [SiteInput("A", 0, BERLIN), SiteInput("B", 2, BERLIN)]
    plan = plan_rollout(release(rings), sites, _t("2026-12-07T12:00+00:00"))
    first, second = plan.rings
    assert first.ends == _t("2026-12-08T00:30+00:00")
    # 48 h after ring 0 ends falls inside a night: ring 2 starts right then.
    assert second.batches[0][0].slot.start == _t("2026-12-10T00:30+00:00")  # type: ignore[union-attr]
    assert plan.completes == _t("2026-12-10T02:00+00:00")


ZONES = ["Europe/Lisbon", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Australia/Sydney",
         "Pacific/Chatham", "America/St_Johns"]


@st.composite
def schedules(draw: st.DrawFn) -> Schedule:
    windows = draw(st.lists(st.tuples(st.sampled_from(DAYS), st.integers(0, 1439),
                                       st.integers(30, 3000)), min_size=1, max_size=7))
    return Schedule(draw(st.sampled_from(ZONES)), "-", tuple(
        Window(day, f"{start // 60:02d}:{start % 60:02d}", "-", minutes)
        for day, start, minutes in windows))


@settings(max_examples=150, deadline=None)
@given(sites=st.lists(st.tuples(st.sampled_from([0, 1, 3]), schedules()), max_size=25),
       now=st.datetimes(min_value=dt.datetime(2026, 1, 1), max_value=dt.datetime(2030, 1, 1),
                        timezones=st.just(UTC)),
       minutes=st.integers(15, 600), sizes=st.tuples(*[st.integers(1, 6)] * 3),
       soak=st.integers(0, 72), canary=st.booleans())
def test_every_site_once_inside_its_window_and_rings_in_order(
        sites: list[tuple[int, Schedule]], now: dt.datetime, minutes: int,
        sizes: tuple[int, int, int], soak: int, canary: bool) -> None:
    inputs = [SiteInput(f"S{n:03d}", ring, schedule) for n, (ring, schedule) in enumerate(sites)]
    rings = tuple(RingPolicy(ring, size, 10, soak, False)
                  for ring, size in zip((0, 1, 3), sizes, strict=True))
    canaries = tuple(s.code for s in inputs if s.ring == 0)[:1] if canary else ()
    plan = plan_rollout(release(rings, canaries, minutes, soak), inputs, now)
    codes = [s.code for s in plan.sites]
    assert sorted(codes) == sorted(s.code for s in inputs)  # every site exactly once
    need = dt.timedelta(minutes=minutes)
    previous_end = now
    for ring in plan.rings:
        assert all(s.ring == ring.ring for s in ring.deferred)
        for site in ring.deferred:
            assert site.slot is None and site.deferred
        ring_start = previous_end
        for batch in ring.batches:
            for site in batch:
                slot = site.slot
                assert slot is not None and site.ring == ring.ring
                assert slot.start >= now and slot.start >= ring_start  # never in the past
                assert slot.window_opens <= slot.start  # inside the window ...
                assert slot.start + need == slot.end <= slot.window_closes  # ... with time left
            ring_start = max(s.slot.end for s in batch)  # type: ignore[union-attr]
        if ring.batches:
            previous_end = ring.ends + dt.timedelta(hours=soak)  # type: ignore[operator]
        # A site is deferred only if no window of it is long enough.
        schedules_of = {s.code: s.schedule for s in inputs}
        for site in ring.deferred:
            assert max(w.minutes for w in schedules_of[site.code].windows) < minutes
