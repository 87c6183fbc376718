"""ansible.windows.win_regedit: registry keys and values."""

from __future__ import annotations

from typing import Any

from sitekit.lab.host import LabHost
from sitekit.lab.modules import ModuleFailedError, register
from sitekit.lab.state import find, host_state

_HIVES = {"HKEY_LOCAL_MACHINE": "HKLM:", "HKEY_CURRENT_USER": "HKCU:",
          "HKEY_CLASSES_ROOT": "HKCR:", "HKEY_USERS": "HKU:", "HKEY_CURRENT_CONFIG": "HKCC:"}


def normalise(path: str) -> str:
    r"""HKLM:\\x, HKLM\\x and HKEY_LOCAL_MACHINE\\x name the same key.

    Only a backslash separates keys: "/" is part of a key's name (SCHANNEL's
    "Ciphers\\RC4 128/128"), as the modules open keys with the .NET registry API.
    """
    head, _, rest = path.partition("\\")
    head = _HIVES.get(head.upper(), head.upper().rstrip(":") + ":")
    if head not in _HIVES.values():
        raise ModuleFailedError(f"path: {path} is not a valid powershell path, see module "
                                "documentation for examples.")
    return f"{head}\\{rest}".rstrip("\\")


def _convert(kind: str, data: Any) -> Any:
    """Data as the registry stores it for its type."""
    if data is None:
        return [] if kind == "multistring" else None
    if kind in ("dword", "qword"):
        text = str(data)
        return int(text, 16) if text.lower().startswith("0x") else int(text)
    if kind == "multistring":
        return [str(d) for d in (data if isinstance(data, list) else [data])]
    if kind == "binary":
        return [int(b, 16) if isinstance(b, str) else int(b)
                for b in (data if isinstance(data, list) else str(data).split(","))]
    return str(data)


@register("ansible.windows.win_regedit", supports_check_mode=True,
          implements=("path", "name", "data", "type", "state", "delete_key", "hive"))
def win_regedit(host: LabHost, args: dict[str, Any], check_mode: bool,
                diff: bool) -> dict[str, Any]:
    """Create or remove a key, or set or remove one of its values."""
    if args["hive"]:
        raise ModuleFailedError("the sitekit lab does not model loading a registry hive file")
    registry = host_state(host)["registry"]
    path = normalise(args["path"])
    key = find(registry, path)
    values = registry.get(key, {}) if key else {}
    name = args["name"]
    result: dict[str, Any] = {"data_changed": False, "data_type_changed": False}
    if args["state"] == "absent":
        return result | _absent(registry, key, name, args["delete_key"], check_mode)
    if name is None:
        if key is None and not check_mode:
            registry[path] = {}
        return result | {"changed": key is None}
    value_name = find(values, name) or name
    current = values.get(value_name)
    wanted = {"type": args["type"], "data": _convert(args["type"], args["data"])}
    if current == wanted:
        return result | {"changed": False}
    if not check_mode:
        registry.setdefault(key or path, {})[value_name] = wanted
    return {"changed": True, "data_changed": current is None or current["data"] != wanted["data"],
            "data_type_changed": current is not None and current["type"] != wanted["type"],
            "diff": {"before": {value_name: current} if current else {},
                     "after": {value_name: wanted}}}


def _absent(registry: dict[str, Any], key: str | None, name: str | None, delete_key: bool,
            check_mode: bool) -> dict[str, Any]:
    """Remove a value, or a key with its subkeys."""
    if key is None:
        return {"changed": False}
    if name is None:
        if not delete_key:
            return {"changed": False}
        doomed = [k for k in registry if k.lower() == key.lower() or
                  k.lower().startswith(key.lower() + "\\")]
        if not check_mode:
            for k in doomed:
                del registry[k]
        return {"changed": True}
    value_name = find(registry[key], name)
    if value_name is None:
        return {"changed": False}
    if not check_mode:
        del registry[key][value_name]
    return {"changed": True, "data_changed": True}
