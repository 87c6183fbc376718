"""The opening-day acceptance check (service plan, phase 4), as plain functions.

The acceptance role reads each host once (sitekit_facts), probes the server's ports from
the stations and counts the loaded data; these functions turn what it saw into checks
with the expected and observed values, and the handover record lists them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import Any

from netaddr import IPNetwork

from sitekit import timestamps
from sitekit.audit.checks import PASS
from sitekit.audit.checks import Check as AuditCheck
from sitekit.audit.policy import Policy

# The stations: each probes the server's ports the matrix names.
STATION_PROBERS = frozenset({"cashier", "kitchen", "office"})


@dataclass(frozen=True)
class Check:
    """One thing checked on one host."""

    check: str
    expected: str
    observed: str
    passed: bool


def host_checks(facts: dict[str, Any], expected: dict[str, Any],
                policy: Policy | None = None) -> list[dict[str, Any]]:
    """Services, versions, antivirus and backups of one host against what opening day set.

    Every check is evaluated by the audit's engine (sitekit.audit.checks): services and
    versions as checks of their own (versions compared as dotted numbers, as the audit
    does), antivirus and backups as the fleet policy's own controls (`expected["controls"]`,
    by id), so opening day and the monthly audit cannot disagree on a threshold.
    """
    at = _time(expected["now"])
    checks = [_service(facts, name) for name in expected["services"]]
    checks.append(_judged("application version", facts, "application.version",
                          "version_equals", expected["application_version"], at=at))
    if expected.get("sql_version"):
        checks.append(_judged("SQL Server version", facts, "sql_server.version",
                              "version_equals", expected["sql_version"], at=at))
    if expected.get("database"):
        database = expected["database"]
        if not (facts.get("backups") or {}).get(database):
            checks.append(Check(f"backups of {database}", "a verified full backup", "none",
                                passed=False))
        else:
            checks.append(_judged(f"restore test of {database}", facts,
                                  f"backups.{{{database}}}.restore_test_result", "equals",
                                  "succeeded", at=at))
    if policy is not None:
        kind = expected.get("kind", "server")
        by_id = {control.id: control for control in policy.controls}
        for control_id in expected.get("controls") or []:
            control = by_id.get(control_id)
            if control is None:
                raise ValueError(f"acceptance_policy_controls names {control_id}, which "
                                 f"{policy.file} does not have; name one of its controls")
            if kind in control.applies_to and _asks(control.check.fact, facts):
                status, observed, shown, note = control.check.evaluate(facts, at)
                checks.append(Check(f"{control.id} {control.title}", shown,
                                    observed + (f" ({note})" if note else ""),
                                    status == PASS))
    return [asdict(check) for check in checks]


def _asks(fact: str, facts: dict[str, Any]) -> bool:
    """Whether the host was read for the subset a control's fact path starts with."""
    return fact.split(".", 1)[0] in facts


def _judged(name: str, facts: dict[str, Any], fact: str, op: str, value: Any, *,
            at: dt.datetime) -> Check:
    """One check of the audit's engine as an acceptance check."""
    status, observed, shown, _ = AuditCheck(fact, op, value=value).evaluate(facts, at)
    if op == "version_equals" and observed == "none":
        observed = "not installed"
    return Check(name, shown, observed.split(": ", 1)[-1] if "{" in fact else observed,
                 status == PASS)


def probe_targets(kind: str, hosts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The hosts of a site a host of `kind` probes: {address, inbound, subnet} each.

    `hosts` are the site's hosts' variables (sitekit_kind, sitekit_address, sitekit_inbound,
    sitekit_segment, sitekit_segments). A station probes the server; the guest vantage
    point every host in a cardholder-data segment (PCI DSS 11.4.5); the server nothing.
    """
    found = []
    for host in hosts:
        segment = host["sitekit_segments"][host["sitekit_segment"]]
        wanted = (host["sitekit_kind"] == "server" if kind in STATION_PROBERS
                  else kind == "vantage" and host["sitekit_kind"] != "vantage"
                  and segment["cardholder_data"])
        if wanted:
            found.append({"address": host["sitekit_address"],
                          "inbound": host.get("sitekit_inbound", []),
                          "subnet": segment["subnet"]})
    return found


def probes(target: str, inbound: list[dict[str, Any]], source: str,
           target_subnet: str) -> list[dict[str, Any]]:
    """What a host in the segment `source` (its subnet) probes on `target`, by the matrix.

    `inbound` is the target's `sitekit_inbound` (per port, the flows and source CIDRs the
    plan's flow matrix lets in). A port the matrix opens to the source's segment must
    connect; one it does not must be refused where the site's router stands between the
    two (another segment). Within one segment only the hosts' firewalls decide, so those
    ports are not probed.
    """
    subnet = IPNetwork(source)
    between = subnet != IPNetwork(target_subnet)
    found = []
    for entry in inbound:
        allowed = any(subnet in IPNetwork(cidr) for cidr in entry["sources"])
        if allowed or between:
            found.append({"target": target, "port": int(entry["port"]),
                          "flows": list(entry["flows"]) if allowed else [],
                          "allowed": allowed})
    return found


def probe_checks(probes: list[dict[str, Any]], result: dict[str, Any]) -> list[dict[str, Any]]:
    """sitekit_port_probe's result over `probes` (from `probes()`) as checks.

    An allowed flow passes when it connects; a denied one when nothing answers. A probe
    run that failed as a whole (the host did not answer) fails every check with its reason.
    """
    answers = result.get("probes") or []
    checks = []
    for index, probe in enumerate(probes):
        where = f"{probe['target']}:{probe['port']}"
        answer = answers[index] if index < len(answers) and not result.get("failed") else {
            "open": None, "error": str(result.get("msg") or "not probed")}
        opened = answer["open"] is True
        if probe["allowed"]:
            checks.append(Check(f"reaches {where} ({', '.join(probe['flows'])})", "connects",
                                "connects" if opened else str(answer.get("error") or "failed"),
                                opened))
        else:
            observed = ("connects" if opened else "no answer" if answer["open"] is False
                        else str(answer.get("error")))
            checks.append(Check(f"refused at {where} (no flow in the matrix)", "no answer",
                                observed, answer["open"] is False))
    return [asdict(check) for check in checks]


def data_checks(tables: list[dict[str, Any]], result: dict[str, Any]) -> list[dict[str, Any]]:
    """The database's tables against the site's CSV files (sitekit_pos_data in check mode).

    A table matches when loading the files again would insert, update and delete nothing.
    """
    checks = []
    for table in tables:
        name, rows = table["name"], len(table["rows"])
        if result.get("failed"):
            observed, passed = f"not readable: {result.get('msg', 'failed')}", False
        else:
            change = (result.get("changes") or {}).get(name) or {}
            pending = {k: change.get(k, 0) for k in ("inserted", "updated", "deleted")}
            passed = not change.get("created") and not any(pending.values())
            observed = f"{rows} rows, as loaded" if passed else "missing" if change.get(
                "created") else ", ".join(f"{n} to be {k}" for k, n in pending.items() if n)
        checks.append(asdict(Check(f"initial data {name}", f"{rows} rows from the site's CSV",
                                   observed, passed)))
    return checks


def failures(checks: list[dict[str, Any]]) -> list[str]:
    """The failed checks as sentences."""
    return [f"{c['check']}: expected {c['expected']}, found {c['observed']}"
            for c in checks if not c["passed"]]


def _service(facts: dict[str, Any], name: str) -> Check:
    """Running and starting by itself, as the audit's SVC controls judge a service."""
    found = (facts.get("services") or {}).get(name) or {"state": "absent"}
    observed = found["state"] + (f", {found['start_mode']}" if found.get("start_mode") else "")
    running = AuditCheck(f"services.{{{name}}}.state", "equals", value="running")
    automatic = AuditCheck(f"services.{{{name}}}.start_mode", "one_of", value=["auto", "delayed"])
    passed = all(check.evaluate(facts, None)[0] == PASS for check in (running, automatic))
    return Check(f"service {name}", "running, auto", observed, passed)


def _time(text: str) -> dt.datetime:
    """A time as the modules write it (sitekit.timestamps: UTC to the second, with Z)."""
    return timestamps.parse(str(text))


def site_record(site: dict[str, Any], hosts: list[dict[str, Any]], engineer: str,
                when: str, missing: list[str], *, guest_segment: bool = True) -> dict[str, Any]:
    """The handover record of one site: what was installed, what was checked, by whom, when.

    `hosts` are {host, kind, checks, facts, exception}; `missing` the site's hosts that did
    not reach acceptance (they failed or were stopped earlier in the run).
    """
    entries = []
    for host in sorted(hosts, key=lambda h: h["host"]):
        facts = host.get("facts") or {}
        installed = {"Windows": (facts.get("os") or {}).get("version")}
        for what, key in (("application", "application"), ("SQL Server", "sql_server")):
            if facts.get(key):
                installed[what] = facts[key].get("version")
        defender = facts.get("defender") or {}
        if defender.get("signature_version"):
            installed["Defender signatures"] = defender["signature_version"]
        entries.append({"host": host["host"], "kind": host["kind"],
                        "installed": {k: v for k, v in installed.items() if v},
                        "checks": host["checks"], "exception": host.get("exception")})
    failed = [f"{e['host']}: {c['check']}" for e in entries for c in e["checks"]
              if not c["passed"]]
    segmentation = segmentation_result(entries, guest_segment=guest_segment)
    if segmentation["result"] == "not tested":
        failed.append(f"segmentation test (PCI DSS 11.4.5): {segmentation['note']}")
    return {"site": site, "engineer": engineer, "when": when, "hosts": entries,
            "not_checked": sorted(missing), "failed": failed, "segmentation": segmentation,
            "result": "accepted" if not failed and not missing else "not accepted"}


def segmentation_result(entries: list[dict[str, Any]], *, guest_segment: bool) -> dict[str, Any]:
    """The site's segmentation test (PCI DSS 11.4.5) from acceptance's probes.

    Passed when the guest vantage point reached nothing in the cardholder-data environment
    and every flow the matrix allows connected from the stations; not tested when no guest
    vantage point took part (a site with a guest segment must have one).
    """
    vantages = [e for e in entries if e["kind"] == "vantage"]
    allowed = [c for e in entries if e["kind"] != "vantage" for c in e["checks"]
               if c["check"].startswith(("reaches ", "refused at "))]
    if not vantages:
        note = ("no guest vantage point took part: run acceptance with the site's "
                "<code>-guest host (the inventory's guest_vantage option)") if guest_segment \
            else "the site has no guest segment"
        return {"requirement": "PCI DSS 11.4.5", "result": "not tested" if guest_segment
                else "not applicable", "note": note, "probes": 0, "failed_probes": []}
    probes = [c for e in vantages for c in e["checks"]] + allowed
    answered = [f"{e['host']}: {c['check']}" for e in (*vantages, *entries)
                for c in e["checks"] if not c["passed"]
                and (e["kind"] == "vantage" or c in allowed)]
    return {"requirement": "PCI DSS 11.4.5", "result": "failed" if answered else "passed",
            "note": (f"from the guest segment ({', '.join(e['host'] for e in vantages)}) "
                     f"nothing in the cardholder-data environment answered"
                     if not answered else "see the failed probes"),
            "probes": len(probes), "failed_probes": sorted(set(answered))}

