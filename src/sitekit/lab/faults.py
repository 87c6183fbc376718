"""Faults injected into a virtual host: what each does, and where it is kept.

A host's faults live in its state (state["lab"]["faults"]: name -> parameters), so they
persist with it across `down`/`up` until `reset`. `sitekit lab fault` writes them to a
file beside the state that the running lab picks up before its next request.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

from sitekit.lab.host import LabHost
from sitekit.lab.ntlm import write_credential_file

FAULTS = {
    "unreachable": "the host's listener refuses connections, as a host that is off",
    "slow": "every command (a module run) takes longer on the host (seconds=2.0)",
    "wrong-credentials": "the host's password was changed: NTLM refuses the lab credentials",
    "reboot-mid-run": "the host reboots in the middle of the next module run (the connection"
                      " drops and the boot time changes)",
    "disk-full": "C: has no free space: writing a file fails",
    "service-wont-start": "starting a service fails with error 1067 (service=NAME, default any)",
    "stale-signatures": "Defender signatures are 30 days old and updating them fails",
    "failed-backup": "SQL Server backups fail; the last good backup is 8 days old",
}
# Faults kept and shown, but acting on something the lab does not model yet.
NOT_MODELLED: dict[str, str] = {}


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
        stale = dt.datetime.now(dt.UTC) - dt.timedelta(days=30)
        host.state["defender"]["antivirus_signature_last_updated"] = stale.replace(
            microsecond=0).isoformat()
    if "failed-backup" in faults and "failed-backup" not in before:
        from sitekit.lab import sqlbackup  # noqa: PLC0415 - sqlbackup imports the modules

        sqlbackup.fail_backups(host)
    if ("wrong-credentials" in faults or "wrong-credentials" in before) and \
            host.state_file is not None:
        _write_accounts(host, wrong="wrong-credentials" in faults)
    host.save()


def _write_accounts(host: LabHost, wrong: bool) -> None:
    """Rewrite the host's NTLM account file: a changed password refuses the lab's one."""
    assert host.state_file is not None  # noqa: S101 - checked by the caller
    account = replace(host, password=host.password + "-changed") if wrong else host
    write_credential_file(account, host.state_file.parent / "ntlm-users")

