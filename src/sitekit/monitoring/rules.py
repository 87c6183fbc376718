"""Prometheus alert rules: a host or a site down, services stopped, backups, disks, clocks.

Every limit comes from the fleet's audit policy (sitekit.monitoring.thresholds); the
service names from the fleet file and the SQL Server instance rule
(sitekit.site.sqlserver). Alerts labelled `maintenance: mute` are the ones a maintenance
window explains (reboots, stopped services); Alertmanager mutes them inside the site's
windows. The others (an old backup, a full disk) stay loud.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from sitekit.monitoring import metrics
from sitekit.monitoring.thresholds import Threshold, Thresholds
from sitekit.site.model import Fleet
from sitekit.site.sqlserver import service_name

# Labels that name where an alert comes from; aggregations keep them.
HOST_LABELS = "site, city, ring, kind, host, instance"
MUTE = "mute"  # the `maintenance` label of alerts muted in the site's windows


@dataclass(frozen=True, slots=True)
class Rule:
    """One alert: its name, PromQL, how long it must hold, and what it says."""

    alert: str
    expr: str
    hold: str
    severity: str
    summary: str
    muted_in_maintenance: bool = False
    control: str = ""

    def as_dict(self) -> dict[str, Any]:
        """The rule as Prometheus's rule file writes it."""
        labels = {"severity": self.severity}
        if self.muted_in_maintenance:
            labels["maintenance"] = MUTE
        if self.control:
            labels["control"] = self.control
        return {"alert": self.alert, "expr": self.expr, "for": self.hold, "labels": labels,
                "annotations": {"summary": self.summary}}


def _quote(text: str) -> str:
    """A PromQL string literal (Go's escapes, which JSON's are a subset of)."""
    return json.dumps(text)


def _service(name: str) -> str:
    # windows_exporter's service names have had either case across releases: match both.
    return _quote("(?i)" + re.escape(name))


def _age(metric: str, selector: str, limit: Threshold | float, by: str = "") -> str:
    seconds = limit.value if isinstance(limit, Threshold) else limit
    grouped = f"max by ({HOST_LABELS}{by}) ({metric}{{{selector}}})"
    return f"time() - {grouped} > {seconds:g}"


MISSING = "missing"  # the `evidence` label of an evidence alert that has no evidence at all


def _or_missing(job: str, metric: str, selector: str = "", kind: str = "") -> str:
    """`or` the hosts (of a kind) that answer the scrape but report no `metric` at all.

    A host that answers without its evidence (the job has not run yet, or cannot write its
    textfile metric) is never "fine": its evidence alert fires as on old evidence, labelled
    `evidence="missing"`. A host that does not answer is HostDown's.
    """
    hosts = f"up{{{job}{f', kind={_quote(kind)}' if kind else ''}}} == 1"
    return (f' or label_replace({hosts} unless on (instance) {metric}{{{selector}}}, '
            f'"evidence", "{MISSING}", "", "")')


def _summary(old: str, missing: str) -> str:
    """The summary of an evidence alert: what is too old, or that there is none."""
    return (f'{{{{ if eq $labels.evidence "{MISSING}" }}}}{{{{ $labels.host }}}} answers but '
            f"reports no {missing}: its job has not run yet, or cannot write its textfile "
            f"metric{{{{ else }}}}{old}{{{{ end }}}}")


def alert_rules(fleet: Fleet, limits: Thresholds) -> list[Rule]:
    """Every alert rule, in the order the rule file lists them."""
    job = f'job="{metrics.JOB}"'
    sql = service_name(fleet.software["sql_server"]["instance"])
    application = fleet.software["application_server"]["service"]
    state = metrics.SERVICE_STATE
    return [
        Rule("HostDown", f"up{{{job}}} == 0", "5m", "critical",
             "{{ $labels.host }} at {{ $labels.site }} does not answer the exporter",
             muted_in_maintenance=True),
        Rule("SiteDown", f"max by (site, city, ring) (up{{{job}}}) == 0", "5m", "critical",
             "No host of site {{ $labels.site }} ({{ $labels.city }}) answers",
             muted_in_maintenance=True),
        Rule("SqlServerNotRunning",
             f'{state}{{{job}, name=~{_service(sql)}, state="running"}} == 0', "2m",
             "critical", f"{sql} is not running on {{{{ $labels.host }}}}",
             muted_in_maintenance=True),
        Rule("ApplicationServiceNotRunning",
             f'{state}{{{job}, name=~{_service(application)}, state="running"}} == 0', "2m",
             "critical", f"{application} is not running on {{{{ $labels.host }}}}",
             muted_in_maintenance=True),
        Rule("FullBackupTooOld",
             _age(metrics.BACKUP_LAST_SUCCESS, 'type="full"', limits.full_backup_age,
                  ", database")
             + _or_missing(job, metrics.BACKUP_LAST_SUCCESS, 'type="full"', "server"), "10m",
             "critical",
             _summary("No full backup of {{ $labels.database }} on {{ $labels.host }} within "
                      f"{limits.full_backup_age.text}", "full backup time"),
             control=limits.full_backup_age.control),
        Rule("BackupTooOld",
             _age(metrics.BACKUP_LAST_SUCCESS, 'type=~"full|differential"', limits.backup_age,
                  ", database"), "10m", "critical",
             "No backup of {{ $labels.database }} on {{ $labels.host }} within "
             f"{limits.backup_age.text}", control=limits.backup_age.control),
        Rule("LogBackupTooOld",
             _age(metrics.BACKUP_LAST_SUCCESS, 'type="log"', limits.log_backup_age,
                  ", database"), "10m", "warning",
             "The last log backup of {{ $labels.database }} on {{ $labels.host }} is older "
             f"than allowed ({limits.log_backup_age.text})",
             control=limits.log_backup_age.control),
        Rule("CheckdbTooOld",
             _age(metrics.CHECKDB_LAST_GOOD, "", limits.checkdb_age, ", database")
             + _or_missing(job, metrics.CHECKDB_LAST_GOOD, "", "server"), "10m", "warning",
             _summary("No good DBCC CHECKDB of {{ $labels.database }} on {{ $labels.host }} "
                      "in 8 days", "good DBCC CHECKDB time")),
        Rule("RestoreTestFailed", f"{metrics.RESTORE_TEST_SUCCESS} == 0", "0m", "critical",
             "The last restore test of {{ $labels.database }} on {{ $labels.host }} failed",
             control=limits.restore_test_age.control),
        Rule("RestoreTestTooOld",
             _age(metrics.RESTORE_TEST_LAST, "", limits.restore_test_age, ", database")
             + _or_missing(job, metrics.RESTORE_TEST_LAST, "", "server"), "10m", "warning",
             _summary("No restore test of {{ $labels.database }} on {{ $labels.host }} within "
                      f"{limits.restore_test_age.text}", "restore test time"),
             control=limits.restore_test_age.control),
        Rule("DiskNearlyFull",
             f'100 * {metrics.DISK_FREE}{{{job}, volume=~"[A-Z]:"}} / '
             f'{metrics.DISK_SIZE}{{{job}, volume=~"[A-Z]:"}} < '
             f"{limits.disk_free_percent.value:g}", "15m", "warning",
             "{{ $labels.volume }} on {{ $labels.host }} has {{ $value | printf \"%.0f\" }}% "
             f"free ({limits.disk_free_percent.text})",
             control=limits.disk_free_percent.control),
        Rule("DefenderSignaturesStale",
             _age(metrics.DEFENDER_SIGNATURES, "", limits.signature_age)
             + _or_missing(job, metrics.DEFENDER_SIGNATURES), "30m", "warning",
             _summary("Defender's signatures on {{ $labels.host }} are older than allowed "
                      f"({limits.signature_age.text})", "Defender signature time"),
             control=limits.signature_age.control),
        Rule("ClockSkew",
             f"abs({metrics.CLOCK_OFFSET}{{{job}}}) > {limits.clock_offset.value:g}", "10m",
             "warning", "The clock of {{ $labels.host }} is {{ $value }} s off "
             f"({limits.clock_offset.text})", control=limits.clock_offset.control),
    ]


def rule_file(rules: list[Rule]) -> dict[str, Any]:
    """The rule file: one group, evaluated every scrape interval."""
    return {"groups": [{"name": "sitekit", "rules": [rule.as_dict() for rule in rules]}]}
