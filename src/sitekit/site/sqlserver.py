r"""How a SQL Server instance is named on its host: the one place the rule lives.

The fleet file names the instance (`software.sql_server.instance`); the inventory hands
every role, the audit playbook and the modules the names derived here as `sitekit_sql`,
and the lab builds its instances with them. Nothing else works them out again.

- The default instance is MSSQLSERVER; it is reached by the server's name alone
  (`localhost`), never `localhost\MSSQLSERVER`, and its service is `MSSQLSERVER`.
- A named instance is reached as `<server>\<NAME>`; its service is `MSSQL$<NAME>`.

https://learn.microsoft.com/en-us/sql/database-engine/configure-windows/database-engine-instances-sql-server
https://learn.microsoft.com/en-us/sql/database-engine/configure-windows/configure-windows-service-accounts-and-permissions
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

DEFAULT_INSTANCE = "MSSQLSERVER"


def is_default(instance: str) -> bool:
    """Whether `instance` names the default instance (instance names ignore case)."""
    return instance.upper() == DEFAULT_INSTANCE


def service_name(instance: str) -> str:
    """The engine's Windows service: MSSQLSERVER, or MSSQL$<NAME> for a named instance."""
    return DEFAULT_INSTANCE if is_default(instance) else f"MSSQL${instance.upper()}"


def connect_string(instance: str, server: str = "localhost") -> str:
    r"""What a client on `server` connects to: the server alone, or `server\NAME`."""
    return server if is_default(instance) else f"{server}\\{instance.upper()}"


def names(instance: str) -> dict[str, str]:
    """The instance's names as roles and modules take them."""
    return {"instance": instance.upper(), "service": service_name(instance),
            "connect": connect_string(instance)}


def inventory_vars(sql: Mapping[str, Any]) -> dict[str, str]:
    """`sitekit_sql`: the instance's names and the version it reports once installed."""
    return {**names(str(sql["instance"])), "version": installed_version(sql)}


def installed_version(sql: Mapping[str, Any]) -> str:
    """The version a server reports after pos_server's setup: the one place this is decided.

    Setup installs the fleet's `version` (its installer's, RTM for the Express package) and,
    when the fleet pins an `update`, slipstreams it into the same install; SQL Server then
    reports the update's version. pos_server, acceptance, the rollout and the audit all read
    it from here (`sitekit_sql.version`).
    """
    update = sql.get("update")
    return str(update["version"]) if update else str(sql["version"])


def update_problem(sql: Mapping[str, Any]) -> tuple[tuple[str, ...], str] | None:
    """What is wrong with the fleet's pinned SQL Server `update` (field path, message), if any.

    A CU or GDR applies to its own major version only (SQL Server 2022 is 16.x) and is
    newer than the installer it updates; setup would refuse anything else (or do nothing).
    """
    update = sql.get("update")
    if not update:
        return None
    setup = tuple(int(part) for part in str(sql["version"]).split("."))
    pinned = tuple(int(part) for part in str(update["version"]).split("."))
    if pinned[0] != setup[0]:
        return (("update", "version"), (
            f"{update['version']} is not a {sql['name']} version (the installer is "
            f"{sql['version']}, major version {setup[0]}); pin an update of that major version"))
    if pinned <= setup:
        return (("update", "version"), (
            f"{update['version']} is not newer than the installer's {sql['version']}; pin the "
            "CU or GDR's version as its KB article gives it, or leave `update` out"))
    return None
