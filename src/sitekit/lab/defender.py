"""What Defender says of its signatures (Get-MpComputerStatus), for the modules and the jobs.

The sitekit_defender and sitekit_facts models report it, and the monitoring role's metric
task (sitekit.lab.defendermetric) writes it for the exporter: one rule for all three.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sitekit.lab import faults


def signatures_updated(state: dict[str, Any], now: dt.datetime) -> dt.datetime:
    """When the signatures were last updated, the scheduled checks since included.

    Defender checks for new signatures every SignatureUpdateInterval hours (1-24; 0 leaves
    it to its default schedule, which the lab does not run) and Microsoft publishes new ones
    several times a day, so each check updates them; a stale-signatures fault makes every
    check fail. https://learn.microsoft.com/en-us/powershell/module/defender/set-mppreference
    """
    defender = state["defender"]
    stored = dt.datetime.fromisoformat(defender["antivirus_signature_last_updated"])
    hours = (defender.get("preferences") or {}).get("signature_update_interval") or 0
    since = defender.get("signature_checks_since")  # when the interval was set
    if not hours or not since or faults.active(state, "stale-signatures") is not None:
        return stored
    start = dt.datetime.fromisoformat(since)
    every = dt.timedelta(hours=int(hours))
    if now < start + every:
        return stored
    return max(stored, start + every * ((now - start) // every))
