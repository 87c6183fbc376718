"""What the audit's commands (`sitekit report`, `sitekit maintenance`) share."""

from __future__ import annotations

import sys
from pathlib import Path

from sitekit.problems import display_path
from sitekit.site import strict_yaml
from sitekit.site.load import fleet_file

# Who ran the audit or did the maintenance, when --engineer is not given.
ENGINEER_VARIABLE = "SITEKIT_ENGINEER"


def fleet_name(directory: Path) -> str | None:
    """The fleet's name from its fleet file; None (said on stderr) when it cannot be read."""
    path = fleet_file(directory)
    try:
        data = strict_yaml.load(path.read_text(encoding="utf-8"))
        return str(data["fleet"]["name"])
    except (OSError, TypeError, KeyError, ValueError) as error:
        print(f"{display_path(path)}: cannot read the fleet's name: {error}", file=sys.stderr)
        return None
