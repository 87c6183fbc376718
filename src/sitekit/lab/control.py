"""Start, find and stop the lab's background process (`python -m sitekit.lab.server`).

The process outlives the `sitekit lab up` that started it, so everything here goes by
the pid file the server writes once it listens, and by /proc, not by a Popen object.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from sitekit.lab.server import PID_FILE

LOG_FILE = "lab.log"
_SERVER_MODULE = "sitekit.lab.server"


class LabProcessError(RuntimeError):
    """The lab process did not start or stop as asked; the message says what to look at."""


def _alive(pid: int) -> bool:
    """Tell whether a process exists and is not a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")


def _is_lab(pid: int) -> bool:
    """Tell whether a pid is (still) a lab server, not a recycled pid."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return _SERVER_MODULE.encode() in cmdline and _alive(pid)


def running_pid(lab_dir: Path) -> int | None:
    """Return the pid of the lab serving lab_dir, or None if it is not running."""
    try:
        pid = int((lab_dir / PID_FILE).read_text().strip())
    except (OSError, ValueError):
        return None
    return pid if _is_lab(pid) else None


def start(lab_dir: Path, timeout: float = 30.0) -> int:
    """Start the lab process in its own session and wait until it listens."""
    (lab_dir / PID_FILE).unlink(missing_ok=True)
    log = (lab_dir / LOG_FILE).open("ab")
    with log:
        process = subprocess.Popen(
            [sys.executable, "-m", _SERVER_MODULE, "--lab-dir", str(lab_dir)],
            stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True,
        )
    deadline = time.monotonic() + timeout
    while process.poll() is None and time.monotonic() < deadline:
        if running_pid(lab_dir) == process.pid:
            return process.pid
        time.sleep(0.02)
    if process.poll() is None:
        process.kill()
        process.wait()
    raise LabProcessError(f"the lab did not start; see {lab_dir / LOG_FILE}:\n"
                          f"{_tail(lab_dir / LOG_FILE)}")


def stop(lab_dir: Path, timeout: float = 15.0) -> int | None:
    """Stop the lab with SIGTERM (SIGKILL after timeout); return the pid it had."""
    pid = running_pid(lab_dir)
    if pid is None:
        (lab_dir / PID_FILE).unlink(missing_ok=True)
        return None
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while _alive(pid) and time.monotonic() < deadline:
        _reap(pid)
        time.sleep(0.02)
    if _alive(pid):
        os.kill(pid, signal.SIGKILL)
    _reap(pid)
    (lab_dir / PID_FILE).unlink(missing_ok=True)
    return pid


def _reap(pid: int) -> None:
    """Collect the exit status if the lab is our own child (started in this process)."""
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def _tail(path: Path, lines: int = 20) -> str:
    """Return the last lines of a log file."""
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"
