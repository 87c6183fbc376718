"""community.windows.win_scheduled_task: scheduled tasks with actions and triggers.

Modelled options: actions, triggers, description, enabled, username, logon_type,
run_level, author; other settings are stored as given and compared.
"""

from __future__ import annotations

from typing import Any

from sitekit.lab.host import LabHost
from sitekit.lab.modules import ModuleFailedError, register
from sitekit.lab.modules._common import put, utcnow
from sitekit.lab.state import find, host_state

_TRIGGER_TYPES = ("boot", "daily", "event", "idle", "logon", "monthlydow", "monthly",
                  "registration", "time", "weekly", "session_state_change")
_COMPARED = ("description", "enabled", "username", "logon_type", "run_level", "author",
             "allow_demand_start", "execution_time_limit", "multiple_instances", "priority",
             "restart_count", "restart_interval", "start_when_available", "hidden",
             "wake_to_run", "display_name", "version", "source", "date", "group")


def _path(path: str) -> str:
    """A task folder in canonical form: starts and ends with a backslash."""
    return "\\" + path.strip("\\") + ("\\" if path.strip("\\") else "")


@register("community.windows.win_scheduled_task", supports_check_mode=True,
          implements=("name", "path", "state", "actions", "triggers", "display_name", "group",
                      "logon_type", "run_level", "username", "author", "date", "description",
                      "source", "version", "allow_demand_start", "enabled", "execution_time_limit",
                      "hidden", "multiple_instances", "priority", "restart_count",
                      "restart_interval", "start_when_available", "wake_to_run"))
def win_scheduled_task(host: LabHost, args: dict[str, Any], check_mode: bool,
                       diff: bool) -> dict[str, Any]:
    r"""Create, change or remove a task at path\\name."""
    tasks = host_state(host)["scheduled_tasks"]
    key = find(tasks, _path(args["path"]) + args["name"]) or _path(args["path"]) + args["name"]
    current = tasks.get(key)
    if args["state"] == "absent":
        if current is not None and not check_mode:
            del tasks[key]
        return {"changed": current is not None}
    task = dict(current) if current else {"path": _path(args["path"]), "name": args["name"],
                                          "enabled": True, "actions": [], "triggers": [],
                                          "state": "ready", "last_run_time": None,
                                          # When the lab registered it: its runs start then.
                                          "lab_registered": utcnow().isoformat()}
    if args["actions"] is not None:
        task["actions"] = [_action(a) for a in args["actions"]]
    if not task["actions"]:
        raise ModuleFailedError("cannot create a task with no actions, set at least one action"
                                " with a path to an executable")
    if args["triggers"] is not None:
        task["triggers"] = [_trigger(t) for t in args["triggers"]]
    for option in _COMPARED:
        if args[option] is not None:
            task[option] = args[option]
    return put(tasks, key, task, check_mode, diff)


def _action(action: dict[str, Any]) -> dict[str, Any]:
    """An exec action; path is required."""
    if not action.get("path"):
        raise ModuleFailedError("action must have a path defined")
    return {k: action.get(k) for k in ("path", "arguments", "working_directory")}


def _trigger(trigger: dict[str, Any]) -> dict[str, Any]:
    """A trigger of a known type, its other settings kept as given."""
    if trigger.get("type") not in _TRIGGER_TYPES:
        raise ModuleFailedError(f"trigger type must be one of {', '.join(_TRIGGER_TYPES)},"
                                f" got {trigger.get('type')}")
    return {k: v for k, v in trigger.items() if v is not None}
