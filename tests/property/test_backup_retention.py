"""The backup retention rule as properties: whatever the backups and the retention days."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sitekit import timestamps
from sitekit.backup.retention import expired

NOW = dt.datetime(2025, 3, 30, 12, 0, tzinfo=dt.UTC)
# The rule's worked examples, shared with the backup job's Pester tests
# (tests/pester/BackupRetention.Tests.ps1): one set of cases for both implementations.
VECTORS = json.loads((Path(__file__).resolve().parents[1] / "data" / "vectors" /
                      "backup_retention.json").read_text(encoding="utf-8"))["cases"]


@pytest.mark.parametrize("case", VECTORS, ids=lambda c: c["name"])
def test_shared_vectors(case: dict[str, Any]) -> None:
    now = timestamps.parse(case["now"])
    deleted = expired(case["backups"], now, case["retention_days"])
    assert [b["path"] for b in deleted] == case["expired"]


@st.composite
def backup_sets(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Backups of up to three databases over the last 40 days, in any mix of types."""
    count = draw(st.integers(min_value=0, max_value=30))
    backups = []
    for number in range(count):
        age = draw(st.integers(min_value=0, max_value=40 * 24 * 60))  # minutes
        backups.append({
            "database": draw(st.sampled_from(["LotusPOS", "lotuspos", "Reports", "Archive"])),
            "type": draw(st.sampled_from(["full", "differential", "log"])),
            "verified": draw(st.booleans()),
            "finished": timestamps.text(NOW - dt.timedelta(minutes=age)),
            "path": f"backup-{number}.bak",
        })
    return backups


def _when(backup: dict[str, Any]) -> dt.datetime:
    return timestamps.parse(backup["finished"])


def _paths(backups: list[Any]) -> set[str]:
    return {b["path"] for b in backups}


def _of(backups: list[dict[str, Any]], database: str) -> list[dict[str, Any]]:
    return [b for b in backups if b["database"].lower() == database.lower()]


DAYS = st.integers(min_value=0, max_value=45)


@settings(max_examples=400)
@given(backup_sets(), DAYS)
def test_the_newest_verified_full_and_all_after_it_are_kept(backups: list[dict[str, Any]],
                                                            days: int) -> None:
    deleted = _paths(expired(backups, NOW, days))
    for database in {b["database"].lower() for b in backups}:
        mine = _of(backups, database)
        fulls = [b for b in mine if b["type"] == "full" and b["verified"]]
        if fulls:
            newest = max(_when(b) for b in fulls)
            assert not {b["path"] for b in mine if _when(b) >= newest} & deleted


@settings(max_examples=400)
@given(backup_sets(), DAYS)
def test_nothing_younger_than_the_retention_is_deleted(backups: list[dict[str, Any]],
                                                       days: int) -> None:
    for backup in expired(backups, NOW, days):
        assert _when(backup) < NOW - dt.timedelta(days=days)


@settings(max_examples=400)
@given(backup_sets(), DAYS)
def test_a_kept_backup_keeps_the_verified_full_it_restores_from(
        backups: list[dict[str, Any]], days: int) -> None:
    deleted = _paths(expired(backups, NOW, days))
    kept = [b for b in backups if b["path"] not in deleted]
    for backup in kept:
        bases = [b for b in _of(backups, backup["database"])
                 if b["type"] == "full" and b["verified"] and _when(b) <= _when(backup)]
        if bases:
            kept_bases = [b for b in bases if b["path"] not in deleted]
            assert kept_bases, f"{backup['path']} kept without a verified full before it"


@settings(max_examples=400)
@given(backup_sets(), DAYS)
def test_a_database_without_a_verified_full_loses_nothing(backups: list[dict[str, Any]],
                                                          days: int) -> None:
    deleted = expired(backups, NOW, days)
    for database in {b["database"].lower() for b in deleted}:
        assert any(b["type"] == "full" and b["verified"] for b in _of(backups, database))


@settings(max_examples=300)
@given(backup_sets(), DAYS, DAYS)
def test_a_longer_retention_never_deletes_more(backups: list[dict[str, Any]], days: int,
                                               more: int) -> None:
    shorter, longer = sorted((days, more))
    assert _paths(expired(backups, NOW, longer)) <= _paths(expired(backups, NOW, shorter))


@settings(max_examples=300)
@given(backup_sets(), DAYS)
def test_retention_is_idempotent_and_deletes_only_what_it_was_given(
        backups: list[dict[str, Any]], days: int) -> None:
    deleted = expired(backups, NOW, days)
    assert _paths(deleted) <= _paths(backups)
    kept = [b for b in backups if b["path"] not in _paths(deleted)]
    assert expired(kept, NOW, days) == []


@settings(max_examples=300)
@given(backup_sets(), DAYS)
def test_everything_before_the_oldest_needed_full_goes(backups: list[dict[str, Any]],
                                                       days: int) -> None:
    """The rule is not vacuous: a backup older than every kept verified full is deleted."""
    deleted = _paths(expired(backups, NOW, days))
    for database in {b["database"].lower() for b in backups}:
        mine = _of(backups, database)
        kept_fulls = [_when(b) for b in mine if b["type"] == "full" and b["verified"]
                      and b["path"] not in deleted]
        if kept_fulls:
            oldest_needed = min(kept_fulls)
            stale = {b["path"] for b in mine if _when(b) < oldest_needed
                     and _when(b) < NOW - dt.timedelta(days=days)}
            assert stale <= deleted


@pytest.mark.parametrize(("ages", "days", "gone"), [
    # (type, verified, age in days) per backup; which indexes the rule deletes.
    ([("full", True, 20), ("log", True, 19), ("full", True, 10), ("log", True, 9)], 7, {0, 1}),
    ([("full", True, 20), ("differential", True, 12), ("log", True, 11)], 7, set()),
    ([("full", False, 20), ("log", True, 19)], 7, set()),
    ([("full", True, 30), ("full", False, 10), ("log", True, 2)], 7, set()),
    ([("full", True, 30), ("full", True, 9), ("log", True, 8), ("log", True, 1)], 0, {0}),
    ([("log", True, 20), ("full", False, 15), ("full", True, 3)], 7, {0, 1}),
])
def test_examples(ages: list[tuple[str, bool, int]], days: int, gone: set[int]) -> None:
    backups = [{"database": "LotusPOS", "type": kind, "verified": verified, "path": str(i),
                "finished": timestamps.text(NOW - dt.timedelta(days=age))}
               for i, (kind, verified, age) in enumerate(ages)]
    assert _paths(expired(backups, NOW, days)) == {str(i) for i in gone}


def test_a_negative_retention_is_refused() -> None:
    with pytest.raises(ValueError, match="retention_days"):
        expired([], NOW, -1)
