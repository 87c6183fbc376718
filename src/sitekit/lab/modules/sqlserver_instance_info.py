"""lowlydba.sqlserver.instance_info: what Get-DbaConnection and Get-DbaInstanceProperty say."""

from __future__ import annotations

from typing import Any

from sitekit.lab import sqlserver
from sitekit.lab.host import LabHost
from sitekit.lab.modules import register


@register("lowlydba.sqlserver.instance_info", supports_check_mode=True,
          implements=("sql_instance", "sql_username"))
def instance_info(host: LabHost, args: dict[str, Any], check_mode: bool,
                  diff: bool) -> dict[str, Any]:
    """Read-only: the instance's version, edition, collation and login mode."""
    sqlserver.require_dbatools(host, "lowlydba.sqlserver.instance_info")
    instance = sqlserver.connect(host, args["sql_instance"], args["sql_username"])
    sqlserver.require_trusted_certificate(host, instance,
                                          "Error fetching instance information: {error}")
    parts = [int(p) for p in instance["version"].split(".")]
    computer = sqlserver.login_name(host).split("\\")[0]
    return {"changed": False, "data": {
        "ComputerName": computer, "InstanceName": instance["name"],
        "SqlInstance": f"{computer}\\{instance['name']}",
        "BuildNumber": parts[2] if len(parts) > 2 else 0, "Language": "English (United States)",
        "VersionMajor": parts[0], "VersionMinor": parts[1] if len(parts) > 1 else 0,
        "VersionString": instance["version"], "Collation": instance["collation"],
        "ProductLevel": "RTM", "IsClustered": False, "LoginMode": instance["login_mode"],
    }}
