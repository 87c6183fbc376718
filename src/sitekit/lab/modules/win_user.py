"""ansible.windows.win_user: local user accounts, their settings, password and groups."""

from __future__ import annotations

import hashlib
from typing import Any

from sitekit.lab.host import LabHost
from sitekit.lab.modules import ModuleFailedError, register
from sitekit.lab.modules._accounts import local_group
from sitekit.lab.seed_base import NEW_USER_GROUP_SID, group_by_sid
from sitekit.lab.state import find, host_state

# Option -> the user record's field, for the flags and texts compared one to one.
_FIELDS = {"fullname": "full_name", "description": "description",
           "password_never_expires": "password_never_expires",
           "user_cannot_change_password": "user_cannot_change_password",
           "password_expired": "password_expired", "home_directory": "home_directory",
           "login_script": "login_script", "profile": "profile"}


def _hash(user: dict[str, Any], password: str) -> str:
    """The stored password hash (salted with the account's SID)."""
    return hashlib.sha256(f"{user['sid']}:{password}".encode()).hexdigest()


def _groups_of(state: dict[str, Any], name: str) -> list[str]:
    """The local groups an account is a member of."""
    return [g for g, group in state["groups"].items() if name in group["members"]]


def _describe(state: dict[str, Any], name: str) -> dict[str, Any]:
    """The documented return values of an existing user."""
    user = state["users"][name]
    host = state["hostname"]
    return {
        "name": name, "fullname": user["full_name"], "description": user["description"],
        "path": f"WinNT://WORKGROUP/{host}/{name}", "sid": user["sid"], "state": "present",
        "account_disabled": not user["enabled"], "account_locked": user["locked"],
        "password_expired": user["password_expired"],
        "password_never_expires": user["password_never_expires"],
        "user_cannot_change_password": user["user_cannot_change_password"],
        "groups": [{"name": g, "path": f"WinNT://WORKGROUP/{host}/{g}"}
                   for g in _groups_of(state, name)],
    }


@register("ansible.windows.win_user", supports_check_mode=True,
          implements=("account_disabled", "account_locked", "description", "fullname", "groups",
                      "groups_action", "home_directory", "login_script", "name", "password",
                      "password_expired", "password_never_expires", "profile", "state",
                      "update_password", "user_cannot_change_password"))
def win_user(host: LabHost, args: dict[str, Any], check_mode: bool, diff: bool) -> dict[str, Any]:
    """Create, update, query or remove a local user."""
    state = host_state(host)
    name = find(state["users"], args["name"]) or args["name"]
    exists = name in state["users"]
    # win_user.ps1 reads the user back after acting and returns what it finds, with the state
    # it acted on: in check mode a user "deleted" is still there, one "created" is not yet.
    if args["state"] == "query":
        return (_describe(state, name) if exists else {"name": name, "state": "absent"}) | {
            "msg": f"Querying user '{name}'"}
    if args["state"] == "absent":
        if exists and not check_mode:
            del state["users"][name]
            for group in state["groups"].values():
                group["members"] = [m for m in group["members"] if m != name]
        left = _describe(state, name) if name in state["users"] else {"name": name}
        return left | {"changed": exists, "state": "absent",
                       "msg": f"User '{name}' deleted successfully" if exists else
                       f"User '{name}' was not found"}
    user = dict(state["users"][name]) if exists else _new_user(state, name, args)
    changed = _update(user, args, exists) or not exists
    groups = _target_groups(state, name, args)
    changed |= groups != set(_groups_of(state, name))
    if changed and not check_mode:
        if not exists:
            state["next_rid"] += 1
        state["users"][name] = user
        for group_name, group in state["groups"].items():
            if group_name in groups and name not in group["members"]:
                group["members"].append(name)
            elif group_name not in groups and name in group["members"]:
                group["members"].remove(name)
    result = _describe(state, name) if name in state["users"] else {"name": name,
                                                                   "state": "present"}
    return {**result, "changed": changed}


def _update(user: dict[str, Any], args: dict[str, Any], exists: bool) -> bool:
    """Apply the requested settings and password to a user record; tell if any changed."""
    changed = False
    update = args["update_password"] == "always"  # noqa: S105 - an option value, not a secret
    if args["password"] is not None and (not exists or update):
        new_hash = _hash(user, args["password"])
        # win_user.ps1 sets the password before any flag. ValidateCredentials cannot check
        # a disabled or expired account's password, so the module sets it again (changed).
        # Setting it clears "must change at next logon" (the module's own tests set
        # password_expired again after it and expect a change).
        if (exists and (not user["enabled"] or user["password_expired"])) or \
                user["password"] != new_hash:
            user["password"], user["password_expired"], changed = new_hash, False, True
    for option, field in _FIELDS.items():
        if args[option] is not None and user[field] != args[option]:
            user[field], changed = args[option], True
    if args["account_disabled"] is not None and user["enabled"] == args["account_disabled"]:
        user["enabled"], changed = not args["account_disabled"], True
    if args["account_locked"] is not None:
        if args["account_locked"]:
            raise ModuleFailedError("account_locked must be set to 'no' if provided")
        changed |= user["locked"]
        user["locked"] = False
    return changed


def _new_user(state: dict[str, Any], name: str, args: dict[str, Any]) -> dict[str, Any]:
    """A new account with the next RID; a password is required to create one."""
    if args["password"] is None:
        raise ModuleFailedError("password must be specified for a new user account")
    return {"sid": f"{state['machine_sid']}-{state['next_rid']}", "full_name": "",
            "description": "", "enabled": True, "password": None, "password_never_expires": False,
            "user_cannot_change_password": False, "password_expired": False, "locked": False,
            "home_directory": None, "login_script": None, "profile": None}


def _target_groups(state: dict[str, Any], name: str, args: dict[str, Any]) -> set[str]:
    """The groups the user should end up in, by groups and groups_action."""
    current = set(_groups_of(state, name))
    if name not in state["users"]:
        # Windows puts a new account in Users by itself (seed_base.NEW_USER_GROUP_SID).
        current |= {g for g in [group_by_sid(state["groups"], NEW_USER_GROUP_SID)] if g}
    if args["groups"] is None:
        return current
    wanted = {local_group(state, g) for g in args["groups"] if g and str(g).strip()}
    action = args["groups_action"]
    if action == "add":
        return current | wanted
    if action == "remove":
        return current - wanted
    return wanted
