"""sitekit_facts (the kit's own module): preflight's and the audit's facts in one call."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sitekit.lab import faults
from sitekit.lab.host import LabHost
from sitekit.lab.modules import register
from sitekit.lab.modules._common import utcnow
from sitekit.lab.state import host_state

_ISO = "%Y-%m-%dT%H:%M:%SZ"


@register("ansible.legacy.sitekit_facts", supports_check_mode=True)
def sitekit_facts(host: LabHost, args: dict[str, Any], check_mode: bool,
                  diff: bool) -> dict[str, Any]:
    """Read the requested subsets of the host's state; never changes anything."""
    state = host_state(host)
    readers = {"os": _os, "disks": _disks, "clock": _clock}
    return {"changed": False,
            "facts": {subset: readers[subset](state) for subset in args["gather"]}}


def _os(state: dict[str, Any]) -> dict[str, Any]:
    """What Win32_OperatingSystem and the CurrentVersion key say."""
    os_info = state["os"]
    boot = dt.datetime.fromisoformat(state["boot_time"])
    return {"caption": os_info["name"], "version": f"{os_info['version']}",
            "build": os_info["build"], "ubr": os_info["ubr"],
            "display_version": os_info["display_version"],
            "installation_type": os_info["installation_type"],
            "computer_name": state["hostname"], "last_boot": boot.strftime(_ISO)}


def _disks(state: dict[str, Any]) -> list[dict[str, Any]]:
    """Each fixed volume's size and free space (none on C: under the disk-full fault)."""
    full = faults.active(state, "disk-full") is not None
    return [{"drive": drive, "size_bytes": disk["size"],
             "free_bytes": 0 if full and drive == "C" else disk["free"]}
            for drive, disk in sorted(state["disks"].items())]


def _clock(state: dict[str, Any]) -> dict[str, Any]:
    """The host's clock (the controller's, plus any skew injected) and time zone."""
    skew = dt.timedelta(seconds=float(state.get("clock_skew_seconds", 0)))
    return {"utc": (utcnow() + skew).strftime(_ISO), "time_zone": state["time_zone"]}
