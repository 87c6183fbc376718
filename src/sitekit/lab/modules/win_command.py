"""ansible.windows.win_command: only the programs the lab knows how to run.

The one modelled is a release's database upgrade program, which the release's server
installer puts in the server's install folder (installers.py): it moves the named
database's schema to the release's version. Any other command fails loudly. As
win_command.ps1 does, the module reports rc, stdout and stderr and fails with "non-zero
return code" when the program exits with anything but 0.
"""

from __future__ import annotations

import ntpath
import shlex
from typing import Any

from sitekit.lab import faults, filesystem
from sitekit.lab.clock import utcnow
from sitekit.lab.host import LabHost
from sitekit.lab.modules import ModuleFailedError, register
from sitekit.lab.state import find, host_state


@register("ansible.windows.win_command", supports_check_mode=False,
          implements=("cmd", "argv"))
def win_command(host: LabHost, args: dict[str, Any], check_mode: bool,
                diff: bool) -> dict[str, Any]:
    """Run a release's database upgrade program; anything else is not modelled."""
    words = list(args["argv"] or []) or shlex.split(args["cmd"] or "", posix=False)
    if not words:
        raise ModuleFailedError("cmd or argv must be set")
    program = words[0].strip('"')
    entry = _upgrade_program(host, program)
    if entry is None:
        raise ModuleFailedError(f"the sitekit lab models win_command only for a release's "
                                f"database upgrade program, not {program}")
    command = " ".join(words)
    started = utcnow().strftime("%Y-%m-%d %H:%M:%S.%f")
    result = {"cmd": command, "start": started, "end": started, "delta": "0:00:00.000000",
              "changed": True, "stdout": "", "stderr": ""}
    database = _option(words, "--database")
    state = host_state(host)
    if faults.active(state, "schema-upgrade-fails") is not None:
        raise ModuleFailedError("non-zero return code", **(result | {"rc": 1, "stderr": (
            f"{entry['name']} {entry['version']}: the upgrade of database {database} failed "
            "and was rolled back (lab fault schema-upgrade-fails)")}))
    found = [(sql, key) for sql in (state.get("sql_instances") or {}).values()
             if (key := find(sql.get("databases") or {}, database or "")) is not None]
    if not found:
        raise ModuleFailedError("non-zero return code", **(result | {
            "rc": 2, "stderr": f"database {database!r} not found"}))
    for sql, key in found:
        sql["databases"][key]["schema_version"] = entry["version"]
    if faults.active(state, "drops-after-schema-upgrade") is not None:
        # This answer still reaches the controller; the host's next connection is refused.
        state.setdefault("lab", {})["dropped"] = True
    return result | {"rc": 0, "stdout": f"database {database} upgraded to {entry['version']}"}


def _upgrade_program(host: LabHost, program: str) -> dict[str, Any] | None:
    """The release entry whose upgrade program is at `program`, if it is installed there."""
    for entry in host_state(host).get("shares", {}).values():
        step = entry.get("upgrade_step")
        if not step:
            continue
        path = ntpath.join(entry["install_dir"], step)
        if path.lower() == program.lower() and filesystem.is_file(host, path):
            return entry
    return None


def _option(words: list[str], name: str) -> str | None:
    """The value after `name` in a command line."""
    for index, word in enumerate(words[:-1]):
        if word.lower() == name:
            return words[index + 1].strip('"')
    return None
