"""SITEKIT_NOW and SITEKIT_TODAY: one clock for the planner, the waivers and the audit."""

from __future__ import annotations

import datetime as dt

import pytest

from sitekit.plan.fleet import planning_date, planning_now


@pytest.mark.parametrize(("now", "today", "expected_now", "expected_date"), [
    ("2026-12-07T23:30:00-02:00", None, "2026-12-08T01:30:00+00:00", "2026-12-08"),
    ("2026-12-07T03:00:00Z", None, "2026-12-07T03:00:00+00:00", "2026-12-07"),
    ("2026-12-07T03:00:00Z", "2027-07-01", "2026-12-07T03:00:00+00:00", "2027-07-01"),
])
def test_now_sets_the_date_unless_today_is_given(monkeypatch: pytest.MonkeyPatch, now: str,
                                                 today: str | None, expected_now: str,
                                                 expected_date: str) -> None:
    monkeypatch.setenv("SITEKIT_NOW", now)
    if today is None:
        monkeypatch.delenv("SITEKIT_TODAY", raising=False)
    else:
        monkeypatch.setenv("SITEKIT_TODAY", today)
    assert planning_now().isoformat() == expected_now
    assert planning_date().isoformat() == expected_date


@pytest.mark.parametrize(("now", "message"), [
    ("2026-12-07T03:00:00", "has no offset"),
    ("next tuesday", "is not a time"),
    ("2026-02-30T03:00:00Z", "is not a time"),
])
def test_a_bad_now_says_how_to_write_it(monkeypatch: pytest.MonkeyPatch, now: str,
                                        message: str) -> None:
    monkeypatch.setenv("SITEKIT_NOW", now)
    monkeypatch.delenv("SITEKIT_TODAY", raising=False)
    with pytest.raises(ValueError, match=message):
        planning_now()
    with pytest.raises(ValueError, match=message):
        planning_date()  # the date comes from the same clock, so it fails the same way


def test_without_either_the_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SITEKIT_NOW", raising=False)
    monkeypatch.delenv("SITEKIT_TODAY", raising=False)
    before = dt.datetime.now(dt.UTC)
    now = planning_now()
    assert now.tzinfo is dt.UTC and before <= now <= dt.datetime.now(dt.UTC)
    assert planning_date() == dt.date.today()  # the machine's own date, as before SITEKIT_NOW
