"""ansible.windows.win_copy: the module side of the win_copy (and win_template) action plugin.

The action plugin asks in `query` mode which files differ, uploads each changed file to
the remote temp dir and calls `single` mode; `remote` copies on the host. `explode`
(a zip of a directory tree) is not modelled and fails loudly.
"""

from __future__ import annotations

import hashlib
import ntpath
from typing import Any

from sitekit.lab import filesystem
from sitekit.lab.host import LabHost
from sitekit.lab.modules import ModuleFailedError, register
from sitekit.lab.modules.argspec import OptionSpec

_HIDDEN = (
    OptionSpec("_copy_mode", default="single", choices=("explode", "query", "remote", "single")),
    OptionSpec("_original_basename"),
    OptionSpec("files", type="list"),
    OptionSpec("directories", type="list"),
    OptionSpec("symlinks", type="list"),
)


def _sha1(data: bytes) -> str:
    """The checksum the action plugin compares (SHA-1 of the contents)."""
    return hashlib.sha1(data, usedforsecurity=False).hexdigest()


@register("ansible.windows.win_copy", supports_check_mode=True, hidden=_HIDDEN,
          implements=("dest", "backup", "force", "src"))
def win_copy(host: LabHost, args: dict[str, Any], check_mode: bool, diff: bool) -> dict[str, Any]:
    """Dispatch on the action plugin's copy mode."""
    mode = args["_copy_mode"]
    if mode == "query":
        return _query(host, args)
    if mode == "explode":
        raise ModuleFailedError("the sitekit lab does not model win_copy of a directory tree"
                                " (_copy_mode=explode)")
    if not args["src"]:
        raise ModuleFailedError("src cannot be empty")
    return _copy(host, args, check_mode, diff)


def _query(host: LabHost, args: dict[str, Any]) -> dict[str, Any]:
    """Which of the controller's files are missing or differ under dest."""
    dest = filesystem.expand(host, args["dest"])
    changed = []
    for entry in args["files"] or []:
        target = ntpath.join(dest, entry["dest"])
        if filesystem.is_dir(host, target):
            raise ModuleFailedError(f"cannot copy file to '{target}': dest is already a folder")
        if not filesystem.is_file(host, target) or (
                args["force"] and _sha1(filesystem.read_file(host, target)) != entry["checksum"]):
            changed.append(entry)
    return {"changed": False, "files": changed, "directories": [], "symlinks": []}


def _copy(host: LabHost, args: dict[str, Any], check_mode: bool, diff: bool) -> dict[str, Any]:
    """Single and remote modes: copy one file from src (on the host) to dest."""
    src = filesystem.expand(host, args["src"])
    dest = filesystem.expand(host, args["dest"])
    if not filesystem.is_file(host, src):
        raise ModuleFailedError(f"Cannot copy src file: '{src}' as it does not exist")
    given = dest
    if filesystem.is_dir(host, dest) or dest.endswith(("\\", "/")):
        dest = ntpath.join(dest, args["_original_basename"] or ntpath.basename(src))
    data = filesystem.read_file(host, src)
    before = filesystem.read_file(host, dest) if filesystem.is_file(host, dest) else None
    changed = before != data and (before is None or args["force"])
    result: dict[str, Any] = {"changed": changed, "src": src, "dest": dest,
                              "checksum": _sha1(data), "size": len(data),
                              "operation": "file_copy",
                              "original_basename": args["_original_basename"] or
                              ntpath.basename(src)}
    # win_copy.ps1 (single and remote file copy): a parent that is a file fails; a missing
    # parent is created when dest named a folder (ends with a separator, or is one), and
    # fails when dest named the file itself.
    parent = ntpath.dirname(dest)
    if filesystem.is_file(host, parent):
        raise ModuleFailedError(f"object at destination parent dir '{parent}' is currently a"
                                " file", **result)
    if not filesystem.is_dir(host, parent):
        if dest == given:
            raise ModuleFailedError(f"Destination directory '{parent}' does not exist",
                                    **result)
        filesystem.make_dirs(host, parent)
    if changed and not check_mode:
        if args["backup"] and before is not None:
            result["backup_file"] = f"{dest}.lab.bak"
            filesystem.write_file(host, result["backup_file"], before)
        filesystem.write_file(host, dest, data)
    if diff and changed:
        result["diff"] = {"before": (before or b"").decode(errors="replace"),
                          "after": data.decode(errors="replace")}
    return result
