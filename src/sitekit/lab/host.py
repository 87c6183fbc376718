"""The model of one virtual Windows host: identity, credentials and persisted state."""

from __future__ import annotations

import ipaddress
import json
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

LOOPBACK = ipaddress.ip_network("127.0.0.0/8")


def require_loopback(address: str) -> str:
    """Return the address if it is inside 127.0.0.0/8, else raise ValueError."""
    if ipaddress.ip_address(address) not in LOOPBACK:
        raise ValueError(f"the lab binds only 127.0.0.0/8 addresses, not {address}")
    return address


@dataclass
class LabHost:
    """A virtual Windows host; later work extends `state` with services, files, users..."""

    hostname: str
    address: str
    username: str
    password: str
    state_file: Path | None = None
    state: dict[str, Any] = field(default_factory=dict)
    module_calls: int = 0
    # Held while a command runs, so concurrent shells see whole state changes.
    _saved: str | None = field(default=None, repr=False, compare=False)
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False, compare=False)

    def __post_init__(self) -> None:
        """Refuse non-loopback addresses and credentials the NTLM file cannot hold."""
        require_loopback(self.address)
        for part in (self.username, self.password):
            # The acceptor's credential file is colon separated, one line each.
            if ":" in part or "\n" in part:
                raise ValueError(f"{self.hostname}: credentials may not contain ':' or newlines")

    def load(self) -> None:
        """Read the persisted state, if any."""
        if self.state_file is not None and self.state_file.exists():
            self._saved = self.state_file.read_text(encoding="utf-8")
            self.state = json.loads(self._saved)

    def save(self) -> None:
        """Persist the state atomically, and only when it changed since the last save."""
        if self.state_file is None:
            return
        text = json.dumps(self.state, indent=2, sort_keys=True)
        if text == self._saved:
            return
        self.state_file.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.state_file.with_suffix(".tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(self.state_file)
        self._saved = text

    def count_module_call(self, fqcn: str = "") -> int:
        """Count one module invocation (persisted per module for `lab status`); new total."""
        with self.lock:
            self.module_calls += 1
            if fqcn:
                calls = self.state.setdefault("lab", {}).setdefault("module_calls", {})
                calls[fqcn] = calls.get(fqcn, 0) + 1
            return self.module_calls
