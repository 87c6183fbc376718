"""community.windows.win_firewall_rule: Windows Defender Firewall rules, by name."""

from __future__ import annotations

from typing import Any

from sitekit.lab.host import LabHost
from sitekit.lab.modules import ModuleFailedError, register
from sitekit.lab.modules._common import put
from sitekit.lab.state import find, host_state

_FIELDS = ("description", "group", "direction", "action", "protocol", "localport",
           "remoteport", "localip", "remoteip", "program", "service", "enabled")
_DEFAULTS = {"description": "", "group": None, "direction": None, "action": "allow",
             "protocol": "any", "localport": "any", "remoteport": "any", "localip": "any",
             "remoteip": "any", "program": "any", "service": "any", "enabled": True,
             "profiles": ["domain", "private", "public"], "icmp_type_code": None}


@register("community.windows.win_firewall_rule", supports_check_mode=True,
          implements=("enabled", "state", "name", "group", "direction", "action", "description",
                      "localip", "remoteip", "localport", "remoteport", "program", "service",
                      "protocol", "profiles", "icmp_type_code"))
def win_firewall_rule(host: LabHost, args: dict[str, Any], check_mode: bool,
                      diff: bool) -> dict[str, Any]:
    """Create, change or remove a rule; ports need a TCP or UDP protocol, as on Windows."""
    rules = host_state(host)["firewall"]["rules"]
    name = find(rules, args["name"]) or args["name"]
    current = rules.get(name)
    if args["state"] == "absent":
        if current is not None and not check_mode:
            del rules[name]
        return {"changed": current is not None}
    rule = dict(current) if current else {"name": name, **_DEFAULTS}
    for field in _FIELDS:
        if args[field] is not None:
            rule[field] = args[field].lower() if field in ("direction", "action", "protocol") \
                else args[field]
    if args["profiles"] is not None:
        rule["profiles"] = sorted(p.lower() for p in args["profiles"])
    if args["icmp_type_code"] is not None:
        rule["icmp_type_code"] = list(args["icmp_type_code"])
    if rule["direction"] is None:
        raise ModuleFailedError("missing required arguments: direction")
    ports = rule["localport"] != "any" or rule["remoteport"] != "any"
    if ports and rule["protocol"] not in ("tcp", "udp", "6", "17"):
        raise ModuleFailedError("The port properties can only be changed when protocol is TCP"
                                " or UDP")
    return put(rules, name, rule, check_mode, diff)
