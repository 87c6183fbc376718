"""community.windows.win_scheduled_task_stat: a task folder's tasks, and one task's details.

Modelled: folder_exists, folder_task_count, folder_task_names, task_exists and, for an
existing task, actions, triggers, principal, settings (enabled) and state (status, last
run time and result). Times are the lab's UTC ones.
"""

from __future__ import annotations

from typing import Any

from sitekit.lab.host import LabHost
from sitekit.lab.modules import register
from sitekit.lab.modules.win_scheduled_task import _path
from sitekit.lab.state import host_state

_LOGON_TYPES = {"password": "TASK_LOGON_PASSWORD", "s4u": "TASK_LOGON_S4U",
                "interactive_token": "TASK_LOGON_INTERACTIVE_TOKEN", "group": "TASK_LOGON_GROUP",
                "service_account": "TASK_LOGON_SERVICE_ACCOUNT",
                "interactive_token_or_password": "TASK_LOGON_INTERACTIVE_TOKEN_OR_PASSWORD",
                "none": "TASK_LOGON_NONE"}


@register("community.windows.win_scheduled_task_stat", supports_check_mode=True,
          implements=("path", "name"))
def win_scheduled_task_stat(host: LabHost, args: dict[str, Any], check_mode: bool,
                            diff: bool) -> dict[str, Any]:
    """Report the folder and, when named, the task."""
    folder = _path(args["path"]).lower()
    tasks = [t for t in host_state(host)["scheduled_tasks"].values()
             if t["path"].lower() == folder]
    folder_exists = bool(tasks) or folder == "\\" or any(
        t["path"].lower().startswith(folder) for t in host_state(host)["scheduled_tasks"].values())
    result: dict[str, Any] = {"changed": False, "folder_exists": folder_exists,
                              "folder_task_count": len(tasks),
                              "folder_task_names": [t["name"] for t in tasks]}
    if args["name"] is None:
        return result
    task = next((t for t in tasks if t["name"].lower() == args["name"].lower()), None)
    result["task_exists"] = task is not None
    if task is None:
        return result
    result["actions"] = [{"Type": "TASK_ACTION_EXEC", "Id": None, "Path": a.get("path"),
                          "Arguments": a.get("arguments"),
                          "WorkingDirectory": a.get("working_directory")}
                         for a in task.get("actions") or []]
    result["triggers"] = [dict(t) for t in task.get("triggers") or []]
    result["principal"] = {"user_id": task.get("username"), "group_id": task.get("group"),
                           "run_level": "TASK_RUNLEVEL_HIGHEST"
                           if task.get("run_level") == "highest" else "TASK_RUNLEVEL_LUA",
                           "logon_type": _LOGON_TYPES.get(str(task.get("logon_type")),
                                                          "TASK_LOGON_INTERACTIVE_TOKEN"),
                           "display_name": None, "id": "Author"}
    result["settings"] = {"enabled": bool(task.get("enabled", True)),
                          "execution_time_limit": task.get("execution_time_limit") or "PT72H"}
    result["registration_info"] = {"description": task.get("description"),
                                   "author": task.get("author"), "date": task.get("date")}
    status = "TASK_STATE_READY" if task.get("enabled", True) else "TASK_STATE_DISABLED"
    result["state"] = {"status": status, "last_run_time": task.get("last_run_time"),
                       "last_task_result": task.get("last_task_result", 267011),
                       "number_of_missed_runs": 0}
    return result
