"""ansible.windows.win_ping: returns `data` as `ping`; data=crash throws, as documented."""

from __future__ import annotations

from typing import Any

from sitekit.lab.host import LabHost
from sitekit.lab.modules import ModuleCrashError, register


@register("ansible.windows.win_ping", supports_check_mode=True,
          implements=("data",))
def win_ping(host: LabHost, args: dict[str, Any], check_mode: bool, diff: bool) -> dict[str, Any]:
    """Echo the data option back; the real module throws 'boom' for data=crash."""
    if args["data"] == "crash":
        raise ModuleCrashError("boom")
    return {"ping": args["data"]}
