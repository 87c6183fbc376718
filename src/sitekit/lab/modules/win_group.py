"""ansible.windows.win_group: local groups, their description and members."""

from __future__ import annotations

from typing import Any

from sitekit.lab.host import LabHost
from sitekit.lab.modules import register
from sitekit.lab.modules._accounts import resolve
from sitekit.lab.state import find, host_state


@register("ansible.windows.win_group", supports_check_mode=True,
          implements=("description", "members", "name", "state"))
def win_group(host: LabHost, args: dict[str, Any], check_mode: bool, diff: bool) -> dict[str, Any]:
    """Create, update or remove a local group."""
    state = host_state(host)
    name = find(state["groups"], args["name"]) or args["name"]
    current = state["groups"].get(name)
    if args["state"] == "absent":
        if current is not None and not check_mode:
            del state["groups"][name]
        # win_group.ps1 sets the result's sid only when the group is present: removing one
        # returns sid $null (its absent branch deletes and sets changed, nothing else).
        return {"changed": current is not None, "sid": None}
    group = dict(current) if current else _new_group(state)
    before = dict(group, members=list(group.get("members", [])))
    # win_group.ps1 compares with PowerShell's -ne: a description differing only in case is
    # the same one, and stays as it was.
    if args["description"] is not None and \
            str(group.get("description") or "").lower() != args["description"].lower():
        group["description"] = args["description"]
    group["members"] = _members(state, list(group["members"]), args["members"] or {})
    changed = current is None or group != before
    if changed and not check_mode:
        if current is None:
            state["next_rid"] += 1
        state["groups"][name] = group
    # A group check mode would create has no SID yet: win_group.ps1 returns a placeholder.
    sid = "S-1-5-0000" if current is None and check_mode else group["sid"]
    result: dict[str, Any] = {"changed": changed, "sid": sid}
    if diff and changed:
        result["diff"] = {"before": {"name": name, **before} if current else {},
                          "after": {"name": name, **group}}
    return result


def _new_group(state: dict[str, Any]) -> dict[str, Any]:
    """A new group with the next RID of the machine."""
    return {"sid": f"{state['machine_sid']}-{state['next_rid']}", "description": "", "members": []}


def _members(state: dict[str, Any], members: list[str], spec: dict[str, Any]) -> list[str]:
    """Apply members.add / members.remove / members.set."""
    if spec.get("set") is not None:
        members = [resolve(state, m) for m in spec["set"]]
    for member in spec.get("add") or []:
        name = resolve(state, member)
        if name not in members:
            members.append(name)
    for member in spec.get("remove") or []:
        name = resolve(state, member)
        if name in members:
            members.remove(name)
    return members
