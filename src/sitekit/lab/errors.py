"""How a module model fails: the documented way, or by throwing as PowerShell would."""

from __future__ import annotations

from typing import Any


class ModuleFailedError(Exception):
    """A module failed the documented way: failed=true, msg, extra result keys."""

    def __init__(self, msg: str, **result: Any) -> None:
        """Keep the message and any extra result keys."""
        super().__init__(msg)
        self.msg = msg
        self.result = result


class ModuleCrashError(Exception):
    """A module threw; module_wrapper.ps1 reports it as an unhandled exception."""
