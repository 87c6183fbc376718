"""ansible.windows.win_file: create, touch and remove files and directories."""

from __future__ import annotations

from typing import Any

from sitekit.lab import filesystem
from sitekit.lab.host import LabHost
from sitekit.lab.modules import ModuleFailedError, register


@register("ansible.windows.win_file", supports_check_mode=True,
          implements=("path", "state"))
def win_file(host: LabHost, args: dict[str, Any], check_mode: bool, diff: bool) -> dict[str, Any]:
    """Bring a path to its state: absent, directory, file (must exist) or touch."""
    path = filesystem.expand(host, args["path"])
    is_file, is_dir = filesystem.is_file(host, path), filesystem.is_dir(host, path)
    state = args["state"] or ("directory" if is_dir else "file")
    if state == "absent":
        if not (is_file or is_dir):
            return {"changed": False}
        if not check_mode:
            filesystem.remove(host, path, recurse=True)
        return {"changed": True}
    if state == "directory":
        if is_file:
            raise ModuleFailedError(f"path {path} is not a directory")
        if not is_dir and not check_mode:
            filesystem.make_dirs(host, path)
        return {"changed": not is_dir}
    if state == "touch":
        if is_dir:
            raise ModuleFailedError(f"path {path} is a directory, cannot touch it")
        if not check_mode:
            _touch(host, path)
        return {"changed": True}
    if is_dir:
        raise ModuleFailedError(f"path {path} is a directory")
    if not is_file:
        raise ModuleFailedError(f"path {path} will not be created")
    return {"changed": False}


def _touch(host: LabHost, path: str) -> None:
    """Create an empty file, or keep an existing file's contents (its time changes)."""
    data = filesystem.read_file(host, path) if filesystem.is_file(host, path) else b""
    filesystem.write_file(host, path, data)
