"""The lab: virtual Windows hosts served over real WinRM on loopback addresses.

The transport is real (TLS with the lab's own CA, NTLM with message encryption,
WS-Management shells); only the Windows machine behind it is modelled.
"""

from __future__ import annotations

from typing import Any

__all__ = ["LabHost", "LabServer"]


def __getattr__(name: str) -> Any:
    """Import lazily, so `python -m sitekit.lab.server` does not import itself twice."""
    if name == "LabHost":
        from sitekit.lab.host import LabHost  # noqa: PLC0415 - lazy by design

        return LabHost
    if name == "LabServer":
        from sitekit.lab.server import LabServer  # noqa: PLC0415 - lazy by design

        return LabServer
    raise AttributeError(name)
