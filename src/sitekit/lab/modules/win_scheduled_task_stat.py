"""community.windows.win_scheduled_task_stat: a task folder's tasks, and one task's details.

Modelled: folder_exists, folder_task_count, folder_task_names, task_exists and, for an
existing task, actions, triggers, principal, settings, registration_info and state
(status, last run time and result), with the keys the module returns. Not modelled:
state.next_run_time (left out rather than made up).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sitekit.lab.host import LabHost
from sitekit.lab.modules import ModuleFailedError, register
from sitekit.lab.modules._accounts import nt_account
from sitekit.lab.modules._common import zone
from sitekit.lab.modules.win_scheduled_task import _path
from sitekit.lab.state import host_state

_LOGON_TYPES = {"password": "TASK_LOGON_PASSWORD", "s4u": "TASK_LOGON_S4U",
                "interactive_token": "TASK_LOGON_INTERACTIVE_TOKEN", "group": "TASK_LOGON_GROUP",
                "service_account": "TASK_LOGON_SERVICE_ACCOUNT",
                "interactive_token_or_password": "TASK_LOGON_INTERACTIVE_TOKEN_OR_PASSWORD",
                "none": "TASK_LOGON_NONE"}


# ITaskSettings of a task the module registers, as the Task Scheduler defaults them
# (Microsoft docs, ITaskSettings and its IdleSettings, NetworkSettings); a task's own
# settings are laid over them.
_SETTINGS: dict[str, Any] = {
    "allow_demand_start": True, "allow_hard_terminate": True, "compatibility": 2,
    "delete_expired_task_after": None, "disallow_start_if_on_batteries": True,
    "disallow_start_on_remote_app_session": False, "enabled": True,
    "execution_time_limit": "PT72H", "hidden": False,
    "idle_settings": {"idle_duration": "PT10M", "restart_on_idle": False,
                      "stop_on_idle_end": True, "wait_timeout": "PT1H"},
    "maintenance_settings": None, "multiple_instances": 2,
    "network_settings": {"id": None, "name": None}, "priority": 7, "restart_count": 0,
    "restart_interval": None, "run_only_if_idle": False, "run_only_if_network_available": False,
    "start_when_available": False, "stop_if_going_on_batteries": True,
    "use_unified_scheduling_engine": False, "volatile": False, "wake_to_run": False,
}
# Each trigger type's own properties (ITrigger's subinterfaces), unset as COM gives them.
_TRIGGER_PROPERTIES: dict[str, dict[str, Any]] = {
    "boot": {"delay": None},
    "daily": {"days_interval": 1, "random_delay": None},
    "event": {"delay": None, "subscription": None, "value_queries": None},
    "idle": {},
    "logon": {"delay": None, "user_id": None},
    "monthly": {"days_of_month": "", "months_of_year": "", "random_delay": None,
                "run_on_last_day_of_month": False},
    "monthlydow": {"days_of_week": "", "months_of_year": "", "random_delay": None,
                   "run_on_last_week_of_month": False, "weeks_of_month": ""},
    "registration": {"delay": None},
    "session_state_change": {"delay": None, "state_change": None, "state_change_str": None,
                             "user_id": None},
    "time": {"random_delay": None},
    "weekly": {"days_of_week": "", "random_delay": None, "weeks_interval": 1},
}
# TASK_SESSION_STATE_CHANGE_TYPE, the module's enum.
_STATE_CHANGES = {"console_connect": 1, "console_disconnect": 2, "remote_connect": 3,
                  "remote_disconnect": 4, "session_lock": 7, "session_unlock": 8}
# A task that never ran: LastRunTime is the OLE automation date zero.
_NEVER = "1899-12-30T00:00:00"


def _trigger(stored: dict[str, Any]) -> dict[str, Any]:
    """A trigger as the module reads it back: ITrigger's properties and its type's own."""
    kind = stored["type"]
    trigger: dict[str, Any] = {
        "type": f"TASK_TRIGGER_{kind.upper()}", "id": None,
        "enabled": stored.get("enabled", True), "start_boundary": stored.get("start_boundary"),
        "end_boundary": stored.get("end_boundary"),
        "execution_time_limit": stored.get("execution_time_limit"),
        "repetition": {"duration": None, "interval": None, "stop_at_duration_end": False}
        | dict(stored.get("repetition") or {}),
    }
    for key, default in _TRIGGER_PROPERTIES[kind].items():
        value = stored.get(key, default)
        trigger[key] = default if value is None else value
    if kind == "session_state_change" and stored.get("state_change"):
        trigger["state_change"] = _STATE_CHANGES[stored["state_change"]]
        trigger["state_change_str"] = f"TASK_{stored['state_change'].upper()}"
    return trigger


def _user(state: dict[str, Any], name: str | None) -> str | None:
    r"""ConvertTo-NormalizedUser: the account as SID.Translate names it (NT AUTHORITY\SYSTEM)."""
    if not name:
        return None
    try:
        return nt_account(state, name)
    except ModuleFailedError:
        return name


def _local(state: dict[str, Any], when: str | None) -> str:
    """Get-Date -Format s of the task's local time; a task that never ran has the zero date."""
    if not when:
        return _NEVER
    moment = dt.datetime.fromisoformat(when)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(zone(str(state.get("time_zone") or "UTC"))).strftime(
        "%Y-%m-%dT%H:%M:%S")


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
    state = host_state(host)
    # win_scheduled_task_stat.ps1 lists every property of the task's COM objects and turns
    # the names into snake_case (Convert-DictToSnakeCase): the full set, unset ones null.
    result["actions"] = [{"type": "TASK_ACTION_EXEC", "id": None, "path": a.get("path"),
                          "arguments": a.get("arguments"),
                          "working_directory": a.get("working_directory")}
                         for a in task.get("actions") or []]
    result["triggers"] = [_trigger(t) for t in task.get("triggers") or []]
    result["principal"] = {"user_id": _user(state, task.get("username")),
                           "group_id": _user(state, task.get("group")),
                           "run_level": "TASK_RUNLEVEL_HIGHEST"
                           if task.get("run_level") == "highest" else "TASK_RUNLEVEL_LUA",
                           "logon_type": _LOGON_TYPES.get(str(task.get("logon_type")),
                                                          "TASK_LOGON_INTERACTIVE_TOKEN"),
                           "display_name": None, "id": "Author"}
    result["settings"] = _SETTINGS | {
        k: task[k] for k in _SETTINGS if task.get(k) is not None} | {
        "enabled": bool(task.get("enabled", True))}
    result["registration_info"] = {
        "author": task.get("author"), "date": task.get("date"),
        "description": task.get("description"), "documentation": None,
        "security_descriptor": None, "source": task.get("source"),
        "uri": f"{task['path']}{task['name']}", "version": task.get("version")}
    status = "TASK_STATE_READY" if task.get("enabled", True) else "TASK_STATE_DISABLED"
    result["state"] = {"status": status,
                       "last_run_time": _local(state, task.get("last_run_time")),
                       "last_task_result": task.get("last_task_result", 267011),
                       "number_of_missed_runs": 0}
    return result
