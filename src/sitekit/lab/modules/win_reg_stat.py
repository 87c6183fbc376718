"""ansible.windows.win_reg_stat: read a registry key's values, or one value."""

from __future__ import annotations

from typing import Any

from sitekit.lab.host import LabHost
from sitekit.lab.modules import register
from sitekit.lab.modules.win_regedit import normalise
from sitekit.lab.state import find, host_state

_TYPES = {"string": "REG_SZ", "expandstring": "REG_EXPAND_SZ", "dword": "REG_DWORD",
          "qword": "REG_QWORD", "multistring": "REG_MULTI_SZ", "binary": "REG_BINARY",
          "none": "REG_NONE"}


def _describe(value: dict[str, Any]) -> dict[str, Any]:
    """A value as the module returns it: type, value and raw value."""
    data = value["data"]
    raw = [f"0x{b:02x}" for b in data] if value["type"] == "binary" else data
    return {"type": _TYPES.get(value["type"], "REG_SZ"), "value": data, "raw_value": raw}


@register("ansible.windows.win_reg_stat", supports_check_mode=True,
          implements=("path", "name"))
def win_reg_stat(host: LabHost, args: dict[str, Any], check_mode: bool,
                 diff: bool) -> dict[str, Any]:
    """exists, and the key's properties and sub keys (or one property's value)."""
    registry = host_state(host)["registry"]
    path = normalise(args["path"])
    key = find(registry, path)
    if key is None:
        return {"changed": False, "exists": False}
    values = registry[key]
    if args["name"] is not None:
        name = find(values, args["name"])
        if name is None:
            return {"changed": False, "exists": False}
        return {"changed": False, "exists": True, **_describe(values[name])}
    prefix = key.lower() + "\\"
    sub_keys = sorted({k[len(prefix):].split("\\")[0] for k in registry
                       if k.lower().startswith(prefix)})
    return {"changed": False, "exists": True, "sub_keys": sub_keys,
            "properties": {name: _describe(value) for name, value in values.items()}}
