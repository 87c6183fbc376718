"""win_scheduled_task refuses in the lab what the module and the Task Scheduler refuse.

Each message is the module's own (community.windows win_scheduled_task.ps1, "VALIDATION/
BUILDING OF OPTIONS" and Compare-PropertyList), checked before anything changes; what the
Task Scheduler refuses at registration fails after the module registered the bare task,
as on Windows. A valid trigger is stored as Windows keeps it and read back through
win_scheduled_task_stat and the lab's backup-job simulator. Models are called as Ansible
calls them (run_module), no WinRM.
"""

from __future__ import annotations

import copy
import datetime as dt
import time
from typing import Any

import pytest

from sitekit.lab import scheduler
from sitekit.lab.host import LabHost
from sitekit.lab.scheduler import last_fire
from tests.lab.models import call, seeded

TASK = "community.windows.win_scheduled_task"
STAT = "community.windows.win_scheduled_task_stat"
ACTIONS = [{"path": "cmd.exe", "arguments": "/c echo hi"}]


@pytest.fixture
def server() -> LabHost:
    """A server as `lab up` seeds it."""
    return seeded("server", "lis01-srv01")




def task(**options: Any) -> dict[str, Any]:
    return {"name": "Lab task", "path": "\\Sitekit\\", "actions": ACTIONS} | options


def weekly(**trigger: Any) -> dict[str, Any]:
    return {"type": "weekly", "start_boundary": "2026-01-05T22:00:00",
            "days_of_week": "monday"} | trigger


# (arguments, the module's message): each refused before the task is registered.
REFUSED = [
    (task(name="Bad:name"), "Invalid task name 'Bad:name'. The following characters are not"
     " valid: \\/:*?\"<>|"),
    (task(username="sitekit", group="Administrators"),
     "username and group can not be set at the same time"),
    (task(logon_type="s4u"), "password must be set when logon_type=s4u"),
    (task(logon_type="group"), "group must be set when logon_type=group"),
    (task(logon_type="service_account", username="sitekit"),
     "username must be SYSTEM, LOCAL SERVICE or NETWORK SERVICE when"
     " logon_type=service_account"),
    (task(username="nobody"), "account_name nobody is not a valid account, cannot get SID"),
    (task(actions=[{"arguments": "/c"}]), "action entry must contain the key 'path'"),
    (task(triggers=[{"delay": "PT1M"}]), "a trigger entry must contain a key 'type' with a value"
     " of 'event', 'time', 'daily', 'weekly', 'monthly', 'monthlydow', 'idle', 'registration',"
     " 'boot', 'logon', 'session_state_change'"),
    (task(triggers=[{"type": "hourly"}]), "the specified trigger type 'hourly' is not valid,"
     " type must be a value of 'event', 'time', 'daily', 'weekly', 'monthly', 'monthlydow',"
     " 'idle', 'registration', 'boot', 'logon', 'session_state_change'"),
    (task(triggers=[{"type": "time", "start_boundary": "fake"}]),
     "trigger option 'start_boundary' must be in the format 'YYYY-MM-DDThh:mm:ss' format but"
     " was 'fake'"),
    (task(triggers=[weekly(end_boundary="2026-13-01T00:00:00")]),
     "trigger option 'end_boundary' must be in the format 'YYYY-MM-DDThh:mm:ss' format but"
     " was '2026-13-01T00:00:00'"),
    (task(triggers=[{"type": "boot", "execution_time_limit": "fake"}]),
     "trigger option 'execution_time_limit' must be in the XML duration format but was 'fake'"),
    (task(triggers=[{"type": "boot", "delay": "PT"}]),
     "trigger option 'delay' must be in the XML duration format but was 'PT'"),
    (task(triggers=[weekly(random_delay="10 minutes")]),
     "trigger option 'random_delay' must be in the XML duration format but was '10 minutes'"),
    (task(triggers=[weekly(days_of_week="fakeday")]),
     "invalid day of week 'fakeday', check the spelling matches the full day name"),
    (task(triggers=[weekly(days_of_week=["monday", "thurs"])]),
     "invalid day of week 'thurs', check the spelling matches the full day name"),
    (task(triggers=[{"type": "monthly", "start_boundary": "2026-01-01T00:00:01",
                     "days_of_month": 35}]),
     "invalid day of month '35', please specify numbers from 1-31"),
    (task(triggers=[{"type": "monthlydow", "start_boundary": "2026-01-01T00:00:01",
                     "weeks_of_month": 5}]),
     "invalid week of month '5', please specify weeks from 1-4"),
    (task(triggers=[{"type": "monthlydow", "start_boundary": "2026-01-01T00:00:01",
                     "months_of_year": "fakemonth"}]),
     "invalid month name 'fakemonth', please specify full month name"),
    (task(triggers=[{"type": "session_state_change", "state_change": "logoff"}]),
     "invalid state_change 'logoff'"),
    (task(triggers=[{"type": "boot", "repetition": {"duration": "fake"}}]),
     "trigger option 'duration' must be in the XML duration format but was 'fake'"),
    (task(triggers=[{"type": "boot", "repetition": {"interval": "fake"}}]),
     "trigger option 'interval' must be in the XML duration format but was 'fake'"),
    (task(triggers=[{"type": "boot", "repetition": {"interval": "PT5M", "duration": "PT1M"}}]),
     "trigger repetition option 'interval' value 'PT5M' must be less than or equal to"
     " 'duration' value 'PT1M'"),
    (task(triggers=[{"type": "daily", "start_boundary": "2026-01-01T00:00:00",
                     "repetition": {"interval": "PT15M", "duration": "P1DT"}}]),
     "trigger option 'duration' must be in the XML duration format but was 'P1DT'"),
]


@pytest.mark.parametrize(("args", "msg"), REFUSED, ids=[m[:40] for _, m in REFUSED])
def test_what_the_module_refuses_fails_in_its_words_and_changes_nothing(
        server: LabHost, args: dict[str, Any], msg: str) -> None:
    before = copy.deepcopy(server.state["scheduled_tasks"])
    result = call(server, TASK, args)
    assert result["failed"] is True
    assert result["msg"] == msg
    assert result["changed"] is False
    assert server.state["scheduled_tasks"] == before


def test_a_missing_mandatory_trigger_key_fails_after_the_bare_task_is_registered(
        server: LabHost) -> None:
    # Compare-Trigger runs on the registered task: on Windows the bare task stays.
    result = call(server, TASK, task(triggers=[{"type": "weekly",
                                                "start_boundary": "2026-01-05T22:00:00"}]))
    assert result["failed"] is True
    assert result["msg"] == ("mandatory key 'days_of_week' for trigger is not set, mandatory"
                             " keys are 'days_of_week', 'start_boundary'")
    assert result["changed"] is True
    stat = call(server, STAT, {"path": "\\Sitekit\\", "name": "Lab task"})
    assert stat["task_exists"] is True
    assert stat["triggers"] == []


@pytest.mark.parametrize(("options", "element"), [
    ({"execution_time_limit": "fake"}, "ExecutionTimeLimit:fake"),
    ({"restart_interval": "PT30S", "restart_count": 3}, "RestartInterval:PT30S"),
    ({"triggers": [{"type": "daily", "start_boundary": "2026-01-01T00:00:00",
                    "repetition": {"interval": "PT30S", "duration": "P1D"}}]}, "Interval:PT30S"),
])
def test_what_the_task_scheduler_refuses_fails_when_the_task_registers(
        server: LabHost, options: dict[str, Any], element: str) -> None:
    # SCHED_E_INVALIDVALUE (0x80041318) from RegisterTaskDefinition; in check mode
    # (TASK_VALIDATE_ONLY) an existing task is refused the same way and stays as it was.
    call(server, TASK, task())
    before = copy.deepcopy(server.state["scheduled_tasks"])
    for check in (True, False):
        result = call(server, TASK, task(**options), check=check)
        assert result["failed"] is True
        assert result["msg"] == ("failed to modify scheduled task: The task XML contains a value"
                                 f" which is incorrectly formatted or out of range.\r\n{element}")
        assert server.state["scheduled_tasks"] == before


def test_a_trigger_is_stored_as_windows_keeps_it_and_read_back(server: LabHost) -> None:
    trigger = {"type": "weekly", "start_boundary": "2026-01-05",
               "days_of_week": ["Friday", "monday"],
               "repetition": {"interval": "PT15M", "duration": "PT1H"}}
    args = task(triggers=[trigger], username="SYSTEM", logon_type="service_account")
    assert call(server, TASK, args)["changed"] is True
    stat = call(server, STAT, {"path": "\\Sitekit\\", "name": "Lab task"})
    [stored] = stat["triggers"]
    # The DaysOfWeek mask, as the stat module reads it back; the boundary as Get-Date formats it.
    assert stored["days_of_week"] == "monday,friday"
    assert stored["start_boundary"] == "2026-01-05T00:00:00"
    # The same days in another spelling are the same mask: no change.
    again = task(triggers=[trigger | {"days_of_week": "monday, FRIDAY",
                                      "start_boundary": "2026-01-05T00:00:00"}],
                 username="SYSTEM", logon_type="service_account")
    assert call(server, TASK, again)["changed"] is False
    # The lab's backup-job clock reads the stored trigger: Friday 9 January 2026, 01:00 UTC.
    stored_task = server.state["scheduled_tasks"]["\\Sitekit\\Lab task"]
    since = dt.datetime(2026, 1, 8, 12, tzinfo=dt.UTC)
    now = dt.datetime(2026, 1, 9, 1, 5, tzinfo=dt.UTC)
    assert last_fire(stored_task, dt.UTC, since, now) == dt.datetime(2026, 1, 9, 1, tzinfo=dt.UTC)


def test_an_unknown_trigger_key_is_ignored_with_the_modules_warning(server: LabHost) -> None:
    result = call(server, TASK, task(triggers=[weekly(weeks_of_month="1")]))
    assert result["changed"] is True
    assert result["warnings"] == [
        "key 'weeks_of_month' for trigger entry is not valid and will be ignored, valid keys are"
        " 'days_of_week', 'start_boundary', 'enabled', 'end_boundary', 'execution_time_limit',"
        " 'random_delay', 'weeks_interval', 'repetition'"]
    [stored] = call(server, STAT, {"path": "\\Sitekit\\", "name": "Lab task"})["triggers"]
    assert "weeks_of_month" not in stored


def test_a_new_task_in_check_mode_is_only_validated(server: LabHost) -> None:
    # TASK_VALIDATE_ONLY registers nothing, so the module compares no trigger keys.
    result = call(server, TASK, task(triggers=[{"type": "weekly",
                                                "start_boundary": "2026-01-05T22:00:00"}]),
                  check=True)
    assert result["changed"] is True
    assert "failed" not in result
    assert "\\Sitekit\\Lab task" not in server.state["scheduled_tasks"]


def test_logon_types_are_the_codes_not_the_documentations(server: LabHost) -> None:
    # The documentation offers token_or_password; the code's -validateset (what Windows
    # runs) takes interactive_token_or_password and refuses the other in its own words.
    refused = call(server, TASK, task(logon_type="token_or_password"))
    assert refused["msg"] == (
        "Get-AnsibleParam: Argument logon_type needs to be one of none,password,s4u,"
        "interactive_token,group,service_account,interactive_token_or_password but was"
        " token_or_password.")
    assert call(server, TASK, task(logon_type="interactive_token_or_password"))["changed"]
    principal = call(server, STAT, {"path": "\\Sitekit\\", "name": "Lab task"})["principal"]
    assert principal["logon_type"] == "TASK_LOGON_INTERACTIVE_TOKEN_OR_PASSWORD"


def test_a_registration_trigger_fires_when_registered_and_again_when_updated() -> None:
    # IRegistrationTrigger (Microsoft docs): "starts a task when the task is registered or
    # updated"; an unchanged re-run of the module registers nothing.
    host = seeded("server", "lis01-srv01")
    task = {"name": "Once", "path": "\\", "actions": [{"path": "cmd.exe"}],
            "triggers": [{"type": "registration"}]}
    call(host, "community.windows.win_scheduled_task", task)
    (when, due), = scheduler.due_tasks(host)
    due["last_run_time"] = when.isoformat()
    assert scheduler.due_tasks(host) == []
    call(host, "community.windows.win_scheduled_task", task)  # unchanged
    assert scheduler.due_tasks(host) == []
    time.sleep(1.05)  # the lab's clock counts whole seconds
    call(host, "community.windows.win_scheduled_task", task | {"description": "changed"})
    assert [t["name"] for _, t in scheduler.due_tasks(host)] == ["Once"]


def test_a_principal_is_a_user_or_a_group_never_both(server: LabHost) -> None:
    # win_scheduled_task.ps1 (Compare-Principal): setting a group over a user sets UserId to
    # $null, and a user over a group GroupId to $null.
    assert call(server, TASK, task(username="SYSTEM", logon_type="service_account"))["changed"]
    assert call(server, TASK, task(group="Administrators", logon_type="group"))["changed"]
    principal = call(server, STAT, {"path": "\\Sitekit\\", "name": "Lab task"})["principal"]
    assert principal["user_id"] is None
    assert principal["group_id"] == "BUILTIN\\Administrators"
    assert call(server, TASK, task(username="SYSTEM", logon_type="service_account"))["changed"]
    principal = call(server, STAT, {"path": "\\Sitekit\\", "name": "Lab task"})["principal"]
    assert principal["group_id"] is None
    assert principal["user_id"] == "NT AUTHORITY\\SYSTEM"


def test_a_password_is_set_again_unless_update_password_is_no(server: LabHost) -> None:
    # win_scheduled_task.ps1: "because we can't compare the passwords we just need to reset
    # it": with a password and update_password (default yes) the task is registered again.
    call(server, "ansible.windows.win_user", {"name": "batch", "password": "Lab-Passw0rd!2"})
    given = task(username="batch", password="Lab-Passw0rd!2",  # noqa: S106 - a lab account
                 logon_type="password")
    assert call(server, TASK, given)["changed"] is True
    assert call(server, TASK, given | {"update_password": False})["changed"] is False
    assert call(server, TASK, given)["changed"] is True
