"""A host's files as far as the lab models them: directories and file contents in the state.

Windows paths are case-insensitive; keys are normalised, the spelling first used is kept.
"""

from __future__ import annotations

import base64
import contextlib
import ntpath
import re
from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from typing import Any

from sitekit.lab.clock import utcnow
from sitekit.lab.host import LabHost

_ENV_VAR = re.compile(r"%([^%]+)%")
# A task's `environment:`, which module_wrapper.ps1 sets in the module's process
# ([Environment]::SetEnvironmentVariable for each) before the module runs.
_TASK_ENVIRONMENT: ContextVar[Mapping[str, str] | None] = ContextVar("task_environment",
                                                                     default=None)


@contextlib.contextmanager
def task_environment(values: Mapping[str, Any]) -> Iterator[None]:
    """Run a module with the task's environment variables added to the session's."""
    token = _TASK_ENVIRONMENT.set({str(k): "" if v is None else str(v)
                                   for k, v in values.items()})
    try:
        yield
    finally:
        _TASK_ENVIRONMENT.reset(token)


def environment(host: LabHost) -> dict[str, str]:
    r"""The environment a WinRM session's processes see, names spelt as Windows spells them.

    As `Get-ChildItem Env:` lists them in a WinRM session of a local administrator on
    Windows Server 2022 (the system and the user's variables merged; Path is the system's
    followed by the user's WindowsApps); names are case-insensitive, so look up with
    `getenv`. A task's `environment:` is added while its module runs (task_environment).
    """
    session = _session_environment(host)
    for name, value in (_TASK_ENVIRONMENT.get() or {}).items():  # names: case-insensitive
        existing = next((k for k in session if k.lower() == name.lower()), name)
        session[existing] = value
    return session


def _session_environment(host: LabHost) -> dict[str, str]:
    """The session's own variables, before a task's environment is added."""
    profile = f"C:\\Users\\{host.username}"
    computer = str(host.state.get("hostname") or host.hostname.split(".")[0].upper())
    return {
        "ALLUSERSPROFILE": "C:\\ProgramData",
        "APPDATA": f"{profile}\\AppData\\Roaming",
        "CommonProgramFiles": "C:\\Program Files\\Common Files",
        "CommonProgramFiles(x86)": "C:\\Program Files (x86)\\Common Files",
        "CommonProgramW6432": "C:\\Program Files\\Common Files",
        "COMPUTERNAME": computer,
        "ComSpec": "C:\\Windows\\system32\\cmd.exe",
        "HOMEDRIVE": "C:",
        "HOMEPATH": f"\\Users\\{host.username}",
        "LOCALAPPDATA": f"{profile}\\AppData\\Local",
        "NUMBER_OF_PROCESSORS": str(host.state.get("processors", 2)),  # as setup counts vCPUs
        "OS": "Windows_NT",
        "Path": "C:\\Windows\\system32;C:\\Windows;C:\\Windows\\System32\\Wbem;"
                "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\;C:\\Windows\\System32\\OpenSSH\\;"
                f"{profile}\\AppData\\Local\\Microsoft\\WindowsApps",
        "PATHEXT": ".COM;.EXE;.BAT;.CMD;.VBS;.VBE;.JS;.JSE;.WSF;.WSH;.MSC;.CPL",
        "PROCESSOR_ARCHITECTURE": "AMD64",
        "ProgramData": "C:\\ProgramData",
        "ProgramFiles": "C:\\Program Files",
        "ProgramFiles(x86)": "C:\\Program Files (x86)",
        "ProgramW6432": "C:\\Program Files",
        "PSModulePath": f"{profile}\\Documents\\WindowsPowerShell\\Modules;"
                        "C:\\Program Files\\WindowsPowerShell\\Modules;"
                        "C:\\Windows\\system32\\WindowsPowerShell\\v1.0\\Modules",
        "PUBLIC": "C:\\Users\\Public",
        "SystemDrive": "C:",
        "SystemRoot": "C:\\Windows",
        "TEMP": f"{profile}\\AppData\\Local\\Temp",
        "TMP": f"{profile}\\AppData\\Local\\Temp",
        "USERDOMAIN": computer,
        "USERNAME": host.username,
        "USERPROFILE": profile,
        "windir": "C:\\Windows",
    }


def getenv(host: LabHost, name: str) -> str | None:
    """One environment variable, its name compared case-insensitively as Windows does."""
    return next((v for k, v in environment(host).items() if k.lower() == name.lower()), None)


def expand(host: LabHost, path: str) -> str:
    """Expand %VAR% references like [Environment]::ExpandEnvironmentVariables."""
    env = {k.upper(): v for k, v in environment(host).items()}
    return _ENV_VAR.sub(lambda m: env.get(m.group(1).upper(), m.group(0)), path)


def path_key(path: str) -> str:
    """Normalise a Windows path for lookups."""
    return ntpath.normpath(path.replace("/", "\\")).rstrip("\\").lower()


def _fs(host: LabHost) -> dict[str, Any]:
    """Return the host's filesystem state, creating the standard directories once."""
    fs = host.state.get("fs")
    if fs is None:
        fs = host.state["fs"] = {"dirs": {}, "files": {}}
        for path in ("C:\\", "C:\\Windows", "C:\\ProgramData", environment(host)["TEMP"]):
            make_dirs(host, path)
    return fs


def is_dir(host: LabHost, path: str) -> bool:
    """Tell whether a directory exists."""
    return path_key(path) in _fs(host)["dirs"]


def is_file(host: LabHost, path: str) -> bool:
    """Tell whether a file exists."""
    return path_key(path) in _fs(host)["files"]


def make_dirs(host: LabHost, path: str) -> str:
    """Create a directory and its parents; return its normalised spelling.

    A drive the host has no volume for refuses, as .NET's Directory.CreateDirectory does
    (DirectoryNotFoundException, "Could not find a part of the path"): the lab never makes
    up a disk the machine was not bought with.
    """
    fs = _fs(host)
    full = ntpath.normpath(path.replace("/", "\\"))
    drive = ntpath.splitdrive(full)[0]
    if len(drive) == 2 and drive[0].upper() not in {
            letter.upper() for letter in host.state.get("disks", {"C": None})}:
        raise FileNotFoundError(f"Could not find a part of the path '{full}'.")
    current = full
    while current and path_key(current) not in fs["dirs"]:
        fs["dirs"][path_key(current)] = current
        _stamp(fs, path_key(current), created=True)
        parent = ntpath.dirname(current)
        if parent == current:
            break
        current = parent
    return full


def write_file(host: LabHost, path: str, data: bytes, file_version: str | None = None) -> None:
    """Store a file; its directory must exist, as on Windows.

    `file_version` is a program's version resource (FileVersionInfo), for the programs an
    installer leaves behind; other files have none.
    """
    parent = ntpath.dirname(ntpath.normpath(path))
    if not is_dir(host, parent):
        raise FileNotFoundError(f"Could not find a part of the path '{path}'.")
    if "disk-full" in host.state.get("lab", {}).get("faults", {}):
        raise OSError(f"There is not enough space on the disk. : '{path}'")
    entry = {"path": path, "data": base64.b64encode(data).decode()}
    if file_version is not None:
        entry["file_version"] = file_version
    fs = _fs(host)
    created = path_key(path) not in fs["files"]
    fs["files"][path_key(path)] = entry
    _stamp(fs, path_key(path), created=created)


def _stamp(fs: dict[str, Any], key: str, *, created: bool) -> None:
    """Record a write (and a creation) at the lab's clock, as NTFS does; access follows write.

    NTFS's last-access updates are off by default on large volumes (fsutil behavior query
    disablelastaccess, Microsoft docs), so the lab moves the access time only on writes.
    """
    now = utcnow().timestamp()
    times = fs.setdefault("times", {})
    before = times.get(key, {}) if not created else {}
    times[key] = {"created": before.get("created", now), "written": now}


def times(host: LabHost, path: str) -> tuple[float, float, float]:
    """Creation, last access and last write of a file or directory, in seconds since 1970.

    Items the install put there date from the install (state.py seeds its moment).
    """
    fs = _fs(host)
    key = path_key(path)
    if key not in fs["files"] and key not in fs["dirs"]:
        raise FileNotFoundError(f"Could not find a part of the path '{path}'.")
    recorded = fs.setdefault("times", {}).get(key)
    if recorded is None:
        installed = fs.get("installed", utcnow().timestamp())
        recorded = {"created": installed, "written": installed}
    return recorded["created"], recorded["written"], recorded["written"]


def file_version(host: LabHost, path: str) -> tuple[int, int, int, int]:
    """FileVersionInfo's FileMajorPart..FilePrivatePart: zeros for a file without a version."""
    entry = _fs(host)["files"].get(path_key(path))
    if entry is None:
        raise FileNotFoundError(f"Could not find file '{path}'.")
    parts = [int(p) for p in str(entry.get("file_version") or "0").split(".")][:4]
    major, minor, build, private = parts + [0] * (4 - len(parts))
    return major, minor, build, private


def read_file(host: LabHost, path: str) -> bytes:
    """Return a file's contents."""
    entry = _fs(host)["files"].get(path_key(path))
    if entry is None:
        raise FileNotFoundError(f"Could not find file '{path}'.")
    return base64.b64decode(entry["data"])


def remove(host: LabHost, path: str, recurse: bool) -> None:
    """Delete a file, or a directory (with its contents only when recurse)."""
    fs = _fs(host)
    key = path_key(path)
    if key in fs["files"]:
        del fs["files"][key]
        fs.get("times", {}).pop(key, None)
        return
    if key not in fs["dirs"]:
        raise FileNotFoundError(f"Cannot find path '{path}' because it does not exist.")
    below = [k for k in (*fs["dirs"], *fs["files"]) if k.startswith(key + "\\")]
    if below and not recurse:
        raise OSError(f"The item at {path} has children and the Recurse parameter was not"
                      " specified.")
    for k in below:
        fs["dirs"].pop(k, None)
        fs["files"].pop(k, None)
        fs.get("times", {}).pop(k, None)
    del fs["dirs"][key]
    fs.get("times", {}).pop(key, None)


def children(host: LabHost, path: str) -> list[tuple[str, bool]]:
    """A directory's direct children, as (full path, is a directory)."""
    fs = _fs(host)
    prefix = path_key(path) + "\\"

    def direct(key: str) -> bool:
        return key.startswith(prefix) and "\\" not in key[len(prefix):]

    found = [(entry["path"], False) for key, entry in fs["files"].items() if direct(key)]
    found += [(full, True) for key, full in fs["dirs"].items() if direct(key)]
    return [(ntpath.normpath(full), is_dir) for full, is_dir in found]


def files_below(host: LabHost, path: str) -> list[str]:
    """The paths of every file inside a directory, at any depth."""
    prefix = path_key(path) + "\\"
    return [entry["path"] for key, entry in _fs(host)["files"].items() if key.startswith(prefix)]
