"""Facts documents for the audit tests and benchmarks: a healthy host, and drifts from it.

`healthy()` gives what a freshly provisioned host of the example fleet reports: it passes
every control of inventories/example/audit-policy.yml, its version floors judged by the test
release table RELEASES (the example's table ends before the tests' months). Tests change one
thing at a time.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path
from typing import Any

from sitekit.audit import facts as facts_format

GATHERED = dt.datetime(2026, 12, 1, 2, 30, tzinfo=dt.UTC)
# The release table the tests' version floors are judged by (a fixture: see its header).
RELEASES = Path(__file__).parent / "data" / "release-table.yml"
SERVICES = ("WinDefend", "mpssvc", "W32Time", "WinRM")
SERVER_SERVICES = ("LotusPosServer", "MSSQL$SQLEXPRESS")
# The audit subcategories windows_base sets to success and failure (facts' keys).
_AUDITED = (
    "credential_validation", "kerberos_authentication_service", "account_lockout",
    "group_membership", "logoff", "logon", "other_logon_logoff_events", "special_logon",
    "application_group_management", "security_group_management", "user_account_management",
    "audit_policy_change", "authentication_policy_change", "authorization_policy_change",
    "mpssvc_rule_level_policy_change", "other_policy_change_events", "ipsec_driver",
    "other_system_events", "security_state_change", "security_system_extension",
    "system_integrity", "process_creation", "sensitive_privilege_use")


def hardening(kind: str) -> dict[str, Any]:
    """The hardening facts windows_base leaves on a host of this kind."""
    return {"inactivity_timeout_seconds": 900 if kind in ("server", "office") else None,
            "smb1_server": 0, "smb1_client_start": 4, "smb_server_signing": 1,
            "smb_client_signing": 1, "llmnr": 0, "netbios": 0, "netbt_node_type": 2,
            "lm_compatibility_level": 5, "wdigest_logon_credential": 0, "tls10_server": 0,
            "tls10_client": 0, "tls11_server": 0, "tls11_client": 0, "rdp_deny_connections": 1,
            "rdp_nla": 1, "rdp_max_idle_ms": 900000, "autoplay_drive_types": 255,
            "autorun_off": 1, "autoplay_non_volume_off": 1, "removable_drive_scanning_disabled": 0,
            "administrator": {"name": "Administrator", "enabled": False},
            "guest": {"name": "Guest", "enabled": False}}


def _iso(moment: dt.datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


# A host's firewall rules as Windows reports them, and the flow matrix's inbound flows.
_WINRM_RULE = {"name": "Windows Remote Management (HTTPS-In, sitekit)", "protocol": "tcp",
               "local_ports": ["5986"],
               "remote_addresses": ["10.39.0.10", "10.39.0.20/255.255.255.254"]}
_SQL_RULE = {"name": "POS SQL Server (TCP-In)", "protocol": "tcp", "local_ports": ["1433"],
             "remote_addresses": ["10.41.7.0/255.255.255.192"]}
_INBOUND = [{"port": 5986, "sources": ["10.39.0.10/32", "10.39.0.20/31"]},
            {"port": 1433, "sources": ["10.41.7.0/26"]}]


# The Event Forwarding policy windows_base writes from the example fleet's collector.
_MANAGER = ("Server=https://wec.lotus-kitchen.example:5986/wsman/SubscriptionManager/WEC,"
            "Refresh=900,IssuerCA=80C2882CB4F07BB6935E94C7A2BA434D9B9EF787")


def healthy(host: str, site: str, kind: str, at: dt.datetime = GATHERED,
            admins: tuple[str, ...] = ("sitekit", "acosta")) -> dict[str, Any]:
    """A compliant facts document for one host."""
    server = kind == "server"
    ago = lambda **delta: _iso(at - dt.timedelta(**delta))  # noqa: E731
    installed = [
        {"kb": "KB5044281", "title": "Cumulative Update (KB5044281)",
         "category": "Security Updates", "installed_on": ago(days=12)},
        {"kb": "KB890830", "title": "Windows Malicious Software Removal Tool x64",
         "category": "Update Rollups", "installed_on": ago(days=12)},
    ]
    services = {name: {"state": "running", "start_mode": "auto"} for name in SERVICES}
    never_expires = ["sitekit"] + (["kiosk"] if kind in ("cashier", "kitchen") else [])
    facts: dict[str, Any] = {
        "os": {"caption": "Microsoft Windows Server 2022 Standard" if server
               else "Microsoft Windows 11 Enterprise",
               "version": "10.0.20348.9911" if server else "10.0.26200.9911",
               "build": 20348 if server else 26200, "ubr": 9911,
               "last_boot": ago(hours=20), "reboot_pending": False},
        "updates": {"installed": installed, "newest_installed": ago(days=12), "missing": []},
        "application": {"name": "Lotus POS", "version": "8.4.2",
                        "component": "server" if server else "client"},
        "defender": {"antivirus_enabled": True, "realtime_protection": True,
                     "engine_version": "1.1.26099.2", "platform_version": "4.18.26099.2",
                     "signature_version": "1.419.163.0", "signature_last_updated": ago(hours=20),
                     "last_quick_scan": ago(days=1), "last_full_scan": ago(days=6)},
        "disks": {"C:": {"size_bytes": 256 * 2**30, "free_bytes": 160 * 2**30,
                         "free_percent": 62.5}},
        "services": services,
        "local_groups": {
            "Administrators": {"members": ["Administrator", *admins],
                               "expected": ["Administrator", *admins]},
            "POS Administrators": {"members": list(admins[1:]), "expected": list(admins[1:])},
        },
        "password_policy": {"min_length": 14, "complexity": True, "history": 24,
                            "max_age_days": 90, "min_age_days": 1},
        "lockout_policy": {"threshold": 5, "duration_minutes": 30, "window_minutes": 30},
        "winrm": {"listeners": [{"transport": "HTTPS", "port": 5986, "address": "*",
                                 "certificate_thumbprint": "3F1A" * 10}],
                  "basic_auth": False, "allow_unencrypted": False},
        "firewall": {profile: {"enabled": True, "default_inbound": "block",
                               "default_outbound": "allow"}
                     for profile in ("domain", "private", "public")},
        # In its planned segment, WinRM open to the controller and monitoring only (NET-01/02).
        "network": {"addresses": ["10.41.7.4/26" if server else "10.41.7.6/26"],
                    "inbound_rules": [_WINRM_RULE, *([_SQL_RULE] if server else [])]},
        "planned_network": {"address": "10.41.7.4" if server else "10.41.7.6",
                            "subnet": "10.41.7.0/26", "inbound": _INBOUND[:2 if server else 1]},
        "clock": {"offset_seconds": 0.4, "source": "10.41.7.1,0x9", "designated": True},
        # Opening day turns automatic logon on at the tills and kitchen screens (a waiver).
        "autologon": ({"enabled": True, "user": "kiosk"} if kind in ("cashier", "kitchen")
                      else {"enabled": False, "user": None}),
        # What windows_base's audit policy and Event Log policy leave.
        "logging": {"audit_policy": {name: ["success", "failure"] for name in _AUDITED}
                    | {"file_system": [], "registry": []},
                    "force_subcategories": True,
                    "security_log": {"maximum_size_kb": 196608, "mode": "circular"}},
        # What windows_base's security options leave (the idle lock not on the tills).
        "hardening": hardening(kind),
        # Forwarding to the fleet's collector since the host's last boot (LOG-09 to LOG-12).
        "forwarding": {"managers": [_MANAGER], "configured": True, "security_readable": True,
                       "last_subscribed": ago(hours=20), "problems_since": 0,
                       "last_problem": None},
        # The management account and the tills' automatic-logon account, both recorded.
        "accounts": {"password_never_expires": never_expires,
                     "never_expires_allowed": never_expires,
                     # The kit logged on for this audit; a manager last week (ACC-06).
                     "enabled": [{"name": "acosta", "last_logon": ago(days=6)},
                                 *([{"name": "kiosk", "last_logon": ago(hours=5)}]
                                   if kind in ("cashier", "kitchen") else []),
                                 {"name": "sitekit", "last_logon": ago(minutes=1)}]},
    }
    if server:
        # The site's card terminal, inspected last week (TRM-01; the audit adds it).
        facts["terminal_inspections"] = {"card-terminal-1": {
            "serial": "401-372-118", "inspected": ago(days=7)[:10], "outcome": "passed"}}
        facts["sql_server"] = {"instance": "SQLEXPRESS", "edition": "Express Edition (64-bit)",
                               "version": "16.0.4299.2"}
        facts["backups"] = {"LotusPOS": {
            "recovery_model": "FULL", "last_full": ago(hours=3), "last_differential": None,
            "last_log": ago(minutes=20), "last_restore_test": ago(days=10),
            "restore_test_result": "succeeded"}}
        facts["sql_files"] = {"LotusPOS": {"data_mb": 2300.0, "log_mb": 410.5}}
        for name in SERVER_SERVICES:
            services[name] = {"state": "running", "start_mode": "auto"}
    else:
        facts["sql_server"] = None
    return {"format": 1, "host": host, "site": site, "kind": kind, "reachable": True,
            "error": None, "gathered_at": _iso(at), "facts": facts}


def unreachable(host: str, site: str, kind: str, at: dt.datetime = GATHERED) -> dict[str, Any]:
    """What the gather step records for a host it could not reach."""
    return {"format": 1, "host": host, "site": site, "kind": kind, "reachable": False,
            "error": "ntlm: HTTPSConnectionPool: connect timeout=30", "gathered_at": _iso(at),
            "facts": {}}


def drift(document: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A copy with one fact changed (`value` None-like `...` removes it)."""
    out = copy.deepcopy(document)
    node = out["facts"]
    *parents, last = path.split(".")
    for part in parents:
        node = node[part]
    if value is ...:
        del node[last]
    else:
        node[last] = value
    return out


def write_run(run_dir: Path, documents: list[dict[str, Any]]) -> Path:
    """Store documents as the gather step does."""
    for document in documents:
        facts_format.write(run_dir, document)
    return run_dir


def write_fast(run_dir: Path, documents: list[dict[str, Any]]) -> None:
    """Store documents without validating them (benchmarks: thousands of files)."""
    for document in documents:
        path = run_dir / document["site"] / f"{document['host']}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(document), encoding="utf-8")


def inspect_terminals(history: Path, fleet_dir: Path, day: str) -> None:
    """Every card terminal of the fleet's site files inspected on `day`, passed (TRM-01)."""
    from sitekit.audit.history import History  # noqa: PLC0415 - only the fixtures need it
    from sitekit.site.load import load_fleet_dir  # noqa: PLC0415

    loaded = load_fleet_dir(fleet_dir)
    assert loaded.fleet is not None, loaded.problems
    with History(history) as kept:
        kept.db.executemany(
            "INSERT INTO terminal_inspections (fleet, site, terminal, serial, inspected, "
            "engineer, checked, findings, outcome) VALUES (?, ?, ?, ?, ?, ?, ?, '', 'passed')",
            ((loaded.fleet.name, site.code, device.name, device.card_terminal.serial, day,
              "Rui Matos", "surfaces, seals, serial")
             for site in loaded.sites for device in site.devices
             if device.card_terminal is not None))

