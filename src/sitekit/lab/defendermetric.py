r"""The monitoring role's Defender metric task: what each of its runs writes.

windows_exporter has no Defender collector, so the role deploys
Write-SitekitDefenderMetric.ps1 and a task that runs it at registration and every hour
(roles/monitoring/tasks/defender.yml). The lab cannot run PowerShell: a run that came due
is modelled from the deployed script's text, which must read Get-MpComputerStatus's
AntivirusSignatureLastUpdated and write its metric to a temporary name that Move-Item
renames over the file; its metric name and file are read from the script's `$metric` and
`$target`. The value is the signatures' time as the lab's Defender reports it then
(sitekit.lab.defender). A script the lab cannot read that way fails its run (the task's
last result 1) and writes nothing, as does a host without Defender (Get-MpComputerStatus
fails) or without the metrics folder (WriteAllText's DirectoryNotFoundException).
"""

from __future__ import annotations

import datetime as dt
import ntpath
import re
from typing import Any

from sitekit.lab import filesystem, scheduler
from sitekit.lab.defender import signatures_updated
from sitekit.lab.host import LabHost

SCRIPT_NAME = "Write-SitekitDefenderMetric.ps1"
_FILE = re.compile(r"-File\s+\"?([^\"]*?" + re.escape(SCRIPT_NAME) + r")\"?(?:\s|$)",
                   re.IGNORECASE)
_ASSIGNED = r"^\s*\${name}\s*=\s*'([^']+)'\s*$"
# What the script must do for the model to hold: read the signatures' time, and write by
# renaming a temporary file over the one the textfile collector reads.
_NEEDED = {"Get-MpComputerStatus": "reads Get-MpComputerStatus",
           "AntivirusSignatureLastUpdated": "reads AntivirusSignatureLastUpdated",
           "Move-Item": "renames its temporary file over the metric file (Move-Item)"}


class MetricTaskError(Exception):
    """A run of the task failed; the message is what the task's last result says."""


def script_of(task: dict[str, Any]) -> str | None:
    """The script a task runs when it is the Defender metric task (its -File), else None."""
    for action in task.get("actions") or []:
        found = _FILE.search(str(action.get("arguments") or ""))
        if found:
            return found.group(1)
    return None


def _assigned(text: str, name: str) -> str:
    found = re.search(_ASSIGNED.format(name=name), text, re.IGNORECASE | re.MULTILINE)
    if not found:
        raise MetricTaskError(f"the lab cannot tell the script's ${name}: it models "
                              f"{SCRIPT_NAME} that sets ${name} = '<literal>'")
    return found.group(1)


def render(metric: str, updated: dt.datetime) -> bytes:
    """The file the script writes: its HELP and TYPE lines and the Unix time (LF ends)."""
    return (f"# HELP {metric} Unix time of the last Defender signature update "
            f"(Get-MpComputerStatus).\n# TYPE {metric} gauge\n"
            f"{metric} {int(updated.timestamp())}\n").encode()


def run(host: LabHost, script: str, at: dt.datetime) -> str:
    """One run of the script at `at`; the file it wrote. Raises MetricTaskError."""
    if not filesystem.is_file(host, script):
        raise MetricTaskError(f"the script {script} does not exist")
    text = filesystem.read_file(host, script).decode("utf-8-sig")
    missing = [what for needle, what in _NEEDED.items() if needle.lower() not in text.lower()]
    if missing:
        raise MetricTaskError(f"the lab models {SCRIPT_NAME} that {'; '.join(missing)}")
    metric, target = _assigned(text, "metric"), _assigned(text, "target")
    if "defender" not in host.state:
        raise MetricTaskError("Get-MpComputerStatus: the Defender service is not running")
    if not filesystem.is_dir(host, ntpath.dirname(target)):
        raise MetricTaskError(f"Could not find a part of the path '{target}'")
    try:
        filesystem.write_file(host, target, render(metric, signatures_updated(host.state, at)))
    except OSError as exc:  # a full disk
        raise MetricTaskError(f"could not write {target}: {exc}") from None
    return target


def catch_up(host: LabHost, now: dt.datetime | None = None) -> list[dict[str, Any]]:
    """Run the Defender metric task if it came due since it last ran; the runs (0 or 1).

    It runs at registration and then hourly (its registration trigger, and a daily one
    repeated every hour); when, is sitekit.lab.scheduler's rule.
    """
    runs = []
    for when, task in scheduler.due_tasks(host, now):
        script = script_of(task)
        if script is None:
            continue
        task["last_run_time"] = when.isoformat()
        try:
            written = run(host, script, when)
        except MetricTaskError as exc:
            task["last_task_result"], task["last_task_message"] = 1, str(exc)
            runs.append({"task": task["name"], "time": when.isoformat(), "failed": str(exc)})
            continue
        task["last_task_result"], task["last_task_message"] = 0, ""
        runs.append({"task": task["name"], "time": when.isoformat(), "file": written})
    return runs
