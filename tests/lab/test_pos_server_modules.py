"""The lab's models behind pos_server, as ansible.windows tests modules: check (nothing
changes), real (changed), again (not changed); a misspelled option; documented failures.

Models run in-process on a host seeded like `sitekit lab up` seeds the example's server,
through run_module: the same argument validation and result framing as over WinRM.
"""

from __future__ import annotations

import copy
import json
import random
from pathlib import Path
from typing import Any

import pytest
import yaml

from sitekit.lab import filesystem, shares, sqlserver
from sitekit.lab.host import LabHost
from sitekit.lab.shares import share_listing
from sitekit.lab.state import seed_state
from sitekit.site.load import load_fleet_dir
from sitekit.site.sqlserver import installed_version
from tests.lab.models import call

EXAMPLE = Path(__file__).resolve().parents[2] / "inventories" / "example"
ROLE = Path(__file__).resolve().parents[2] / "roles" / "pos_server"
SHARE = "\\\\dist.lotus-kitchen.example\\packages"
SQL_SETUP = f"{SHARE}\\sql-server\\2022\\SQLEXPR_x64_ENU.exe"
APP_MSI = f"{SHARE}\\lotus-pos\\8.4.2\\LotusPOS-Server-8.4.2-x64.msi"
APP_ID = "{B2C6E1A4-5D3F-4E7A-9C21-7F0A8D3E6B51}"
DBATOOLS_ZIP = f"{SHARE}\\powershell\\dbatools-2.1.31.zip"
MODULES = "C:\\Program Files\\WindowsPowerShell\\Modules"
SETUP_ARGS = ('/Q /ACTION=Install /IACCEPTSQLSERVERLICENSETERMS /FEATURES=SQLENGINE '
              '/INSTANCENAME=SQLEXPRESS /SQLSYSADMINACCOUNTS="BUILTIN\\Administrators" '
              '/TCPENABLED=1 /SQLUSERDBDIR="C:\\SQLData" /SQLUSERDBLOGDIR="C:\\SQLLogs" '
              '/SQLBACKUPDIR="C:\\SQLBackup" /UPDATEENABLED=0')
UPDATES = f"{SHARE}\\sql-server\\2022\\updates"
SQL = "localhost\\SQLEXPRESS"
MENU_COLUMNS = [{"name": "code", "type": "nvarchar(16)"}, {"name": "price", "type": "decimal(8,2)"}]


def fresh_host() -> LabHost:
    """The example's server as `lab up` seeds it, with the fleet's share listed."""
    loaded = load_fleet_dir(EXAMPLE)
    assert loaded.fleet is not None
    host = LabHost("lis01-srv01", "127.0.0.1", "sitekit", "Lab-Passw0rd!")
    host.state = seed_state("server", "lis01-srv01", random.Random(1), "sitekit")  # noqa: S311
    host.state["shares"] = share_listing(loaded.fleet)
    return host




def modelled(host: LabHost) -> dict[str, Any]:
    """The host's state without the lab's call counts."""
    state = copy.deepcopy(host.state)
    state.pop("lab", None)
    return state


def check_real_again(host: LabHost, fqcn: str, args: dict[str, Any]) -> list[dict[str, Any]]:
    """Check mode (changes nothing), real (changed), again (not changed)."""
    before = modelled(host)
    check = call(host, fqcn, args, check=True, diff=True)
    assert not check.get("failed"), check
    assert check["changed"] is True
    assert modelled(host) == before
    real = call(host, fqcn, args, diff=True)
    assert real["changed"] is True, real
    assert modelled(host) != before
    after = modelled(host)
    again = call(host, fqcn, args)
    assert again["changed"] is False, again
    assert modelled(host) == after
    return [check, real, again]


def install_sql(host: LabHost, dbatools: bool = True, trusted: bool = True) -> None:
    """SQL Server (and dbatools, set to trust its certificate) installed, as the role does
    before its SQL tasks."""
    result = call(host, "ansible.windows.win_package",
                  {"path": SQL_SETUP, "arguments": SETUP_ARGS,
                   "creates_service": "MSSQL$SQLEXPRESS"})
    assert result["changed"], result
    if dbatools:
        result = call(host, "community.windows.win_unzip", {"src": DBATOOLS_ZIP, "dest": MODULES})
        assert result["changed"], result
    if dbatools and trusted:
        trust_certificate(host)


def trust_certificate(host: LabHost) -> None:
    """dbatools' computer-wide settings, as pos_server's win_copy writes them."""
    role_vars = yaml.safe_load((ROLE / "vars" / "main.yml").read_text(encoding="utf-8"))
    folder = role_vars["__pos_server_dbatools_settings_dir"]
    assert folder + "\\psf_config.json" == sqlserver.DBATOOLS_SETTINGS
    filesystem.make_dirs(host, folder)
    settings = json.dumps(role_vars["__pos_server_dbatools_settings"], indent=2)
    filesystem.write_file(host, sqlserver.DBATOOLS_SETTINGS, settings.encode())


def create_database(host: LabHost) -> None:
    """The application database, as the role creates it."""
    call(host, "lowlydba.sqlserver.database", {"sql_instance": SQL, "database": "LotusPOS"})


# -- win_package: SQL Server setup known by its service; the application's MSI ------------

def test_sql_setup_creates_the_instance_once() -> None:
    host = fresh_host()
    args = {"path": SQL_SETUP, "arguments": SETUP_ARGS, "creates_service": "MSSQL$SQLEXPRESS"}
    check_real_again(host, "ansible.windows.win_package", args)
    instance = host.state["sql_instances"]["SQLEXPRESS"]
    assert instance["service"] == "MSSQL$SQLEXPRESS"
    assert instance["version"] == "16.0.1000.6"
    assert instance["edition"].startswith("Express")
    assert (instance["data_dir"], instance["log_dir"], instance["backup_dir"]) == \
        ("C:\\SQLData", "C:\\SQLLogs", "C:\\SQLBackup")
    assert instance["sysadmins"] == ["BUILTIN\\Administrators"]
    assert instance["tcp_port"] is None and instance["tcp_enabled"] is True
    assert host.state["services"]["MSSQL$SQLEXPRESS"]["state"] == "running"
    assert host.state["services"]["SQLAgent$SQLEXPRESS"]["start_mode"] == "disabled"
    assert "c:\\sqlbackup" in host.state["fs"]["dirs"]


def test_sql_setup_slipstreams_the_fleets_update_from_the_share() -> None:
    host = fresh_host()
    loaded = load_fleet_dir(EXAMPLE)
    assert loaded.fleet is not None
    sql = loaded.fleet.software["sql_server"]
    arguments = SETUP_ARGS.replace("/UPDATEENABLED=0",
                                   f'/UPDATEENABLED=1 /UPDATESOURCE="{UPDATES}"')
    check_real_again(host, "ansible.windows.win_package",
                     {"path": SQL_SETUP, "arguments": arguments,
                      "creates_service": "MSSQL$SQLEXPRESS"})
    # The update's version, as the inventory tells pos_server, acceptance and the audit.
    version = host.state["sql_instances"]["SQLEXPRESS"]["version"]
    assert version == sql["update"]["version"] == installed_version(sql) != sql["version"]


@pytest.mark.parametrize(("updates", "crashes", "why"), [
    # Setup's default source is Microsoft Update: the sites (and the lab) have no internet.
    ("", True, "does not model SQL Server setup searching Microsoft Update"),
    ("/UPDATEENABLED=1 /UPDATESOURCE=MU", True, "Microsoft Update"),
    (f'/UPDATEENABLED=1 /UPDATESOURCE="{UPDATES}\\CU99"', False,
     "cannot be reached or does not exist"),
    ("/UPDATEENABLED=maybe", False, "the valid values are True and False"),
])
def test_sql_setup_refuses_an_update_source_it_cannot_read(updates: str, crashes: bool,
                                                           why: str) -> None:
    host = fresh_host()
    result = call(host, "ansible.windows.win_package",
                  {"path": SQL_SETUP, "arguments": SETUP_ARGS.replace("/UPDATEENABLED=0", updates),
                   "creates_service": "MSSQL$SQLEXPRESS"})
    assert result["failed"], result
    assert why in (result["msg"] if crashes else result["stdout"]), result
    assert host.state["sql_instances"] == {}


def test_a_logon_without_network_credentials_reaches_neither_setup_nor_its_updates() -> None:
    host = fresh_host()
    assert [entry["package"] for entry in shares.folder(host.state, UPDATES) or []] == \
        ["sql_server_update"]
    with shares.logon(network_credentials=False):  # a WinRM logon: the double hop
        assert shares.folder(host.state, UPDATES) is None
        result = call(host, "ansible.windows.win_package", {
            "path": SQL_SETUP, "creates_service": "MSSQL$SQLEXPRESS",
            "arguments": SETUP_ARGS.replace("/UPDATEENABLED=0",
                                            f'/UPDATEENABLED=1 /UPDATESOURCE="{UPDATES}"')})
    assert result["failed"], result
    assert host.state["sql_instances"] == {}


def test_win_stat_reads_the_updates_checksum_on_the_share_with_credentials_only() -> None:
    host = fresh_host()
    loaded = load_fleet_dir(EXAMPLE)
    assert loaded.fleet is not None
    update = loaded.fleet.software["sql_server"]["update"]
    path = f"{SHARE}\\{update['installer']}"
    args = {"path": path, "get_checksum": True, "checksum_algorithm": "sha256", "get_size": False}
    result = call(host, "ansible.windows.win_stat", args)
    assert (result["stat"]["exists"], result["stat"]["checksum"]) == (True, update["sha256"])
    assert call(host, "ansible.windows.win_stat", {**args, "path": path + ".old"})["stat"] == \
        {"exists": False}
    with shares.logon(network_credentials=False):  # the double hop: no share at all
        assert call(host, "ansible.windows.win_stat", args)["stat"] == {"exists": False}
    crashed = call(host, "ansible.windows.win_stat", {**args, "checksum_algorithm": "md5"})
    assert crashed["failed"] and "does not model the md5 checksum" in crashed["msg"]


@pytest.mark.parametrize(("change", "needed"), [
    (("/IACCEPTSQLSERVERLICENSETERMS ", ""), "/IACCEPTSQLSERVERLICENSETERMS"),
    (('/SQLSYSADMINACCOUNTS="BUILTIN\\Administrators" ', ""), "/SQLSYSADMINACCOUNTS"),
    (("/Q ", ""), "/Q or /QS"),
])
def test_sql_setup_fails_without_what_an_unattended_install_needs(
        change: tuple[str, str], needed: str) -> None:
    host = fresh_host()
    result = call(host, "ansible.windows.win_package",
                  {"path": SQL_SETUP, "arguments": SETUP_ARGS.replace(*change),
                   "creates_service": "MSSQL$SQLEXPRESS"})
    assert result["failed"] and result["rc"] != 0
    assert needed in result["stdout"]
    assert host.state["sql_instances"] == {}


def test_sql_setup_from_a_wrong_path_fails() -> None:
    host = fresh_host()
    result = call(host, "ansible.windows.win_package",
                  {"path": SQL_SETUP.replace("2022", "2019"), "arguments": SETUP_ARGS,
                   "creates_service": "MSSQL$SQLEXPRESS"})
    assert result["failed"] and "cannot be reached" in result["msg"]


def test_application_msi_registers_its_service_stopped() -> None:
    host = fresh_host()
    check_real_again(host, "ansible.windows.win_package",
                     {"path": APP_MSI, "product_id": APP_ID})
    service = host.state["services"]["LotusPosServer"]
    assert (service["state"], service["start_mode"]) == ("stopped", "auto")
    assert host.state["packages"][APP_ID]["version"] == "8.4.2"


def test_misspelled_option_fails_as_on_windows() -> None:
    host = fresh_host()
    result = call(host, "ansible.windows.win_package",
                  {"path": SQL_SETUP, "creates_servce": "MSSQL$SQLEXPRESS"})
    assert result["failed"] and "creates_servce" in result["msg"]


# -- win_unzip: dbatools from the share --------------------------------------------------

def test_unzip_installs_dbatools_and_skips_once_created() -> None:
    host = fresh_host()
    manifest = f"{MODULES}\\dbatools\\2.1.31\\dbatools.psd1"
    args = {"src": DBATOOLS_ZIP, "dest": MODULES, "creates": manifest}
    check_real_again(host, "community.windows.win_unzip", args)
    assert sqlserver.dbatools_version(host) == "2.1.31"
    assert call(host, "community.windows.win_unzip", args)["skipped"] is True


def test_unzip_of_a_missing_archive_fails() -> None:
    host = fresh_host()
    result = call(host, "community.windows.win_unzip",
                  {"src": DBATOOLS_ZIP.replace("2.1.31", "2.0.0"), "dest": MODULES})
    assert result["failed"] and "does not exist" in result["msg"]


# -- lowlydba.sqlserver: tcp_port, login, database, instance_info ------------------------

def test_sql_modules_fail_without_dbatools() -> None:
    host = fresh_host()
    install_sql(host, dbatools=False)
    for fqcn, args in (("lowlydba.sqlserver.tcp_port", {"port": 1433}),
                       ("lowlydba.sqlserver.database", {"database": "LotusPOS"}),
                       ("lowlydba.sqlserver.instance_info", {})):
        result = call(host, fqcn, {"sql_instance": SQL, **args})
        assert result["failed"], fqcn
        assert "missing: dbatools" in result["msg"]


def test_sql_modules_refuse_the_self_signed_certificate_until_dbatools_trusts_it() -> None:
    # dbatools 2.x encrypts and trusts no self-signed certificate (dbatools #8883,
    # lowlydba.sqlserver #307); each module wraps the error in its own message.
    host = fresh_host()
    install_sql(host, trusted=False)
    for fqcn, args, message in (
            ("lowlydba.sqlserver.login", {"login": "LIS01\\svc-pos"},
             "Configuring login failed: The certificate chain was issued by an authority"
             " that is not trusted."),
            ("lowlydba.sqlserver.database", {"database": "LotusPOS"},
             "Error checking database status."),
            ("lowlydba.sqlserver.instance_info", {},
             "Error fetching instance information: The certificate chain")):
        result = call(host, fqcn, {"sql_instance": SQL, **args})
        assert result["failed"] and message in result["msg"], (fqcn, result)
        assert "certificate chain was issued by an authority" in str(result.get("exception",
                                                                                ""))
    assert "LotusPOS" not in host.state["sql_instances"]["SQLEXPRESS"]["databases"]
    trust_certificate(host)
    result = call(host, "lowlydba.sqlserver.instance_info", {"sql_instance": SQL})
    assert not result.get("failed"), result


def test_sql_modules_fail_when_the_instance_is_not_installed_or_stopped() -> None:
    host = fresh_host()
    call(host, "community.windows.win_unzip", {"src": DBATOOLS_ZIP, "dest": MODULES})
    result = call(host, "lowlydba.sqlserver.instance_info", {"sql_instance": SQL})
    assert result["failed"] and "network-related" in result["msg"]
    install_sql(host, dbatools=False)
    host.state["services"]["MSSQL$SQLEXPRESS"]["state"] = "stopped"
    result = call(host, "lowlydba.sqlserver.instance_info", {"sql_instance": SQL})
    assert result["failed"] and "network-related" in result["msg"]


def test_a_connecting_account_that_is_no_sysadmin_cannot_log_in() -> None:
    host = fresh_host()
    install_sql(host)
    host.state["groups"]["Administrators"]["members"].remove("sitekit")
    result = call(host, "lowlydba.sqlserver.instance_info", {"sql_instance": SQL})
    assert result["failed"] and "Login failed for user" in result["msg"]


def test_tcp_port_is_set_once_and_check_mode_always_reports_a_change() -> None:
    host = fresh_host()
    install_sql(host)
    args = {"sql_instance": SQL, "port": 1433, "force": True}
    check_real_again(host, "lowlydba.sqlserver.tcp_port", args)
    assert host.state["sql_instances"]["SQLEXPRESS"]["tcp_port"] == 1433
    # As the real module (`$output.Changes.Count -gt 0 -or $checkMode`).
    assert call(host, "lowlydba.sqlserver.tcp_port", args, check=True)["changed"] is True


def test_tcp_port_without_force_needs_a_restart() -> None:
    host = fresh_host()
    install_sql(host)
    result = call(host, "lowlydba.sqlserver.tcp_port", {"sql_instance": SQL, "port": 1533})
    assert result["data"]["RestartRequired"] is True


def test_login_for_a_service_account_needs_the_service() -> None:
    host = fresh_host()
    install_sql(host)
    args = {"sql_instance": SQL, "login": "NT SERVICE\\LotusPosServer"}
    result = call(host, "lowlydba.sqlserver.login", args)
    assert result["failed"] and "not found" in result["msg"]
    call(host, "ansible.windows.win_package", {"path": APP_MSI, "product_id": APP_ID})
    check_real_again(host, "lowlydba.sqlserver.login", args)
    assert "NT SERVICE\\LotusPosServer" in host.state["sql_instances"]["SQLEXPRESS"]["logins"]


def test_database_is_created_in_the_given_folders() -> None:
    host = fresh_host()
    install_sql(host)
    args = {"sql_instance": SQL, "database": "LotusPOS", "data_file_path": "C:\\SQLData",
            "log_file_path": "C:\\SQLLogs"}
    check_real_again(host, "lowlydba.sqlserver.database", args)
    database = host.state["sql_instances"]["SQLEXPRESS"]["databases"]["LotusPOS"]
    assert database["data_file"] == "C:\\SQLData\\LotusPOS.mdf"
    assert database["log_file"] == "C:\\SQLLogs\\LotusPOS_log.ldf"
    assert database["recovery_model"] == "SIMPLE"
    assert database["owner"].endswith("\\sitekit")


def test_database_recovery_model_and_owner_change_once() -> None:
    host = fresh_host()
    install_sql(host)
    create_database(host)
    call(host, "lowlydba.sqlserver.login", {"sql_instance": SQL, "login": "BUILTIN\\Users"})
    args = {"sql_instance": SQL, "database": "LotusPOS", "recovery_model": "Full",
            "owner": "BUILTIN\\Users"}
    check_real_again(host, "lowlydba.sqlserver.database", args)
    database = host.state["sql_instances"]["SQLEXPRESS"]["databases"]["LotusPOS"]
    assert (database["recovery_model"], database["owner"]) == ("FULL", "BUILTIN\\Users")


def test_database_fails_as_the_real_module_does() -> None:
    host = fresh_host()
    install_sql(host)
    # Check mode on a database that does not exist yet, with a recovery model: the real
    # module sets RecoveryModel on New-DbaDatabase's empty -WhatIf output and fails.
    result = call(host, "lowlydba.sqlserver.database",
                  {"sql_instance": SQL, "database": "LotusPOS", "recovery_model": "Full"},
                  check=True)
    assert result["failed"] and "Setting recovery model" in result["msg"]
    result = call(host, "lowlydba.sqlserver.database",
                  {"sql_instance": SQL, "database": "LotusPOS", "owner": "NT SERVICE\\Nobody"})
    assert result["failed"] and "does not exist" in result["exception"]
    assert host.state["sql_instances"]["SQLEXPRESS"]["databases"] == {}


def test_instance_info_reports_version_and_login_mode() -> None:
    host = fresh_host()
    install_sql(host)
    before = modelled(host)
    data = call(host, "lowlydba.sqlserver.instance_info", {"sql_instance": SQL})["data"]
    assert (data["VersionString"], data["InstanceName"], data["LoginMode"]) == \
        ("16.0.1000.6", "SQLEXPRESS", "Integrated")
    assert modelled(host) == before


# -- sitekit_pos_data: the initial data in one call --------------------------------------

def pos_data_args(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The module's arguments for one menu table."""
    return {"sql_instance": SQL, "database": "LotusPOS",
            "tables": [{"name": "MenuItems", "key": "code", "columns": MENU_COLUMNS,
                        "rows": rows}]}


def test_pos_data_loads_rows_once_and_counts_them() -> None:
    host = fresh_host()
    install_sql(host)
    create_database(host)
    rows = [{"code": "N01", "price": "9.50"}, {"code": "N02", "price": "11.00"}]
    check, real, again = check_real_again(host, "ansible.legacy.sitekit_pos_data",
                                          pos_data_args(rows))
    assert check["counts"] == real["counts"] == again["counts"] == {"MenuItems": 2}
    assert real["changes"]["MenuItems"] == {"inserted": 2, "updated": 0, "deleted": 0,
                                            "created": True}
    assert real["diff"] == {"before": {"rows": {"MenuItems": 0}},
                            "after": {"rows": {"MenuItems": 2}}}
    database = host.state["sql_instances"]["SQLEXPRESS"]["databases"]["LotusPOS"]
    assert database["tables"] == {"MenuItems": 2}


def test_pos_data_reloads_when_contents_differ_with_equal_counts() -> None:
    host = fresh_host()
    install_sql(host)
    create_database(host)
    call(host, "ansible.legacy.sitekit_pos_data",
         pos_data_args([{"code": "N01", "price": "9.50"}, {"code": "N02", "price": "11"}]))
    # 11 and 11.00 are the same price: nothing to do.
    same = call(host, "ansible.legacy.sitekit_pos_data",
                pos_data_args([{"code": "N01", "price": "9.5"}, {"code": "N02", "price": "11.00"}]))
    assert same["changed"] is False
    changed = call(host, "ansible.legacy.sitekit_pos_data",
                   pos_data_args([{"code": "N01", "price": "9.90"}, {"code": "N03", "price": "1"}]))
    assert changed["changed"] is True
    assert changed["changes"]["MenuItems"] == {"inserted": 1, "updated": 1, "deleted": 1,
                                               "created": False}


def test_pos_data_keeps_rows_other_data_refers_to() -> None:
    """Orders refer to menu items by key: the load changes rows in place and deletes only
    the keys the list drops, and one still referred to fails as SQL Server's constraint
    does (issue 19, defect 24: the module used to empty the whole table)."""
    host = fresh_host()
    install_sql(host)
    create_database(host)
    call(host, "ansible.legacy.sitekit_pos_data",
         pos_data_args([{"code": "N01", "price": "9.50"}, {"code": "N02", "price": "11"}]))
    database = host.state["sql_instances"]["SQLEXPRESS"]["databases"]["LotusPOS"]
    database["referenced_keys"] = {"menuitems": ["N01"]}  # an order for N01
    repriced = call(host, "ansible.legacy.sitekit_pos_data",
                    pos_data_args([{"code": "N01", "price": "9.90"}]))
    assert repriced["changes"]["MenuItems"]["deleted"] == 1  # N02, nothing refers to it
    before = modelled(host)
    dropped = call(host, "ansible.legacy.sitekit_pos_data",
                   pos_data_args([{"code": "N03", "price": "1"}]))
    assert dropped["failed"] is True
    assert "REFERENCE constraint on MenuItems (key N01)" in dropped["msg"]
    assert modelled(host) == before


@pytest.mark.parametrize(("args", "message"), [
    (pos_data_args([{"code": "N01"}, {"code": "N01"}]), "has the key N01 twice"),
    (pos_data_args([{"code": "N01", "colour": "red"}]), "'colour', which is not one of"),
    ({**pos_data_args([]), "database": "Nope"}, "Cannot open database"),
    ({**pos_data_args([]), "tables": [{"name": "Menu; DROP", "key": "code",
                                       "columns": MENU_COLUMNS, "rows": []}]},
     "not a plain SQL identifier"),
    ({**pos_data_args([]), "databse": "LotusPOS"}, "databse"),
])
def test_pos_data_refuses_bad_input(args: dict[str, Any], message: str) -> None:
    host = fresh_host()
    install_sql(host)
    create_database(host)
    result = call(host, "ansible.legacy.sitekit_pos_data", args)
    assert result["failed"] and message in result["msg"], result


def test_pos_data_needs_no_dbatools_but_a_running_instance() -> None:
    host = fresh_host()
    install_sql(host, dbatools=False)
    host.state["sql_instances"]["SQLEXPRESS"]["databases"]["LotusPOS"] = \
        sqlserver.new_database(host.state["sql_instances"]["SQLEXPRESS"], "LotusPOS", None,
                               None, "sa")
    assert call(host, "ansible.legacy.sitekit_pos_data", pos_data_args([]))["changed"]
    host.state["services"]["MSSQL$SQLEXPRESS"]["state"] = "stopped"
    assert call(host, "ansible.legacy.sitekit_pos_data", pos_data_args([]))["failed"]
