"""`sitekit monitoring config`, checked by the real tools: promtool and amtool (offline).

Every alert has a `promtool test rules` case: a host that breaks the rule fires it, a
host beside it that keeps the rule stays quiet.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from sitekit.monitoring import cli as monitoring_cli
from sitekit.monitoring.alertmanager import time_intervals
from sitekit.monitoring.config import ALERTMANAGER, PROMETHEUS, RULES, TARGETS, build
from sitekit.plan.schedule import Schedule, parse_window
from sitekit.problems import ProblemsFound
from tests.conftest import EXAMPLE, ROOT

DAY = 86400
HOUR = 3600


def tool(name: str) -> str:
    found = shutil.which(name)
    assert found, f"{name} is missing: run scripts/setup (it installs Debian's prometheus " \
        "and prometheus-alertmanager)"
    return found


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example fleet's config, written by the command as a user runs it."""
    out = tmp_path_factory.mktemp("monitoring")
    done = subprocess.run([sys.executable, "-m", "sitekit.cli", "monitoring", "config",
                           str(EXAMPLE), "--out", str(out)],
                          capture_output=True, text=True, cwd=ROOT, check=False)
    assert done.returncode == 0, done.stderr
    assert sorted(Path(line).relative_to(out).as_posix() for line in done.stdout.split()) == \
        sorted([PROMETHEUS, TARGETS, RULES, ALERTMANAGER])
    return out


def test_promtool_accepts_the_config_and_its_rules(written: Path) -> None:
    done = subprocess.run([tool("promtool"), "check", "config", str(written / PROMETHEUS)],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS: 13 rules found" in done.stdout
    done = subprocess.run([tool("promtool"), "check", "rules", str(written / RULES)],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def test_amtool_accepts_the_alertmanager_config(written: Path) -> None:
    done = subprocess.run([tool("amtool"), "check-config", str(written / ALERTMANAGER)],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS" in done.stdout


def test_every_host_is_a_target_with_its_site_labels(written: Path) -> None:
    targets = json.loads((written / TARGETS).read_text())
    by_host = {group["labels"]["host"]: group for group in targets}
    assert by_host["lis01-srv01"] == {
        "targets": ["10.41.7.4:9182"],
        "labels": {"site": "LIS01", "city": "Lisbon", "ring": "0", "kind": "server",
                   "host": "lis01-srv01"}}
    assert {g["labels"]["site"] for g in targets} == {"BER02", "LIS01", "LON01"}
    assert not any(g["labels"]["host"].endswith(("prn01", "prn02")) for g in targets)


def test_a_lab_is_scraped_at_its_addresses_and_exporter_port() -> None:
    """`--lab --exporter-port`: the lab's addresses, and the port its exporters answer on;
    the flow matrix is still checked at the fleet's port (a lab port is opened by nothing)."""
    targets = json.loads(build(EXAMPLE, lab=True, scrape_port=40123)[TARGETS])
    by_host = {group["labels"]["host"]: group["targets"] for group in targets}
    assert by_host["lis01-srv01"] == ["127.41.7.4:40123"]
    assert all(t.startswith("127.") and t.endswith(":40123") for g in by_host.values() for t in g)


def _series(labels: dict[str, str], metric: str, values: str, **extra: str) -> dict[str, str]:
    body = ", ".join(f'{key}="{value}"' for key, value in {**labels, **extra}.items())
    return {"series": f"{metric}{{{body}}}", "values": values}


def _host(written: Path, name: str) -> dict[str, str]:
    group = next(g for g in json.loads((written / TARGETS).read_text())
                 if g["labels"]["host"] == name)
    return {"job": "sitekit-windows", "instance": group["targets"][0], **group["labels"]}


# When every case is evaluated: long enough for the longest `for:` (30m), then 10 minutes.
AT = 40 * 60


def _age(limit: int, margin: int) -> str:
    """A timestamp that is `limit + margin` seconds old at AT, held for the whole test.

    promtool's clock starts at 0, so a backup "a week ago" is a negative Unix time.
    """
    return f"{AT - limit - margin}x60"


# Per alert: the metric, extra labels, the breaking host's values, the keeping host's
# values, the alert's own labels, and its summary ("" for those that quote the policy).
# The breaking host is past the limit (the policy's) from the start, the keeping host 30
# minutes short of it at the end: a limit that was not the policy's would fail a case.
LIMITS = {"FullBackupTooOld": 7 * DAY + 2 * HOUR, "BackupTooOld": DAY + 2 * HOUR,
          "LogBackupTooOld": 4 * HOUR, "CheckdbTooOld": 8 * DAY,
          "RestoreTestTooOld": 31 * DAY, "DefenderSignaturesStale": 2 * DAY}
CASES: dict[str, tuple[str, dict[str, str], str, str, dict[str, str], str]] = {
    "HostDown": ("up", {}, "1 0x60", "1x60", {"severity": "critical", "maintenance": "mute"},
                 "{host} at {site} does not answer the exporter"),
    "SqlServerNotRunning": ("windows_service_state", {"name": "mssql$sqlexpress",
                                                       "state": "running"},
                            "1 0x60", "1x60", {"severity": "critical", "maintenance": "mute"},
                            "MSSQL$SQLEXPRESS is not running on {host}"),
    "ApplicationServiceNotRunning": ("windows_service_state", {"name": "LotusPosServer",
                                                                "state": "running"},
                                     "1 0x60", "1x60",
                                     {"severity": "critical", "maintenance": "mute"},
                                     "LotusPosServer is not running on {host}"),
    "FullBackupTooOld": ("sitekit_backup_last_success_timestamp_seconds",
                         {"database": "LotusPOS", "type": "full"}, "", "",
                         {"severity": "critical", "control": "BAK-01"}, ""),
    "BackupTooOld": ("sitekit_backup_last_success_timestamp_seconds",
                     {"database": "LotusPOS", "type": "differential"}, "", "",
                     {"severity": "critical", "control": "BAK-01"}, ""),
    "LogBackupTooOld": ("sitekit_backup_last_success_timestamp_seconds",
                        {"database": "LotusPOS", "type": "log"}, "", "",
                        {"severity": "warning", "control": "BAK-02"}, ""),
    "CheckdbTooOld": ("sitekit_checkdb_last_good_timestamp_seconds", {"database": "LotusPOS"},
                      "", "", {"severity": "warning"},
                      "No good DBCC CHECKDB of LotusPOS on {host} in 8 days"),
    "RestoreTestFailed": ("sitekit_restore_test_last_success", {"database": "LotusPOS"},
                          "1 0x60", "1x60", {"severity": "critical", "control": "BAK-03"},
                          "The last restore test of LotusPOS on {host} failed"),
    "RestoreTestTooOld": ("sitekit_restore_test_last_timestamp_seconds",
                          {"database": "LotusPOS"}, "", "",
                          {"severity": "warning", "control": "BAK-03"}, ""),
    "DiskNearlyFull": ("windows_logical_disk_free_bytes", {"volume": "C:"}, "14x60", "16x60",
                       {"severity": "warning", "control": "DSK-01"}, ""),
    "DefenderSignaturesStale": ("sitekit_defender_signature_updated_timestamp_seconds", {},
                                "", "", {"severity": "warning", "control": "AV-03"}, ""),
    "ClockSkew": ("windows_time_computed_time_offset_seconds", {}, "-6x60", "4.5x60",
                  {"severity": "warning", "control": "CLK-01"}, ""),
}
# Labels an aggregation (max by the host's labels) drops.
_DROPPED = ("job", "type")


def _promtool_tests(written: Path) -> dict[str, Any]:
    """One test group per alert: LIS01's server breaks the rule, BER02's keeps it."""
    rules = {rule["alert"]: rule
             for rule in yaml.safe_load((written / RULES).read_text())["groups"][0]["rules"]}
    breaking, keeping = _host(written, "lis01-srv01"), _host(written, "ber02-srv01")
    groups = []
    for alert, (metric, extra, bad_values, good_values, labels, text) in CASES.items():
        bad, good = ((_age(LIMITS[alert], AT + 60), _age(LIMITS[alert], -30 * 60))
                     if alert in LIMITS else (bad_values, good_values))
        series = [_series(breaking, metric, bad, **extra), _series(keeping, metric, good, **extra)]
        if alert == "DiskNearlyFull":  # free / size: both hosts' disks are 100 bytes
            series += [_series(host, "windows_logical_disk_size_bytes", "100x60", volume="C:")
                       for host in (breaking, keeping)]
        summary = text
        if not summary:  # these quote the policy's own wording: read it from the rule
            summary = _old(rules[alert]["annotations"]["summary"]).replace(
                "{{ $labels.database }}", "LotusPOS").replace("{{ $labels.host }}", "{host}")
            summary = summary.replace("{{ $value }}", "6").replace("{{ $labels.volume }}", "C:")
            summary = summary.replace('{{ $value | printf "%.0f" }}', "14")
        expected = {**breaking, **extra, **labels}
        if "max by" in rules[alert]["expr"]:
            expected = {k: v for k, v in expected.items() if k not in _DROPPED}
        groups.append({
            "interval": "1m",
            "input_series": series,
            "alert_rule_test": [{
                "eval_time": f"{AT}s",
                "alertname": alert,
                "exp_alerts": [{"exp_labels": expected, "exp_annotations": {
                    "summary": summary.format(host=breaking["host"], site=breaking["site"])}}],
            }],
        })
    # SiteDown: every host of LIS01 gone, BER02's server still up.
    lis01 = [_host(written, h["labels"]["host"])
             for h in json.loads((written / TARGETS).read_text()) if h["labels"]["site"] == "LIS01"]
    groups.append({
        "interval": "1m",
        "input_series": [*(_series(host, "up", "1 0x60") for host in lis01),
                         _series(keeping, "up", "1x60")],
        "alert_rule_test": [{
            "eval_time": f"{AT}s", "alertname": "SiteDown",
            "exp_alerts": [{"exp_labels": {"site": "LIS01", "city": "Lisbon", "ring": "0",
                                           "severity": "critical", "maintenance": "mute"},
                            "exp_annotations": {
                                "summary": "No host of site LIS01 (Lisbon) answers"}}],
        }],
    })
    groups += _missing_cases(written)
    return {"rule_files": [RULES], "evaluation_interval": "1m", "tests": groups}


_EVIDENCE = re.compile(r'\{\{ if eq \$labels\.evidence "missing" \}\}(.*)\{\{ else \}\}(.*)'
                       r"\{\{ end \}\}", re.DOTALL)


def _old(summary: str) -> str:
    """An evidence alert's summary for old evidence (its `else`); any other as it is."""
    found = _EVIDENCE.fullmatch(summary)
    return found.group(2) if found else summary


# The evidence alerts, and the host kind that must report it: (metric, its labels).
EVIDENCE = {
    "FullBackupTooOld": ("server", "sitekit_backup_last_success_timestamp_seconds",
                         {"type": "full"}, "full backup time"),
    "CheckdbTooOld": ("server", "sitekit_checkdb_last_good_timestamp_seconds", {},
                      "good DBCC CHECKDB time"),
    "RestoreTestTooOld": ("server", "sitekit_restore_test_last_timestamp_seconds", {},
                          "restore test time"),
    "DefenderSignaturesStale": ("", "sitekit_defender_signature_updated_timestamp_seconds", {},
                                "Defender signature time"),
}


def _missing_cases(written: Path) -> list[dict[str, Any]]:
    """No evidence is never "fine": per evidence alert, LIS01's host answers without the
    metric and fires; BER02's reports it (fresh) and stays quiet; LON01's does not answer
    (HostDown's, not this). A server's log backups alone are not a full backup."""
    rules = {rule["alert"]: rule
             for rule in yaml.safe_load((written / RULES).read_text())["groups"][0]["rules"]}
    cases = []
    for alert, (kind, metric, extra, what) in EVIDENCE.items():
        suffix = "srv01" if kind == "server" else "pos01"
        bare, reporting, down = (_host(written, f"{site}-{suffix}")
                                 for site in ("lis01", "ber02", "lon01"))
        series = [_series(bare, "up", "1x60"), _series(reporting, "up", "1x60"),
                  _series(down, "up", "0x60"),
                  _series(reporting, metric, f"{AT - 60}x60", **extra, database="LotusPOS")]
        if alert == "FullBackupTooOld":
            series.append(_series(bare, metric, f"{AT - 60}x60", type="log",
                                  database="LotusPOS"))
        summary = (f"{bare['host']} answers but reports no {what}: its job has not run yet, or "
                   "cannot write its textfile metric")
        assert _EVIDENCE.fullmatch(rules[alert]["annotations"]["summary"]).group(1).replace(
            "{{ $labels.host }}", bare["host"]) == summary
        cases.append({"interval": "1m", "input_series": series, "alert_rule_test": [{
            "eval_time": f"{AT}s", "alertname": alert,
            "exp_alerts": [{"exp_labels": {**bare, **rules[alert]["labels"],
                                           "evidence": "missing"},
                            "exp_annotations": {"summary": summary}}]}]})
    return cases


def test_promtool_test_rules_fires_every_alert_only_where_it_should(written: Path) -> None:
    tests = _promtool_tests(written)
    rules = yaml.safe_load((written / RULES).read_text())["groups"][0]["rules"]
    tested = {t["alert_rule_test"][0]["alertname"] for t in tests["tests"]}
    assert tested == {rule["alert"] for rule in rules}, "every alert needs a promtool test"
    test_file = written / "rules_test.yml"
    test_file.write_text(yaml.safe_dump(tests, sort_keys=False))
    done = subprocess.run([tool("promtool"), "test", "rules", str(test_file)],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS" in done.stdout


def test_promtool_test_rules_fails_when_a_keeping_host_is_expected_to_fire(
        written: Path) -> None:
    """The promtool cases can fail: the host that keeps the rule never fires it."""
    tests = _promtool_tests(written)
    group = tests["tests"][0]  # HostDown
    group["alert_rule_test"][0]["exp_alerts"][0]["exp_labels"]["host"] = "ber02-srv01"
    test_file = written / "rules_test_wrong.yml"
    test_file.write_text(yaml.safe_dump(tests, sort_keys=False))
    done = subprocess.run([tool("promtool"), "test", "rules", str(test_file)],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 1, done.stdout + done.stderr


def test_limits_come_from_the_policy(fleet_copy: Path) -> None:
    policy = fleet_copy / "audit-policy.yml"
    text = policy.read_text()
    text = text.replace("op: max_age, value: 2d}", "op: max_age, value: 3d}")
    text = text.replace("op: at_least, value: 15, unit: \"%\"}", "op: at_least, value: 20, "
                        "unit: \"%\"}")
    policy.write_text(text.replace('version: "2026.12.1"', 'version: "2026.12.2"'))
    rules = {rule["alert"]: rule for rule in yaml.safe_load(build(fleet_copy)[RULES])
             ["groups"][0]["rules"]}
    assert f"> {3 * DAY} or " in rules["DefenderSignaturesStale"]["expr"]
    assert rules["DiskNearlyFull"]["expr"].endswith("< 20")
    # BAK-01's run time on top of db_backup's schedule: a full a week, a backup a day.
    assert f"> {7 * DAY + 2 * HOUR} or " in rules["FullBackupTooOld"]["expr"]
    assert rules["BackupTooOld"]["expr"].endswith(f"> {DAY + 2 * HOUR}")
    assert rules["LogBackupTooOld"]["expr"].endswith(f"> {4 * HOUR}")


def test_a_policy_without_the_control_names_the_file_and_what_to_add(fleet_copy: Path) -> None:
    policy = fleet_copy / "audit-policy.yml"
    text = policy.read_text()
    text = re.sub(r"  - id: CLK-01\n(    .*\n)+", "", text)
    policy.write_text(text)
    with pytest.raises(ProblemsFound) as raised:
        build(fleet_copy)
    report = raised.value.report()
    assert "audit-policy.yml" in report and "controls" in report
    assert "no control checks clock.offset_seconds with abs_at_most" in report


def test_a_fleet_without_the_exporter_port_names_the_field(fleet_copy: Path) -> None:
    fleet_file = fleet_copy / "sitekit.yml"
    text = fleet_file.read_text().replace("    ports:\n      exporter: 9182  # windows_exporter\n",
                                          "")
    text = text.replace("{name: monitoring-exporter, from: [monitoring], to: [server, cashier, "
                        "kitchen, office], port: exporter}", "{name: monitoring-exporter, "
                        "from: [monitoring], to: [server, cashier, kitchen, office], port: winrm}")
    fleet_file.write_text(text)
    with pytest.raises(ProblemsFound) as raised:
        build(fleet_copy)
    assert "sitekit.yml" in raised.value.report()
    assert "fleet.network.ports" in raised.value.report()
    assert "exporter: 9182" in raised.value.report()


def test_a_kind_the_flows_keep_from_monitoring_is_a_problem(fleet_copy: Path) -> None:
    fleet_file = fleet_copy / "sitekit.yml"
    fleet_file.write_text(fleet_file.read_text().replace(
        "{name: monitoring-exporter, from: [monitoring], to: [server, cashier, kitchen, office]",
        "{name: monitoring-exporter, from: [monitoring], to: [server, cashier, kitchen]"))
    with pytest.raises(ProblemsFound) as raised:
        build(fleet_copy)
    assert "no flow lets `monitoring` reach the office hosts" in raised.value.report()
    assert "fleet.network.flows" in raised.value.report()


@pytest.mark.parametrize(("windows", "expected"), [
    # LIS01's long window: Sunday night to Tuesday morning, cut at each local midnight.
    (["sun 23:00-tue 10:00"], [(["monday"], "00:00", "24:00"), (["tuesday"], "00:00", "10:00"),
                               (["sunday"], "23:00", "24:00")]),
    (["mon 00:00-mon 09:30", "tue 00:00-tue 09:30"],
     [(["monday", "tuesday"], "00:00", "09:30")]),
    (["sat 22:00-sat 23:59"], [(["saturday"], "22:00", "23:59")]),
])
def test_windows_become_time_intervals_in_the_site_zone(
        windows: list[str], expected: list[tuple[list[str], str, str]]) -> None:
    schedule = Schedule("Europe/Lisbon", "GMT Standard Time", tuple(map(parse_window, windows)))
    got = [(i["weekdays"], i["times"][0]["start_time"], i["times"][0]["end_time"])
           for i in time_intervals(schedule)]
    assert got == expected
    assert {i["location"] for i in time_intervals(schedule)} == {"Europe/Lisbon"}


def test_out_naming_a_file_is_refused_and_nothing_is_written(tmp_path: Path) -> None:
    target = tmp_path / "file"
    target.write_text("kept")
    done = subprocess.run([sys.executable, "-m", "sitekit.cli", "monitoring", "config",
                           str(EXAMPLE), "--out", str(target)],
                          capture_output=True, text=True, cwd=ROOT, check=False)
    assert done.returncode == 2
    assert "is a file" in done.stderr
    assert target.read_text() == "kept"


def test_lab_targets_are_the_lab_addresses_and_the_interval_is_the_given_one(
        tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "sitekit.cli", "monitoring", "config",
                           str(EXAMPLE), "--out", str(tmp_path), "--lab",
                           "--scrape-interval", "15s"],
                          capture_output=True, text=True, cwd=ROOT, check=False)
    assert done.returncode == 0, done.stderr
    targets = {g["labels"]["host"]: g["targets"]
               for g in json.loads((tmp_path / TARGETS).read_text())}
    # The lab inventory's rule: 10.41.7.4 -> 127.41.7.4 (sitekit.inventory.loopback_address).
    assert targets["lis01-srv01"] == ["127.41.7.4:9182"]
    config = yaml.safe_load((tmp_path / PROMETHEUS).read_text())
    assert config["global"] == {"scrape_interval": "15s", "evaluation_interval": "15s"}


def test_a_lab_exporter_port_without_the_lab_is_refused(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:  # the fleet's real hosts answer on its port
        monitoring_cli.main(["config", str(EXAMPLE), "--out", str(tmp_path),
                             "--exporter-port", "40123"])
    assert exited.value.code == 2
    assert "give --lab with it" in capsys.readouterr().err
    assert not any(tmp_path.iterdir())


@pytest.mark.parametrize("interval", ["0s", "15", "1s1m", "fast"])
def test_a_scrape_interval_that_is_no_duration_is_refused(
        tmp_path: Path, interval: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:  # argparse's usage error, before any work
        monitoring_cli.main(["config", str(EXAMPLE), "--out", str(tmp_path),
                             "--scrape-interval", interval])
    assert exited.value.code == 2
    assert "is not a Prometheus duration" in capsys.readouterr().err
    assert not any(tmp_path.iterdir())
