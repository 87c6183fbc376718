"""ansible.windows.win_timezone: the machine's time zone, by Windows time zone id."""

from __future__ import annotations

from typing import Any

from sitekit.lab.host import LabHost
from sitekit.lab.modules import ModuleFailedError, register
from sitekit.lab.modules._common import windows_zones
from sitekit.lab.state import host_state

_KEY = "HKLM:\\SYSTEM\\CurrentControlSet\\Control\\TimeZoneInformation"


@register("ansible.windows.win_timezone", supports_check_mode=True,
          implements=("timezone",))
def win_timezone(host: LabHost, args: dict[str, Any], check_mode: bool,
                 diff: bool) -> dict[str, Any]:
    """Set the time zone (tzutil /s) when it differs."""
    state = host_state(host)
    previous, wanted = state["time_zone"], args["timezone"]
    result: dict[str, Any] = {"previous_timezone": previous, "timezone": wanted,
                              "diff": {"before": f"{previous}\n", "after": f"{wanted}\n"}}
    if previous == wanted:
        return result | {"changed": False}
    known = {z.lower(): z for z in windows_zones()}
    if wanted.removesuffix("_dstoff").lower() not in known:
        raise ModuleFailedError(f"The specified timezone: {wanted} isn't supported on the "
                                "machine.")
    if not check_mode:
        state["time_zone"] = known[wanted.removesuffix("_dstoff").lower()] + (
            "_dstoff" if wanted.endswith("_dstoff") else "")
        state["registry"].setdefault(_KEY, {})["TimeZoneKeyName"] = {
            "type": "string", "data": state["time_zone"]}
    return result | {"changed": True}
