"""The monitoring role's Defender metric task as the lab models it: the role's own script
and task (rendered from the role's files), run by the lab's scheduler, read by the exporter."""

from __future__ import annotations

import datetime as dt
from typing import Any

import jinja2
import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from sitekit.lab import defendermetric, filesystem, sqlbackup
from sitekit.lab.host import LabHost
from sitekit.monitoring import metrics
from tests.conftest import ROOT
from tests.lab.models import call, seeded

ROLE = ROOT / "roles" / "monitoring"
TEXTFILES = "C:\\ProgramData\\Sitekit\\Metrics"
SCRIPT = "C:\\ProgramData\\Sitekit\\Write-SitekitDefenderMetric.ps1"
TARGET = f"{TEXTFILES}\\sitekit_defender.prom"


def _role_vars() -> dict[str, Any]:
    variables = yaml.safe_load((ROLE / "vars" / "main.yml").read_text())
    assert variables["__monitoring_defender_script"] == SCRIPT
    assert variables["__monitoring_defender_metric"] == \
        "{{ 'defender_signatures' | monitoring_metric }}"
    return {"__monitoring_defender_metric": metrics.DEFENDER_SIGNATURES,
            "__monitoring_defender_textfile": TARGET,
            "__monitoring_defender_script": SCRIPT,
            "__monitoring_defender_task": variables["__monitoring_defender_task"]}


def _rendered(template: str) -> str:
    return jinja2.Template(template, undefined=jinja2.StrictUndefined).render(_role_vars())


def _script() -> bytes:
    source = ROLE / "templates" / "ProgramData" / "Sitekit" / "Write-SitekitDefenderMetric.ps1.j2"
    return _rendered(source.read_text()).encode()


def _task_args() -> dict[str, Any]:
    tasks = yaml.safe_load((ROLE / "tasks" / "defender.yml").read_text())
    args = next(t["community.windows.win_scheduled_task"] for t in tasks
                if "community.windows.win_scheduled_task" in t)
    return yaml.safe_load(_rendered(yaml.safe_dump(args)))


def deployed(script: bytes | None = None, folder: bool = True) -> LabHost:
    """A station with the role's script and its task registered (as the role leaves it)."""
    host = seeded("workstation", "lis01-pos01")
    if folder:
        filesystem.make_dirs(host, TEXTFILES)
    filesystem.make_dirs(host, "C:\\ProgramData\\Sitekit")
    filesystem.write_file(host, SCRIPT, _script() if script is None else script)
    registered = call(host, "community.windows.win_scheduled_task", {
        **_task_args(), "state": "present"})
    assert not registered.get("failed"), registered
    return host


def _task(host: LabHost) -> dict[str, Any]:
    return next(t for t in host.state["scheduled_tasks"].values()
                if t["name"] == "Sitekit Defender metric")


def _written(host: LabHost) -> float:
    text = filesystem.read_file(host, TARGET).decode()
    samples = [s for f in text_string_to_metric_families(text) for s in f.samples]
    assert [s.name for s in samples] == [metrics.DEFENDER_SIGNATURES]
    return samples[0].value


def test_the_task_writes_the_signature_time_at_registration_then_every_hour() -> None:
    host = deployed()
    registered = dt.datetime.fromisoformat(_task(host)["lab_registered"])
    updated = dt.datetime.fromisoformat(host.state["defender"]["antivirus_signature_last_updated"])
    runs = defendermetric.catch_up(host, registered + dt.timedelta(minutes=1))
    assert [r["time"] for r in runs] == [registered.isoformat()]
    assert _written(host) == int(updated.timestamp())
    assert _task(host)["last_task_result"] == 0
    # Nothing more before the next hour; one run for the hours missed since.
    assert defendermetric.catch_up(host, registered + dt.timedelta(minutes=2)) == []
    later = registered + dt.timedelta(hours=5)
    runs = defendermetric.catch_up(host, later)
    assert len(runs) == 1
    assert registered + dt.timedelta(hours=4) < dt.datetime.fromisoformat(runs[0]["time"]) <= later


def test_stale_signatures_are_written_as_they_are() -> None:
    host = deployed()
    host.state["defender"]["antivirus_signature_last_updated"] = "2026-11-01T06:00:00+00:00"
    defendermetric.catch_up(host)
    assert _written(host) == dt.datetime(2026, 11, 1, 6, tzinfo=dt.UTC).timestamp()


@pytest.mark.parametrize(("script", "folder", "message"), [
    (_script().replace(b"Move-Item", b"Copy-Item"), True,
     "renames its temporary file over the metric file"),
    (_script(), False, "Could not find a part of the path"),
    (_script().replace(b"$metric = '", b"$metric = \"").replace(b"_seconds'", b'_seconds"'),
     True, "cannot tell the script's $metric"),
])
def test_a_script_or_host_the_model_cannot_honour_fails_the_run_and_writes_nothing(
        script: bytes, folder: bool, message: str) -> None:
    host = deployed(script, folder)
    runs = defendermetric.catch_up(host)
    assert message in runs[0]["failed"]
    assert _task(host)["last_task_result"] == 1
    assert not filesystem.is_file(host, TARGET)


def test_the_backup_jobs_scheduler_leaves_the_task_alone() -> None:
    host = deployed()
    assert sqlbackup.job_of(_task(host)) is None
    assert defendermetric.script_of(_task(host)) == SCRIPT


def test_the_script_writes_the_name_the_alert_reads_where_the_exporter_reads() -> None:
    text = _script().decode()
    assert f"$metric = '{metrics.DEFENDER_SIGNATURES}'" in text
    assert f"$target = '{TARGET}'" in text
