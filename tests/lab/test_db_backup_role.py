"""The db_backup role against a lab server: a check run changes nothing, the first run
converges, the second changes nothing with one module call per task, verify passes.

Then the same site is monitored end to end: the monitoring role installs the exporter on
its hosts, a real Prometheus scrapes them with the config `sitekit monitoring config`
writes, and SQL Server stopped makes its alert fire until it runs again; the whole site
unreachable fires SiteDown, which the real Alertmanager lets inhibit its hosts' alerts."""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from sitekit.monitoring import metrics
from tests.lab.conftest import BIN, ROOT, CliLab, cli_lab_at, free_port
from tests.lab.prometheus import (
    Alertmanager,
    Prometheus,
    running_alertmanager,
    running_prometheus,
    shorten_holds,
)
from tests.lab.test_db_backup_modules import HOST, modelled, seed

pytestmark = pytest.mark.slow
ROLE = Path(__file__).resolve().parents[2] / "roles" / "db_backup"
CONVERGE = ROLE / "molecule" / "default" / "converge.yml"
VERIFY = ROLE / "molecule" / "default" / "verify.yml"


def recap(output: str) -> dict[str, int]:
    match = re.search(rf"{HOST}\s+:\s+(.*)", output)
    assert match, output[-2000:]
    return {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", match.group(1))}


def calls(lab: CliLab) -> dict[str, int]:
    return dict(lab.state(HOST)["lab"]["module_calls"])


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CliLab]:
    with cli_lab_at(tmp_path_factory.mktemp("lab"), "LIS01") as started:
        seed(started)
        yield started


@pytest.fixture(scope="module")
def runs(lab: CliLab) -> dict[str, Any]:
    before = modelled(lab)
    check = lab.playbook(CONVERGE, "--check")
    after_check = modelled(lab)
    first = lab.playbook(CONVERGE)
    calls_before = calls(lab)
    second = lab.playbook(CONVERGE)
    calls_after = calls(lab)
    return {"before": before, "check": check, "after_check": after_check, "first": first,
            "second": second, "second_calls": {m: calls_after[m] - calls_before.get(m, 0)
                                               for m in calls_after
                                               if calls_after[m] != calls_before.get(m, 0)},
            "verify": lab.playbook(VERIFY)}


def test_check_run_changes_nothing(runs: dict[str, Any]) -> None:
    assert runs["check"].returncode == 0, runs["check"].stdout[-3000:]
    assert recap(runs["check"].stdout)["changed"] == 14
    assert runs["after_check"] == runs["before"]


def test_first_run_converges_and_second_changes_nothing(runs: dict[str, Any]) -> None:
    assert runs["first"].returncode == 0, runs["first"].stdout[-3000:]
    assert recap(runs["first"].stdout)["changed"] == 14
    assert runs["second"].returncode == 0, runs["second"].stdout[-3000:]
    assert recap(runs["second"].stdout)["changed"] == 0


def test_second_run_makes_one_module_call_per_task(runs: dict[str, Any]) -> None:
    # 16 tasks reach the host (the asserts run on the controller): the copy target's
    # volume, 3 folders, their access rules, 2 templates (win_copy's query), 5 scheduled
    # tasks, info, full and log backup, restore test.
    assert runs["second_calls"] == {
        "ansible.windows.win_stat": 1,
        "ansible.legacy.sitekit_sql_backup_info": 1, "ansible.windows.win_file": 3,
        "ansible.legacy.sitekit_acl": 1,
        "ansible.windows.win_copy": 2, "community.windows.win_scheduled_task": 5,
        "ansible.legacy.sitekit_sql_backup": 2, "ansible.legacy.sitekit_sql_restore_test": 1}


def test_verify_passes_and_the_job_is_scheduled(runs: dict[str, Any], lab: CliLab) -> None:
    assert runs["verify"].returncode == 0, runs["verify"].stdout[-3000:]
    tasks = lab.state(HOST)["scheduled_tasks"]
    full = tasks["\\Sitekit\\Sitekit SQL full backup"]
    # LIS01 is closed on Mondays: its longest window opens Sunday 23:00.
    assert full["triggers"] == [{"type": "weekly", "days_of_week": "sunday",
                                 "start_boundary": "2024-01-01T23:00:00"}]
    log = tasks["\\Sitekit\\Sitekit SQL log backup"]
    # As given: the legacy module checks its repetition itself and sets only what it gets.
    assert log["triggers"][0]["repetition"] == {"interval": "PT15M", "duration": "P1D"}
    assert "-Type Log" in log["actions"][0]["arguments"]
    # The integrity check also runs at registration: a good CHECKDB from opening day on.
    integrity = tasks["\\Sitekit\\Sitekit SQL integrity check"]
    assert integrity["triggers"][0] == {"type": "registration"}
    assert integrity["last_task_result"] == 0, integrity.get("last_task_message")
    databases = [db for sql in lab.state(HOST)["sql_instances"].values()
                 for db in sql["databases"].values()]
    assert databases and all(db.get("last_good_checkdb") for db in databases)


def test_no_secret_reaches_the_output(runs: dict[str, Any], lab: CliLab) -> None:
    password = json.loads(json.dumps([h.password for h in lab.hosts()]))
    for name in ("check", "first", "second", "verify"):
        for secret in password:
            assert secret not in runs[name].stdout + runs[name].stderr


def test_a_copy_target_on_a_missing_volume_fails_before_any_change(
        runs: dict[str, Any], lab: CliLab) -> None:
    # LIS01's server has C: and D: (the fleet's hardware plan); E: is a disk it lacks.
    before = modelled(lab)
    result = lab.playbook(CONVERGE, "-e", r"db_backup_copy_dir=E:\SQLBackupCopy")
    assert result.returncode != 0
    assert "has no volume E:, so the second copy of every backup" in result.stdout
    assert modelled(lab) == before


MONITORING = ROOT / "roles" / "monitoring" / "molecule" / "default" / "converge.yml"
SITE = "LIS01"


@dataclass(frozen=True)
class Monitored:
    """The lab's site watched by the real Prometheus and Alertmanager, as the field runs them."""

    prometheus: Prometheus
    alertmanager: Alertmanager
    hosts: set[str]  # the site's monitored hosts

    def health(self) -> dict[str, set[str]]:
        """The scrape targets' hosts by health (up, down, unknown)."""
        found: dict[str, set[str]] = {}
        for target in self.prometheus.targets():
            found.setdefault(target["health"], set()).add(target["labels"]["host"])
        return found


@pytest.fixture(scope="module")
def monitored(runs: dict[str, Any], lab: CliLab,
              tmp_path_factory: pytest.TempPathFactory) -> Iterator[Monitored]:
    """The monitoring role on the site, and `sitekit monitoring config`'s files running."""
    # An hour on: the log backup job runs, and rewrites the job's textfile metrics.
    assert lab.sitekit("advance", "--hours", "1").returncode == 0
    installed = lab.playbook(MONITORING)
    assert installed.returncode == 0, installed.stdout[-3000:]
    work = tmp_path_factory.mktemp("monitoring")
    out, port = work / "config", free_port()
    result = subprocess.run(
        [str(BIN / "sitekit"), "monitoring", "config", str(ROOT / "inventories" / "example"),
         "--out", str(out), "--lab", "--scrape-interval", "1s",
         # The lab serves its exporters on a port of its own (CliLab: another lab of LIS01
         # may run beside it in another test process, on the same addresses).
         "--exporter-port", str(lab.metrics_port),
         "--alertmanager", f"127.0.0.1:{port}",
         # Nobody there: what Alertmanager holds is read back from its API instead.
         "--webhook", f"http://127.0.0.1:{free_port()}/alerts"],
        capture_output=True, text=True, cwd=ROOT, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    shorten_holds(out / "rules" / "sitekit.rules.yml")
    # The site's own hosts: the guest vantage point is a guest's device, not monitored.
    hosts = {host.hostname for host in lab.hosts()} - {"lis01-guest"}
    with running_alertmanager(out, work, port) as alertmanager, \
            running_prometheus(out, work) as prometheus:
        watched = Monitored(prometheus, alertmanager, hosts)
        # The lab runs LIS01 only: its hosts answer, the other sites' never do.
        prometheus.wait(lambda: watched.health().get("up") == hosts and
                        len(watched.health().get("down", ())) > 0, f"exactly {hosts} up")
        yield watched


def test_prometheus_scrapes_the_site_and_alerts_while_sql_server_is_stopped(
        monitored: Monitored, lab: CliLab) -> None:
    """The real Prometheus on the config `sitekit monitoring config` writes for the lab."""
    prometheus = monitored.prometheus
    sql = "MSSQL$SQLEXPRESS"

    # The job's textfile, through the exporter: the role's first full backup and restore
    # test, the scheduled log backup.
    def evidence() -> dict[tuple[str, str], float]:
        found = prometheus.query(f'{{__name__=~"sitekit_.+", host="{HOST}"}}')
        return {(r["metric"]["__name__"], r["metric"].get("type", "")): float(r["value"][1])
                for r in found}

    wanted = {(metrics.BACKUP_LAST_SUCCESS, "full"), (metrics.BACKUP_LAST_SUCCESS, "log"),
              (metrics.RESTORE_TEST_LAST, ""), (metrics.RESTORE_TEST_SUCCESS, ""),
              (metrics.DEFENDER_SIGNATURES, "")}
    prometheus.wait(lambda: wanted <= set(evidence()), "the jobs' textfile metrics")
    assert evidence()[(metrics.RESTORE_TEST_SUCCESS, "")] == 1
    # The monitoring role's Defender task: Get-MpComputerStatus's signature time, as the
    # lab's Defender reports it; every monitored host has it, so no evidence alert fires.
    signatures = lab.state(HOST)["defender"]["antivirus_signature_last_updated"]
    assert evidence()[(metrics.DEFENDER_SIGNATURES, "")] == int(
        dt.datetime.fromisoformat(signatures).timestamp())
    prometheus.wait(lambda: {r["metric"]["host"] for r in prometheus.query(
        metrics.DEFENDER_SIGNATURES)} >= monitored.hosts, "every host's Defender metric")

    def sql_alert(state: str) -> Callable[[], bool]:
        return lambda: any(a["labels"]["host"] == HOST and a["state"] == state
                           for a in prometheus.alerts("SqlServerNotRunning"))

    assert not sql_alert("firing")()
    stopped = lab.ansible(HOST, "ansible.windows.win_service", f"name={sql} state=stopped")
    assert stopped.returncode == 0, stopped.stdout + stopped.stderr
    try:
        prometheus.wait(sql_alert("firing"), f"SqlServerNotRunning firing for {HOST}")
    finally:
        started = lab.ansible(HOST, "ansible.windows.win_service", f"name={sql} state=started")
        assert started.returncode == 0, started.stdout + started.stderr
    prometheus.wait(lambda: not prometheus.alerts("SqlServerNotRunning"),
                    "SqlServerNotRunning quiet again once SQL Server runs")


def test_a_site_unreachable_fires_site_down_which_inhibits_its_hosts_alerts(
        monitored: Monitored, lab: CliLab) -> None:
    """Every host of the site off the network: SiteDown fires, Alertmanager holds back the rest."""
    prometheus, alertmanager = monitored.prometheus, monitored.alertmanager

    def firing(name: str) -> set[str]:
        return {a["labels"].get("host") or a["labels"]["site"]
                for a in prometheus.alerts(name) if a["state"] == "firing"}

    # The other sites (not in the lab) are down all along; LIS01 is not, yet.
    prometheus.wait(lambda: {"BER02", "LON01"} <= firing("SiteDown"), "the absent sites down")
    assert SITE not in firing("SiteDown")

    def faults(fault: str) -> None:  # the hosts at once, as a site's power cut
        with ThreadPoolExecutor(len(monitored.hosts)) as pool:
            done = list(pool.map(lambda host: lab.sitekit("fault", host, fault),
                                 sorted(monitored.hosts)))
        assert all(d.returncode == 0 for d in done), [d.stderr for d in done]

    try:
        faults("unreachable")
        prometheus.wait(lambda: SITE in firing("SiteDown") and monitored.hosts <= firing(
            "HostDown"), f"SiteDown firing for {SITE}, HostDown for each of its hosts")

        # Alertmanager has them all; SiteDown is active and every other alert of the site is
        # inhibited by it (what reaches the incident receiver is the site, once).
        def held() -> dict[str, list[dict[str, Any]]]:
            found: dict[str, list[dict[str, Any]]] = {}
            for alert in alertmanager.alerts(site=SITE):
                found.setdefault(alert["labels"]["alertname"], []).append(alert)
            return found

        def inhibited() -> bool:
            alerts = held()
            site_down = alerts.get("SiteDown", [])
            others = [a for name, group in alerts.items() if name != "SiteDown" for a in group]
            return (len(site_down) == 1 and site_down[0]["status"]["state"] == "active"
                    and {a["labels"]["host"] for a in alerts.get("HostDown", [])}
                    == monitored.hosts
                    and all(a["status"]["state"] == "suppressed"
                            and a["status"]["inhibitedBy"] for a in others))

        alertmanager.wait(inhibited, f"{SITE}'s HostDown alerts inhibited by its SiteDown")
        # Another site's SiteDown does not hold back LIS01's alerts: `equal: [site]`.
        site_down = held()["SiteDown"][0]["fingerprint"]
        assert {a["status"]["inhibitedBy"][0] for a in held()["HostDown"]} == {site_down}
    finally:
        faults("clear")
    prometheus.wait(lambda: monitored.health().get("up") == monitored.hosts,
                    f"{SITE}'s hosts up again once they answer")
