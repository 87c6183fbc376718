"""ansible.windows.win_wait_for: wait for a port on another host of the site (port only).

The lab answers at once instead of waiting: a port that is not reachable now will not
become reachable while the module waits, since nothing else runs on the lab's hosts.
"""

from __future__ import annotations

from typing import Any

from sitekit.lab import network
from sitekit.lab.host import LabHost
from sitekit.lab.modules import ModuleFailedError, register


@register("ansible.windows.win_wait_for", supports_check_mode=True,
          implements=("host", "path", "port", "state", "timeout"))
def win_wait_for(host: LabHost, args: dict[str, Any], check_mode: bool,
                 diff: bool) -> dict[str, Any]:
    """Succeed when host:port listens (started/present) or does not (stopped/absent)."""
    if args["port"] is None:
        raise ModuleFailedError("the sitekit lab models win_wait_for on a port only")
    if args["path"] is not None:
        raise ModuleFailedError("port and path parameter can not both be passed to "
                                "win_wait_for")
    target, port, wanted = args["host"], args["port"], args["state"]
    if wanted == "drained":
        raise ModuleFailedError("the sitekit lab does not model win_wait_for state=drained")
    up, _why = network.connects(host, target, port)
    if up == (wanted in ("started", "present")):
        return {"elapsed": 0.0, "wait_attempts": 1}
    verb = "start" if wanted in ("started", "present") else "stop"
    raise ModuleFailedError(f"timeout while waiting for {target}:{port} to {verb} listening",
                            elapsed=float(args["timeout"]), wait_attempts=1)
