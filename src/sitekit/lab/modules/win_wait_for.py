"""ansible.windows.win_wait_for: wait for a port on another host of the site (port only).

As win_wait_for.ps1 does (ansible.windows 3.x): sleep `delay`, then try the port until
`timeout` seconds have passed, `sleep` seconds between attempts; each attempt (Test-Port)
waits up to `connect_timeout` seconds for an unanswered connect and returns at once on a
reset. `elapsed` and `wait_attempts` are measured, not made up. The lab's state can change
while it waits (a host back from a reboot, a service another request starts).
Waiting on a file (`path`), `drained` and `exclude_hosts` are not modelled and fail loudly.
"""

from __future__ import annotations

import time
from typing import Any

from sitekit.lab import network
from sitekit.lab.host import LabHost
from sitekit.lab.modules import ModuleFailedError, register


@register("ansible.windows.win_wait_for", supports_check_mode=True,
          implements=("host", "path", "port", "state", "timeout", "delay", "sleep",
                      "connect_timeout"))
def win_wait_for(host: LabHost, args: dict[str, Any], check_mode: bool,
                 diff: bool) -> dict[str, Any]:
    """Succeed when host:port listens (started/present) or does not (stopped/absent)."""
    if args["port"] is not None and args["path"] is not None:
        raise ModuleFailedError("port and path parameter can not both be passed to "
                                "win_wait_for")
    if args["port"] is None:
        raise ModuleFailedError("the sitekit lab models win_wait_for on a port only")
    target, port, wanted = args["host"], args["port"], args["state"]
    if wanted == "drained":
        raise ModuleFailedError("the sitekit lab does not model win_wait_for state=drained")
    started = time.monotonic()
    if args["delay"] is not None:
        time.sleep(args["delay"])
    listening = wanted in ("started", "present")
    attempts, loop_start = 0, time.monotonic()
    while time.monotonic() - loop_start < args["timeout"]:
        attempts += 1
        if _test_port(host, target, port, args["connect_timeout"]) == listening:
            return {"elapsed": time.monotonic() - started, "wait_attempts": attempts}
        time.sleep(args["sleep"])
    verb = "start" if listening else "stop"
    raise ModuleFailedError(f"timeout while waiting for {target}:{port} to {verb} listening",
                            elapsed=time.monotonic() - started, wait_attempts=attempts)


def _test_port(host: LabHost, target: str, port: int, connect_timeout: int) -> bool:
    """Test-Port: connect; an unanswered connect costs the whole connect_timeout."""
    up, _why = network.connects(host, target, port)
    if not up and not network.refused_at_once(host, target, port):
        time.sleep(connect_timeout)
    return up
