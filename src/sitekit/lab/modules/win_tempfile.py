"""ansible.windows.win_tempfile: create a file or directory with a random name.

As win_tempfile.ps1 does: the name is prefix + [System.IO.Path]::GetRandomFileName() +
suffix (eight random characters, a dot, three more; lowercase letters and digits), prefix
and suffix with environment names expanded, the path type-converted (`%TEMP%` expanded).
New-Item makes a file only in an existing directory ("Could not find a part of the path")
and makes a directory with its parents; five failed attempts fail the task. Check mode
(-WhatIf) creates nothing and reports the full path it would have made. Always changed.
"""

from __future__ import annotations

import ntpath
import secrets
import string
from typing import Any

from sitekit.lab import filesystem
from sitekit.lab.host import LabHost
from sitekit.lab.modules import ModuleFailedError, register

_ALPHABET = string.ascii_lowercase + string.digits
_ATTEMPTS = 5


def random_file_name() -> str:
    """What GetRandomFileName returns: 8.3, random, lowercase letters and digits."""
    pick = "".join(secrets.choice(_ALPHABET) for _ in range(11))
    return f"{pick[:8]}.{pick[8:]}"


@register("ansible.windows.win_tempfile", supports_check_mode=True,
          implements=("path", "state", "prefix", "suffix"))
def win_tempfile(host: LabHost, args: dict[str, Any], check_mode: bool,
                 diff: bool) -> dict[str, Any]:
    """Create the item and return its full path."""
    directory = ntpath.normpath(filesystem.expand(host, args["path"]))
    prefix = filesystem.expand(host, args["prefix"] or "")
    suffix = filesystem.expand(host, args["suffix"] or "")
    error = ""
    for _ in range(_ATTEMPTS):
        path = ntpath.join(directory, f"{prefix}{random_file_name()}{suffix}")
        if filesystem.is_file(host, path) or filesystem.is_dir(host, path):
            error = f"The file '{path}' already exists."
            continue
        if check_mode:
            return {"changed": True, "state": args["state"], "path": path}
        try:
            if args["state"] == "directory":
                filesystem.make_dirs(host, path)
            else:
                filesystem.write_file(host, path, b"")
        except FileNotFoundError as exc:
            error = str(exc)
            continue
        return {"changed": True, "state": args["state"], "path": path}
    raise ModuleFailedError(
        f"No random temporary file worked in {_ATTEMPTS} attempts. Error: {error}")
