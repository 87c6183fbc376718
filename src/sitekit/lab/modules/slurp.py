"""ansible.windows.slurp: a file's contents in base64.

ansible.builtin.fetch falls back to it for a path win_stat gave no checksum for (one
that does not exist).
"""

from __future__ import annotations

import base64
from typing import Any

from sitekit.lab import filesystem
from sitekit.lab.host import LabHost
from sitekit.lab.modules import ModuleFailedError, register


@register("ansible.windows.slurp", supports_check_mode=True,
          implements=("src",))
def slurp(host: LabHost, args: dict[str, Any], check_mode: bool, diff: bool) -> dict[str, Any]:
    """Return the file's bytes; fail as slurp.ps1 does for a directory or a missing path."""
    src = filesystem.expand(host, args["src"])
    if filesystem.is_file(host, src):
        content = base64.b64encode(filesystem.read_file(host, src)).decode()
        return {"content": content, "encoding": "base64", "source": src}
    if filesystem.is_dir(host, src):
        raise ModuleFailedError(f"Path {src} is a directory")
    raise ModuleFailedError(f"Path {src} is not found")
