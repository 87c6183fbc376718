"""The maintenance record says when the site's segmentation was last tested (PCI DSS 11.4.5)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from sitekit.audit.segmentation import last_test, sentence

TODAY = dt.date(2026, 11, 25)


def _record(records: Path, stamp: str, when: str, result: str | None) -> None:
    (records / "LIS01").mkdir(parents=True, exist_ok=True)
    data = {"when": when} | ({"segmentation": {"result": result}} if result else {})
    (records / "LIS01" / f"handover-{stamp}.json").write_text(json.dumps(data))


def test_the_newest_handover_record_with_a_test_counts(tmp_path: Path) -> None:
    assert last_test(tmp_path, "LIS01") is None
    _record(tmp_path, "2026-01-10T100000Z", "2026-01-10 10:00:00 UTC", "failed")
    _record(tmp_path, "2026-02-10T100000Z", "2026-02-10 10:00:00 UTC", "passed")
    _record(tmp_path, "2026-03-10T100000Z", "2026-03-10 10:00:00 UTC", None)  # older kind
    assert last_test(tmp_path, "LIS01") == (dt.date(2026, 2, 10), "passed")


def test_the_sentence_says_when_the_test_is_due() -> None:
    assert "none on record" in sentence(None, TODAY)
    assert sentence((dt.date(2026, 2, 10), "passed"), TODAY).endswith(
        "passed on 2026-02-10; due again by 2027-02-10.")
    assert "more than 12 months ago: due now" in sentence((dt.date(2025, 11, 1), "passed"),
                                                          TODAY)
    assert "failed on 2026-02-10; fix the segmentation" in sentence(
        (dt.date(2026, 2, 10), "failed"), TODAY)
    assert "not tested on" in sentence((dt.date(2026, 2, 10), "not tested"), TODAY)
