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
    """The instance's names as roles and modules take them (`sitekit_sql`)."""
    return {"instance": instance.upper(), "service": service_name(instance),
            "connect": connect_string(instance)}
