"""community.windows.win_scheduled_task: scheduled tasks with actions and triggers.

Modelled options: actions, triggers, description, enabled, username, group, logon_type,
run_level, author; other settings are stored as given and compared. A legacy module: it
checks its own arguments, and the model checks them as its code does, in its order and
words (win_scheduled_task.ps1, "VALIDATION/BUILDING OF OPTIONS"), then what the Task
Scheduler refuses when the task is registered. A trigger is stored as Windows keeps it:
its days, weeks and months as the masks win_scheduled_task_stat reads back ("monday,friday"),
its boundaries as the module formats them.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from sitekit.lab.host import LabHost
from sitekit.lab.modules import ModuleFailedError, register
from sitekit.lab.modules._accounts import resolve, service_sid
from sitekit.lab.modules._common import put, utcnow, zone
from sitekit.lab.state import find, host_state

# The module's order of trigger types, as its messages list them.
_TRIGGER_TYPES = ("event", "time", "daily", "weekly", "monthly", "monthlydow", "idle",
                  "registration", "boot", "logon", "session_state_change")
_COMPARED = ("description", "enabled", "username", "logon_type", "run_level", "author",
             "allow_demand_start", "execution_time_limit", "multiple_instances", "priority",
             "restart_count", "restart_interval", "start_when_available", "hidden",
             "wake_to_run", "display_name", "version", "source", "date", "group")
# Compare-Trigger's map: each type's mandatory keys, then its optional ones.
_COMMON = ("enabled", "end_boundary", "execution_time_limit")
_TRIGGER_KEYS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "boot": ((), ("delay", *_COMMON, "start_boundary", "repetition")),
    "daily": (("start_boundary",), ("days_interval", *_COMMON, "random_delay", "repetition")),
    "event": (("subscription",), ("delay", *_COMMON, "start_boundary", "repetition")),
    "idle": ((), (*_COMMON, "start_boundary", "repetition")),
    "logon": ((), ("delay", *_COMMON, "start_boundary", "user_id", "repetition")),
    "monthlydow": (("start_boundary",), ("days_of_week", *_COMMON, "months_of_year",
                                         "random_delay", "weeks_of_month",
                                         "run_on_last_week_of_month", "repetition")),
    "monthly": (("days_of_month", "start_boundary"),
                (*_COMMON, "months_of_year", "random_delay", "run_on_last_day_of_month",
                 "start_boundary", "repetition")),
    "registration": ((), ("delay", *_COMMON, "start_boundary", "repetition")),
    "time": (("start_boundary",), (*_COMMON, "random_delay", "repetition")),
    "weekly": (("days_of_week", "start_boundary"),
               (*_COMMON, "random_delay", "weeks_interval", "repetition")),
    "session_state_change": ((), ("delay", *_COMMON, "repetition", "start_boundary",
                                  "state_change", "user_id")),
}
_INVALID_NAME_CHARS = '\\/:*?"<>|'
# The bit order of the Task Scheduler's masks (DaysOfWeek, MonthsOfYear): names in it.
_DAYS = ("sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday")
_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august",
           "september", "october", "november", "december")
# The lists the module turns into masks: their names in bit order, its message for others.
_MASKS: dict[str, tuple[tuple[str, ...], str]] = {
    "days_of_week": (_DAYS, "invalid day of week '{}', check the spelling matches the full"
                            " day name"),
    "days_of_month": (tuple(str(d) for d in range(1, 32)),
                      "invalid day of month '{}', please specify numbers from 1-31"),
    "weeks_of_month": (("1", "2", "3", "4"),
                       "invalid week of month '{}', please specify weeks from 1-4"),
    "months_of_year": (_MONTHS, "invalid month name '{}', please specify full month name"),
}
_STATE_CHANGES = ("console_connect", "console_disconnect", "remote_connect",
                  "remote_disconnect", "session_lock", "session_unlock")
# XmlConvert.ToTimeSpan's xs:duration: PnYnMnDTnHnMnS, at least one part, T only before one.
_XML_DURATION = re.compile(r"-?P(?=\d|T\d)(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)D)?"
                           r"(?:T(?=\d)(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?")
# What DateTime.Parse (InvariantCulture) reads that a task needs: ISO 8601, or M/d/yyyy.
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
                       r"(?:Z|[+-]\d{2}:\d{2})?")
_US_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})(?: (\d{1,2}):(\d{2})(?::(\d{2}))?)?")
# The Task Scheduler refuses a value out of its schema's range when the task registers:
# SCHED_E_INVALIDVALUE, 0x80041318 (Microsoft docs, "Task Scheduler Error and Success
# Constants"); a repetition interval is 1 minute to 31 days (IRepetitionPattern::Interval).
_INVALID_VALUE = "The task XML contains a value which is incorrectly formatted or out of range."
_MINUTE, _MONTH = dt.timedelta(minutes=1), dt.timedelta(days=31)


def _path(path: str) -> str:
    """A task folder in canonical form: starts and ends with a backslash."""
    return "\\" + path.strip("\\") + ("\\" if path.strip("\\") else "")


@register("community.windows.win_scheduled_task", supports_check_mode=True,
          implements=("name", "path", "state", "actions", "triggers", "display_name", "group",
                      "logon_type", "run_level", "username", "password", "update_password",
                      "author", "date", "description", "source", "version",
                      "allow_demand_start", "enabled", "execution_time_limit", "hidden",
                      "multiple_instances", "priority", "restart_count", "restart_interval",
                      "start_when_available", "wake_to_run"))
def win_scheduled_task(host: LabHost, args: dict[str, Any], check_mode: bool,
                       diff: bool) -> dict[str, Any]:
    r"""Create, change or remove a task at path\\name."""
    state = host_state(host)
    _check_principal(state, args)
    actions = [_action(a) for a in args["actions"]] if args["actions"] is not None else None
    triggers = [_trigger(t, state) for t in args["triggers"]] \
        if args["triggers"] is not None else None
    tasks = state["scheduled_tasks"]
    key = find(tasks, _path(args["path"]) + args["name"]) or _path(args["path"]) + args["name"]
    current = tasks.get(key)
    if args["state"] == "absent":
        if current is not None and not check_mode:
            del tasks[key]
        return {"changed": current is not None}
    if current is None and not actions:
        raise ModuleFailedError("cannot create a task with no actions, set at least one action"
                                " with a path to an executable")
    created = current is None
    if current is None:
        current = {"path": _path(args["path"]), "name": args["name"], "enabled": True,
                   "actions": actions, "triggers": [], "state": "ready", "last_run_time": None,
                   # When the lab registered it: its runs start then.
                   "lab_registered": utcnow().isoformat()}
        if check_mode:  # registered with TASK_VALIDATE_ONLY: nothing more is compared
            return {"changed": True}
        # The module registers the bare task first; a later failure leaves it registered.
        tasks[key] = current
    try:
        return _configure(tasks, key, current, args, actions=actions, triggers=triggers,
                          check_mode=check_mode, diff=diff) | (
            {"changed": True} if created else {})
    except ModuleFailedError as exc:
        exc.result.setdefault("changed", created)
        raise


def _configure(tasks: dict[str, Any], key: str, current: dict[str, Any], args: dict[str, Any],
               *, actions: list[dict[str, Any]] | None, triggers: list[dict[str, Any]] | None,
               check_mode: bool, diff: bool) -> dict[str, Any]:
    """Compare and set the registered task's properties, then register it again."""
    task = dict(current)
    if actions is not None:
        task["actions"] = actions
    warnings: list[str] = []
    if triggers is not None:
        task["triggers"] = [_trigger_entry(t, warnings) for t in triggers]
    for option in _COMPARED:
        if args[option] is not None:
            task[option] = args[option]
    # A principal has a user or a group, not both: win_scheduled_task.ps1 (Compare-Principal)
    # sets GroupId to $null when it sets a UserId over a group, and UserId to $null when it
    # sets a GroupId over a user.
    if args["username"] is not None:
        task.pop("group", None)
    if args["group"] is not None:
        task.pop("username", None)
    _check_registration(task)
    result = put(tasks, key, task, check_mode, diff)
    # A password cannot be compared: with update_password (default yes) the module registers
    # the task again with it, and that is a change (win_scheduled_task.ps1, "because we
    # can't compare the passwords we just need to reset it").
    if args["password"] is not None and args["update_password"]:
        result["changed"] = True
    if result.get("changed") and not check_mode:
        # Registered again: a registration trigger fires "when the task is registered or
        # updated" (IRegistrationTrigger, Microsoft docs).
        tasks[key]["lab_updated"] = utcnow().isoformat()
    if warnings:
        result["warnings"] = warnings
    return result


def _check_principal(state: dict[str, Any], args: dict[str, Any]) -> None:
    """The name, accounts and logon type, as the module checks them before anything else."""
    if any(c in _INVALID_NAME_CHARS for c in args["name"]):
        raise ModuleFailedError(f"Invalid task name '{args['name']}'. The following characters"
                                f" are not valid: {_INVALID_NAME_CHARS}")
    # Convert-ToSID: an account that does not resolve fails here.
    user_sid = None
    if args["username"]:
        user_sid = service_sid(args["username"]) or resolve(state, args["username"])
    if args["group"]:
        service_sid(args["group"]) or resolve(state, args["group"])
    if args["username"] is not None and args["group"] is not None:
        raise ModuleFailedError("username and group can not be set at the same time")
    logon_type = args["logon_type"]
    if logon_type == "s4u" and args["password"] is None:
        raise ModuleFailedError("password must be set when logon_type=s4u")
    if logon_type == "group" and args["group"] is None:
        raise ModuleFailedError("group must be set when logon_type=group")
    if logon_type == "service_account" and user_sid not in ("S-1-5-18", "S-1-5-19", "S-1-5-20"):
        raise ModuleFailedError("username must be SYSTEM, LOCAL SERVICE or NETWORK SERVICE when"
                                " logon_type=service_account")


def _action(action: Any) -> dict[str, Any]:
    """An exec action; the module needs its path key."""
    if not isinstance(action, dict) or "path" not in action:
        raise ModuleFailedError("action entry must contain the key 'path'")
    return {k: action.get(k) for k in ("path", "arguments", "working_directory")}


def _trigger(trigger: Any, state: dict[str, Any]) -> dict[str, Any]:
    """A trigger checked and converted as the module does, in its order and words."""
    types = "', '".join(_TRIGGER_TYPES)
    if not isinstance(trigger, dict) or "type" not in trigger:
        raise ModuleFailedError(f"a trigger entry must contain a key 'type' with a value of"
                                f" '{types}'")
    kind = trigger["type"]
    if str(kind).lower() not in _TRIGGER_TYPES:
        raise ModuleFailedError(f"the specified trigger type '{kind}' is not valid, type must be"
                                f" a value of '{types}'")
    converted = dict(trigger, type=str(kind).lower())
    for name in ("start_boundary", "end_boundary"):
        if name in trigger:
            converted[name] = _boundary(name, trigger[name], state)
    for name in ("execution_time_limit", "delay", "random_delay"):
        if name in trigger:
            _duration(name, trigger[name])
    if "repetition" in trigger:
        converted["repetition"] = _repetition(trigger["repetition"])
    # Each list is stored as the Task Scheduler's mask, read back as win_scheduled_task_stat
    # reads it; an empty one is no mask ($null).
    for name, (names, invalid) in _MASKS.items():
        if name in trigger:
            converted[name] = _mask(trigger[name], names, invalid)
    if "state_change" in trigger and str(trigger["state_change"]).lower() not in _STATE_CHANGES:
        raise ModuleFailedError(f"invalid state_change '{_text(trigger['state_change'])}'")
    if "state_change" in trigger:
        converted["state_change"] = str(trigger["state_change"]).lower()
    return converted


def _trigger_entry(trigger: dict[str, Any], warnings: list[str]) -> dict[str, Any]:
    """Compare-PropertyList: mandatory keys fail, unknown ones are ignored with a warning."""
    mandatory, optional = _TRIGGER_KEYS[trigger["type"]]
    for key in mandatory:
        if key not in trigger:
            keys = "', '".join(mandatory)
            raise ModuleFailedError(f"mandatory key '{key}' for trigger is not set, mandatory"
                                    f" keys are '{keys}'")
    valid = (*mandatory, *optional)
    listed = "', '".join(valid)
    for key in trigger:
        if key not in valid and key != "type":
            warnings.append(f"key '{key}' for trigger entry is not valid and will be ignored,"
                            f" valid keys are '{listed}'")
    return {k: v for k, v in trigger.items() if (k in valid or k == "type") and v is not None}


def _text(value: Any) -> str:
    """A value as PowerShell interpolates it into a message."""
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, list):
        return " ".join(_text(v) for v in value)
    return "" if value is None else str(value)


def _duration(key: str, value: Any) -> dt.timedelta:
    """Test-XmlDurationFormat: an xs:duration as XmlConvert.ToTimeSpan reads it."""
    match = _XML_DURATION.fullmatch(str(value)) if isinstance(value, str) else None
    if match is None:
        raise ModuleFailedError(f"trigger option '{key}' must be in the XML duration format but"
                                f" was '{_text(value)}'")
    years, months, days, hours, minutes = (int(g or 0) for g in match.groups()[:5])
    span = dt.timedelta(days=365 * years + 30 * months + days, hours=hours, minutes=minutes,
                        seconds=float(match.group(6) or 0))
    return -span if str(value).startswith("-") else span


def _repetition(repetition: Any) -> dict[str, Any]:
    """The repetition's interval and duration, each a duration, the interval the shorter."""
    if not isinstance(repetition, dict):
        raise ModuleFailedError(f"the sitekit lab does not model a trigger repetition given as"
                                f" {type(repetition).__name__}: give a dict of interval,"
                                " duration, stop_at_duration_end")
    interval = duration = None
    if repetition.get("interval") is not None:
        interval = _duration("interval", repetition["interval"])
    if repetition.get("duration") is not None:
        duration = _duration("duration", repetition["duration"])
    if interval is not None and duration is not None and interval > duration:
        raise ModuleFailedError(
            f"trigger repetition option 'interval' value '{_text(repetition['interval'])}' must be"
            f" less than or equal to 'duration' value '{_text(repetition['duration'])}'")
    return {k: v for k, v in repetition.items() if v is not None}


def _boundary(key: str, value: Any, state: dict[str, Any]) -> str:
    """Get-Date -Date VALUE -Format "yyyy-MM-dd'T'HH:mm:ssK", as the module formats it."""
    text = _text(value).strip()
    when = None
    try:
        if _ISO_DATE.fullmatch(text):
            when = dt.datetime.fromisoformat(text)
        elif (us := _US_DATE.fullmatch(text)) is not None:
            month, day, year, hour, minute, second = (int(g or 0) for g in us.groups())
            when = dt.datetime(year, month, day, hour, minute, second)
    except ValueError:
        when = None
    if when is None:
        raise ModuleFailedError(f"trigger option '{key}' must be in the format"
                                f" 'YYYY-MM-DDThh:mm:ss' format but was '{_text(value)}'")
    if when.tzinfo is None:  # DateTimeKind.Unspecified: K adds nothing
        return when.strftime("%Y-%m-%dT%H:%M:%S")
    # With an offset, .NET converts to the host's local time and K writes its offset.
    local = when.astimezone(zone(str(state.get("time_zone") or "UTC")))
    offset = local.strftime("%z")
    return local.strftime("%Y-%m-%dT%H:%M:%S") + f"{offset[:3]}:{offset[3:]}"


def _mask(value: Any, names: tuple[str, ...], invalid: str) -> str | None:
    """A list as the module reads it (a string splits on commas), as the stat reads it back."""
    items = [s.strip() for s in value.split(",")] if isinstance(value, str) else \
        value if isinstance(value, list) else [value]
    bits = set()
    for item in items:
        # PowerShell's switch compares case-insensitively, as strings.
        text = _text(item).lower()
        if text not in names:
            raise ModuleFailedError(invalid.format(_text(item)))
        bits.add(names.index(text))
    return ",".join(names[i] for i in sorted(bits)) or None


def _check_registration(task: dict[str, Any]) -> None:
    """What the Task Scheduler refuses when RegisterTaskDefinition gets the task."""
    problems = []
    for name, element in (("execution_time_limit", "ExecutionTimeLimit"),
                          ("restart_interval", "RestartInterval")):
        value = task.get(name)
        if value is None:
            continue
        try:
            span = _duration(name, value)
        except ModuleFailedError:
            problems.append(f"{element}:{value}")
            continue
        if name == "restart_interval" and not _MINUTE <= span <= _MONTH:
            problems.append(f"{element}:{value}")
    for trigger in task.get("triggers") or []:
        interval = (trigger.get("repetition") or {}).get("interval")
        if interval is not None and not _MINUTE <= _duration("interval", interval) <= _MONTH:
            problems.append(f"Interval:{interval}")
    if problems:
        raise ModuleFailedError(f"failed to modify scheduled task: {_INVALID_VALUE}\r\n"
                                f"{problems[0]}")
