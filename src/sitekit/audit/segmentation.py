"""The last segmentation test of a site (PCI DSS 11.4.5), as its handover records keep it.

Opening day's acceptance ends with the segmentation test and writes its result into the
site's handover record (`<fleet>/records/<SITE>/handover-<UTC time>.json`). The monthly
maintenance record says when it last ran and whether it is due: PCI DSS 11.4.5 asks for it
at least once every 12 months and after any change to the segmentation.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

# PCI DSS v4.0.1 11.4.5: "at least once every 12 months and after any changes".
INTERVAL = dt.timedelta(days=365)


def last_test(records: Path, code: str) -> tuple[dt.date, str] | None:
    """The newest handover record's segmentation test: its day and result, or None.

    A record without one (written before the test existed) or not readable is skipped.
    """
    for path in sorted((records / code).glob("handover-*.json"), reverse=True):
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
            result = str(record["segmentation"]["result"])
            day = dt.date.fromisoformat(str(record["when"])[:10])
        except (OSError, ValueError, KeyError, TypeError):
            continue
        return day, result
    return None


def sentence(found: tuple[dt.date, str] | None, today: dt.date) -> str:
    """What the maintenance record says about the site's segmentation test."""
    if found is None:
        return ("Segmentation test (PCI DSS 11.4.5): none on record; run opening day's "
                "acceptance (--tags acceptance) from the guest vantage point.")
    day, result = found
    due = day + INTERVAL
    if result != "passed":
        return (f"Segmentation test (PCI DSS 11.4.5): {result} on {day}; fix the segmentation "
                "and run acceptance again.")
    if today > due:
        return (f"Segmentation test (PCI DSS 11.4.5): last passed on {day}, more than 12 "
                "months ago: due now (--tags acceptance).")
    return f"Segmentation test (PCI DSS 11.4.5): passed on {day}; due again by {due}."
