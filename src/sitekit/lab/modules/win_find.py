r"""ansible.windows.win_find: list the files and directories that match, below some paths.

As win_find.ps1 walks them: each path's children (and, with `recurse`, theirs, `depth`
levels deep), every child counted in `examined` once, the matches sorted by path. A
missing path, or a file given as a path, is skipped with the module's warning. Patterns
are PowerShell wildcards (-like) or, with `use_regex`, .NET regular expressions (-match,
case-insensitive unless `case_sensitive`). `age` and `size` keep the module's syntax and
signs (older/larger when positive, newer/smaller when negative). The times returned are
seconds since 1970 of the local times (New-TimeSpan from an unspecified-kind epoch to
CreationTime/LastAccessTime/LastWriteTime), not UTC.

The lab's file system has no hidden or read-only files and no links: `hidden` and
`follow` change nothing, which is what Windows does for such a tree. The default
administrative shares (C$ on a drive's root, ADMIN$ on C:\Windows) are the only shares a
directory can be.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import hashlib
import ntpath
import re
from typing import Any

from sitekit.lab import filesystem
from sitekit.lab.clock import utcnow, zone
from sitekit.lab.host import LabHost
from sitekit.lab.modules import ModuleFailedError, register
from sitekit.lab.state import host_state

_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_BYTES = {"b": 1, "k": 1024, "m": 1024**2, "g": 1024**3, "t": 1024**4}
_STAMPS = {"ctime": 0, "atime": 1, "mtime": 2}  # filesystem.times' order
_ADMIN_SHARES = {"c:\\windows": "ADMIN$"}


def _amount(text: str | None, units: dict[str, int], what: str) -> int | None:
    """`age` or `size` in seconds or bytes, as the module's pattern reads them."""
    if text is None:
        return None
    found = re.fullmatch(rf"(-?\d+)([{''.join(units)}])?", text)
    if found is None:
        raise ModuleFailedError(f"Invalid {what} pattern specified")
    return int(found.group(1)) * units[found.group(2) or next(iter(units))]


def _local_seconds(host: LabHost, utc_seconds: float) -> float:
    """Seconds since 1970 of the host's local reading of a UTC moment."""
    moment = dt.datetime.fromtimestamp(utc_seconds, dt.UTC)
    offset = moment.astimezone(zone(str(host_state(host).get("time_zone") or "UTC"))).utcoffset()
    return utc_seconds + (offset or dt.timedelta()).total_seconds()


def _name_matches(name: str, args: dict[str, Any]) -> bool:
    """-like for wildcards, -match/-cmatch for regular expressions."""
    if args["patterns"] is None:
        return True
    for pattern in args["patterns"]:
        if args["use_regex"]:
            if re.search(pattern, name, 0 if args["case_sensitive"] else re.IGNORECASE):
                return True
        elif fnmatch.fnmatchcase(name.lower(), pattern.lower()):
            return True
    return False


def _describe(host: LabHost, path: str, is_dir: bool, args: dict[str, Any]) -> dict[str, Any]:
    """One match as the module returns it."""
    created, accessed, written = (_local_seconds(host, t) for t in filesystem.times(host, path))
    share = _ADMIN_SHARES.get(filesystem.path_key(path)) if is_dir else None
    info: dict[str, Any] = {
        "attributes": "Directory" if is_dir else "Archive", "checksum": None,
        "creationtime": created, "exists": True, "extension": None,
        "filename": ntpath.basename(path), "isarchive": not is_dir, "isdir": is_dir,
        "ishidden": False, "isreadonly": False, "isreg": not is_dir, "isshared": share is not None,
        "lastaccesstime": accessed, "lastwritetime": written, "owner": "BUILTIN\\Administrators",
        "path": path, "sharename": share, "size": None, "isjunction": False, "islnk": False,
        "nlink": 1, "lnk_source": None, "lnk_target": None, "hlnk_targets": [],
    }
    if not is_dir:
        data = filesystem.read_file(host, path)
        info["extension"] = ntpath.splitext(path)[1]
        info["size"] = len(data)
        if args["get_checksum"]:
            info["checksum"] = hashlib.new(args["checksum_algorithm"], data).hexdigest()
    return info


@register("ansible.windows.win_find", supports_check_mode=True,
          implements=("paths", "age", "age_stamp", "file_type", "follow", "hidden", "patterns",
                      "recurse", "size", "use_regex", "get_checksum", "checksum_algorithm",
                      "depth", "case_sensitive"))
def win_find(host: LabHost, args: dict[str, Any], check_mode: bool, diff: bool) -> dict[str, Any]:
    """Search the paths; report what was examined and what matched."""
    age = _amount(args["age"], _SECONDS, "age")
    size = _amount(args["size"], _BYTES, "size")
    now = utcnow().timestamp()
    warnings: list[str] = []
    seen: set[str] = set()
    matches: list[dict[str, Any]] = []
    examined = 0

    def matches_filters(path: str, is_dir: bool) -> bool:
        wanted = args["file_type"]
        if wanted != "any" and (wanted == "directory") != is_dir:
            return False
        if not _name_matches(ntpath.basename(path), args):
            return False
        if age is not None:
            stamp = filesystem.times(host, path)[_STAMPS[args["age_stamp"]]]
            if (stamp > now - age) if age >= 0 else (stamp < now + age):
                return False
        if size is not None:
            # A directory has no Length: $null compares below every number in PowerShell
            # (LanguagePrimitives.Compare), so it never matches a positive size and always
            # matches a negative one.
            length = -1 if is_dir else len(filesystem.read_file(host, path))
            if (length < size) if size >= 0 else (length > -size):
                return False
        return True

    def search(directory: str, depth: int) -> None:
        nonlocal examined
        for child, is_dir in filesystem.children(host, directory):
            if is_dir and args["recurse"] and depth != 1:
                search(child, depth - 1)
            if child.lower() in seen:
                continue
            seen.add(child.lower())
            examined += 1
            if matches_filters(child, is_dir):
                matches.append(_describe(host, child, is_dir, args))

    for given in args["paths"]:
        path = ntpath.normpath(given)
        if not ntpath.isabs(path) or not ntpath.splitdrive(path)[0]:
            # GetUnresolvedProviderPathFromPSPath resolves it against the session's
            # location, which the lab does not model.
            raise ModuleFailedError(f"the sitekit lab does not model a relative path in"
                                    f" win_find's paths ({given}): give a full path")
        if filesystem.is_file(host, path):
            warnings.append(f"Argument path '{path}' is a file not a directory, skipping")
        elif not filesystem.is_dir(host, path):
            warnings.append(f"Argument path '{path}' does not exist or is not accessible,"
                            " skipping")
        else:
            search(path, args["depth"] or 0)
    result: dict[str, Any] = {"changed": False, "examined": examined, "matched": len(matches),
                              "files": sorted(matches, key=lambda f: f["path"])}
    if warnings:
        result["warnings"] = warnings
    return result
