"""The acceptance role's filters, thin over sitekit.acceptance (tested without Ansible)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ansible.errors import AnsibleFilterError

from sitekit.acceptance import (
    data_checks,
    failures,
    host_checks,
    probe_checks,
    probe_targets,
    probes,
    site_record,
)
from sitekit.audit.settings import fleet_policy


def acceptance_host_checks(facts: dict[str, Any], expected: dict[str, Any]) -> list[Any]:
    """Services, versions, antivirus and backups of one host.

    The antivirus and backup checks are the fleet's audit policy's controls (expected:
    fleet_dir, controls).
    """
    try:
        policy = fleet_policy(str(expected["fleet_dir"]))
        return host_checks(facts, expected, policy)
    except (OSError, ValueError) as exc:
        raise AnsibleFilterError(f"acceptance_host_checks: {exc}") from exc


def acceptance_probes(site_hosts: list[str], hostvars: Mapping[str, Any], kind: str,
                      source_subnet: str) -> list[Any]:
    """The ports a host of `kind` in the subnet `source_subnet` probes, by the flow matrix.

    `site_hosts` are the names of its site's hosts (groups['site_<code>']).
    """
    keys = ("sitekit_kind", "sitekit_address", "sitekit_inbound", "sitekit_segment",
            "sitekit_segments")
    hosts = [{key: hostvars[name][key] for key in keys if key in hostvars[name]}
             for name in site_hosts]
    found = []
    targets = probe_targets(kind, hosts)
    for target in targets:
        found += probes(str(target["address"]), list(target["inbound"]), str(source_subnet),
                        str(target["subnet"]))
    return found


def acceptance_probe_targets(probes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """acceptance_probes as sitekit_port_probe's `probes` (host and port only)."""
    return [{"host": probe["target"], "port": probe["port"]} for probe in probes]


def acceptance_probe_checks(result: dict[str, Any], probes: list[dict[str, Any]]) -> list[Any]:
    """sitekit_port_probe's answers to acceptance_probes as checks; nothing when it did not run."""
    if not result or result.get("skipped"):
        return []
    return probe_checks(probes, result)


def acceptance_data_checks(result: dict[str, Any], tables: list[dict[str, Any]]) -> list[Any]:
    """The database compared with the site's CSV files; nothing when it did not run."""
    if not result or result.get("skipped"):
        return []
    return data_checks(tables, result)


def acceptance_exception(properties: dict[str, Any], autologon: dict[str, Any]) -> Any:
    """The deliberate exception a station carries (automatic logon), with its reason.

    `properties` are win_reg_stat's of the exception's key: name -> {type, value, ...}.
    """
    recorded = {name: (value or {}).get("value") for name, value in properties.items()}
    if not autologon.get("enabled") and not recorded:
        return None
    return {"exception": "automatic logon", "account": autologon.get("user"),
            "reason": recorded.get("Reason") or "no reason recorded",
            "approved_by": recorded.get("ApprovedBy") or "", "since": recorded.get("Since") or ""}


def acceptance_site_record(play_hosts: list[str], hostvars: Mapping[str, Any],
                           groups: Mapping[str, list[str]],
                           run: Mapping[str, str]) -> dict[str, Any]:
    """The handover record of one site (run: site, engineer, when) from this play's checks."""
    site = run["site"]
    members = set(groups.get(f"site_{site.lower()}", []))
    hosts = []
    for name in play_hosts:
        if name not in members:
            continue
        host = hostvars[name]
        hosts.append({"host": name, "kind": host["sitekit_kind"],
                      "checks": host.get("acceptance_checks", []),
                      "facts": (host.get("acceptance_register_facts") or {}).get("facts", {}),
                      "exception": host.get("acceptance_exception")})
    first = hostvars[hosts[0]["host"]] if hosts else {}
    return site_record(dict(first.get("sitekit_site", {"code": site})), hosts, run["engineer"],
                       run["when"], sorted(members - set(play_hosts)),
                       guest_segment="guest" in first.get("sitekit_segments", {}))


class FilterModule:
    """Filters of the acceptance role."""

    def filters(self) -> dict[str, Callable[..., Any]]:
        """Name -> filter."""
        return {"acceptance_host_checks": acceptance_host_checks,
                "acceptance_probes": acceptance_probes,
                "acceptance_probe_targets": acceptance_probe_targets,
                "acceptance_probe_checks": acceptance_probe_checks,
                "acceptance_data_checks": acceptance_data_checks,
                "acceptance_exception": acceptance_exception,
                "acceptance_site_record": acceptance_site_record,
                "acceptance_failures": failures}
