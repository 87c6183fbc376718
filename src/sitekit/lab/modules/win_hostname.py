"""ansible.windows.win_hostname: rename the computer; the new name takes effect on reboot.

As on Windows, the module compares with the name in effect, so until a reboot every run
renames again and reports reboot_required.
"""

from __future__ import annotations

import re
from typing import Any

from sitekit.lab.host import LabHost
from sitekit.lab.modules import ModuleFailedError, register
from sitekit.lab.state import host_state

_VALID = re.compile(r"^(?!\d+$)[A-Za-z0-9-]{1,15}$")


@register("ansible.windows.win_hostname", supports_check_mode=True,
          implements=("name",))
def win_hostname(host: LabHost, args: dict[str, Any], check_mode: bool,
                 diff: bool) -> dict[str, Any]:
    """Schedule a rename to args.name when it differs from the current name."""
    state = host_state(host)
    current, name = state["hostname"], args["name"]
    result: dict[str, Any] = {"old_name": current, "reboot_required": False,
                              "diff": {"before": current, "after": name}}
    if name.lower() == current.lower():
        return result | {"changed": False}
    if not _VALID.match(name):
        raise ModuleFailedError(f"Failed to rename computer to '{name}': Skip computer "
                                f"'{current}' with new name '{name}' because the new name is"
                                " not valid.")
    if not check_mode:
        state["pending_hostname"] = name
        state["reboot_pending"] = True
    return result | {"changed": True, "reboot_required": True}
