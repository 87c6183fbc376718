"""community.windows.win_firewall_rule: Windows Defender Firewall rules, by name."""

from __future__ import annotations

from typing import Any

from sitekit.lab import network
from sitekit.lab.host import LabHost
from sitekit.lab.modules import ModuleFailedError, register
from sitekit.lab.modules._common import put
from sitekit.lab.state import find, host_state

_FIELDS = ("description", "group", "direction", "action", "protocol", "localport",
           "remoteport", "localip", "remoteip", "program", "service", "enabled")
# A new rule is HNetCfg.FWRule's: direction in and action allow unless given (INetFwRule's
# Direction and Action default, Microsoft docs); the module requires neither.
_DEFAULTS = {"description": "", "group": None, "direction": "in", "action": "allow",
             "protocol": "any", "localport": "any", "remoteport": "any", "localip": "any",
             "remoteip": "any", "program": "any", "service": "any", "enabled": True,
             "profiles": ["domain", "private", "public"], "icmp_type_code": None}


@register("community.windows.win_firewall_rule", supports_check_mode=True,
          implements=("enabled", "state", "name", "group", "direction", "action", "description",
                      "localip", "remoteip", "localport", "remoteport", "program", "service",
                      "protocol", "profiles", "icmp_type_code"))
def win_firewall_rule(host: LabHost, args: dict[str, Any], check_mode: bool,
                      diff: bool) -> dict[str, Any]:
    """Create, change or remove a rule by name, or change or remove a group's rules.

    As win_firewall_rule.ps1 selects them: by name when one is given, else every rule of
    the group (a group alone creates nothing); its msg names the rules it touched.
    """
    rules = host_state(host)["firewall"]["rules"]
    name, group = args["name"], args["group"]
    if not name and not group:
        raise ModuleFailedError("Either name or group must be specified")
    if name:
        key = find(rules, name)
        selected = [key] if key is not None else []
    else:
        # PowerShell's -eq on the rule's Grouping: case-insensitive.
        selected = [k for k, r in rules.items() if str(r.get("group") or "").lower()
                    == group.lower()]
    if args["state"] == "absent":
        return _absent(rules, selected, name, group, check_mode)
    if name:
        rule = dict(rules[selected[0]]) if selected else {"name": name, **_DEFAULTS}
        _apply(rule, args)
        result = put(rules, selected[0] if selected else name, rule, check_mode, diff)
        done, kept = (selected, []) if result["changed"] else ([], selected)
        return result | {"msg": f"Firewall rule '{name}' created." if not selected else
                         f"Firewall rule(s) changed {_listed(done)} - unchanged {_listed(kept)}"}
    if not selected:  # a group with no rules: nothing to create, nothing said
        return {"changed": False}
    changed: list[str] = []
    unchanged: list[str] = []
    diffs: dict[str, Any] = {"before": {}, "after": {}}
    for key in selected:
        rule = dict(rules[key])
        _apply(rule, args)
        outcome = put(rules, key, rule, check_mode, diff)
        (changed if outcome["changed"] else unchanged).append(key)
        for side in ("before", "after"):
            diffs[side] |= {key: outcome["diff"][side]} if "diff" in outcome else {}
    result = {"changed": bool(changed),
              "msg": f"Firewall rule(s) changed {_listed(changed)} - unchanged"
                     f" {_listed(unchanged)}"}
    return result | ({"diff": diffs} if diff and changed else {})


def _listed(names: list[str]) -> str:
    """Names as the module joins them into its msg: 'a', 'b' (none: '')."""
    return "'" + "', '".join(names) + "'"


def _absent(rules: dict[str, Any], selected: list[str], name: str | None, group: str | None,
            check_mode: bool) -> dict[str, Any]:
    """Remove the selected rules; the module's msg says which, or that there were none."""
    if not selected:
        return {"changed": False, "msg": f"Firewall rule '{name}' does not exist." if name
                else f"No firewall rules in group '{group}' exist."}
    if not check_mode:
        for key in selected:
            del rules[key]
    return {"changed": True, "msg": f"Firewall rule(s) {_listed(selected)} removed."}


def _apply(rule: dict[str, Any], args: dict[str, Any]) -> None:
    """Set the given properties on a rule; ports need a TCP or UDP protocol, as on Windows."""
    for field in _FIELDS:
        if field in ("localip", "remoteip") and args[field] is not None and \
                network.windows_list(args[field], ports=False) == \
                network.windows_list(str(rule[field]), ports=False):
            continue  # one address in another form (/24, /255.255.255.0): Windows' own
        if args[field] is not None:
            rule[field] = args[field].lower() if field in ("direction", "action", "protocol") \
                else args[field]
    if args["profiles"] is not None:
        rule["profiles"] = sorted(p.lower() for p in args["profiles"])
    if args["icmp_type_code"] is not None:
        rule["icmp_type_code"] = list(args["icmp_type_code"])
    ports = rule["localport"] != "any" or rule["remoteport"] != "any"
    if ports and rule["protocol"] not in ("tcp", "udp", "6", "17"):
        raise ModuleFailedError("The port properties can only be changed when protocol is TCP"
                                " or UDP")
