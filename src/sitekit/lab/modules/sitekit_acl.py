r"""sitekit_acl (plugins/modules): exactly these access rules on folders, in one call.

Access lists live in state["fs"]["acls"] (path key -> {protected, rules: [{sid, rights,
type}]}); a folder without one inherits its parent's, up to C:\, whose rules on a fresh
install seed_base.py states (Users may read everything created under it).
"""

from __future__ import annotations

import copy
import hashlib
import ntpath
import re
import struct
from typing import Any

from sitekit.lab import filesystem
from sitekit.lab.host import LabHost
from sitekit.lab.modules import ModuleFailedError, register
from sitekit.lab.seed_base import SYSTEM_DRIVE_ACL
from sitekit.lab.state import find, host_state

_SID = re.compile(r"^S-1-\d+(-\d+)+$", re.IGNORECASE)


def service_sid(service: str) -> str:
    """A service's SID as Windows derives it (sc showsid).

    S-1-5-80- and the SHA-1 of its upper-case name in UTF-16LE, as five little-endian
    32-bit numbers.
    """
    digest = hashlib.sha1(service.upper().encode("utf-16-le")).digest()  # noqa: S324
    return "S-1-5-80-" + "-".join(str(n) for n in struct.unpack("<5I", digest))


def to_sid(state: dict[str, Any], principal: str) -> str:
    """The SID of a principal, or a failure as NTAccount.Translate fails."""
    if _SID.match(principal):
        return principal.upper()
    domain, _, name = principal.rpartition("\\")
    if domain.upper() == "NT SERVICE":
        services = set(state["services"]) | {i["service"] for i in
                                             state.get("sql_instances", {}).values()}
        if any(s.lower() == name.lower() for s in services):
            return service_sid(name)
    elif domain.lower() in ("", ".", state["hostname"].lower()):
        for table in (state["users"], state["groups"]):
            key = find(table, name)
            if key is not None:
                return str(table[key]["sid"])
    raise ModuleFailedError(f"principal {principal} is not an account this host knows (a SID,"
                            " or a name it can translate): Some or all identity references"
                            " could not be translated.")


def acl_of(state: dict[str, Any], path: str) -> dict[str, Any]:
    """The access list a folder has: its own, or inherited from the nearest parent."""
    acls = state["fs"].setdefault("acls", {})
    current = ntpath.normpath(path)
    while True:
        key = filesystem.path_key(current)
        if key in acls:
            return acls[key]
        if key == "c:":
            return SYSTEM_DRIVE_ACL
        parent = ntpath.dirname(current.rstrip("\\"))
        if parent == current or not parent:
            return {"protected": False, "rules": []}
        current = parent


def readers(state: dict[str, Any], path: str) -> set[str]:
    """The SIDs an allow rule lets read the folder."""
    return {r["sid"] for r in acl_of(state, path)["rules"] if r["type"] == "allow"}


@register("ansible.legacy.sitekit_acl", supports_check_mode=True,
          implements=("paths", "rules", "inherit_parent"))
def sitekit_acl(host: LabHost, args: dict[str, Any], check_mode: bool,
                diff: bool) -> dict[str, Any]:
    """Replace each folder's access list with exactly the rules given."""
    state = host_state(host)
    wanted = {"protected": not args["inherit_parent"],
              "rules": sorted(({"sid": to_sid(state, r["principal"]), "rights": r["rights"],
                                "type": r["type"]} for r in args["rules"]),
                              key=lambda r: (r["sid"], r["rights"], r["type"]))}
    changed_paths, before, after = [], {}, {}
    for path in args["paths"]:
        if not filesystem.is_dir(host, path):
            if not check_mode:
                raise ModuleFailedError(f"the folder {path} does not exist: create it first")
            changed_paths.append(path)  # an earlier task would create it
            continue
        current = acl_of(state, path)
        own = filesystem.path_key(path) in state["fs"]["acls"]
        if own and current == wanted:
            continue
        changed_paths.append(path)
        before[path], after[path] = copy.deepcopy(current), wanted
        if not check_mode:
            state["fs"]["acls"][filesystem.path_key(path)] = copy.deepcopy(wanted)
    result: dict[str, Any] = {"changed": bool(changed_paths), "changed_paths": changed_paths}
    if changed_paths:
        result["diff"] = {"before": before, "after": after}
    return result
