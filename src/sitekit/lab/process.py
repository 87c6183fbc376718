"""What running something on a virtual host produces: an exit code and two byte streams."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ExecResult:
    """A finished process as WinRS reports it."""

    rc: int
    stdout: bytes = b""
    stderr: bytes = b""


def not_modelled(what: str) -> ExecResult:
    """Fail loudly, the way a missing program fails on Windows: rc 1 and a stderr line."""
    log.warning("not modelled: %s", what)
    return ExecResult(1, b"", f"the sitekit lab does not model {what}\r\n".encode())


def json_result(result: dict[str, Any], rc: int = 0) -> ExecResult:
    """Write a module or wrapper result as one line of JSON on stdout."""
    return ExecResult(rc, (json.dumps(result) + "\r\n").encode())
