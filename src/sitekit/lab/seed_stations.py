"""What a fresh Windows has that the antivirus and pos_workstation roles change, as installed.

Defender's preferences (Get-MpPreference of a fresh install) and tamper protection, and
printing: the printer drivers Windows ships, its own printers and their ports. Seeded
beside state.py's install; states seeded before these keys existed get them on first use
(`ensure`), so an old lab directory keeps working.
"""

from __future__ import annotations

from typing import Any

from sitekit.lab.seed_base import INSTALLED_PRINTER_DRIVERS, STORE_PRINTER_DRIVERS

# Get-MpPreference of a fresh install: a daily quick scan at 02:00, no signature interval
# (Windows Update brings signatures), no exclusions.
_PREFERENCES = {
    "realtime_protection": True, "behavior_monitoring": True, "scan_day": "everyday",
    "scan_time": "02:00", "scan_type": "quick", "quick_scan_time": "00:00",
    "check_signatures_before_scan": False, "signature_update_interval": 0,
}


def defender_seed(server: bool) -> dict[str, Any]:
    """Defender's preferences and tamper protection: on for Windows 11, off on Server."""
    return {"preferences": dict(_PREFERENCES), "is_tamper_protected": not server}


def printing_seed(server: bool) -> dict[str, Any]:
    """Print drivers, printers and ports of a fresh install (Get-Printer, Get-PrinterPort)."""
    printers = {} if server else {
        "Microsoft Print to PDF": {"driver": "Microsoft Print To PDF", "port": "PORTPROMPT:",
                                   "comment": "", "location": ""},
    }
    ports = {} if server else {"PORTPROMPT:": {"address": None, "port_number": None}}
    # "drivers" are installed (Get-PrinterDriver); "driver_store" holds what Add-PrinterDriver
    # can install by name.
    return {"drivers": list(INSTALLED_PRINTER_DRIVERS), "driver_store": list(STORE_PRINTER_DRIVERS),
            "printers": printers, "ports": ports}


def ensure(state: dict[str, Any]) -> dict[str, Any]:
    """Add what this module seeds to a state seeded before it existed; return it."""
    server = state.get("kind", "server") == "server"
    defender = state.setdefault("defender", {})
    for key, value in defender_seed(server).items():
        defender.setdefault(key, value)
    printing = state.setdefault("printing", printing_seed(server))
    printing.setdefault("driver_store", list(STORE_PRINTER_DRIVERS))
    return state
