"""sitekit_facts (the kit's own module): preflight's and the monthly audit's facts in one call.

Each subset is read from the host's state as the .ps1 reads it from Windows, in the shape
of the audit's facts format (src/sitekit/audit/schemas/facts.schema.json). The module
only reads: the backup history is caught up to now first (time passing, as the backup
models do; in check mode on a copy), nothing else changes.

Faults show as they would on Windows: stale-signatures and failed-backup through the
state they leave, disk-full as no free space on C:, service-wont-start as the service
(`service=NAME`; without it every asked-for service but WinRM, which answers this very
call) stopped: it crashed and cannot start again; collector-unreachable as the forwarder's
log has it (sitekit.lab.forwarding).
"""

from __future__ import annotations

import copy
import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from netaddr import IPNetwork

from sitekit import timestamps
from sitekit.lab import auditpol, faults, forwarding, sqlbackup, sqlserver
from sitekit.lab.host import LabHost
from sitekit.lab.modules import ModuleFailedError, register
from sitekit.lab.modules import sitekit_account_policy as account_policy
from sitekit.lab.modules._common import utcnow, zone
from sitekit.lab.modules._listener import listener_certificate, thumbprint
from sitekit.lab.modules.sitekit_defender import signatures_updated
from sitekit.lab.network import windows_list
from sitekit.lab.seed_base import BUILTIN_GROUP_SIDS, UPDATE_CLASSIFICATIONS, group_by_sid
from sitekit.lab.seed_base import ensure as ensure_base
from sitekit.lab.seed_stations import ensure as ensure_stations
from sitekit.lab.state import find, host_state
from sitekit.plan.schedule import weekday_names

SUBSETS = ("os", "updates", "application", "sql_server", "defender", "backups", "disks",
           "sql_files", "services", "local_groups", "password_policy", "lockout_policy",
           "winrm", "firewall", "network", "clock", "autologon", "logging", "hardening", "accounts",
           "forwarding")
_DOTTED = re.compile(r"^\d+(?:\.\d+)*")
_WINLOGON = "HKLM:\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Winlogon"
_WSMAN = "HKLM:\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\WSMAN\\Service"
_WINRM_POLICY = "HKLM:\\SOFTWARE\\Policies\\Microsoft\\Windows\\WinRM\\Service"
_LSA = "HKLM:\\SYSTEM\\CurrentControlSet\\Control\\Lsa"
_EVENTLOG_POLICY = "HKLM:\\SOFTWARE\\Policies\\Microsoft\\Windows\\EventLog\\Security"
_EVENTLOG = "HKLM:\\SYSTEM\\CurrentControlSet\\Services\\EventLog\\Security"
# The Security log of a fresh install: 20,480 KB, overwriting the oldest events as needed.
_SECURITY_LOG_KB = 20480
# The security options the hardening subset reads, as the .ps1's table names them: the
# registry value each is (its data as an integer, None when not set).
_POLICIES = "HKLM:\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Policies"
_SERVICES = "HKLM:\\SYSTEM\\CurrentControlSet\\Services"
_DNS_CLIENT = "HKLM:\\SOFTWARE\\Policies\\Microsoft\\Windows NT\\DNSClient"
_SCHANNEL = "HKLM:\\SYSTEM\\CurrentControlSet\\Control\\SecurityProviders\\SCHANNEL\\Protocols"
_RDP = "HKLM:\\SOFTWARE\\Policies\\Microsoft\\Windows NT\\Terminal Services"
HARDENING_VALUES: dict[str, tuple[str, str]] = {
    "inactivity_timeout_seconds": (f"{_POLICIES}\\System", "InactivityTimeoutSecs"),
    "smb1_server": (f"{_SERVICES}\\LanmanServer\\Parameters", "SMB1"),
    "smb1_client_start": (f"{_SERVICES}\\mrxsmb10", "Start"),
    "smb_server_signing": (f"{_SERVICES}\\LanmanServer\\Parameters", "RequireSecuritySignature"),
    "smb_client_signing": (f"{_SERVICES}\\LanmanWorkstation\\Parameters",
                           "RequireSecuritySignature"),
    "llmnr": (_DNS_CLIENT, "EnableMulticast"),
    "netbios": (_DNS_CLIENT, "EnableNetbios"),
    "netbt_node_type": (f"{_SERVICES}\\NetBT\\Parameters", "NodeType"),
    "lm_compatibility_level": (_LSA, "LmCompatibilityLevel"),
    "wdigest_logon_credential": (
        "HKLM:\\SYSTEM\\CurrentControlSet\\Control\\SecurityProviders\\WDigest",
        "UseLogonCredential"),
    "tls10_server": (f"{_SCHANNEL}\\TLS 1.0\\Server", "Enabled"),
    "tls10_client": (f"{_SCHANNEL}\\TLS 1.0\\Client", "Enabled"),
    "tls11_server": (f"{_SCHANNEL}\\TLS 1.1\\Server", "Enabled"),
    "tls11_client": (f"{_SCHANNEL}\\TLS 1.1\\Client", "Enabled"),
    "rdp_deny_connections": (_RDP, "fDenyTSConnections"),
    "rdp_nla": (_RDP, "UserAuthentication"),
    "rdp_max_idle_ms": (_RDP, "MaxIdleTime"),
    "autoplay_drive_types": (f"{_POLICIES}\\Explorer", "NoDriveTypeAutoRun"),
    "autorun_off": (f"{_POLICIES}\\Explorer", "NoAutorun"),
    "autoplay_non_volume_off": ("HKLM:\\SOFTWARE\\Policies\\Microsoft\\Windows\\Explorer",
                                "NoAutoplayfornonVolume"),
    "removable_drive_scanning_disabled": (
        "HKLM:\\SOFTWARE\\Policies\\Microsoft\\Windows Defender\\Scan",
        "DisableRemovableDriveScanning"),
}
# The built-in accounts the hardening subset names, by the RID that ends their SID.
_BUILTIN_ACCOUNTS = {"administrator": "-500", "guest": "-501"}
_W32TIME = "HKLM:\\SYSTEM\\CurrentControlSet\\Services\\W32Time\\Parameters"
# What the WinRM bootstrap leaves: one HTTPS listener on every address.
BOOTSTRAP_LISTENERS = ({"transport": "HTTPS", "port": 5986, "address": "*"},)
# How long a scan takes in the lab, from its start to QuickScanEndTime / FullScanEndTime.
_SCAN_MINUTES = {"quick": 4, "full": 50}
# Monday first, as date.weekday() counts: the kit's one table of day names.
_WEEKDAYS = weekday_names()


class UnavailableError(Exception):
    """A subset that cannot be read on this host now (the module leaves it out and says why)."""


@dataclass
class _Host:
    """What every reader gets: the host, its state, the module's options and the clock."""

    host: LabHost
    state: dict[str, Any]
    args: dict[str, Any]
    now: dt.datetime
    # Parts of a subset that could not be read (`updates.missing`), as the module reports.
    unavailable: dict[str, str]


def iso(moment: dt.datetime | str | None) -> str | None:
    """A time as the facts format writes it: UTC, to the second, with Z."""
    if moment is None:
        return None
    when = dt.datetime.fromisoformat(moment) if isinstance(moment, str) else moment
    return timestamps.text(when)


def dotted(version: Any) -> str | None:
    """The dotted numeric part of a version text ("8.4.2 build 7" -> "8.4.2"), or None."""
    match = _DOTTED.match(str(version or "").strip())
    return match.group(0) if match else None


def _registry(state: dict[str, Any], key: str) -> dict[str, Any]:
    """A registry key's values ({name: {type, data}}), {} when the key does not exist."""
    found = find(state["registry"], key)
    return state["registry"][found] if found is not None else {}


def _value(state: dict[str, Any], key: str, name: str) -> Any:
    """One registry value's data, or None."""
    values = _registry(state, key)
    found = find(values, name)
    return values[found]["data"] if found is not None else None


def _skew(state: dict[str, Any]) -> dt.timedelta:
    """How far the host's clock is ahead of the controller's (the lab's true time)."""
    return dt.timedelta(seconds=float(state.get("clock_skew_seconds", 0)))


# -- the readers, one per subset -------------------------------------------------------------

def _os(ctx: _Host) -> dict[str, Any]:
    """Win32_OperatingSystem, the CurrentVersion key and the reboot-pending markers."""
    os_info = ctx.state["os"]
    return {"caption": os_info["name"], "version": f"{os_info['version']}.{os_info['ubr']}",
            "build": int(os_info["build"]), "ubr": int(os_info["ubr"]),
            "last_boot": iso(ctx.state["boot_time"]),
            "reboot_pending": bool(ctx.state.get("reboot_pending") or
                                   ctx.state.get("pending_hostname"))}


def _update(update: dict[str, Any], kb: str) -> dict[str, Any]:
    """One update of the lab's lists as Windows Update describes it.

    The classification comes as its (localised) name and its ID, the same in every language.
    """
    entry: dict[str, Any] = {"kb": kb, "title": update["title"]}
    if update.get("categories"):
        entry["category"] = update["categories"][0]
        category_id = update.get("category_id") or UPDATE_CLASSIFICATIONS.get(entry["category"])
        if category_id:
            entry["category_id"] = category_id
    if "severity" in update:
        entry["severity"] = update["severity"]
    return entry


def _updates(ctx: _Host) -> dict[str, Any]:
    """Installed updates (with their date) and the applicable ones not yet installed.

    An installed update without its own date came with the install image: Get-HotFix
    shows the install date for those.
    """
    updates, installed_image = ctx.state["updates"], ctx.state["install_time"]
    installed = [_update(u, kb) | {"installed_on": iso(u.get("installed_on") or installed_image)}
                 for u in updates["installed"] for kb in u["kb"]]
    missing = []
    for update in updates["pending"]:
        for kb in update["kb"]:
            entry = _update(update, kb)
            if update.get("released"):
                entry["released"] = iso(update["released"])
            missing.append(entry)
    newest = max((u["installed_on"] for u in installed), default=None)
    if updates.get("search_error"):
        # The search (IUpdateSearcher.Search) failed: no update source reachable. The
        # history still answers; `missing` is unknown, not empty.
        ctx.unavailable["updates.missing"] = \
            f"the Windows Update search failed: {updates['search_error']}"
        return {"installed": installed, "newest_installed": newest}
    return {"installed": installed, "newest_installed": newest, "missing": missing}


def _application(ctx: _Host) -> dict[str, Any] | None:
    """The application's package (Uninstall key: "<name>", "<name> Server", "<name> Client")."""
    name = ctx.args["application_name"]
    if not name:
        raise ModuleFailedError("gather: application needs the option application_name (the"
                                " restaurant application's name, to find its package)")
    lowered = name.lower()
    found = [p for p in ctx.state["packages"].values()
             if p["name"].lower() == lowered or p["name"].lower().startswith(lowered + " ")]
    if not found:
        return None
    # A server carries the server component; a host with both reports the server's.
    found.sort(key=lambda p: not p["name"].lower().endswith(" server"))
    package = found[0]
    version = dotted(package["version"])
    if version is None:
        raise UnavailableError(f"{package['name']} has no numeric version ({package['version']!r})")
    result: dict[str, Any] = {"name": package["name"], "version": version}
    for component in ("server", "client"):
        if package["name"].lower().endswith(f" {component}"):
            result["component"] = component
    return result


def _instance(ctx: _Host) -> dict[str, Any] | None:
    """The SQL Server instance asked for (or the only one), None when none is installed."""
    instances = ctx.state.get("sql_instances") or {}
    wanted = ctx.args["sql_instance"]
    if wanted is None:
        return next(iter(instances.values()), None)
    key = find(instances, wanted)
    return instances[key] if key is not None else None


def _sql_server(ctx: _Host) -> dict[str, Any] | None:
    """SERVERPROPERTY('ProductVersion') and ('Edition') of the instance."""
    sql = _instance(ctx)
    if sql is None:
        return None
    found = {"instance": sql["name"], "edition": sql["edition"], "version": sql["version"]}
    wanted = ctx.args.get("schema_database")
    if wanted:
        # The application's SchemaVersion extended property (sitekit_facts.ps1's query),
        # which the lab keeps as the database's schema_version (win_command writes it).
        connected = _connected(ctx)
        key = find((connected or {}).get("databases") or {}, wanted)
        if key is None:
            raise UnavailableError(f"Database '{wanted}' does not exist. Make sure that the "
                                   "name is entered correctly.")
        found["schema_version"] = sql["databases"][key].get("schema_version")
    return found


def _connected(ctx: _Host) -> dict[str, Any] | None:
    """The instance to query through SqlClient; its service must run to answer."""
    sql = _instance(ctx)
    if sql is None:
        return None
    connect = ctx.args.get("sql_connect")
    if not connect:
        raise UnavailableError(f"reading SQL Server {sql['name']} needs the options sql_instance"
                               " and sql_connect (the inventory's sitekit_sql)")
    name, _ = sqlserver.instance_name(connect)
    if name is None or name != sql["name"].upper():
        raise UnavailableError(f"cannot query SQL Server instance {sql['name']} at {connect}:"
                               " A network-related or instance-specific error occurred while"
                               " establishing a connection to SQL Server (provider: SQL"
                               " Network Interfaces, error: 26 - Error Locating"
                               " Server/Instance Specified)")
    service = ctx.state["services"].get(sql["service"])
    if service is None or service["state"] != "running":
        raise UnavailableError(f"cannot query SQL Server instance {sql['name']}: A network-related"
                          " or instance-specific error occurred while establishing a"
                          " connection to SQL Server (its service is not running)")
    return sql


def _databases(ctx: _Host, sql: dict[str, Any]) -> list[str]:
    """The databases asked for, or every user database."""
    return list(ctx.args["databases"] or sql.get("databases") or {})


def _backups(ctx: _Host) -> dict[str, Any]:
    """msdb.dbo.backupset's newest backups per type and db_backup's restore-test history."""
    sql = _connected(ctx)
    if sql is None:
        return {}
    found: dict[str, Any] = {}
    for name in _databases(ctx, sql):
        db = sqlbackup.database(sql, name)
        if db is None:
            found[name] = {"last_full": None, "last_differential": None, "last_log": None,
                           "last_restore_test": None, "restore_test_result": None}
            continue
        key, db_state = db
        tests = [t for t in sql.get("restore_tests", []) if t["database"].lower() == key.lower()]
        passed = [t for t in tests if t["result"] == "passed"]
        newest = {kind: sqlbackup.newest(sql, key, kind, verified=False)
                  for kind in ("full", "differential", "log")}
        found[key] = {
            "recovery_model": str(db_state.get("recovery_model", "FULL")).upper(),
            "last_full": iso(newest["full"]["finished"]) if newest["full"] else None,
            "last_differential": iso(newest["differential"]["finished"])
            if newest["differential"] else None,
            "last_log": iso(newest["log"]["finished"]) if newest["log"] else None,
            "last_restore_test": iso(passed[-1]["finished"]) if passed else None,
            "restore_test_result": None if not tests else
            "succeeded" if tests[-1]["result"] == "passed" else "failed",
        }
    return found


def _sql_files(ctx: _Host) -> dict[str, Any]:
    """sys.master_files: data and log file sizes per database."""
    sql = _connected(ctx)
    if sql is None:
        return {}
    found = {}
    for name in _databases(ctx, sql):
        db = sqlbackup.database(sql, name)
        if db is not None:
            found[db[0]] = {"data_mb": float(db[1].get("data_size_mb") or 0),
                            "log_mb": float(db[1].get("log_size_mb") or 0)}
    return found


def _disks(ctx: _Host) -> dict[str, Any]:
    """Win32_LogicalDisk of the fixed volumes (none free on C: under the disk-full fault)."""
    full = faults.active(ctx.state, "disk-full") is not None
    volumes = {}
    for drive, disk in sorted(ctx.state["disks"].items()):
        size = int(disk["size"])
        free = 0 if full and drive.upper() == "C" else int(disk["free"])
        volumes[f"{drive.upper()}:"] = {
            "size_bytes": size, "free_bytes": free,
            "free_percent": round(100.0 * free / size, 1) if size else 0.0}
    return volumes


def _crashed(ctx: _Host, name: str) -> bool:
    """Whether the service-wont-start fault keeps this service from running."""
    fault = faults.active(ctx.state, "service-wont-start")
    if fault is None:
        return False
    if fault.get("service"):
        return str(fault["service"]).lower() == name.lower()
    return name.lower() != "winrm"


def _services(ctx: _Host) -> dict[str, Any]:
    """Win32_Service: state and start mode of each service asked for; absent if none."""
    services = ctx.state["services"]
    found: dict[str, Any] = {}
    for name in ctx.args["services"]:
        key = find(services, name)
        if key is None:
            found[name] = {"state": "absent", "start_mode": None}
            continue
        service = services[key]
        state = "stopped" if _crashed(ctx, key) else service["state"]
        found[name] = {"state": state, "start_mode": service["start_mode"]}
    return found


def _local_groups(ctx: _Host) -> dict[str, Any]:
    """The members of each group asked for (local accounts without the computer prefix).

    A group that does not exist is left out.
    """
    groups = ctx.state["groups"]
    sids = {english.lower(): sid for english, sid in BUILTIN_GROUP_SIDS.items()}
    found = {}
    for name in ctx.args["groups"]:
        # A built-in group asked for in English is found by SID, as the module does.
        sid = sids.get(name.lower())
        key = group_by_sid(groups, sid) if sid else find(groups, name)
        if key is not None:
            found[name] = {"members": list(groups[key]["members"])}
    return found


def _password_policy(ctx: _Host) -> dict[str, Any]:
    """The password settings of secedit /export's [System Access] (-1 = never -> 0).

    Read as sitekit_account_policy reads them (its twin's table).
    """
    return account_policy.fact(ctx.state["account_policy"], "password_policy")


def _lockout_policy(ctx: _Host) -> dict[str, Any]:
    """The lockout settings of secedit /export's [System Access] (-1 = until unlocked -> 0)."""
    return account_policy.fact(ctx.state["account_policy"], "lockout_policy")


def _thumbprint(host: LabHost) -> str | None:
    """The SHA-1 thumbprint of the certificate the lab's listener really serves."""
    cert = listener_certificate(host)
    return None if cert is None else thumbprint(cert)


def _winrm(ctx: _Host) -> dict[str, Any]:
    r"""WSMan:\localhost: the listeners and the service's Basic / AllowUnencrypted.

    Group Policy (the WinRM policy key windows_base sets) wins over the local setting, as
    the WSMan: drive shows it.
    """
    def effective(policy_name: str, local_name: str) -> bool:
        policy = _value(ctx.state, _WINRM_POLICY, policy_name)
        if policy is not None:
            return bool(int(policy))
        return bool(int(_value(ctx.state, _WSMAN, local_name) or 0))

    listeners = ctx.state.get("winrm_listeners") or [
        dict(listener, certificate_thumbprint=_thumbprint(ctx.host))
        for listener in BOOTSTRAP_LISTENERS]
    return {"listeners": [dict(listener) for listener in listeners],
            "basic_auth": effective("AllowBasic", "auth_basic"),
            "allow_unencrypted": effective("AllowUnencryptedTraffic", "allow_unencrypted")}


def _firewall(ctx: _Host) -> dict[str, Any]:
    """Get-NetFirewallProfile -PolicyStore ActiveStore, per profile."""
    return {name.lower(): {"enabled": bool(profile["enabled"]),
                           "default_inbound": profile.get("inbound") or "block",
                           "default_outbound": profile.get("outbound") or "allow"}
            for name, profile in ctx.state["firewall"]["profiles"].items()}


def _network(ctx: _Host) -> dict[str, Any]:
    """Get-NetIPAddress (IPv4) and the enabled inbound allow rules, as Windows reports them.

    The lab host holds one address, its planned one, with its segment's prefix. Windows
    reports a rule's remote subnet as address/netmask and a single address bare
    (Get-NetFirewallAddressFilter), its protocol upper case and "Any" for any.
    """
    address, network = ctx.state.get("planned_address"), ctx.state.get("site_network")
    if not address or not network:
        raise UnavailableError("the lab host has no planned address (run `sitekit lab up`)")
    prefix = IPNetwork(str(network["subnet"])).prefixlen
    rules = [{"name": str(rule.get("name", name)),
              "protocol": str(rule.get("protocol", "any")).lower(),
              "local_ports": windows_list(str(rule.get("localport", "any")), ports=True),
              "remote_addresses": windows_list(str(rule.get("remoteip", "any")), ports=False)}
             for name, rule in sorted(ctx.state["firewall"]["rules"].items())
             if rule.get("enabled") and rule.get("direction") == "in"
             and rule.get("action") == "allow"]
    return {"addresses": [f"{address}/{prefix}"], "inbound_rules": rules}


def _clock(ctx: _Host) -> dict[str, Any]:
    """The offset from w32tm /stripchart and the source from w32tm /query /source.

    The lab's NTP reference is the controller's clock; the source shows while Windows
    Time runs.
    """
    clock: dict[str, Any] = {}
    if ctx.args["ntp_server"]:
        clock["offset_seconds"] = round(_skew(ctx.state).total_seconds(), 3)
    service = ctx.state["services"].get("W32Time")
    if service is not None and service["state"] == "running":
        peers = str(_value(ctx.state, _W32TIME, "NtpServer") or "").split()
        clock["source"] = peers[0] if peers else "Local CMOS Clock"
    if ctx.args["ntp_server"]:
        # No source (Windows Time not running): not taking time from the designated server.
        clock["designated"] = designated(clock.get("source", ""), ctx.args["ntp_server"])
    return clock


def designated(source: str, reference: str) -> bool:
    """Whether w32tm's source ("10.41.7.1,0x9") is the designated server, by name or address."""
    return source.split(",", 1)[0].strip().lower() == reference.strip().lower()


def _autologon(ctx: _Host) -> dict[str, Any]:
    """Winlogon's AutoAdminLogon and DefaultUserName."""
    enabled = str(_value(ctx.state, _WINLOGON, "AutoAdminLogon") or "0") == "1"
    user = _value(ctx.state, _WINLOGON, "DefaultUserName") if enabled else None
    return {"enabled": enabled, "user": user or None}


def _logging(ctx: _Host) -> dict[str, Any]:
    """The audit policy, its override of the categories and the Security log, as Windows has them.

    What auditpol /get /category:*, Lsa SCENoApplyLegacyAuditPolicy and Get-WinEvent -ListLog
    Security show.

    The Event Log policy (MaxSize in KB, Retention "1" = keep events and stop logging when
    full, AutoBackupLogFiles "1" = archive then clear) wins over the log's own values
    (MaxSize in bytes, Retention 0xFFFFFFFF = never overwrite): Microsoft's "Control Event
    Log behavior when the log file reaches its maximum size" and "Specify the maximum log
    file size" policy documentation (wevtapi's EventLog ADMX).
    """
    policy = ensure_base(ctx.state)["audit_policy"]
    force = _value(ctx.state, _LSA, "SCENoApplyLegacyAuditPolicy")
    size = _value(ctx.state, _EVENTLOG_POLICY, "MaxSize")
    if size is None:
        local = _value(ctx.state, _EVENTLOG, "MaxSize")
        size = int(local) // 1024 if local is not None else _SECURITY_LOG_KB
    retain = _value(ctx.state, _EVENTLOG_POLICY, "Retention")
    if retain is None:
        retain = "1" if int(_value(ctx.state, _EVENTLOG, "Retention") or 0) in (-1, 0xFFFFFFFF) \
            else "0"
    backup = str(_value(ctx.state, _EVENTLOG_POLICY, "AutoBackupLogFiles") or "0") == "1"
    mode = "circular" if str(retain) != "1" else ("autobackup" if backup else "retain")
    return {"audit_policy": {auditpol.fact_key(name): [flag for flag in ("success", "failure")
                                                       if flag in flags]
                             for name, flags in policy.items()},
            "force_subcategories": None if force is None else int(force) == 1,
            "security_log": {"maximum_size_kb": int(size), "mode": mode}}


def _forwarding(ctx: _Host) -> dict[str, Any]:
    """The Event Forwarding policy, Event Log Readers and the forwarder's log (lab.forwarding)."""
    log = forwarding.look(ctx.state, ctx.now)
    managers = forwarding.policy(ctx.state)
    collector = ctx.args.get("collector")
    configured = None if not collector else any(
        (forwarding.manager_url(text) or "").lower() == collector.strip().lower()
        for text in managers)
    success = next((e for e in reversed(log) if e["id"] == forwarding.SUCCESS), None)
    problems = [e for e in reversed(log) if e["id"] in forwarding.PROBLEMS
                and (success is None or e["time"] > success["time"])]
    return {"managers": managers, "configured": configured,
            "security_readable": forwarding.security_readable(ctx.state),
            "last_subscribed": iso(success["time"]) if success else None,
            "problems_since": len(problems),
            "last_problem": f"{problems[0]['id']}: {problems[0]['message']}" if problems else None}


def _hardening(ctx: _Host) -> dict[str, Any]:
    """Each security option's registry data (Get-ItemProperty), None when it is not set."""
    out: dict[str, Any] = {}
    for fact, (key, name) in HARDENING_VALUES.items():
        data = _value(ctx.state, key, name)
        out[fact] = None if data is None else int(data)
    # Get-LocalUser by SID: the built-in accounts' names are localised and may be renamed.
    for fact, rid in _BUILTIN_ACCOUNTS.items():
        found = next((name for name, user in ctx.state["users"].items()
                      if user["sid"].endswith(rid)), None)
        out[fact] = None if found is None else {
            "name": found, "enabled": bool(ctx.state["users"][found]["enabled"])}
    return out


def _accounts(ctx: _Host) -> dict[str, Any]:
    """Win32_UserAccount: the enabled local accounts whose password never expires (the flag).

    And Get-LocalUser: every enabled account with its LastLogon (None: never logged on),
    the user's `last_logon` in the state. A known gap: the lab records no logons, not even
    the kit's own over WinRM, so an account shows the time its state was given or none.
    """
    users = ctx.state["users"]
    return {"password_never_expires": sorted(
        name for name, user in users.items()
        if user["enabled"] and user["password_never_expires"]),
        "enabled": [{"name": name, "last_logon": iso(users[name].get("last_logon"))}
                    for name in sorted(users, key=str.casefold) if users[name]["enabled"]]}


def _scans_since(preferences: dict[str, Any], tz: Any, since: dt.datetime,
                 now: dt.datetime) -> dict[str, dt.datetime | None]:
    """The end of the last quick and full scan Defender's schedule ran in (since, now].

    The scheduled scan (scan_day at scan_time, of scan_type) and the daily quick scan at
    quick_scan_time; each ends some minutes after it starts.
    """
    last: dict[str, dt.datetime | None] = {"quick": None, "full": None}
    local_today = now.astimezone(tz).date()
    runs: list[tuple[str, str]] = []
    if preferences.get("quick_scan_time"):
        runs.append(("everyday", "quick@" + preferences["quick_scan_time"]))
    if preferences.get("scan_day") not in (None, "never") and preferences.get("scan_time"):
        runs.append((preferences["scan_day"],
                     f"{preferences.get('scan_type') or 'quick'}@{preferences['scan_time']}"))
    for day_rule, what in runs:
        kind, _, clock = what.partition("@")
        hour, minute = (int(part) for part in clock.split(":"))
        for back in range(8):
            day = local_today - dt.timedelta(days=back)
            if day_rule != "everyday" and _WEEKDAYS[day.weekday()] != day_rule:
                continue
            start = dt.datetime.combine(day, dt.time(hour, minute), tzinfo=tz)
            end = (start + dt.timedelta(minutes=_SCAN_MINUTES[kind])).astimezone(dt.UTC)
            if since < start.astimezone(dt.UTC) and end <= now:
                if last[kind] is None or end > last[kind]:  # type: ignore[operator]
                    last[kind] = end
                break
    return last


def _defender(ctx: _Host) -> dict[str, Any]:
    """Get-MpComputerStatus; the scan end times follow the scan schedule (or the state)."""
    defender = ctx.state["defender"]
    preferences = defender.get("preferences") or {}
    scans: dict[str, Any] = {"quick": None, "full": None}
    if defender["antivirus_enabled"]:
        tz = zone(str(ctx.state.get("time_zone") or "UTC"))
        scans = _scans_since(preferences, tz,
                             dt.datetime.fromisoformat(ctx.state["install_time"]), ctx.now)
    for kind in ("quick", "full"):
        stored = defender.get(f"{kind}_scan_end_time")
        if stored and (scans[kind] is None or dt.datetime.fromisoformat(stored) > scans[kind]):
            scans[kind] = stored
    return {
        "antivirus_enabled": bool(defender["antivirus_enabled"]),
        "realtime_protection": bool(preferences.get(
            "realtime_protection", defender.get("realtime_protection_enabled", True))),
        "engine_version": defender["am_engine_version"],
        "platform_version": defender["am_product_version"],
        "signature_version": defender["antivirus_signature_version"],
        "signature_last_updated": iso(signatures_updated(ctx.state, ctx.now) if defender.get(
            "antivirus_signature_last_updated") else None),
        "last_quick_scan": iso(scans["quick"]),
        "last_full_scan": iso(scans["full"]),
    }


READERS: dict[str, Callable[[_Host], Any]] = {
    "os": _os, "updates": _updates, "application": _application, "sql_server": _sql_server,
    "defender": _defender, "backups": _backups, "disks": _disks, "sql_files": _sql_files,
    "services": _services, "local_groups": _local_groups,
    "password_policy": _password_policy, "lockout_policy": _lockout_policy, "winrm": _winrm,
    "firewall": _firewall, "network": _network, "clock": _clock, "autologon": _autologon,
    "logging": _logging, "hardening": _hardening, "accounts": _accounts,
    "forwarding": _forwarding,
}


@register("ansible.legacy.sitekit_facts", supports_check_mode=True,
          implements=("gather", "application_name", "services", "groups", "ntp_server",
                      "collector", "sql_instance", "sql_connect", "databases", "schema_database"))
def sitekit_facts(host: LabHost, args: dict[str, Any], check_mode: bool,
                  diff: bool) -> dict[str, Any]:
    """Read the requested subsets of the host's state; never changes anything."""
    state = ensure_stations(ensure_base(host_state(host)))
    wanted = list(dict.fromkeys(args["gather"]))
    if {"backups", "sql_files"} & set(wanted):
        # The scheduled backup runs since the last look happen first (time passing), as
        # every reader of the backup history sees them; in check mode on a copy.
        state = sqlbackup.looked_at(host, check_mode).state
    if check_mode and "forwarding" in wanted and state is host_state(host):
        # The forwarder's log caught up on a copy: check mode leaves the state as it was.
        state = copy.deepcopy(state)
    now = utcnow()
    unavailable: dict[str, str] = {}
    ctx = _Host(host, state, args, now, unavailable)
    facts: dict[str, Any] = {}
    for subset in wanted:
        try:
            facts[subset] = READERS[subset](ctx)
        except UnavailableError as exc:
            unavailable[subset] = str(exc)
    return {"changed": False, "gathered_at": iso(now + _skew(state)),
            "computer_name": state["hostname"], "facts": facts, "unavailable": unavailable}
