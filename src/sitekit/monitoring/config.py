"""Everything a Prometheus and an Alertmanager need, from the plan, written atomically.

    DIR/prometheus.yml                  scrape config, rule file, where Alertmanager is
    DIR/file_sd/windows.json            every host's exporter, labelled site/city/ring/kind
    DIR/rules/sitekit.rules.yml         the alert rules
    DIR/alertmanager.yml                routes by site, inhibition, maintenance windows

Nothing is written when any problem is found; each file is replaced at once, so a
Prometheus reloading its file_sd never reads half a file.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import yaml

from sitekit.audit.policy import load_policy, policy_file
from sitekit.audit.render import discard, publish, stage
from sitekit.inventory import loopback_address
from sitekit.monitoring import alertmanager, metrics
from sitekit.monitoring.rules import alert_rules, rule_file
from sitekit.monitoring.targets import exporter_port, file_sd
from sitekit.monitoring.thresholds import thresholds
from sitekit.plan.fleet import plan_fleet_dir
from sitekit.problems import Problem, ProblemsFound
from sitekit.site import strict_yaml

TARGETS = "file_sd/windows.json"
RULES = "rules/sitekit.rules.yml"
PROMETHEUS = "prometheus.yml"
ALERTMANAGER = "alertmanager.yml"


@dataclass(frozen=True, slots=True)
class Endpoints:
    """Where the pieces find each other."""

    alertmanager: str = "127.0.0.1:9093"
    webhook: str = "http://127.0.0.1:9095/alerts"  # the incident receiver
    scrape_interval: str = "1m"


def build(fleet_dir: Path, endpoints: Endpoints | None = None, *,
          lab: bool = False, scrape_port: int | None = None) -> dict[str, str]:
    """Every file's text by its path under DIR; raises ProblemsFound naming every problem.

    `lab` points the targets at the hosts' lab addresses (the lab inventory's rule), and
    `scrape_port`, if given, replaces the fleet's exporter port in them (a lab's own).
    """
    endpoints = endpoints or Endpoints()
    plan = plan_fleet_dir(fleet_dir)
    plan.raise_for_problems()
    fleet = plan.fleet
    if fleet is None:  # a fleet that cannot be loaded always comes with its problems
        raise ProblemsFound(plan.problems)
    problems: list[Problem] = []
    raw = strict_yaml.plain(fleet.source)["fleet"]
    policy, policy_problems = load_policy(policy_file(fleet_dir), raw,
                                          [s.site.code for s in plan.sites])
    problems.extend(policy_problems)
    limits = thresholds(policy, problems) if policy is not None else None
    port = exporter_port(fleet, problems)
    address = loopback_address if lab else str
    targets = file_sd(fleet, plan, port, problems, address) if port is not None else []
    if scrape_port is not None:  # checked against the flow matrix at the fleet's port
        for group in targets:
            group["targets"] = [f"{t.rpartition(':')[0]}:{scrape_port}" for t in group["targets"]]
    if problems or limits is None:
        raise ProblemsFound(problems)
    return {
        PROMETHEUS: _yaml(_prometheus(endpoints)),
        TARGETS: json.dumps(targets, indent=1, ensure_ascii=False) + "\n",
        RULES: _yaml(rule_file(alert_rules(fleet, limits))),
        ALERTMANAGER: _yaml(alertmanager.config(plan, endpoints.webhook)),
    }


def _prometheus(endpoints: Endpoints) -> dict[str, object]:
    return {
        "global": {"scrape_interval": endpoints.scrape_interval,
                   "evaluation_interval": endpoints.scrape_interval},
        "rule_files": [RULES],
        "alerting": {"alertmanagers": [{"static_configs": [
            {"targets": [endpoints.alertmanager]}]}]},
        "scrape_configs": [{
            "job_name": metrics.JOB,
            # windows_exporter answers plain HTTP; its port is open to the monitoring
            # addresses only (the flow matrix), as the exporter's docs advise.
            "file_sd_configs": [{"files": [TARGETS], "refresh_interval": "5m"}],
        }],
    }


def _yaml(data: object) -> str:
    return "---\n" + yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)


def write(files: dict[str, str], out: Path) -> list[Path]:
    """Write every file under `out`, each at once, all or nothing; the paths written."""
    staged = []
    try:
        for name, text in files.items():
            path = out / name
            staged.append((stage([text], path), path))
    except BaseException:
        discard(staged)
        raise
    return publish(staged)

