"""community.windows.win_unzip: extract a zip archive (with `creates`, run once).

An archive on the fleet's share is what the share's listing says it holds (see
shares.py); a zip on the host is a real zip in the lab's files, extracted entry by entry.
Like the real module, it reports a change on every extraction, and with `creates` it
skips when that path exists.
"""

from __future__ import annotations

import io
import ntpath
import zipfile
from typing import Any

from sitekit.lab import filesystem, shares
from sitekit.lab.host import LabHost
from sitekit.lab.modules import ModuleFailedError, register
from sitekit.lab.state import host_state


def _entries(host: LabHost, src: str) -> list[tuple[str, bytes]]:
    """(relative path, data) of each file in the archive at src."""
    if shares.is_unc(src):
        found = shares.installer(host_state(host), src)
        if found is None or "archive_files" not in found:
            raise ModuleFailedError(f"File '{src}' does not exist.")
        return [(name, f"# {found['name']} {found['version']}\r\n".encode())
                for name in found["archive_files"]]
    if not filesystem.is_file(host, src):
        raise ModuleFailedError(f"File '{src}' does not exist.")
    try:
        with zipfile.ZipFile(io.BytesIO(filesystem.read_file(host, src))) as archive:
            return [(info.filename.replace("/", "\\"), archive.read(info))
                    for info in archive.infolist() if not info.is_dir()]
    except zipfile.BadZipFile as exc:
        raise ModuleFailedError(f"Error unzipping '{src}'!. Method: "
                                f"System.IO.Compression.ZipFile, Exception: {exc}") from None


@register("community.windows.win_unzip", supports_check_mode=True,
          implements=("src", "dest", "delete_archive", "recurse", "creates", "password"))
def win_unzip(host: LabHost, args: dict[str, Any], check_mode: bool,
              diff: bool) -> dict[str, Any]:
    """Extract src into dest unless `creates` exists."""
    src, dest = filesystem.expand(host, args["src"]), filesystem.expand(host, args["dest"])
    result: dict[str, Any] = {"changed": False, "dest": dest, "removed": False, "src": src}
    creates = args["creates"] and filesystem.expand(host, args["creates"])
    if creates and (filesystem.is_file(host, creates) or filesystem.is_dir(host, creates)):
        return result | {"skipped": True,
                         "msg": f"The file or directory '{args['creates']}' already exists."}
    if args["recurse"] or args["password"]:
        raise ModuleFailedError("the sitekit lab does not model PSCX (recurse, password)")
    entries = _entries(host, src)
    full_dest = ntpath.normpath(dest) + "\\"
    for name, _ in entries:
        if not ntpath.normpath(ntpath.join(dest, name)).startswith(full_dest):
            raise ModuleFailedError(f"Error unzipping '{src}' to '{dest}'! Filename contains "
                                    "relative paths which would extract outside the "
                                    f"destination: {ntpath.join(dest, name)}")
    if not check_mode:
        filesystem.make_dirs(host, dest)
        for name, data in entries:
            target = ntpath.join(dest, name)
            filesystem.make_dirs(host, ntpath.dirname(target))
            filesystem.write_file(host, target, data)
        if args["delete_archive"] and not shares.is_unc(src):
            filesystem.remove(host, src, recurse=False)
    # win_unzip.ps1 deletes with Remove-Item -WhatIf:$check_mode and sets removed either way.
    return result | {"changed": True, "removed": bool(args["delete_archive"])}
