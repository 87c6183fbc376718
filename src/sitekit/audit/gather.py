"""The monthly audit's gather step: one host's facts document from its sitekit_facts result.

playbooks/monthly_audit.yml calls the sitekit_facts module once per host through the
sitekit_audit_gather action (plugins/action), which hands the result here with what only the
plan knows: the members each local group should have. The document is what the audit
core reads (src/sitekit/audit/schemas/facts.schema.json): a host that could not be
reached is recorded as such, with the error and no facts, so its controls are unknown.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from sitekit import timestamps

FORMAT = 1


def _unique(names: Iterable[str]) -> list[str]:
    """Names in their first order, without repeats compared case-insensitively (as Windows)."""
    seen: set[str] = set()
    out = []
    for name in names:
        if name.lower() not in seen:
            seen.add(name.lower())
            out.append(name)
    return out


def groups_to_read(plan_groups: Iterable[Mapping[str, Any]],
                   built_in: Mapping[str, Iterable[str]]) -> list[str]:
    """The local groups the audit reads: the built-in ones named, the plan's and their targets."""
    names = list(built_in)
    for group in plan_groups:
        names.append(str(group["name"]))
        names.extend(str(target) for target in group.get("member_of") or [])
    return _unique(names)


def expected_members(group: str, plan_groups: Iterable[Mapping[str, Any]],
                     built_in: Mapping[str, Iterable[str]]) -> list[str]:
    """Who the plan puts in a local group.

    Its own members, those of the plan's groups whose members join it (member_of), and
    the built-in members that belong there. Names are compared case-insensitively, as
    Windows compares account names.
    """
    wanted = group.lower()
    members = [str(m) for name, listed in built_in.items() if name.lower() == wanted
               for m in listed]
    for planned in plan_groups:
        targets = [str(t).lower() for t in planned.get("member_of") or []]
        if str(planned["name"]).lower() == wanted or wanted in targets:
            members.extend(str(m) for m in planned.get("members") or [])
    return _unique(members)


def _error(result: Mapping[str, Any]) -> str:
    """What went wrong in a failed or unreachable module run, in one line."""
    message = str(result.get("msg") or "no message")
    return " ".join(message.split())


def document(result: Mapping[str, Any], *, host: str, site: str, kind: str,
             plan_groups: Iterable[Mapping[str, Any]] = (),
             built_in: Mapping[str, Iterable[str]] | None = None,
             backup_schedule: Mapping[str, str] | None = None,
             planned_network: Mapping[str, Any] | None = None,
             never_expires_allowed: Iterable[str] = (),
             now: dt.datetime | None = None) -> dict[str, Any]:
    """The facts document of one host from its registered sitekit_facts result.

    Unreachable: reachable false, the error, no facts. A failed module: reachable, the
    error, no facts. Otherwise the facts, each local group with the members the plan
    expects, the days db_backup runs on the host (`backup_schedule`, beside its backups:
    BAK-01 judges them by it), what the plan says of its network (`planned_network`:
    address, segment subnet, inbound flows; NET-01 and NET-02 judge the network facts by it),
    the accounts whose password may never expire (`never_expires_allowed`, the recorded
    exceptions: ACC-05 judges the accounts facts by them) and the subsets that could not be
    read named in `error`.
    """
    gathered = timestamps.text(now or dt.datetime.now(dt.UTC))
    out: dict[str, Any] = {"format": FORMAT, "host": host, "site": site, "kind": kind,
                           "reachable": True, "gathered_at": gathered, "facts": {}}
    if result.get("unreachable"):
        return out | {"reachable": False, "error": _error(result)}
    if result.get("failed") or not isinstance(result.get("facts"), Mapping):
        return out | {"error": f"sitekit_facts failed: {_error(result)}"}
    plan = list(plan_groups)
    facts = dict(result["facts"])
    if isinstance(facts.get("local_groups"), Mapping):
        facts["local_groups"] = {
            name: dict(group) | {"expected": expected_members(name, plan, built_in or {})}
            for name, group in facts["local_groups"].items()}
    if backup_schedule is not None and "backups" in facts:
        facts["backup_schedule"] = {"full_day": str(backup_schedule["full_day"]),
                                    "other_days": str(backup_schedule["other_days"])}
    if planned_network is not None and "network" in facts:
        facts["planned_network"] = {
            "address": str(planned_network["address"]),
            "subnet": str(planned_network["subnet"]),
            "inbound": [{"port": int(entry["port"]),
                         "sources": [str(cidr) for cidr in entry["sources"]]}
                        for entry in planned_network.get("inbound") or []]}
    if isinstance(facts.get("accounts"), Mapping):
        facts["accounts"] = dict(facts["accounts"]) | {
            "never_expires_allowed": _unique(str(name) for name in never_expires_allowed)}
    out["facts"] = facts
    out["gathered_at"] = str(result.get("gathered_at") or gathered)
    unavailable = result.get("unavailable") or {}
    if unavailable:
        reasons = (f"{subset}: {' '.join(str(why).split())}"
                   for subset, why in sorted(unavailable.items()))
        out["error"] = "not gathered: " + "; ".join(reasons)
    return out
