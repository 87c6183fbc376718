"""Where the kit's Ansible plugins are: installed with the package, or SITEKIT_PLUGINS.

The core reads the inventory plugin's documentation (the fleet file's keys) and the lab
reads the own modules' argument specs from them. The wheel carries plugins/ as the package
`sitekit._plugins`; an editable install maps that name to the checkout's plugins/.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

PLUGINS_VARIABLE = "SITEKIT_PLUGINS"


class KitNotFoundError(RuntimeError):
    """The kit's plugins are neither installed with the package nor configured."""


def plugins_dir() -> Path:
    """The kit's plugins/ directory (inventory/, modules/, module_utils/, lookup/)."""
    configured = os.environ.get(PLUGINS_VARIABLE)
    if configured:
        where = Path(configured)
        origin = f"{PLUGINS_VARIABLE}={configured}"
    else:
        spec = importlib.util.find_spec("sitekit._plugins")
        locations = list(spec.submodule_search_locations or ()) if spec else []
        if not locations:
            raise KitNotFoundError(
                "the kit's plugins are not installed with sitekit (no sitekit._plugins); "
                f"reinstall sitekit or set {PLUGINS_VARIABLE} to the kit's plugins/ directory")
        where = Path(locations[0])
        origin = "sitekit._plugins"
    if not (where / "inventory" / "sitekit.py").is_file():
        raise KitNotFoundError(f"{where} ({origin}) holds no inventory/sitekit.py: set "
                               f"{PLUGINS_VARIABLE} to the kit's plugins/ directory")
    return where
