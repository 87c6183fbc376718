"""ansible.windows.win_regedit: registry keys and values."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Any

from sitekit.lab.errors import ModuleCrashError
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


def find_key(registry: dict[str, Any], path: str) -> str | None:
    r"""The stored spelling of an existing key, compared case-insensitively, or None.

    A key exists when it is stored or when a key below it is (the registry has no key
    without its parents: HKLM:\\SOFTWARE exists because HKLM:\\SOFTWARE\\Microsoft does); a
    hive's root always does. Such a parent is returned as the stored key below spells it.
    """
    key = find(registry, path)
    if key is not None:
        return key
    if path.endswith(":"):  # a hive's root, as normalise spells it
        return path
    below = path.lower() + "\\"
    child = next((k for k in registry if k.lower().startswith(below)), None)
    return child[:len(path)] if child is not None else None


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


_UINT32, _UINT64 = 2**32 - 1, 2**64 - 1


def _data(kind: str, data: Any, named: bool) -> Any:
    """The data as win_regedit.ps1 converts it for its type (its "convert the data" block).

    None stays None only for the default value of a string key: then no value is written.
    A number is kept unsigned, as win_reg_stat reads it back ([UInt32]/[UInt64]).
    """
    if kind in ("binary", "none"):
        return _bytes("" if data is None else data)
    if kind in ("dword", "qword"):
        return _number(kind, 0 if data is None else data)
    if kind == "multistring":
        if data is None:
            return []
        return [_text(d) for d in data] if isinstance(data, list) else [_text(data)]
    if data is None:
        return "" if named else None
    return _text(data)


def _text(value: Any) -> str:
    """ToString() of a JSON value as PowerShell gives it."""
    return ("True" if value else "False") if isinstance(value, bool) else str(value)


def _bytes(data: Any) -> list[int]:
    """Binary data: a reg export string ("hex:be,ef"), one small int, or a list of bytes."""
    if isinstance(data, str):
        return _hex_string(data)
    if isinstance(data, int) and not isinstance(data, bool):
        if data > 255:
            raise ModuleFailedError(f"cannot convert binary data '{data}' to byte array, please"
                                    " specify this value as a yaml byte array or a comma"
                                    " separated hex value string")
        return [_byte(data)]
    if isinstance(data, list):
        return [_byte(b) for b in data]
    return [_byte(data)]


def _byte(value: Any) -> int:
    """A [byte] cast: a number 0-255, or a string of one (decimal, or 0x hex)."""
    text = _text(value).strip()
    try:
        number = _uint64(text)
    except ModuleCrashError:
        number = -1
    if not 0 <= number <= 255:
        raise ModuleCrashError(f'Cannot convert value "{text}" to type "System.Byte". Error:'
                               ' "Value was either too large or too small for an unsigned byte."')
    return number


def _hex_string(text: str) -> list[int]:
    """Convert-RegExportHexStringToByteArray, step by step."""
    text = re.sub(r"[^a-f0-9\\,x\-:]", "", re.sub(r"^hex:", "", text.lower())).replace(",", ":")
    if not text:
        return []
    if len(text) == 1:
        return [int(text, 16)]
    if ":" not in text:
        # An odd length with no separator converts to nothing, as the module's code does.
        return [_to_byte(text[i:i + 2]) for i in range(0, len(text), 2)] \
            if len(text) % 2 == 0 else []
    return [_to_byte(part) for part in re.split(":+", text)]


def _to_byte(part: str) -> int:
    """[System.Convert]::ToByte(part, 16): a 0x prefix is allowed, anything else throws."""
    digits = part[2:] if part.startswith("0x") else part
    if not re.fullmatch(r"[0-9a-f]+", digits):
        raise ModuleCrashError('Exception calling "ToByte" with "2" argument(s): "Could not find'
                               ' any recognizable digits."')
    if int(digits, 16) > 255:
        raise ModuleCrashError('Exception calling "ToByte" with "2" argument(s): "Value was'
                               ' either too large or too small for an unsigned byte."')
    return int(digits, 16)


def _number(kind: str, data: Any) -> int:
    """A dword or qword: a string as [UInt64], a decimal only without remainder, in range."""
    too_large = False
    if isinstance(data, str):
        number = _uint64(data)
    elif isinstance(data, float):
        if data % 1:
            raise ModuleFailedError(f"data '{data}' cannot be a decimal or float value with a"
                                    " remainder when type is dword or qword")
        too_large = data > _UINT64
        number = 0 if too_large else int(data)
    elif isinstance(data, int):  # a JSON integer (a bool is one too)
        number = int(data)
    else:
        raise ModuleCrashError(f'Cannot convert the "{_text(data)}" value of type'
                               f' "{type(data).__name__}" to type "System.Int64".')
    limit, shown = (_UINT32, "0xffffffff") if kind == "dword" else (_UINT64, "0xffffffffffffffff")
    if too_large or number > limit:
        raise ModuleFailedError(f"data cannot be larger than {shown} when type is {kind}")
    # A negative number is stored as its two's complement, read back unsigned.
    return number & limit


def _uint64(text: str) -> int:
    """[UInt64]"text": decimal (rounded half to even) or 0x hex; anything else throws."""
    stripped = text.strip()
    try:
        if stripped.lower().startswith("0x"):
            number = int(stripped[2:], 16)
        else:
            number = int(Decimal(stripped).to_integral_value(ROUND_HALF_EVEN))
    except (ValueError, InvalidOperation):
        raise ModuleCrashError(f'Cannot convert value "{text}" to type "System.UInt64". Error:'
                               ' "Input string was not in a correct format."') from None
    if not 0 <= number <= _UINT64:
        raise ModuleCrashError(f'Cannot convert value "{text}" to type "System.UInt64". Error:'
                               ' "Value was either too large or too small for a UInt64."')
    return number


@register("ansible.windows.win_regedit", supports_check_mode=True,
          implements=("path", "name", "data", "type", "state", "delete_key", "hive"))
def win_regedit(host: LabHost, args: dict[str, Any], check_mode: bool,
                diff: bool) -> dict[str, Any]:
    """Create or remove a key, or set or remove one of its values."""
    if args["hive"]:
        raise ModuleFailedError("the sitekit lab does not model loading a registry hive file")
    registry = host_state(host)["registry"]
    path = normalise(args["path"])
    key = find_key(registry, path)
    values = registry.get(key, {}) if key else {}
    name, kind = args["name"], args["type"]
    result: dict[str, Any] = {"data_changed": False, "data_type_changed": False}
    # win_regedit.ps1: with no name the (Default) value can only be a string (it warns and
    # converts); then a name of "" is the (Default) value too ($Name $null, GetValue($null)).
    # The lab keeps the (Default) value under the name "", as win_reg_stat returns it.
    if name is None and kind != "string" and args["state"] == "present":
        result["warnings"] = ["the data type when name is not specified can only be 'string',"
                              " the type has automatically been converted"]
        kind = "string"
    if name == "":
        name = None
    if args["state"] == "absent":
        return result | _absent(registry, key, name, args["delete_key"], check_mode)
    data = _data(kind, args["data"], named=bool(name))
    if data is None:  # the default value with no data: the key only, as the module does
        if key is None and not check_mode:
            registry[path] = {}
        return result | {"changed": key is None}
    value_name = "" if name is None else find(values, name) or name
    current = values.get(value_name)
    wanted = {"type": kind, "data": data}
    if current == wanted:
        return result | {"changed": False}
    if not check_mode:
        registry.setdefault(key or path, {})[value_name] = wanted
    # win_regedit.ps1 sets data_changed only when an existing value's data differs: a value
    # it creates, or one it removes, leaves it false.
    return result | {"changed": True, "data_changed": current is not None
            and current["data"] != wanted["data"],
            "data_type_changed": current is not None and current["type"] != wanted["type"],
            "diff": {"before": {value_name: current} if current else {},
                     "after": {value_name: wanted}}}


def _absent(registry: dict[str, Any], key: str | None, name: str | None, delete_key: bool,
            check_mode: bool) -> dict[str, Any]:
    """Remove a value, or a key with its subkeys."""
    if key is None:
        return {"changed": False}
    if name is None and delete_key:
        doomed = [k for k in registry if k.lower() == key.lower() or
                  k.lower().startswith(key.lower() + "\\")]
        if not check_mode:
            for k in doomed:
                del registry[k]
        return {"changed": True}
    # delete_key=no and no name: the (Default) value ($key.DeleteValue($null)).
    value_name = "" if name is None and "" in registry.get(key, {}) else \
        None if name is None else find(registry.get(key, {}), name)
    if value_name is None:
        return {"changed": False}
    if not check_mode:
        del registry[key][value_name]
    return {"changed": True}
