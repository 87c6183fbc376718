"""ansible.windows.win_dns_client: DNS servers of network adapters."""

from __future__ import annotations

import ipaddress
from typing import Any

from sitekit.lab.host import LabHost
from sitekit.lab.modules import ModuleFailedError, register
from sitekit.lab.state import host_state


@register("ansible.windows.win_dns_client", supports_check_mode=True,
          implements=("adapter_names", "dns_servers", "suffix_search_list"))
def win_dns_client(host: LabHost, args: dict[str, Any], check_mode: bool,
                   diff: bool) -> dict[str, Any]:
    """Set (or with [] reset to DHCP) the DNS servers of the named adapters ('*' = all)."""
    network = host_state(host)["network"]
    if args["suffix_search_list"] is not None:
        raise ModuleFailedError("the sitekit lab does not model suffix_search_list")
    if args["dns_servers"] is None or args["adapter_names"] is None:
        raise ModuleFailedError("missing required arguments: adapter_names, dns_servers")
    for server in args["dns_servers"]:
        try:
            ipaddress.ip_address(server)
        except ValueError:
            raise ModuleFailedError(f"{server} is not a valid IP address") from None
    adapters = [a for a in network if "*" in args["adapter_names"] or any(
        a.lower() == n.lower() for n in args["adapter_names"])]
    if not adapters:
        raise ModuleFailedError(f"Adapter(s) {', '.join(args['adapter_names'])} not found")
    changed = [a for a in adapters if network[a]["dns_servers"] != list(args["dns_servers"])]
    if not check_mode:
        for adapter in changed:
            network[adapter]["dns_servers"] = list(args["dns_servers"])
    return {"changed": bool(changed)}
