"""sitekit_defender (plugins/modules): Defender preferences, policy exclusions, signatures.

Preferences live in state["defender"]["preferences"] (what Get-MpPreference shows);
exclusions are registry values under the Defender policy key, as Group Policy and the
module write them; a signature update moves the signatures to now, unless the
stale-signatures fault makes it fail.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from sitekit import timestamps
from sitekit.lab import faults
from sitekit.lab.defender import signatures_updated
from sitekit.lab.host import LabHost
from sitekit.lab.modules import ModuleFailedError, register
from sitekit.lab.modules._common import utcnow
from sitekit.lab.seed_stations import ensure
from sitekit.lab.state import find, host_state

POLICY_KEY = "HKLM:\\SOFTWARE\\Policies\\Microsoft\\Windows Defender\\Exclusions"
EXCLUSIONS = {"exclusion_paths": "Paths", "exclusion_processes": "Processes",
              "exclusion_extensions": "Extensions"}
PREFERENCES = ("realtime_protection", "behavior_monitoring", "scan_day", "scan_time",
               "scan_type", "quick_scan_time", "check_signatures_before_scan",
               "signature_update_interval")
# What tamper protection guards: Set-MpPreference returns without error and the setting
# stays as it was. https://learn.microsoft.com/en-us/defender-endpoint/prevent-changes-to-security-settings-with-tamper-protection
TAMPER_PROTECTED = ("realtime_protection", "behavior_monitoring")
_CLOCK = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
_MAX_INTERVAL = 24


def _exclusions(registry: dict[str, Any], kind: str) -> list[str]:
    """The exclusions of one kind in the policy key, sorted case-insensitively."""
    key = find(registry, f"{POLICY_KEY}\\{kind}")
    return sorted((name for name in registry.get(key, {}) if name), key=str.lower) if key else []


def _same(left: list[str], right: list[str]) -> bool:
    return sorted(x.lower() for x in left) == sorted(x.lower() for x in right)


def _status(defender: dict[str, Any], now: dt.datetime,
            state: dict[str, Any] | None = None) -> dict[str, Any]:
    """What Get-MpComputerStatus reports, as the module returns it."""
    updated = dt.datetime.fromisoformat(defender["antivirus_signature_last_updated"]) \
        if state is None else signatures_updated(state, now)
    return {
        "antivirus_enabled": defender["antivirus_enabled"],
        "realtime_protection_enabled": defender["preferences"]["realtime_protection"],
        "is_tamper_protected": defender["is_tamper_protected"],
        "antivirus_signature_version": defender["antivirus_signature_version"],
        "antivirus_signature_last_updated": timestamps.text(updated),
        "antivirus_signature_age_hours": int((now - updated).total_seconds() // 3600),
    }


def _wanted_preferences(args: dict[str, Any], before: dict[str, Any]) -> dict[str, Any]:
    """The preferences after the run; clocks and the interval are checked as the .ps1 does."""
    interval = args["signature_update_interval"]
    if interval is not None and not 0 <= interval <= _MAX_INTERVAL:
        raise ModuleFailedError(f"signature_update_interval must be 0 to 24 hours, got {interval}")
    after = dict(before)
    for option in PREFERENCES:
        wanted = args[option]
        if wanted is None:
            continue
        if option in ("scan_time", "quick_scan_time") and not _CLOCK.match(wanted):
            raise ModuleFailedError(f"{option} must be a time of day written HH:MM, got "
                                    f"'{wanted}'")
        after[option] = wanted
    return after


def _next_version(version: str) -> str:
    """The signature version after an update: the third part moves on."""
    parts = version.split(".")
    parts[2] = str(int(parts[2]) + 40)
    return ".".join(parts)


@register("ansible.legacy.sitekit_defender", supports_check_mode=True,
          implements=("realtime_protection", "behavior_monitoring", "scan_day", "scan_time",
                      "scan_type", "quick_scan_time", "check_signatures_before_scan",
                      "signature_update_interval", "exclusion_paths", "exclusion_processes",
                      "exclusion_extensions", "signature_max_age_hours"))
def sitekit_defender(host: LabHost, args: dict[str, Any], check_mode: bool,
                     diff: bool) -> dict[str, Any]:
    """Set preferences and exclusions, update stale signatures; report what changed."""
    state = ensure(host_state(host))
    defender, registry = state["defender"], state["registry"]
    before = dict(defender["preferences"])
    after = _wanted_preferences(args, before)
    changes = [option for option in PREFERENCES if after[option] != before[option]]
    exclusions_before = {kind.lower(): _exclusions(registry, kind)
                         for kind in EXCLUSIONS.values()}
    exclusions_after = dict(exclusions_before)
    for option, kind in EXCLUSIONS.items():
        if args[option] is None:
            continue
        wanted = sorted({x for x in args[option] if x}, key=str.lower)
        exclusions_after[kind.lower()] = wanted
        if _same(wanted, exclusions_before[kind.lower()]):
            continue
        changes.append(option)
        if not check_mode:
            key = find(registry, f"{POLICY_KEY}\\{kind}") or f"{POLICY_KEY}\\{kind}"
            registry[key] = {name: {"type": "string", "data": "0"} for name in wanted}
            policy = find(registry, POLICY_KEY) or POLICY_KEY
            registry.setdefault(policy, {})[f"Exclusions_{kind}"] = {"type": "dword", "data": 1}
    now = utcnow()
    if not check_mode:
        applied = {k: before[k] if defender["is_tamper_protected"] and k in TAMPER_PROTECTED
                   else v for k, v in after.items()}
        if applied.get("signature_update_interval") != before.get("signature_update_interval"):
            defender["signature_checks_since"] = now.isoformat()
        defender["preferences"] = applied
        # The module reads the preferences back: what did not take fails, naming why.
        ignored = [k for k in changes if k in PREFERENCES and applied[k] != after[k]]
        if ignored:
            raise ModuleFailedError(
                f"Defender kept {', '.join(ignored)} as they were (wanted "
                f"{', '.join(f'{k}={after[k]}' for k in ignored)}): tamper protection"
                " (IsTamperProtected: True) ignores changes to them. Change them where tamper"
                " protection is managed (Microsoft Defender for Endpoint or Intune), or leave"
                " them out.",
                preferences=applied, changes=changes)
    status = _status(defender, now, state)
    limit = args["signature_max_age_hours"]
    updated = limit is not None and status["antivirus_signature_age_hours"] >= limit
    if updated and not check_mode:
        if faults.active(state, "stale-signatures") is not None:
            raise ModuleFailedError(
                f"Defender's signatures are {status['antivirus_signature_age_hours']} hours old"
                " and updating them failed: Update-MpSignature: The update source could not"
                " be reached (0x8024402c). Check that the host reaches its update source"
                " (Windows Update, WSUS or the definition share), or update it offline with"
                " mpam-fe.exe, then run the role again.",
                preferences=after, exclusions=exclusions_after, status=status,
                signatures_updated=False, changes=changes)
        defender["antivirus_signature_last_updated"] = now.isoformat()
        defender["antivirus_signature_version"] = _next_version(
            defender["antivirus_signature_version"])
        status = _status(defender, now, state)
    result: dict[str, Any] = {"changed": bool(changes) or updated, "preferences": after,
                              "exclusions": exclusions_after, "status": status,
                              "signatures_updated": updated, "changes": changes}
    if result["changed"]:
        result["diff"] = {"before": {"preferences": before, "exclusions": exclusions_before},
                          "after": {"preferences": after, "exclusions": exclusions_after}}
    return result
