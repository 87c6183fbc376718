"""Faults injected into a virtual host: what each does, and where it is kept.

A host's faults live in its state (state["lab"]["faults"]: name -> parameters), so they
persist with it across `down`/`up` until `reset`. `sitekit lab fault` writes them to a
file beside the state that the running lab picks up before its next request.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import math
import re
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from sitekit.lab.clock import utcnow
from sitekit.lab.host import LabHost
from sitekit.lab.ntlm import write_credential_file

log = logging.getLogger(__name__)

FAULTS = {
    "unreachable": "the host's listener refuses connections, as a host that is off",
    "slow": "every command (a module run) answers that much later (seconds=2.0): past the "
            "client's read timeout (30 s by default) the client times out",
    "wrong-credentials": "the host's password was changed: NTLM refuses the lab credentials",
    "reboot-mid-run": "the host reboots in the middle of the next module run: its connections"
                      " are reset, it refuses new ones while it restarts (seconds=3), then "
                      "it is back with a new boot time",
    "disk-full": "C: has no free space: writing a file fails",
    "service-wont-start": "starting a service fails with error 1067 (service=NAME, default any)",
    "stale-signatures": "Defender signatures are 30 days old and updating them fails",
    "failed-backup": "SQL Server backups fail; the last good backup is 8 days old",
    "installer-fails": "a release's MSI (not the fleet's pinned ones) ends in exit code 1603 "
                       "(a fatal error during installation), as win_package reports it",
    "new-version-wont-start": "the application server of a release (not the fleet's pinned "
                              "version) terminates as it starts: error 1067",
    "schema-upgrade-fails": "the release's database upgrade program exits with 1 and leaves "
                            "the schema as it was",
    "collector-unreachable": "the fleet's event collector does not answer: each time the "
                             "forwarder asks for its subscriptions it logs event 105 in "
                             "Microsoft-Windows-Forwarding/Operational",
    "no-come-back": "the host does not come back after its next reboot (win_reboot's "
                    "shutdown.exe /r): it refuses connections until the fault is cleared, as a "
                    "machine stuck at boot until someone switches it on again",
    "drops-after-schema-upgrade": "right after the release's database upgrade program "
                                  "succeeds, the host stops answering (refuses connections) "
                                  "until the fault is cleared, as a server whose network "
                                  "drops in the middle of an upgrade",
}


def _seconds(most: float) -> Callable[[str], float]:
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise ValueError(f"{text!r} is not a number of seconds") from None
        if not math.isfinite(value) or not 0 < value <= most:
            raise ValueError(f"{text} is out of range: give more than 0 and at most {most:g}")
        return value
    return parse


# A Windows service name: up to 256 characters, no slashes, nothing unprintable.
_SERVICE = re.compile(r"[^\\/\x00-\x1f\x7f]{1,256}")


def _service(text: str) -> str:
    if not _SERVICE.fullmatch(text):
        raise ValueError(f"{text!r} is not a service name (1-256 characters, no / or \\, "
                         "nothing unprintable)")
    return text


# Each fault's parameters: name -> (parse, default). A fault not listed takes none.
PARAMETERS: dict[str, dict[str, tuple[Callable[[str], object], object]]] = {
    "slow": {"seconds": (_seconds(3600), 2.0)},
    "reboot-mid-run": {"seconds": (_seconds(600), 3.0)},
    "service-wont-start": {"service": (_service, None)},
}


def parameters(fault: str, given: list[str]) -> dict[str, str]:
    """A fault's KEY=VALUE parameters, checked; ValueError says which is wrong and why."""
    allowed = PARAMETERS.get(fault, {})
    out: dict[str, str] = {}
    for item in given:
        key, sep, value = item.partition("=")
        if not sep:
            raise ValueError(f"{fault}: {item!r}: fault parameters are KEY=VALUE")
        if key not in allowed:
            takes = ", ".join(f"{k}=..." for k in allowed) or "no parameters"
            raise ValueError(f"{fault}: unknown parameter {key!r}; {fault} takes {takes}")
        if key in out:
            raise ValueError(f"{fault}: {key} is given twice")
        try:
            allowed[key][0](value)
        except ValueError as error:
            raise ValueError(f"{fault}: {key}={value}: {error}") from None
        out[key] = value
    return out


def parameter(params: dict[str, Any], fault: str, key: str) -> Any:
    """A parameter of an injected fault, parsed; its default if absent or not valid.

    `sitekit lab fault` checks parameters, but a faults file edited by hand must not
    crash the lab: a bad value is logged and the default used.
    """
    parse, default = PARAMETERS[fault][key]
    if not isinstance(params, dict) or key not in params:
        return default
    try:
        return parse(str(params[key]))
    except ValueError as error:
        log.warning("fault %s: %s=%s: %s; using %s", fault, key, params[key], error, default)
        return default


def crashed(state: dict[str, Any], name: str) -> bool:
    """Whether the service-wont-start fault keeps a service from running (WinRM never)."""
    if active(state, "new-version-wont-start") is not None and _release_service(state, name):
        return True
    fault = active(state, "service-wont-start")
    if fault is None:
        return False
    if fault.get("service"):
        return str(fault["service"]).lower() == name.lower()
    return name.lower() != "winrm"


def _release_service(state: dict[str, Any], name: str) -> bool:
    """Whether `name` is the application server's service, installed from a release."""
    packages = {code.upper() for code in state.get("packages", {})}
    return any(entry.get("package") == "application_server" and entry.get("sha256")
               and str(entry.get("service", "")).lower() == name.lower()
               and str(entry.get("product_id", "")).upper() in packages
               for entry in state.get("shares", {}).values())


# Hosts rebooting now (reboot-mid-run), in the lab's process: host name -> until when.
_REBOOTING: dict[str, float] = {}
_REBOOTING_LOCK = threading.Lock()


def start_reboot(hostname: str, seconds: float) -> None:
    """The host goes down for `seconds`: its connections are reset, new ones refused."""
    with _REBOOTING_LOCK:
        _REBOOTING[hostname] = time.monotonic() + seconds


def rebooting(hostname: str) -> bool:
    """Whether the host is down for its reboot."""
    with _REBOOTING_LOCK:
        until = _REBOOTING.get(hostname)
        if until is not None and time.monotonic() >= until:
            del _REBOOTING[hostname]
            until = None
    return until is not None


def stuck(state: dict[str, Any]) -> bool:
    """Whether the host is down: rebooted under no-come-back, or dropped by its fault.

    drops-after-schema-upgrade drops it after the release's database upgrade program.
    """
    lab = state.get("lab", {})
    return (bool(lab.get("stuck_in_reboot")) and active(state, "no-come-back") is not None) or \
        (bool(lab.get("dropped")) and active(state, "drops-after-schema-upgrade") is not None)


def active(state: dict[str, Any], name: str) -> dict[str, Any] | None:
    """The parameters of an injected fault, or None if it is not injected."""
    found = state.get("lab", {}).get("faults", {}).get(name)
    return dict(found) if isinstance(found, dict) else None


FAULTS_FILE = "faults.json"
_SEEN: dict[Path, float] = {}


def faults_file(host_dir: Path) -> Path:
    """Where a host's faults are kept: beside its state, until `reset` removes both."""
    return host_dir / FAULTS_FILE


def read(host_dir: Path) -> dict[str, dict[str, Any]]:
    """The faults injected into a host."""
    try:
        data = json.loads(faults_file(host_dir).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return {}
    return data if isinstance(data, dict) else {}


def write(host_dir: Path, faults: dict[str, dict[str, Any]]) -> None:
    """Replace a host's faults (atomically: the running lab may be reading them)."""
    host_dir.mkdir(parents=True, exist_ok=True)
    tmp = faults_file(host_dir).with_suffix(".tmp")
    tmp.write_text(json.dumps(faults, indent=2, sort_keys=True), encoding="utf-8")
    tmp.replace(faults_file(host_dir))


def refresh(host: LabHost) -> dict[str, dict[str, Any]]:
    """Pick up faults written since the last look (one stat per call); return them."""
    if host.state_file is None:
        return active_all(host.state)
    path = faults_file(host.state_file.parent)
    try:
        mtime = path.stat().st_mtime_ns
    except FileNotFoundError:
        mtime = 0
    if _SEEN.get(path) != mtime:
        _SEEN[path] = mtime
        with host.lock:
            _apply(host, read(host.state_file.parent))
    return active_all(host.state)


def active_all(state: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every fault injected into a host state."""
    return dict(state.get("lab", {}).get("faults", {}))


def _apply(host: LabHost, faults: dict[str, dict[str, Any]]) -> None:
    """Make the host state match its faults file, with each fault's effects on injection."""
    lab = host.state.setdefault("lab", {})
    before = lab.get("faults", {})
    lab["faults"] = faults
    if "stale-signatures" in faults and "stale-signatures" not in before and "defender" in \
            host.state:
        stale = utcnow() - dt.timedelta(days=30)
        host.state["defender"]["antivirus_signature_last_updated"] = stale.replace(
            microsecond=0).isoformat()
    if "failed-backup" in faults and "failed-backup" not in before:
        from sitekit.lab import sqlbackup  # noqa: PLC0415 - sqlbackup imports the modules

        sqlbackup.fail_backups(host)
    if "no-come-back" not in faults:
        lab.pop("stuck_in_reboot", None)  # switched on again
    if "drops-after-schema-upgrade" not in faults:
        lab.pop("dropped", None)  # back on the network
    if ("wrong-credentials" in faults or "wrong-credentials" in before) and \
            host.state_file is not None:
        _write_accounts(host, wrong="wrong-credentials" in faults)
    host.save()


def _write_accounts(host: LabHost, wrong: bool) -> None:
    """Rewrite the host's NTLM account file: a changed password refuses the lab's one."""
    assert host.state_file is not None  # noqa: S101 - checked by the caller
    account = replace(host, password=host.password + "-changed") if wrong else host
    write_credential_file(account, host.state_file.parent / "ntlm-users")

