"""The lab's clock moves on (`sitekit lab advance`), and Defender's scheduled signature checks
run by their interval when the host is next read, unless updating fails (stale-signatures)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from sitekit.lab import clock
from sitekit.lab.cli import advance_clock
from sitekit.lab.labdir import LabLayout
from sitekit.lab.modules import _common
from sitekit.lab.modules.sitekit_defender import signatures_updated

UPDATED = dt.datetime(2026, 12, 7, 2, 0, tzinfo=dt.UTC)


def _state(interval: int, faults: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"defender": {"antivirus_signature_last_updated": UPDATED.isoformat(),
                         "signature_checks_since": UPDATED.isoformat(),
                         "preferences": {"signature_update_interval": interval}},
            "lab": {"faults": faults or {}}}


@pytest.mark.parametrize(("interval", "later", "updated"), [
    (4, dt.timedelta(hours=10), UPDATED + dt.timedelta(hours=8)),
    (4, dt.timedelta(hours=3), UPDATED),
    (24, dt.timedelta(days=8, hours=1), UPDATED + dt.timedelta(days=8)),
    (0, dt.timedelta(days=8), UPDATED),  # Defender's own default schedule: not modelled
])
def test_scheduled_signature_checks(interval: int, later: dt.timedelta,
                                    updated: dt.datetime) -> None:
    assert signatures_updated(_state(interval), UPDATED + later) == updated


def test_checks_count_from_when_the_interval_was_set() -> None:
    state = _state(4)
    state["defender"]["signature_checks_since"] = (UPDATED + dt.timedelta(hours=6)).isoformat()
    assert signatures_updated(state, UPDATED + dt.timedelta(hours=9)) == UPDATED
    assert signatures_updated(state, UPDATED + dt.timedelta(hours=10)) == \
        UPDATED + dt.timedelta(hours=10)
    del state["defender"]["signature_checks_since"]  # never set: no schedule of the lab's
    assert signatures_updated(state, UPDATED + dt.timedelta(days=2)) == UPDATED


def test_a_failing_update_source_keeps_the_signatures_stale() -> None:
    state = _state(4, {"stale-signatures": {}})
    assert signatures_updated(state, UPDATED + dt.timedelta(days=3)) == UPDATED


def test_advancing_the_clock_adds_up_and_only_moves_on(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    layout = LabLayout(tmp_path)
    monkeypatch.setattr(LabLayout, "exists", lambda self: True)
    assert advance_clock(layout, dt.timedelta(days=1)) == 0
    assert advance_clock(layout, dt.timedelta(hours=12)) == 0
    assert (tmp_path / clock.CLOCK_FILE).read_text() == '{"offset_seconds": 129600}'
    with pytest.raises(ValueError, match="only moves on"):
        advance_clock(layout, dt.timedelta(days=-1))


def test_the_lab_clock_runs_ahead_by_its_offset(monkeypatch: pytest.MonkeyPatch) -> None:
    before = _common.utcnow()
    monkeypatch.setattr(clock, "_clock_offset", dt.timedelta(days=8))
    assert _common.utcnow() - before >= dt.timedelta(days=8)
