"""lowlydba.sqlserver.tcp_port: a fixed TCP port for an instance (Set-DbaTcpPort).

As the real module does, check mode always reports a change; without force the new port
waits for a restart of the instance (RestartRequired).
"""

from __future__ import annotations

from typing import Any

from sitekit.lab import sqlserver
from sitekit.lab.host import LabHost
from sitekit.lab.modules import register


@register("lowlydba.sqlserver.tcp_port", supports_check_mode=True,
          implements=("port", "ip_address", "force", "sql_instance", "sql_username"))
def tcp_port(host: LabHost, args: dict[str, Any], check_mode: bool,
             diff: bool) -> dict[str, Any]:
    """Set the instance's IPAll TcpPort (and clear its dynamic port)."""
    sqlserver.require_dbatools(host, "lowlydba.sqlserver.tcp_port")
    instance = sqlserver.connect(host, args["sql_instance"], args["sql_username"])
    if check_mode:
        return {"changed": True}
    changed = instance["tcp_port"] != args["port"] or bool(instance.get("restart_pending"))
    data: dict[str, Any] = {
        "ComputerName": sqlserver.login_name(host).split("\\")[0],
        "InstanceName": instance["name"], "SqlInstance": args["sql_instance"],
        "IPAddress": args["ip_address"] or "0.0.0.0",  # noqa: S104 - IPAll, as reported "Port": args["port"],
        "Changes": [f"Changed TcpPort to {args['port']}"] if changed else [],
    }
    if changed:
        previous = instance["tcp_port"]
        instance["tcp_port"] = args["port"]
        instance["restart_pending"] = not args["force"]
        if not args["force"]:
            data["RestartRequired"] = True
        result: dict[str, Any] = {"changed": True, "data": data}
        if diff:
            result["diff"] = {"before": {"tcp_port": previous},
                              "after": {"tcp_port": args["port"]}}
        return result
    return {"changed": False, "data": data}
