"""ansible.windows.win_stat: what a path is, its size and checksum."""

from __future__ import annotations

import hashlib
import ntpath
from typing import Any

from sitekit.lab import filesystem, shares
from sitekit.lab.errors import ModuleCrashError
from sitekit.lab.host import LabHost
from sitekit.lab.modules import register
from sitekit.lab.state import host_state


# `follow` resolves links to their target; the lab's file system has no links, so every
# path is its own target, followed or not (fetch asks win_stat with follow=True).
@register("ansible.windows.win_stat", supports_check_mode=True,
          implements=("path", "get_checksum", "get_size", "checksum_algorithm", "follow"))
def win_stat(host: LabHost, args: dict[str, Any], check_mode: bool, diff: bool) -> dict[str, Any]:
    """Describe a file or directory; exists=false for neither."""
    path = filesystem.expand(host, args["path"])
    if shares.is_unc(path):
        return _on_share(host, path, args)
    is_file, is_dir = filesystem.is_file(host, path), filesystem.is_dir(host, path)
    if not (is_file or is_dir):
        return {"changed": False, "stat": {"exists": False}}
    name = ntpath.basename(ntpath.normpath(path))
    stat: dict[str, Any] = {
        "exists": True, "path": path, "filename": name, "isdir": is_dir, "isreg": is_file,
        "islnk": False, "isjunction": False, "isshared": False, "ishidden": False,
        "isreadonly": False, "isarchive": is_file, "nlink": 1, "hlnk_targets": [],
        "attributes": "Archive" if is_file else "Directory", "owner": "BUILTIN\\Administrators",
        "extension": ntpath.splitext(name)[1] if is_file else None,
    }
    # win_stat.ps1: seconds since 1970 of CreationTimeUtc, LastAccessTimeUtc, LastWriteTimeUtc.
    stat["creationtime"], stat["lastaccesstime"], stat["lastwritetime"] = \
        filesystem.times(host, path)
    if is_file:
        data = filesystem.read_file(host, path)
        if args["get_size"]:
            stat["size"] = len(data)
        if args["get_checksum"]:
            stat["checksum"] = hashlib.new(args["checksum_algorithm"], data).hexdigest()
    elif args["get_size"]:
        stat["size"] = sum(len(filesystem.read_file(host, p))
                           for p in filesystem.files_below(host, path))
    return {"changed": False, "stat": stat}


def _on_share(host: LabHost, path: str, args: dict[str, Any]) -> dict[str, Any]:
    """A file on the fleet's share: what the share lists, reached only with network credentials.

    The lab holds no installer's bytes, only the SHA-256 the fleet records for the packages
    it verifies (the SQL Server update); any other checksum of a share file is not modelled.
    """
    entry = shares.installer(host_state(host), path)
    if entry is None:
        return {"changed": False, "stat": {"exists": False}}
    name = ntpath.basename(entry["path"])
    stat: dict[str, Any] = {
        "exists": True, "path": entry["path"], "filename": name, "isdir": False, "isreg": True,
        "islnk": False, "isjunction": False, "isshared": False, "ishidden": False,
        "isreadonly": False, "isarchive": True, "nlink": 1, "hlnk_targets": [],
        "attributes": "Archive", "owner": "BUILTIN\\Administrators",
        "extension": ntpath.splitext(name)[1]}
    if args["get_checksum"]:
        if args["checksum_algorithm"] != "sha256" or "sha256" not in entry:
            raise ModuleCrashError(f"the lab does not model the {args['checksum_algorithm']} "
                                   f"checksum of {entry['path']} on the share")
        stat["checksum"] = entry["sha256"]
    if args["get_size"]:
        raise ModuleCrashError(f"the lab does not model the size of {entry['path']} on the share")
    return {"changed": False, "stat": stat}
