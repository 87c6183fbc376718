r"""SQL Server on a lab host: instances, their databases, and what connecting to them takes.

state["sql_instances"][<instance>] = {
    "name", "version", "edition", "service": "MSSQL$<INSTANCE>",
    "tcp_enabled": bool, "tcp_port": int | None (dynamic until set),
    "data_dir", "log_dir", "backup_dir", "sysadmins": [...], "logins": {<login>: {...}},
    "databases": {<db>: {"recovery_model": "FULL" | "SIMPLE", "data_file", "log_file",
                         "data_size_mb", "log_size_mb", "tables": {<table>: <rows>},
                         "table_rows": {<table>: [row, ...]}, "owner"}},
    "backups": [], "restore_tests": [],
}

`databases` holds user databases only (master, model, msdb and tempdb are implied).
Setup (the fleet's SQL Server installer run by win_package) creates an instance with
`install_instance`; the lowlydba.sqlserver models reach it through `connect`, which fails
as dbatools does: without dbatools on the host, when the instance is not installed or
not running, or when the connecting Windows account is not a sysadmin; and
`require_trusted_certificate`, which fails as dbatools 2.x does against the self-signed
certificate of a fresh instance unless dbatools is set to trust it.
"""

from __future__ import annotations

import json
import ntpath
import re
from typing import Any

from sitekit.lab import filesystem, shares
from sitekit.lab.errors import ModuleCrashError, ModuleFailedError
from sitekit.lab.host import LabHost
from sitekit.lab.state import find, host_state
from sitekit.site.sqlserver import DEFAULT_INSTANCE, service_name

# Where PowerShell finds machine-wide modules; dbatools (and dbatools.library) go here.
MODULES_DIR = "C:\\Program Files\\WindowsPowerShell\\Modules"
DBATOOLS_MINIMUM = (2, 0, 0)
# dbatools' computer-wide settings file, read at every import for every account
# (Read-DbatoolsConfigPersisted scope 64, $script:path_FileSystem in dbatools'
# private/configurations/configuration.ps1; Windows PowerShell 5.1's folder name).
DBATOOLS_SETTINGS = "C:\\ProgramData\\WindowsPowerShell\\dbatools\\Config\\psf_config.json"
# dbatools 2.x encrypts by default and trusts no certificate that does not chain to a
# trusted root (dbatools #8883, settings sql.connection.encrypt = Mandatory and
# sql.connection.trustcert = false); a fresh SQL Server has only its self-signed one, so
# every lowlydba.sqlserver module fails with this (lowlydba.sqlserver #307).
UNTRUSTED_CERTIFICATE = "The certificate chain was issued by an authority that is not trusted."
_MAJOR = {"16": "MSSQL16", "15": "MSSQL15", "14": "MSSQL14"}
_SETUP_ARGUMENT = re.compile(r"^/(?P<name>[A-Za-z_]+)(?:=(?P<value>.*))?$")


def instances(host: LabHost) -> dict[str, Any]:
    """The host's SQL Server instances by name."""
    return host_state(host).setdefault("sql_instances", {})


def _words(command_line: str) -> list[str]:
    """Split a Windows command line into words: spaces outside double quotes, quotes removed."""
    words: list[str] = []
    word: list[str] = []
    quoted = started = False
    for char in command_line:
        if char == '"':
            quoted, started = not quoted, True
        elif char.isspace() and not quoted:
            if started:
                words.append("".join(word))
            word, started = [], False
        else:
            word.append(char)
            started = True
    if started:
        words.append("".join(word))
    return words


def setup_arguments(arguments: str | list[str] | None) -> dict[str, list[str]]:
    r"""SQL Server setup's /NAME=value arguments, names upper-cased, quotes removed.

    A value may go on in the words after it, as /SQLSYSADMINACCOUNTS="A\x" "B\y" does.
    """
    words = [str(a) for a in arguments] if isinstance(arguments, list) else \
        _words(arguments or "")
    parsed: dict[str, list[str]] = {}
    current: list[str] | None = None
    for word in words:
        match = _SETUP_ARGUMENT.match(word)
        if match is None:
            if current is not None and word:
                current.append(word)
            continue
        current = parsed[match["name"].upper()] = [match["value"]] if match["value"] else []
    return parsed


def install_instance(host: LabHost, product: dict[str, Any], arguments: str | list[str] | None,
                     check_mode: bool) -> dict[str, Any]:
    """Run SQL Server setup unattended; return the instance it creates (unless check mode).

    Fails as setup fails (a nonzero exit code) when the unattended install lacks what
    it requires: /Q or /QS, /ACTION=Install, /IACCEPTSQLSERVERLICENSETERMS, /FEATURES
    with SQLENGINE, /INSTANCENAME and /SQLSYSADMINACCOUNTS, or cannot read its update source.
    """
    values = setup_arguments(arguments)
    args = {name: " ".join(words) for name, words in values.items()}
    problems = [what for what, ok in (
        ("/Q or /QS (quiet)", "Q" in args or "QS" in args),
        ("/ACTION=Install", args.get("ACTION", "").lower() == "install"),
        ("/IACCEPTSQLSERVERLICENSETERMS", "IACCEPTSQLSERVERLICENSETERMS" in args),
        ("/FEATURES=SQLENGINE", "SQLENGINE" in args.get("FEATURES", "").upper().split(",")),
        ("/INSTANCENAME", bool(args.get("INSTANCENAME"))),
        ("/SQLSYSADMINACCOUNTS", bool(values.get("SQLSYSADMINACCOUNTS"))),
    ) if not ok]
    if problems:
        raise _setup_failed(f"the unattended setup needs {', '.join(problems)}")
    version = _slipstreamed(host, product, args)
    name = args["INSTANCENAME"].upper()
    major = product["version"].split(".")[0]
    root = (f"C:\\Program Files\\Microsoft SQL Server\\{_MAJOR.get(major, 'MSSQL' + major)}."
            f"{name}\\MSSQL")
    data_dir = args.get("SQLUSERDBDIR") or args.get("INSTALLSQLDATADIR") or f"{root}\\DATA"
    instance = {
        "name": name, "version": version,
        "edition": "Express Edition (64-bit)" if "express" in product["name"].lower()
        else "Standard Edition (64-bit)",
        "product": product["name"], "service": service_name(name),
        "tcp_enabled": args.get("TCPENABLED") == "1", "tcp_port": None,
        "data_dir": data_dir,
        "log_dir": args.get("SQLUSERDBLOGDIR") or data_dir,
        "backup_dir": args.get("SQLBACKUPDIR") or f"{root}\\Backup",
        "login_mode": "Mixed" if args.get("SECURITYMODE", "").upper() == "SQL" else "Integrated",
        "collation": args.get("SQLCOLLATION") or "SQL_Latin1_General_CP1_CI_AS",
        "sysadmins": values["SQLSYSADMINACCOUNTS"],
        "logins": {}, "databases": {}, "backups": [], "restore_tests": [],
    }
    if check_mode:
        return instance
    state = host_state(host)
    for path in (root, instance["data_dir"], instance["log_dir"], instance["backup_dir"]):
        filesystem.make_dirs(host, path)
    sqlservr = f'"{root}\\Binn\\sqlservr.exe" -s{name}'
    services = state["services"]
    services[instance["service"]] = _service(f"SQL Server ({name})", "running", "auto",
                                             sqlservr, f"NT Service\\{instance['service']}")
    services[f"SQLAgent${name}"] = _service(
        f"SQL Server Agent ({name})", "stopped",
        "disabled" if "express" in product["name"].lower() else "manual",
        f'"{root}\\Binn\\SQLAGENT.EXE" -i {name}', f"NT Service\\SQLAgent${name}")
    browser = args.get("BROWSERSVCSTARTUPTYPE", "Disabled").lower()
    services.setdefault("SQLBrowser", _service(
        "SQL Server Browser", "running" if browser == "automatic" else "stopped",
        {"automatic": "auto", "manual": "manual"}.get(browser, "disabled"),
        '"C:\\Program Files (x86)\\Microsoft SQL Server\\90\\Shared\\sqlbrowser.exe"',
        "NT AUTHORITY\\LOCALSERVICE"))
    services.setdefault("SQLWriter", _service(
        "SQL Server VSS Writer", "running", "auto",
        '"C:\\Program Files\\Microsoft SQL Server\\90\\Shared\\sqlwriter.exe"', "LocalSystem"))
    instances(host)[name] = instance
    return instance


def _slipstreamed(host: LabHost, product: dict[str, Any], args: dict[str, str]) -> str:
    """The version setup installs: the installer's, or the newest update it slipstreams.

    Setup looks for product updates unless /UPDATEENABLED is False or 0, by default on
    Microsoft Update, else in /UPDATESOURCE (a folder: local, relative or a UNC share), and
    installs the newest applicable one with the product. A source it cannot read fails the
    install; a folder without an update for this version installs the installer's own.
    https://learn.microsoft.com/sql/database-engine/install-windows/install-sql-server-from-the-command-prompt
    https://learn.microsoft.com/sql/database-engine/install-windows/product-updates-in-sql-server-installation
    """
    enabled = args.get("UPDATEENABLED", "True").strip().lower()
    if enabled in ("false", "0"):
        return str(product["version"])
    if enabled not in ("true", "1"):
        raise _setup_failed(f"/UPDATEENABLED={args['UPDATEENABLED']}: the valid values are "
                            "True and False or 1 and 0")
    source = args.get("UPDATESOURCE", "MU")
    if source.upper() == "MU":
        # Not modelled: the lab's hosts, like the sites, have no internet nor update server.
        raise ModuleCrashError(
            "the lab does not model SQL Server setup searching Microsoft Update "
            "(/UPDATEENABLED without /UPDATESOURCE, or UPDATESOURCE=MU); sites have no internet: "
            "give /UPDATESOURCE=<the update's folder on the share>, or /UPDATEENABLED=0")
    found = shares.folder(host_state(host), source) if shares.is_unc(source) else None
    if found is None:
        raise _setup_failed(f"the update source {source} cannot be reached or does not exist "
                            "(a UNC folder needs the logon's network credentials)")
    major = _version(product["version"])[0]
    updates = [entry for entry in found if entry.get("package") == "sql_server_update"
               and _version(entry["version"])[0] == major]
    if not updates:
        return str(product["version"])
    return str(max(updates, key=lambda entry: _version(entry["version"]))["version"])


# What a CU's package answers (Microsoft Learn, "Installing updates from the command
# prompt": `<package>.exe /qs /IAcceptSQLServerLicenseTerms /Action=Patch
# /InstanceName=MyInstance`; /quiet for no UI at all). 3010 is Windows' "success, restart
# required", which win_package turns into reboot_required.
RESTART_REQUIRED = 3010


def patch_instance(host: LabHost, update: dict[str, Any], arguments: str | list[str] | None,
                   check_mode: bool) -> int:
    """Run a cumulative update's package unattended on one instance; return its exit code.

    Fails as the package does (a nonzero exit code) without /quiet, /qs or /q, without
    /IAcceptSQLServerLicenseTerms or /Action=Patch, for an instance that is not installed or
    of another major version, and when a restart is pending (setup's "Restart computer"
    rule: restart first). The instance then reports the CU's version (its service is
    restarted by setup). The lab's CUs always ask for the restart (3010): the kit must cope
    with the case that needs the most, and a CU's KB article says a restart may be needed.
    A package run on an instance already at (or past) its level, or for every instance
    (/AllInstances), is not modelled and fails loudly.
    """
    args = {name: " ".join(words) for name, words in setup_arguments(arguments).items()}
    problems = [what for what, ok in (
        ("/quiet or /qs (unattended)", bool({"QUIET", "QS", "Q"} & set(args))),
        ("/IAcceptSQLServerLicenseTerms", "IACCEPTSQLSERVERLICENSETERMS" in args),
        ("/Action=Patch", args.get("ACTION", "").lower() == "patch"),
    ) if not ok]
    if "ALLINSTANCES" in args or "INSTANCEID" in args:
        raise ModuleCrashError("the lab models a CU applied to one instance by /InstanceName "
                               "only, not /AllInstances or /InstanceID")
    if not args.get("INSTANCENAME"):
        problems.append("/InstanceName (the instance to patch)")
    if problems:
        raise _setup_failed(f"the unattended update needs {', '.join(problems)}")
    name = args["INSTANCENAME"].upper()
    instance = instances(host).get(name)
    if instance is None:
        raise _setup_failed(f"the instance {name} is not installed on this computer")
    if _version(instance["version"])[0] != _version(update["version"])[0]:
        raise _setup_failed(f"{update['name']} ({update['version']}) does not apply to "
                            f"{name}, version {instance['version']}")
    if _version(instance["version"]) >= _version(update["version"]):
        raise ModuleCrashError(f"the lab does not model a CU package run on an instance at "
                               f"or past its level ({name} is at {instance['version']})")
    if host_state(host).get("reboot_pending"):
        raise _setup_failed("Rule \"Restart computer\" failed: a computer restart is required."
                            " You must restart this computer before installing SQL Server.")
    if not check_mode:
        instance["version"] = str(update["version"])
        host_state(host)["reboot_pending"] = True
    return RESTART_REQUIRED


def _setup_failed(why: str) -> ModuleFailedError:
    """SQL Server setup's nonzero exit, as win_package reports it."""
    return ModuleFailedError(
        "unexpected rc from install: see rc, stdout, and stderr for more details",
        rc=-2068578304, reboot_required=False,
        stdout=f"The following error occurred: {why}\r\nError result: -2068578304\r\n",
        stderr="")


def _service(display: str, state: str, start: str, path: str, user: str) -> dict[str, Any]:
    """A service as win_service models it."""
    return {"display_name": display, "state": state, "start_mode": start, "path": path,
            "username": user, "description": display, "dependencies": [],
            "desktop_interact": False}


def _version(text: str) -> tuple[int, ...]:
    """A dotted version as a tuple of numbers."""
    return tuple(int(p) for p in re.findall(r"\d+", text))


def dbatools_version(host: LabHost) -> str | None:
    r"""The newest dbatools under Modules\dbatools\<version>\ that can load, or None.

    dbatools 2.x loads only beside its dbatools.library module.
    """
    fs = host_state(host)["fs"]["files"]
    def versions(module: str) -> list[str]:
        prefix = filesystem.path_key(ntpath.join(MODULES_DIR, module)) + "\\"
        found = []
        for key, entry in fs.items():
            rest = key[len(prefix):] if key.startswith(prefix) else None
            if rest and rest.count("\\") == 1 and rest.endswith(f"\\{module}.psd1"):
                found.append(ntpath.basename(ntpath.dirname(entry["path"])))
        return sorted(found, key=_version)
    dbatools = versions("dbatools")
    if not dbatools or not versions("dbatools.library"):
        return None
    return dbatools[-1]


def require_dbatools(host: LabHost, fqcn: str) -> None:
    """Fail as a lowlydba.sqlserver module does when dbatools 2.0.0+ is not installed.

    Its `#Requires -Modules @{ ModuleName="dbatools"; ModuleVersion="2.0.0" }` stops the
    script before it runs: an unhandled exception, not a module result.
    """
    version = dbatools_version(host)
    if version is None or _version(version) < DBATOOLS_MINIMUM:
        script = fqcn.rsplit(".", 1)[-1] + ".ps1"
        raise ModuleCrashError(
            f"The script '{script}' cannot be run because the following modules that are "
            f"specified by the \"#requires\" statements of the script are missing: dbatools.")


def instance_name(sql_instance: str) -> tuple[str | None, int | None]:
    r"""The instance and port an SqlInstance names: 'host\NAME', 'host,1433', 'host'.

    The server's name alone reaches the default instance; 'host\MSSQLSERVER' reaches
    nothing (None), as on Windows: the default instance has no instance name to look up
    (https://learn.microsoft.com/en-us/sql/database-engine/configure-windows/database-engine-instances-sql-server).
    """
    text = sql_instance.strip()
    port = None
    if "," in text:
        text, _, port_text = text.partition(",")
        port = int(port_text) if port_text.strip().isdigit() else None
    _, backslash, name = text.partition("\\")
    if backslash and name.upper() == DEFAULT_INSTANCE:
        return None, port
    return (name or DEFAULT_INSTANCE).upper(), port


def connect(host: LabHost, sql_instance: str, sql_username: str | None = None) -> dict[str, Any]:
    """The instance a connection reaches, as Connect-DbaInstance would, or fail like it.

    Windows authentication as the WinRM account: it must be a sysadmin, directly or
    through a local group; a SQL login is refused unless the instance allows them.
    """
    state = host_state(host)
    name, port = instance_name(sql_instance)
    table = instances(host)
    if port is not None:
        found = next((n for n, i in table.items() if i.get("tcp_enabled") and
                      i.get("tcp_port") == port), None)
    else:
        found = None if name is None else find(table, name)
    service = None if found is None else state["services"].get(table[found]["service"])
    if found is None or service is None or service["state"] != "running":
        raise ModuleFailedError(
            f"Error connecting to {sql_instance}: A network-related or instance-specific "
            "error occurred while establishing a connection to SQL Server. The server was not"
            " found or was not accessible. Verify that the instance name is correct and that"
            " SQL Server is configured to allow remote connections.")
    instance: dict[str, Any] = table[found]
    if sql_username is not None:
        if instance.get("login_mode") != "Mixed":
            raise ModuleFailedError(f"Error connecting to {sql_instance}: Login failed for "
                                    f"user '{sql_username}'.")
        return instance
    if not is_sysadmin(host, instance, host.username):
        raise ModuleFailedError(f"Error connecting to {sql_instance}: Login failed for user "
                                f"'{login_name(host)}'.")
    return instance


def dbatools_settings(host: LabHost) -> dict[str, Any]:
    """The computer-wide dbatools settings by lower-case name ({} without the file).

    Only items in the file's version 1 "Simple" form ({"Version": 1, "FullName", "Data"},
    Read-DbatoolsConfigFile) are modelled; any other item fails loudly.
    """
    if not filesystem.is_file(host, DBATOOLS_SETTINGS):
        return {}
    items = json.loads(filesystem.read_file(host, DBATOOLS_SETTINGS).decode("utf-8-sig"))
    settings = {}
    for item in items if isinstance(items, list) else [items]:
        if item.get("Version") != 1 or item.get("Style", "Simple") != "Simple":
            raise ModuleFailedError(f"the lab models only version 1 Simple items in"
                                    f" {DBATOOLS_SETTINGS}, not {item!r}")
        settings[str(item["FullName"]).lower()] = item.get("Data")
    return settings


def require_trusted_certificate(host: LabHost, instance: dict[str, Any], failure: str) -> None:
    """Fail as a lowlydba.sqlserver module does when dbatools cannot trust the certificate.

    It connects when dbatools trusts any certificate (sql.connection.trustcert), does not
    encrypt (sql.connection.encrypt false / Optional), or the instance's certificate chains
    to a trusted root (`certificate_trusted`, set by whatever installs such a certificate).
    `failure` is the module's own message around the exception's ("{error}" marks it).
    """
    settings = dbatools_settings(host)
    encrypt = str(settings.get("sql.connection.encrypt", "Mandatory")).lower()
    if settings.get("sql.connection.trustcert") is True or encrypt in ("false", "optional") \
            or instance.get("certificate_trusted"):
        return
    raise ModuleFailedError(failure.format(error=UNTRUSTED_CERTIFICATE),
                            exception=UNTRUSTED_CERTIFICATE)


def is_sysadmin(host: LabHost, instance: dict[str, Any], user: str) -> bool:
    r"""Whether a local Windows user is a sysadmin: listed, or in a listed local group."""
    groups = host_state(host)["groups"]
    for account in instance["sysadmins"]:
        short = account.split("\\")[-1]
        if short.lower() == user.lower():
            return True
        group = find(groups, short)
        if group is not None and any(m.split("\\")[-1].lower() == user.lower()
                                     for m in groups[group]["members"]):
            return True
    return False


def login_name(host: LabHost) -> str:
    r"""The Windows login of the WinRM account: COMPUTER\user."""
    computer = str(host_state(host).get("hostname") or host.hostname).upper()
    return f"{computer}\\{host.username}"


def new_database(instance: dict[str, Any], name: str, data_dir: str | None,
                 log_dir: str | None, owner: str) -> dict[str, Any]:
    """A new, empty database as CREATE DATABASE makes it (model's SIMPLE recovery)."""
    return {
        "recovery_model": "SIMPLE",
        "data_file": ntpath.join(data_dir or instance["data_dir"], f"{name}.mdf"),
        "log_file": ntpath.join(log_dir or instance["log_dir"], f"{name}_log.ldf"),
        "data_size_mb": 8, "log_size_mb": 8, "tables": {}, "table_rows": {},
        "owner": owner,
    }
