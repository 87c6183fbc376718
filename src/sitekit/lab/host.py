"""The model of one virtual Windows host: identity, credentials and persisted state."""

from __future__ import annotations

import ctypes
import ipaddress
import json
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

LOOPBACK = ipaddress.ip_network("127.0.0.0/8")


def require_loopback(address: str) -> str:
    """Return the address if it is inside 127.0.0.0/8, else raise ValueError."""
    if ipaddress.ip_address(address) not in LOOPBACK:
        raise ValueError(f"the lab binds only 127.0.0.0/8 addresses, not {address}")
    return address


def _renameat2() -> Callable[..., int] | None:
    """Return libc's renameat2, where there is one (Linux, glibc 2.28 and later)."""
    try:
        function: Callable[..., int] = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return None
    return function


_RENAMEAT2 = _renameat2()
_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


def write_atomically(path: Path, data: bytes) -> None:
    """Replace a file's content so that a reader sees the old or the new, whole.

    The lab saves a host after every command. A new file renamed over the old one has
    its blocks allocated and the old file's freed each time, which on ext4 cost more than
    the rest of a module run. So the new content is written over a spare file kept
    beside it (padded with spaces, which JSON ignores, so the spare never shrinks) and
    the two names are swapped in one renameat2(RENAME_EXCHANGE). Elsewhere, or for a
    file's first version, it is the usual rename.
    """
    spare = path.with_name(path.name + ".spare")
    fd = os.open(spare, os.O_WRONLY | os.O_CREAT, 0o666)
    try:
        os.pwrite(fd, data.ljust(os.fstat(fd).st_size), 0)
    finally:
        os.close(fd)
    if _RENAMEAT2 is not None and _RENAMEAT2(_AT_FDCWD, os.fsencode(spare), _AT_FDCWD,
                                            os.fsencode(path), _RENAME_EXCHANGE) == 0:
        return
    spare.replace(path)


def dump_state(state: dict[str, Any]) -> str:
    """Serialise a host state as it is persisted.

    The lab saves after every command, so this uses json's C encoder: `indent` would
    switch to the pure-Python one, four times slower. Sorted keys keep files diffable.
    """
    return json.dumps(state, sort_keys=True, separators=(",", ":"))


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
            self.state = json.loads(self.state_file.read_text(encoding="utf-8"))
            self._saved = dump_state(self.state)

    def save(self) -> None:
        """Persist the state atomically, and only when it changed since the last save."""
        if self.state_file is None:
            return
        text = dump_state(self.state)
        if text == self._saved:
            return
        self.state_file.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(self.state_file, text.encode())
        self._saved = text

    def count_module_call(self, fqcn: str = "") -> int:
        """Count one module invocation (persisted per module for `lab status`); new total."""
        with self.lock:
            self.module_calls += 1
            if fqcn:
                calls = self.state.setdefault("lab", {}).setdefault("module_calls", {})
                calls[fqcn] = calls.get(fqcn, 0) + 1
            return self.module_calls
