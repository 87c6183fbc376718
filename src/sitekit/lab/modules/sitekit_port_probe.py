"""sitekit_port_probe (plugins/modules): many TCP connects from the host, all at once.

As the module does: every connect starts before any is waited for, so an unanswered one
(a host that is off, a router's or firewall's drop) costs connect_timeout once for the
whole list, and a reset (the target up and letting the source in, nothing listening)
answers at once. Which connection the site's network passes is network.py's.
"""

from __future__ import annotations

import time
from typing import Any

from sitekit.lab import network
from sitekit.lab.host import LabHost
from sitekit.lab.modules import ModuleFailedError, register


@register("ansible.legacy.sitekit_port_probe", supports_check_mode=True,
          implements=("probes", "connect_timeout"))
def sitekit_port_probe(host: LabHost, args: dict[str, Any], check_mode: bool,
                       diff: bool) -> dict[str, Any]:
    """Try every host:port; report which connected, waiting once for the unanswered."""
    # As sitekit_port_probe.ps1 refuses it: a deadline in the past would wait for nothing.
    if args["connect_timeout"] < 0:
        raise ModuleFailedError(
            f"connect_timeout must be 0 or more, not {args['connect_timeout']}")
    results, unanswered = [], False
    for probe in args["probes"]:
        up, _why = network.connects(host, probe["host"], probe["port"])
        error = None
        if not up:
            refused = network.refused_at_once(host, probe["host"], probe["port"])
            unanswered |= not refused
            error = ("No connection could be made because the target machine actively "
                     "refused it." if refused else
                     f"no answer within {args['connect_timeout']} s")
        results.append({"host": probe["host"], "port": probe["port"], "open": up,
                        "error": error})
    if unanswered:
        time.sleep(args["connect_timeout"])
    return {"changed": False, "probes": results}
