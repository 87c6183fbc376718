"""sitekit_local_accounts (plugins/modules): a user plan's local users and groups in one call.

The model works on a copy of the host's users and groups and keeps it only outside check
mode, so check mode reports exactly what a real run would do and changes nothing.
"""

from __future__ import annotations

import copy
import hashlib
from typing import Any

from sitekit.lab.host import LabHost
from sitekit.lab.modules import ModuleFailedError, register
from sitekit.lab.modules._accounts import group_of, resolve
from sitekit.lab.seed_base import BUILTIN_GROUP_SIDS, NEW_USER_GROUP_SID, group_by_sid
from sitekit.lab.state import find, host_state
from sitekit.plan.passwords import complexity_problems

_SIDS = {name.lower(): sid for name, sid in BUILTIN_GROUP_SIDS.items()}

_RESULT_LISTS = ("users_created", "users_updated", "users_disabled", "users_removed",
                 "groups_created", "groups_updated", "groups_removed", "members_added",
                 "members_removed")


@register("ansible.legacy.sitekit_local_accounts", supports_check_mode=True,
          implements=("users", "groups", "initial_password", "managed_description",
                      "unlisted_users"))
def sitekit_local_accounts(host: LabHost, args: dict[str, Any], check_mode: bool,
                           diff: bool) -> dict[str, Any]:
    """Apply the users and groups; return what was created, changed and removed."""
    state = host_state(host)
    work = {**state, "users": copy.deepcopy(state["users"]),
            "groups": copy.deepcopy(state["groups"])}
    result: dict[str, Any] = {key: [] for key in _RESULT_LISTS}
    listed = _apply_users(work, args, result)
    managed = set(listed) | ({u for u, user in work["users"].items()
                              if user["description"] == args["managed_description"]}
                             if args["unlisted_users"] != "keep" else set())
    _apply_groups(work, args["groups"], result)
    _apply_member_of(work, args["groups"], managed, result)
    changed = any(result[key] for key in _RESULT_LISTS)
    if changed:
        result["diff"] = {"before": _summary(state, result), "after": _summary(work, result)}
    if changed and not check_mode:
        state["users"], state["groups"], state["next_rid"] = (
            work["users"], work["groups"], work["next_rid"])
    return result | {"changed": changed}


def _apply_users(work: dict[str, Any], args: dict[str, Any], result: dict[str, Any]) -> list[str]:
    """Create, update and remove users; handle managed users no longer listed."""
    users, marker = work["users"], args["managed_description"]
    listed: list[str] = []
    for spec in args["users"]:
        if len(spec["name"]) > 20:
            raise ModuleFailedError(f"The user name '{spec['name']}' is longer than 20"
                                    " characters")
        key = find(users, spec["name"])
        if spec["state"] == "absent":
            if key is not None:
                _remove_user(work, key)
                result["users_removed"].append(key)
            continue
        if key is None:
            key = spec["name"]
            users[key] = _new_user(work, spec, args["initial_password"], marker)
            result["users_created"].append(key)
            # Windows puts a new account in Users by itself.
            users_group = group_by_sid(work["groups"], NEW_USER_GROUP_SID)
            if users_group is not None:
                work["groups"][users_group]["members"].append(key)
        elif _update_user(users[key], spec, marker):
            result["users_updated"].append(key)
        listed.append(key)
    gone = {s["name"].lower() for s in args["users"] if s["state"] == "absent"}
    for key in [u for u, user in users.items() if user["description"] == marker
                and u not in listed and u.lower() not in gone]:
        if args["unlisted_users"] == "remove":
            _remove_user(work, key)
            result["users_removed"].append(key)
        elif args["unlisted_users"] == "disable" and users[key]["enabled"]:
            users[key]["enabled"] = False
            result["users_disabled"].append(key)
    return listed


def _new_user(work: dict[str, Any], spec: dict[str, Any], initial: str | None,
              marker: str) -> dict[str, Any]:
    """A new enabled account whose initial password must be changed at the first logon."""
    password = spec["password"] or initial
    if not password:
        raise ModuleFailedError(f"user '{spec['name']}' does not exist: set its password or"
                                " initial_password to create it")
    policy = work.get("account_policy") or {}
    if policy.get("PasswordComplexity") and complexity_problems(
            password, {spec["name"]: spec["fullname"] or ""},
            int(policy.get("MinimumPasswordLength", 0))):
        # SetPassword/SetInfo fail with NERR_PasswordTooShort (2245) under the policy.
        raise ModuleFailedError(
            f"failed to create user {spec['name']}: The password does not meet the password"
            " policy requirements. Check the minimum password length, password complexity"
            " and password history requirements.")
    sid = f"{work['machine_sid']}-{work['next_rid']}"
    work["next_rid"] += 1
    return {"sid": sid, "full_name": spec["fullname"] or "", "description": marker,
            "enabled": True, "password": hashlib.sha256(f"{sid}:{password}".encode()).hexdigest(),
            "password_never_expires": False, "user_cannot_change_password": False,
            "password_expired": True, "locked": False, "home_directory": None,
            "login_script": None, "profile": None}


def _update_user(user: dict[str, Any], spec: dict[str, Any], marker: str) -> bool:
    """Full name, marker and enabled state of an existing user; the password is left alone."""
    wanted = {"description": marker, "enabled": True}
    if spec["fullname"] is not None:
        wanted["full_name"] = spec["fullname"]
    changed = any(user[k] != v for k, v in wanted.items())
    user.update(wanted)
    return changed


def _remove_user(work: dict[str, Any], key: str) -> None:
    """Delete an account and its memberships."""
    del work["users"][key]
    for group in work["groups"].values():
        group["members"] = [m for m in group["members"] if m != key]


def _apply_groups(work: dict[str, Any], specs: list[dict[str, Any]],
                  result: dict[str, Any]) -> None:
    """Create, update and remove the listed groups; set exact members where given."""
    groups = work["groups"]
    for spec in specs:
        key = find(groups, spec["name"])
        if spec["state"] == "absent":
            if key is not None:
                del groups[key]
                result["groups_removed"].append(key)
            continue
        if key is None:
            key = spec["name"]
            groups[key] = {"sid": f"{work['machine_sid']}-{work['next_rid']}",
                           "description": spec["description"] or "", "members": []}
            work["next_rid"] += 1
            result["groups_created"].append(key)
        elif spec["description"] is not None and groups[key]["description"] != \
                spec["description"]:
            groups[key]["description"] = spec["description"]
            result["groups_updated"].append(key)
        if spec["members"] is not None:
            wanted = list(dict.fromkeys(resolve(work, m) for m in spec["members"]))
            _set_members(groups[key], key, wanted, set(groups[key]["members"]), result)


def _apply_member_of(work: dict[str, Any], specs: list[dict[str, Any]], managed: set[str],
                     result: dict[str, Any]) -> None:
    """Members of a listed group join its member_of groups; other managed users leave them."""
    wanted: dict[str, list[str]] = {}
    for spec in specs:
        if spec["state"] == "absent" or not spec["member_of"]:
            continue
        members = work["groups"][group_of(work, spec["name"])]["members"]
        for target in spec["member_of"]:
            wanted.setdefault(_local_group(work, target), []).extend(members)
    for key, members in wanted.items():
        group = work["groups"][key]
        removable = {m for m in group["members"] if m in managed}
        _set_members(group, key, list(dict.fromkeys(members)), removable, result)


def _local_group(work: dict[str, Any], name: str) -> str:
    """The local key of a group named by SID, local name or built-in English name.

    The module maps a built-in group's English name to its SID, so it works in any language.
    """
    sid = name if name.upper().startswith("S-1-") else _SIDS.get(name.lower())
    if sid is not None:
        key = group_by_sid(work["groups"], sid.upper())
        if key is None:
            raise ModuleFailedError(f"group '{name}' ({sid}) not found")
        return key
    return group_of(work, name)


def _set_members(group: dict[str, Any], key: str, wanted: list[str], removable: set[str],
                 result: dict[str, Any]) -> None:
    """Add the wanted members; remove the removable ones that are not wanted."""
    for member in [m for m in group["members"] if m in removable and m not in wanted]:
        group["members"].remove(member)
        result["members_removed"].append({"group": key, "member": member})
    for member in [m for m in wanted if m not in group["members"]]:
        group["members"].append(member)
        result["members_added"].append({"group": key, "member": member})


def _summary(state: dict[str, Any], result: dict[str, Any]) -> dict[str, Any]:
    """The touched users and groups as they are in a state, for the diff."""
    users = {u for key in _RESULT_LISTS[:4] for u in result[key]}
    groups = {g for key in _RESULT_LISTS[4:7] for g in result[key]} | {
        m["group"] for key in _RESULT_LISTS[7:] for m in result[key]}
    return {
        "users": {u: {"fullname": state["users"][u]["full_name"],
                      "enabled": state["users"][u]["enabled"]}
                  for u in sorted(users) if u in state["users"]},
        "groups": {g: sorted(state["groups"][g]["members"]) for g in sorted(groups)
                   if g in state["groups"]},
    }
