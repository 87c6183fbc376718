"""ansible.windows.win_reg_stat: read a registry key's values, or one value."""

from __future__ import annotations

import re
from typing import Any

from sitekit.lab import filesystem
from sitekit.lab.host import LabHost
from sitekit.lab.modules import ModuleFailedError, register
from sitekit.lab.modules.win_regedit import find_key, normalise
from sitekit.lab.state import find, host_state

_TYPES = {"string": "REG_SZ", "expandstring": "REG_EXPAND_SZ", "dword": "REG_DWORD",
          "qword": "REG_QWORD", "multistring": "REG_MULTI_SZ", "binary": "REG_BINARY",
          "none": "REG_NONE"}


def _describe(host: LabHost, value: dict[str, Any]) -> dict[str, Any] | None:
    """A value as the module returns it: type, value and raw value; None when it has none.

    GetValue returns $null only for a value that is not there: the module then reports
    it as missing (Get-PropertyValue), never as a value of null data. As
    win_reg_stat.ps1 reads it: `value` with environment names expanded (GetValue's
    default), `raw_value` without (DoNotExpandEnvironmentNames); REG_BINARY and REG_NONE
    are bytes, their raw value each byte as 0xNN.
    """
    data = value.get("data")
    if data is None:
        return None
    kind = value["type"]
    if kind in ("binary", "none"):
        return {"type": _TYPES[kind], "value": data, "raw_value": [f"0x{b:02x}" for b in data]}
    shown = filesystem.expand(host, data) if kind == "expandstring" else data
    return {"type": _TYPES.get(kind, "REG_SZ"), "value": shown, "raw_value": data}


@register("ansible.windows.win_reg_stat", supports_check_mode=True,
          implements=("path", "name"))
def win_reg_stat(host: LabHost, args: dict[str, Any], check_mode: bool,
                 diff: bool) -> dict[str, Any]:
    """exists, and the key's properties and sub keys (or one property's value)."""
    # The module's own check (win_reg_stat.ps1), stricter than win_regedit's: a hive's
    # short name and a colon.
    if not re.match(r"HK(CC|CR|CU|LM|U):\\", args["path"], re.IGNORECASE):
        raise ModuleFailedError(f"path: {args['path']} is not a valid registry path, see module"
                                " documentation for examples.")
    registry = host_state(host)["registry"]
    path = normalise(args["path"])
    key = find_key(registry, path)
    if key is None:
        return {"changed": False, "exists": False}
    values = registry.get(key, {})
    if args["name"] is not None:
        name = find(values, args["name"])
        described = _describe(host, values[name]) if name is not None else None
        if described is None:
            return {"changed": False, "exists": False}
        return {"changed": False, "exists": True, **described}
    prefix = key.lower() + "\\"
    sub_keys = sorted({k[len(prefix):].split("\\")[0] for k in registry
                       if k.lower().startswith(prefix)})
    return {"changed": False, "exists": True, "sub_keys": sub_keys,
            "properties": {name: described for name, value in values.items()
                           if (described := _describe(host, value)) is not None}}
