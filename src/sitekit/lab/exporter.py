r"""windows_exporter on a lab host: what its MSI installs, and what /metrics answers.

The MSI (installer/main.wxs and files.wxs of prometheus-community/windows_exporter)
registers the service `windows_exporter`, automatic, and starts it without waiting; its
properties become the service's flags: ENABLED_COLLECTORS -> --collectors.enabled,
LISTEN_PORT -> --web.listen-address (default 9182), TEXTFILE_DIRS ->
--collector.textfile.directories (default the install folder's textfile_inputs), as the
project's README documents them.

/metrics is rendered from the host's modelled state with the exporter's own metric names
and labels, each from its collector's source (internal/collector/<name>/<name>.go):

    service         windows_service_state{name, state}, windows_service_start_mode{name,
                    start_mode}; states "running", "stopped", ... (service.go)
    logical_disk    windows_logical_disk_free_bytes{volume}, _size_bytes{volume}
    cpu             windows_cpu_logical_processor
    memory          windows_memory_physical_total_bytes, windows_memory_available_bytes
    time            windows_time_current_timestamp_seconds,
                    windows_time_computed_time_offset_seconds
    scheduled_task  windows_scheduled_task_state{task, state}, _last_result{task},
                    _missed_runs{task}; states disabled, queued, ready, running, unknown
    mssql           windows_mssql_collector_success{collector, mssql_instance} (mssql.go),
                    windows_mssql_genstats_user_connections{mssql_instance}
    textfile        every *.prom file below the textfile directories (textfile.go walks
                    them); a file that does not parse is left out and the collector
                    fails (its collector_success 0). The lab's files keep no modification
                    time, so windows_textfile_mtime_seconds is not served.

with windows_exporter_collector_success{collector} (pkg/collector/collection.go) for
each. A collector the lab does not model fails the install loudly: the lab never serves
metrics it cannot back with state.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.parser import text_string_to_metric_families

from sitekit.lab import defendermetric, faults, filesystem, sqlbackup
from sitekit.lab.clock import utcnow
from sitekit.lab.errors import ModuleFailedError
from sitekit.lab.host import LabHost
from sitekit.lab.state import host_state

SERVICE = "windows_exporter"
INSTALL_DIR = "C:\\Program Files\\windows_exporter"
DEFAULT_PORT = 9182  # main.wxs: <Property Id="LISTEN_PORT" Value="9182" />
MODELLED = ("cpu", "memory", "logical_disk", "service", "mssql", "scheduled_task", "time",
            "textfile")
# service.go: the states windows_service_state reports, one series each.
SERVICE_STATES = ("stopped", "start pending", "stop pending", "running", "continue pending",
                  "pause pending", "paused", "unknown")
START_MODES = ("boot", "system", "auto", "manual", "disabled")
TASK_STATES = ("disabled", "queued", "ready", "running", "unknown")  # scheduled_task.go
_PROPERTY = re.compile(r'([A-Z_]+)=("[^"]*"|\S*)')


def msi_properties(arguments: str | list[str] | None) -> dict[str, str]:
    """The PROPERTY=value pairs of msiexec's command line (quotes removed)."""
    text = " ".join(arguments) if isinstance(arguments, list) else (arguments or "")
    return {name: value.strip('"') for name, value in _PROPERTY.findall(text)}


def install(host: LabHost, arguments: str | list[str] | None) -> None:
    """Register and start the exporter's service with the MSI's properties as its flags."""
    properties = msi_properties(arguments)
    enabled = [c.strip() for c in properties.get("ENABLED_COLLECTORS", "").split(",")
               if c.strip()]
    if not enabled:
        raise ModuleFailedError("the sitekit lab models windows_exporter with an explicit "
                                "ENABLED_COLLECTORS only (not the exporter's defaults)")
    unmodelled = [c for c in enabled if c not in MODELLED]
    if unmodelled:
        raise ModuleFailedError(
            f"the sitekit lab does not model windows_exporter's collector(s) "
            f"{', '.join(unmodelled)}; it models {', '.join(MODELLED)}")
    port = int(properties.get("LISTEN_PORT") or DEFAULT_PORT)
    textfile_dirs = [d.strip() for d in properties.get("TEXTFILE_DIRS", "").split(",")
                     if d.strip()] or [f"{INSTALL_DIR}\\textfile_inputs"]
    filesystem.make_dirs(host, INSTALL_DIR)
    filesystem.make_dirs(host, f"{INSTALL_DIR}\\textfile_inputs")  # files.wxs creates it
    flags = [f"--collectors.enabled {','.join(enabled)}"]
    if port != DEFAULT_PORT:
        flags.append(f'--web.listen-address=":{port}"')
    if "TEXTFILE_DIRS" in properties:
        flags.append(f'--collector.textfile.directories="{",".join(textfile_dirs)}"')
    state = host_state(host)
    state["services"][SERVICE] = {
        "display_name": SERVICE, "state": "running", "start_mode": "auto",
        "path": f'"{INSTALL_DIR}\\windows_exporter.exe" {" ".join(flags)}',
        "username": "LocalSystem", "description": "Exports Windows metrics for Prometheus",
        "dependencies": [], "desktop_interact": False, "ports": [port]}
    state["exporter"] = {"collectors": enabled, "port": port, "textfile_dirs": textfile_dirs}


def listening(host: LabHost) -> int | None:
    """The port the exporter answers on now: installed, its service running, host up."""
    state = host.state
    config, service = state.get("exporter"), state.get("services", {}).get(SERVICE)
    if config is None or service is None or service["state"] != "running":
        return None
    if "unreachable" in faults.refresh(host) or faults.rebooting(host.hostname):
        return None
    return int(config["port"])


def collect(host: LabHost) -> list[Metric]:
    """Every metric the enabled collectors report from the host's state (under its lock)."""
    with host.lock:
        # The scheduled jobs that came due have run and written their textfiles by now:
        # time passes in the lab when something looks (sqlbackup.catch_up, and the
        # monitoring role's Defender metric task).
        sqlbackup.catch_up(host)
        defendermetric.catch_up(host)
        state = host.state
        families: list[Metric] = []
        success = GaugeMetricFamily("windows_exporter_collector_success",
                                    "windows_exporter: Whether the collector was successful.",
                                    labels=["collector"])
        for name in state["exporter"]["collectors"]:
            found, ok = _COLLECTORS[name](host, state)
            families.extend(found)
            success.add_metric([name], float(ok))
        return [success, *families]


def _service(_host: LabHost, state: dict[str, Any]) -> list[Metric]:
    status = GaugeMetricFamily("windows_service_state", "The state of the service (State)",
                               labels=["name", "state"])
    mode = GaugeMetricFamily("windows_service_start_mode",
                             "The start mode of the service (StartMode)",
                             labels=["name", "start_mode"])
    for name, service in sorted(state["services"].items()):
        for value in SERVICE_STATES:
            status.add_metric([name, value], float(service["state"] == value))
        for value in START_MODES:
            mode.add_metric([name, value], float(service["start_mode"] == value))
    return [status, mode]


def _logical_disk(_host: LabHost, state: dict[str, Any]) -> list[Metric]:
    free = GaugeMetricFamily("windows_logical_disk_free_bytes", "Free space in bytes, updates "
                             "every 10-15 min (LogicalDisk.PercentFreeSpace)", labels=["volume"])
    size = GaugeMetricFamily("windows_logical_disk_size_bytes", "Total space in bytes, updates "
                             "every 10-15 min (LogicalDisk.PercentFreeSpace_Base)",
                             labels=["volume"])
    full = faults.active(state, "disk-full") is not None
    for letter, disk in sorted(state["disks"].items()):
        volume = f"{letter.upper()}:"
        size.add_metric([volume], float(disk["size"]))
        free.add_metric([volume], 0.0 if full and letter.upper() == "C" else float(disk["free"]))
    return [free, size]


def _cpu(_host: LabHost, state: dict[str, Any]) -> list[Metric]:
    return [GaugeMetricFamily("windows_cpu_logical_processor",
                              "Total number of logical processors", value=state["processors"])]


def _memory(_host: LabHost, state: dict[str, Any]) -> list[Metric]:
    total = float(state["memory_mb"]) * 2**20
    return [GaugeMetricFamily("windows_memory_physical_total_bytes",
                              "The physical memory of the machine (TotalPhysicalMemory)",
                              value=total),
            GaugeMetricFamily("windows_memory_available_bytes",
                              "The amount of physical memory immediately available "
                              "(AvailableBytes)", value=total / 2)]


def _time(_host: LabHost, state: dict[str, Any]) -> list[Metric]:
    skew = float(state.get("clock_skew_seconds", 0))
    return [GaugeMetricFamily("windows_time_current_timestamp_seconds",
                              "OperatingSystem.LocalDateTime",
                              value=utcnow().timestamp() + skew),
            GaugeMetricFamily("windows_time_computed_time_offset_seconds",
                              "Absolute time offset between the system clock and the chosen "
                              "time source, in seconds", value=skew)]


def _scheduled_task(_host: LabHost, state: dict[str, Any]) -> list[Metric]:
    status = GaugeMetricFamily("windows_scheduled_task_state", "Current state of a scheduled task",
                               labels=["task", "state"])
    result = GaugeMetricFamily("windows_scheduled_task_last_result",
                               "The result that was returned the last time the registered "
                               "task was run", labels=["task"])
    missed = GaugeMetricFamily("windows_scheduled_task_missed_runs",
                               "The number of times the registered task missed a scheduled run",
                               labels=["task"])
    for key, task in sorted(state["scheduled_tasks"].items()):
        current = "disabled" if not task.get("enabled", True) else task.get("state", "ready")
        for value in TASK_STATES:
            status.add_metric([key], float(current == value))
        if task.get("last_run_time") is None:  # SCHED_S_TASK_HAS_NOT_RUN: no result yet
            continue
        # scheduled_task.go: 1 when LastTaskResult is SCHED_S_SUCCESS (0), else 0.
        result.add_metric([key], float(int(task.get("last_task_result") or 0) == 0))
        missed.add_metric([key], 0.0)
    return [status, result, missed]


def _mssql(_host: LabHost, state: dict[str, Any]) -> list[Metric]:
    success = GaugeMetricFamily("windows_mssql_collector_success",
                                "windows_exporter: Whether a mssql child collector was "
                                "successful.", labels=["collector", "mssql_instance"])
    connections = GaugeMetricFamily("windows_mssql_genstats_user_connections",
                                    "(GeneralStatistics.UserConnections)",
                                    labels=["mssql_instance"])
    for name, instance in sorted(state["sql_instances"].items()):
        service = state["services"].get(instance["service"], {})
        # The instance's performance counters exist only while it runs.
        running = service.get("state") == "running"
        success.add_metric(["genstats", name], float(running))
        if running:
            connections.add_metric([name], 1.0)
    return [success, connections]


def _textfile(host: LabHost, state: dict[str, Any]) -> Collected:
    """The *.prom files below the textfile folders, parsed (textfile.go's Collect).

    A file that does not parse, or a folder that does not exist, fails the collector
    (errors.Join of each); the files that parse are still served.
    """
    found: list[Metric] = []
    ok = True
    for folder in state["exporter"]["textfile_dirs"]:
        if not filesystem.is_dir(host, folder):
            ok = False  # "error reading textfile directory"
            continue
        for path in sorted(filesystem.files_below(host, folder)):
            if not path.lower().endswith(".prom"):
                continue
            try:
                found.extend(text_string_to_metric_families(
                    filesystem.read_file(host, path).decode("utf-8")))
            except (ValueError, UnicodeDecodeError):
                ok = False  # "error scraping file"
    return found, ok


Collected = tuple[list[Metric], bool]  # the metrics, and whether the collector succeeded
Collector = Callable[[LabHost, dict[str, Any]], Collected]


def _always(collector: Callable[[LabHost, dict[str, Any]], list[Metric]]) -> Collector:
    """A collector whose state the lab always has: it never fails."""
    return lambda host, state: (collector(host, state), True)


_COLLECTORS: dict[str, Collector] = {
    "service": _always(_service), "logical_disk": _always(_logical_disk), "cpu": _always(_cpu),
    "memory": _always(_memory), "time": _always(_time),
    "scheduled_task": _always(_scheduled_task), "mssql": _always(_mssql), "textfile": _textfile}
