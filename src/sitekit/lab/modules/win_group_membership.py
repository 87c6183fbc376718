"""ansible.windows.win_group_membership: members of a local group (present, absent, pure)."""

from __future__ import annotations

from typing import Any

from sitekit.lab.host import LabHost
from sitekit.lab.modules import register
from sitekit.lab.modules._accounts import group_of, qualified, resolve
from sitekit.lab.state import host_state


@register("ansible.windows.win_group_membership", supports_check_mode=True,
          implements=("name", "members", "state"))
def win_group_membership(host: LabHost, args: dict[str, Any], check_mode: bool,
                         diff: bool) -> dict[str, Any]:
    """Add, remove or set exactly the given members."""
    state = host_state(host)
    name = group_of(state, args["name"])
    current = list(state["groups"][name]["members"])
    wanted = [resolve(state, m) for m in args["members"]]
    mode = args["state"]
    added = [m for m in dict.fromkeys(wanted) if m not in current] if mode != "absent" else []
    removed = ([m for m in current if m in wanted] if mode == "absent" else
               [m for m in current if m not in wanted] if mode == "pure" else [])
    after = [m for m in current if m not in removed] + added
    if (added or removed) and not check_mode:
        state["groups"][name]["members"] = after
    result: dict[str, Any] = {
        "changed": bool(added or removed), "name": name,
        "members": [qualified(state, m) for m in after],
        "added": [qualified(state, m) for m in added],
        "removed": [qualified(state, m) for m in removed],
    }
    if diff:
        result["diff"] = {"before": "\n".join(current) + "\n", "after": "\n".join(after) + "\n"}
    return result
