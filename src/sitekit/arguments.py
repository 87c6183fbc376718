"""Command-line argument types shared by every `sitekit` command (`sitekit`, report, ...)."""

from __future__ import annotations

import argparse
from pathlib import Path


def fleet_dir(text: str) -> Path:
    """The argparse type of a fleet directory argument: it must exist."""
    path = Path(text)
    if not path.exists():
        raise argparse.ArgumentTypeError(f"{text} does not exist; give a fleet directory "
                                         "such as inventories/example")
    return path
