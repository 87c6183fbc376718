"""sitekit_registry (plugins/modules): many registry values set or removed in one call."""

from __future__ import annotations

from typing import Any

from sitekit.lab.host import LabHost
from sitekit.lab.modules import ModuleFailedError, register
from sitekit.lab.modules.win_regedit import _convert, normalise
from sitekit.lab.state import find, host_state


def wanted_values(values: list[dict[str, Any]]) -> list[tuple[str, str, dict[str, Any] | None]]:
    """(key, name, {type, data} or None for absent) per value; a value listed twice fails."""
    seen: set[tuple[str, str]] = set()
    wanted: list[tuple[str, str, dict[str, Any] | None]] = []
    for value in values:
        key = normalise(value["path"])
        ident = (key.lower(), value["name"].lower())
        if ident in seen:
            raise ModuleFailedError(f"the value {value['path']}\\{value['name']} is listed twice")
        seen.add(ident)
        if value["state"] == "absent":
            wanted.append((key, value["name"], None))
            continue
        if value["data"] is None:
            raise ModuleFailedError(f"data is required to set {value['path']}\\{value['name']}")
        try:
            data = _convert(value["type"], value["data"])
        except ValueError:
            raise ModuleFailedError(f"data {value['data']!r} of {value['path']}\\{value['name']}"
                                    f" is not valid for the type {value['type']}") from None
        wanted.append((key, value["name"], {"type": value["type"], "data": data}))
    return wanted


@register("ansible.legacy.sitekit_registry", supports_check_mode=True,
          implements=("values",))
def sitekit_registry(host: LabHost, args: dict[str, Any], check_mode: bool,
                     diff: bool) -> dict[str, Any]:
    """Bring every listed value to its type and data, or remove it; report the changes."""
    registry = host_state(host)["registry"]
    changes = []
    for key, name, wanted in wanted_values(args["values"]):
        existing_key = find(registry, key)
        values = registry.get(existing_key, {}) if existing_key else {}
        value_name = find(values, name) or name
        current = values.get(value_name)
        if current == wanted:
            continue
        changes.append({"path": existing_key or key, "name": value_name, "before": current,
                        "after": wanted})
        if check_mode:
            continue
        if wanted is None:
            del registry[existing_key][value_name]  # type: ignore[index]
        else:
            registry.setdefault(existing_key or key, {})[value_name] = wanted
    result: dict[str, Any] = {"changed": bool(changes), "changes": changes}
    if changes:
        result["diff"] = {
            "before": {f"{c['path']}\\{c['name']}": c["before"] for c in changes
                       if c["before"] is not None},
            "after": {f"{c['path']}\\{c['name']}": c["after"] for c in changes
                      if c["after"] is not None}}
    return result
