"""The lab's windows_exporter: what its MSI installs, what /metrics answers, when it listens;
and the backup job's textfile metrics and weekly integrity check, as the lab models them."""

from __future__ import annotations

import datetime as dt
import json
import random
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from sitekit.lab import exporter, filesystem, sqlbackup
from sitekit.lab.errors import ModuleFailedError
from sitekit.lab.host import LabHost
from sitekit.lab.metrics_server import MetricsServer
from sitekit.lab.state import seed_state
from sitekit.monitoring import metrics
from tests.lab.conftest import free_port, fresh_address
from tests.lab.sql_seed import seed_instance

TEXTFILES = "C:\\ProgramData\\Sitekit\\Metrics"


def server_host() -> LabHost:
    state = seed_state("server", "srv", random.Random(7))  # noqa: S311 - a seed, not a secret
    seed_instance(state)
    return LabHost("srv", fresh_address(), "sitekit", "pw", state=state)


def properties(port: int, collectors: tuple[str, ...] = metrics.COLLECTORS["server"]) -> str:
    return (f'ENABLED_COLLECTORS={",".join(collectors)} LISTEN_PORT={port} '
            f'TEXTFILE_DIRS="{TEXTFILES}"')


def test_an_unmodelled_collector_fails_the_install_loudly() -> None:
    host = server_host()
    with pytest.raises(ModuleFailedError, match="does not model windows_exporter's collector"
                                                r"\(s\) iis"):
        exporter.install(host, properties(9182, ("cpu", "iis")))
    assert "windows_exporter" not in host.state["services"]


def test_the_msi_properties_become_the_service_flags() -> None:
    host = server_host()
    exporter.install(host, properties(9300))
    service = host.state["services"]["windows_exporter"]
    assert (service["state"], service["start_mode"]) == ("running", "auto")
    assert "--collectors.enabled cpu,memory" in service["path"]
    assert '--web.listen-address=":9300"' in service["path"]
    assert f'--collector.textfile.directories="{TEXTFILES}"' in service["path"]


@pytest.fixture
def served() -> Iterator[tuple[LabHost, str, MetricsServer]]:
    host, port = server_host(), free_port()
    filesystem.make_dirs(host, TEXTFILES)
    exporter.install(host, properties(port))
    server = MetricsServer([host])
    server.reconcile()
    try:
        yield host, f"http://{host.address}:{port}/metrics", server
    finally:
        server.stop()


def scrape(url: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    with urllib.request.urlopen(url, timeout=5) as answer:  # noqa: S310 - loopback
        text = answer.read().decode()
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def test_metrics_reflect_services_disks_and_the_job_textfiles(
        served: tuple[LabHost, str, MetricsServer]) -> None:
    host, url, _ = served
    sql = host.state["sql_instances"]["SQLEXPRESS"]["service"]
    found = scrape(url)
    assert found[(metrics.SERVICE_STATE, (("name", sql), ("state", "running")))] == 1
    assert found[(metrics.SERVICE_STATE, (("name", sql), ("state", "stopped")))] == 0
    assert found[(metrics.DISK_SIZE, (("volume", "C:"),))] == host.state["disks"]["C"]["size"]
    assert found[("windows_mssql_collector_success",
                  (("collector", "genstats"), ("mssql_instance", "SQLEXPRESS")))] == 1
    host.state["services"][sql]["state"] = "stopped"
    filesystem.write_file(host, f"{TEXTFILES}\\sitekit_backup.prom",
                          f'{metrics.CHECKDB_LAST_GOOD}{{database="LotusPOS"}} 1.7e9\n'.encode())
    found = scrape(url)
    assert found[(metrics.SERVICE_STATE, (("name", sql), ("state", "running")))] == 0
    assert found[(metrics.CHECKDB_LAST_GOOD, (("database", "LotusPOS"),))] == 1.7e9
    assert found[("windows_mssql_collector_success",
                  (("collector", "genstats"), ("mssql_instance", "SQLEXPRESS")))] == 0
    textfile_ok = ("windows_exporter_collector_success", (("collector", "textfile"),))
    assert found[textfile_ok] == 1
    # A file that is not Prometheus' text format is left out and fails the collector; the
    # files that parse are still served (textfile.go).
    filesystem.write_file(host, f"{TEXTFILES}\\broken.prom", b"not a metric line at all\n")
    found = scrape(url)
    assert found[textfile_ok] == 0
    assert (metrics.CHECKDB_LAST_GOOD, (("database", "LotusPOS"),)) in found


def test_the_exporter_stops_answering_when_its_service_stops(
        served: tuple[LabHost, str, MetricsServer]) -> None:
    host, url, server = served
    host.state["services"]["windows_exporter"]["state"] = "stopped"
    server.reconcile()
    with pytest.raises((urllib.error.URLError, ConnectionError)):
        scrape(url)


def test_two_labs_of_the_same_host_serve_its_exporter_on_ports_of_their_own() -> None:
    """`sitekit lab up --metrics-port`: as the lab's WinRM port stands in for 5986, so that
    labs of the same sites (the same addresses) run side by side, as the test workers do."""
    host = server_host()
    filesystem.make_dirs(host, TEXTFILES)
    exporter.install(host, properties(9182))
    labs = [MetricsServer([host], port) for port in (free_port(), free_port())]
    try:
        for lab in labs:
            lab.reconcile()
        for lab in labs:
            assert scrape(f"http://{host.address}:{lab.port}/metrics")
        host.state["services"]["windows_exporter"]["state"] = "stopped"
        for lab in labs:
            lab.reconcile()
            with pytest.raises((urllib.error.URLError, ConnectionError)):
                scrape(f"http://{host.address}:{lab.port}/metrics")
    finally:
        for lab in labs:
            lab.stop()


def test_a_scheduled_run_writes_the_textfile_and_the_integrity_check_records_checkdb() -> None:
    host = server_host()
    settings: dict[str, Any] = {
        "instance": "SQLEXPRESS", "databases": ["LotusPOS"],
        "backup_dir": "C:\\SQLBackup", "retention_days": 14, "verify": True,
        "metrics": {"file": f"{TEXTFILES}\\sitekit_backup.prom",
                    "names": {"backup_last_success": metrics.BACKUP_LAST_SUCCESS,
                              "checkdb_last_good": metrics.CHECKDB_LAST_GOOD,
                              "restore_test_last": metrics.RESTORE_TEST_LAST,
                              "restore_test_success": metrics.RESTORE_TEST_SUCCESS}}}
    at = dt.datetime(2026, 12, 7, 3, 0, tzinfo=dt.UTC)
    run = sqlbackup.run_job(host, settings, "integrity", at, "schedule",
                            script=_traits())
    assert run["checkdb"][0]["database"] == "LotusPOS"
    sqlbackup.write_metrics(host, settings)
    text = filesystem.read_file(host, settings["metrics"]["file"]).decode()
    samples = {s.name: s for f in text_string_to_metric_families(text) for s in f.samples}
    assert samples[metrics.CHECKDB_LAST_GOOD].labels == {"database": "LotusPOS"}
    assert samples[metrics.CHECKDB_LAST_GOOD].value == (at + dt.timedelta(seconds=30)).timestamp()
    assert metrics.BACKUP_LAST_SUCCESS not in samples  # no backup yet: no evidence, no line
    json.dumps(host.state)  # the state stays JSON


def _traits() -> sqlbackup.JobTraits:
    return sqlbackup.JobTraits(logs_to_output=False, locks_history=True,
                               records_before_copy=True, chain_by_lsn=True,
                               backup_checksum="always", verify_checksum=True)
