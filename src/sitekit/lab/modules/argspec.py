"""Module argument specs from the installed collections' documentation.

They are checked the way Ansible.Basic (module_utils/csharp/Ansible.Basic.cs) checks
them on Windows, with the same messages, so a typo in a role fails in the lab as it
would on a real host.
"""

from __future__ import annotations

import ast
import functools
import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

# Ansible.Basic's passVars: the internal options every module accepts.
INTERNAL_OPTIONS = (
    "check_mode", "debug", "diff", "keep_remote_files", "ignore_unknown_opts", "module_name",
    "no_log", "remote_tmp", "selinux_special_fs", "shell_executable", "socket",
    "syslog_facility", "target_log_info", "tracebacks_for", "tmpdir", "verbosity", "version",
)
_BOOLEANS_TRUE = ("y", "yes", "on", "1", "true", "t", "1.0")
_BOOLEANS_FALSE = ("n", "no", "off", "0", "false", "f", "0.0")
NO_LOG_MASK = "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"


class ArgumentError(Exception):
    """Arguments Ansible.Basic would reject; the message is Ansible.Basic's."""


class SpecNotFoundError(LookupError):
    """No documentation for the module in the installed collections."""


@dataclass(frozen=True)
class OptionSpec:
    """One documented option."""

    name: str
    type: str = "str"
    required: bool = False
    default: Any = None
    choices: tuple[Any, ...] = ()
    aliases: tuple[str, ...] = ()
    elements: str | None = None
    no_log: bool = False
    options: tuple[OptionSpec, ...] = ()


@dataclass(frozen=True)
class ModuleSpec:
    """A module's documented options."""

    fqcn: str
    options: tuple[OptionSpec, ...] = field(default_factory=tuple)

    @property
    def short_name(self) -> str:
        """Return the module's name without namespace and collection."""
        return self.fqcn.rsplit(".", 1)[-1]


@dataclass
class Invocation:
    """Validated arguments and the internal options that came with them."""

    params: dict[str, Any]
    internal: dict[str, Any]
    no_log_values: set[str]

    @property
    def check_mode(self) -> bool:
        """Tell whether Ansible asked for check mode."""
        return bool(self.internal.get("check_mode", False))

    @property
    def diff(self) -> bool:
        """Tell whether Ansible asked for a diff."""
        return bool(self.internal.get("diff", False))


# -- loading documentation -------------------------------------------------------


def _collections_roots() -> list[Path]:
    """Return every ansible_collections directory on sys.path."""
    roots = [Path(p) / "ansible_collections" for p in sys.path if p]
    return [r for r in roots if r.is_dir()]


def _documentation(path: Path, variable: str = "DOCUMENTATION") -> dict[str, Any]:
    """Read a YAML documentation string from a Python file without importing it."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant):
            names = [t.id for t in node.targets if isinstance(t, ast.Name)]
            if variable in names and isinstance(node.value.value, str):
                doc = yaml.safe_load(node.value.value)
                return doc if isinstance(doc, dict) else {}
    raise SpecNotFoundError(f"{path} has no {variable}")


def _fragment(name: str) -> dict[str, Any]:
    """Load a documentation fragment: ns.coll.name[.VAR] or a builtin name[.VAR]."""
    parts = name.split(".")
    if len(parts) >= 3:
        ns, coll, frag, *var = parts
        candidates = [r / ns / coll / "plugins" / "doc_fragments" / f"{frag}.py"
                      for r in _collections_roots()]
    else:
        frag, *var = parts
        import ansible.plugins.doc_fragments as builtin  # noqa: PLC0415 - only for builtin fragments

        candidates = [Path(builtin.__file__).parent / f"{frag}.py"]
    variable = var[0].upper() if var else "DOCUMENTATION"
    for path in candidates:
        if path.is_file():
            return _documentation(path, variable)
    raise SpecNotFoundError(f"documentation fragment {name} is not installed")


@functools.cache
def load_spec(fqcn: str) -> ModuleSpec:
    """Build a module's spec from its installed documentation and fragments."""
    parts = fqcn.split(".")
    if len(parts) != 3:
        raise SpecNotFoundError(f"{fqcn} is not a fully qualified module name")
    ns, coll, name = parts
    if (ns, coll) == ("ansible", "legacy"):
        return _own_module_spec(fqcn, name)
    for root in _collections_roots():
        path = root / ns / coll / "plugins" / "modules" / f"{name}.py"
        if path.is_file():
            doc = _documentation(path)
            break
        # Newer modules (ansible.windows.setup) keep their documentation in <name>.yml.
        sidecar = path.with_suffix(".yml")
        if sidecar.is_file():
            doc = (yaml.safe_load(sidecar.read_text(encoding="utf-8")) or {}).get(
                "DOCUMENTATION") or {}
            break
    else:
        raise SpecNotFoundError(f"no documentation for {fqcn} in the installed collections")
    return _spec_from_doc(fqcn, doc)


def own_modules_dir() -> Path:
    """The kit's own modules (plugins/modules); SITEKIT_LIBRARY points elsewhere."""
    configured = os.environ.get("SITEKIT_LIBRARY")
    return Path(configured) if configured else Path(__file__).resolve().parents[4] / \
        "plugins" / "modules"


def _own_module_spec(fqcn: str, name: str) -> ModuleSpec:
    """An own module's spec, from the DOCUMENTATION of its .py stub beside the .ps1."""
    stub = own_modules_dir() / f"{name}.py"
    if not stub.is_file() or not stub.with_suffix(".ps1").is_file():
        raise SpecNotFoundError(f"{name} is not one of the kit's modules in {own_modules_dir()}")
    return _spec_from_doc(fqcn, _documentation(stub))


def _spec_from_doc(fqcn: str, doc: dict[str, Any]) -> ModuleSpec:
    """A spec from a module's DOCUMENTATION, its fragments' options merged in first."""
    options: dict[str, Any] = {}
    fragments = doc.get("extends_documentation_fragment") or []
    for fragment in [fragments] if isinstance(fragments, str) else fragments:
        options.update(_fragment(fragment).get("options") or {})
    options.update(doc.get("options") or {})
    return ModuleSpec(fqcn, _options(options))


def _options(raw: dict[str, Any]) -> tuple[OptionSpec, ...]:
    """Turn documented options into OptionSpecs."""
    return tuple(
        OptionSpec(
            name=name,
            # An option documented with suboptions but no type is a dict on Windows
            # (win_scheduled_task's trigger `repetition`), not a str.
            type=str(o.get("type", "dict" if o.get("suboptions") else "str")),
            required=bool(o.get("required", False)),
            default=o.get("default"),
            choices=tuple(o.get("choices") or ()),
            aliases=tuple(o.get("aliases") or ()),
            elements=o.get("elements"),
            no_log=bool(o.get("no_log", False)),
            options=_options(o.get("suboptions") or {}),
        )
        for name, o in raw.items()
        if isinstance(o, dict)
    )


# -- validation ------------------------------------------------------------------


def validate(spec: ModuleSpec, args: dict[str, Any]) -> Invocation:
    """Check and convert module arguments; raise ArgumentError with Ansible.Basic's message."""
    params = dict(args)
    internal = {
        key.removeprefix("_ansible_"): params.pop(key)
        for key in list(params)
        if key.startswith("_ansible_") and key.removeprefix("_ansible_") in INTERNAL_OPTIONS
    }
    run = _Run(
        module_name=str(internal.get("module_name") or spec.short_name),
        ignore_unknown=_bool(internal.get("ignore_unknown_opts", False)),
    )
    _check(spec.options, params, [], run)
    for key in ("check_mode", "diff"):
        if key in internal:
            internal[key] = _bool(internal[key])
    return Invocation(params, internal, run.no_log)


@dataclass
class _Run:
    """What one validation carries through every nesting level."""

    module_name: str
    ignore_unknown: bool
    no_log: set[str] = field(default_factory=set)


def _check(
    options: tuple[OptionSpec, ...], params: dict[str, Any], context: list[str], run: _Run
) -> None:
    """Validate one level of options in place, in Ansible.Basic's order."""
    for opt in options:
        for alias in opt.aliases:
            if alias in params:
                params[opt.name] = params[alias]
        if opt.no_log and params.get(opt.name) not in (None, ""):
            run.no_log.add(str(params[opt.name]))
    legal = [o.name for o in options] + [a for o in options for a in o.aliases]
    _check_unsupported(params, legal, context, run)
    missing = []
    for opt in options:
        if opt.default is not None and opt.name not in params:
            params[opt.name] = opt.default
        if opt.required and opt.name not in params:
            missing.append(opt.name)
    if missing:
        raise ArgumentError(_ctx(f"missing required arguments: {', '.join(missing)}", context))
    for opt in options:
        if params.get(opt.name) is not None:
            params[opt.name] = _convert_option(opt, params[opt.name], context)
    for opt in options:
        params.setdefault(opt.name, None)
        _check_suboptions(opt, params, context, run)


def _check_unsupported(
    params: dict[str, Any], legal: list[str], context: list[str], run: _Run
) -> None:
    """Reject unknown options; fix the case of case-insensitive matches."""
    lowered = {name.lower(): name for name in legal}
    unsupported = [k for k in params if k.lower() not in lowered]
    if unsupported and not run.ignore_unknown:
        names = ", ".join(unsupported)
        msg = _ctx(f"Unsupported parameters for ({run.module_name}) module: {names}", context)
        raise ArgumentError(f"{msg}. Supported parameters include: {', '.join(legal)}")
    for key in [k for k in params if k.lower() in lowered and k not in legal]:
        params[lowered[key.lower()]] = params.pop(key)


def _convert_option(opt: OptionSpec, value: Any, context: list[str]) -> Any:
    """Convert a value to its option type and check its choices."""
    try:
        value = convert(opt.type, value)
    except (ValueError, TypeError) as exc:
        raise ArgumentError(_ctx(
            f"argument for {opt.name} is of type {dotnet_type(value)} and we were unable to"
            f" convert to {opt.type}: {exc}", context)) from exc
    if opt.choices:
        values = value if opt.type == "list" else [value]
        allowed = [_str(c) for c in opt.choices]
        bad = [_str(v) for v in values if _str(v).lower() not in {a.lower() for a in allowed}]
        if bad:
            how = "one or more of" if opt.type == "list" else "one of"
            raise ArgumentError(_ctx(
                f"value of {opt.name} must be {how}: {', '.join(allowed)}."
                f" Got no match for: {', '.join(bad)}", context))
    return value


def _check_suboptions(
    opt: OptionSpec, params: dict[str, Any], context: list[str], run: _Run
) -> None:
    """Convert list elements and check dict suboptions, as CheckSubOption does."""
    value = params.get(opt.name)
    if value is None or not (opt.type == "dict" or (opt.type == "list" and opt.elements)):
        return
    if opt.type == "dict":
        if opt.options:
            _check(opt.options, value, [*context, opt.name], run)
        return
    converted = []
    for element in value:
        if opt.elements == "dict":
            entry = convert("dict", element)
            if opt.options:
                _check(opt.options, entry, [*context, opt.name], run)
            converted.append(entry)
            continue
        try:
            converted.append(convert(str(opt.elements), element))
        except (ValueError, TypeError) as exc:
            raise ArgumentError(_ctx(
                f"argument for list entry {opt.name} is of type {dotnet_type(element)} and we"
                f" were unable to convert to {opt.elements}: {exc}", context)) from exc
    params[opt.name] = converted


def _ctx(msg: str, context: list[str]) -> str:
    """Append Ansible.Basic's 'found in a -> b' for suboptions."""
    return f"{msg} found in {' -> '.join(context)}" if context else msg


# -- type conversion (Ansible.Basic's Parse* functions) -----------------------------


def _str(value: Any) -> str:
    """Format a value as .NET's ToString() would for JSON-decoded values."""
    if isinstance(value, bool):
        return "True" if value else "False"
    return str(value)


def _bool(value: Any) -> bool:
    """ParseBool."""
    if isinstance(value, bool):
        return value
    text = _str(value).lower().strip()
    if text in _BOOLEANS_TRUE:
        return True
    if text in _BOOLEANS_FALSE:
        return False
    valid = ", ".join(_BOOLEANS_TRUE + _BOOLEANS_FALSE)
    raise ValueError(f"The value '{text}' is not a valid boolean. Valid booleans include: {valid}")


def _int(value: Any) -> int:
    """ParseInt: Int32.Parse of the string form."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    text = _str(value).strip()
    if not text.lstrip("+-").isdigit():
        raise ValueError("Input string was not in a correct format.")
    number = int(text)
    if not -(2**31) <= number < 2**31:
        raise ValueError("Value was either too large or too small for an Int32.")
    return number


def _float(value: Any) -> float:
    """ParseFloat."""
    if isinstance(value, float):
        return value
    try:
        return float(_str(value))
    except ValueError:
        raise ValueError("Input string was not in a correct format.") from None


def _list(value: Any) -> list[Any]:
    """ParseList: lists pass, strings split on commas, ints wrap."""
    if isinstance(value, list):
        return value
    if isinstance(value, str):
        return [s.strip() for s in value.split(",")]
    if isinstance(value, int) and not isinstance(value, bool):
        return [value]
    raise ValueError(f"{dotnet_type(value)} cannot be converted to a list")


def _dict(value: Any) -> dict[str, Any]:
    """ParseDict: dicts pass, JSON or key=value strings parse."""
    if isinstance(value, dict):
        return value
    if isinstance(value, str):
        if value.startswith("{") and value.endswith("}"):
            parsed = json.loads(value)
            if isinstance(parsed, dict):
                return parsed
        if "=" in value:
            return _key_value(value)
        raise ValueError(
            "string cannot be converted to a dict, must either be a JSON string or in the"
            " key=value form"
        )
    raise ValueError(f"{dotnet_type(value)} cannot be converted to a dict")


def _key_value(text: str) -> dict[str, Any]:
    """Split 'a=1 b="x y"' the way ParseDict does."""
    fields: list[str] = []
    buffer: list[str] = []
    quote: str | None = None
    escaped = False
    for char in text:
        if escaped:
            buffer.append(char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif quote is None and char in "'\"":
            quote = char
        elif quote is not None and char == quote:
            quote = None
        elif quote is None and char in ", ":
            if buffer:
                fields.append("".join(buffer))
            buffer = []
        else:
            buffer.append(char)
    if buffer:
        fields.append("".join(buffer))
    result: dict[str, Any] = {}
    for item in dict.fromkeys(fields):
        key, sep, val = item.partition("=")
        result[key] = val if sep else None
    return result


def _json(value: Any) -> str:
    """ParseJson: dicts serialise, strings pass."""
    if isinstance(value, dict):
        return json.dumps(value)
    if isinstance(value, str):
        return value
    raise ValueError(f"{dotnet_type(value)} cannot be converted to json")


def _path(value: Any) -> str:
    """ParsePath: the string form; env var expansion is the host's business."""
    text = _str(value)
    if any(c in text for c in '<>"|\0'):
        raise ValueError("string value contains invalid path characters, cannot convert to path")
    return text


_CONVERTERS = {
    "bool": _bool, "dict": _dict, "float": _float, "int": _int, "json": _json,
    "list": _list, "path": _path, "raw": lambda v: v, "sid": _str, "str": _str,
}


def convert(type_name: str, value: Any) -> Any:
    """Convert a value to a documented type; unknown doc types pass through unchanged."""
    return _CONVERTERS.get(type_name, _CONVERTERS["raw"])(value)


def dotnet_type(value: Any) -> str:
    """Name the .NET type ConvertFrom-Json gives a JSON value, for error messages."""
    if isinstance(value, bool):
        return "System.Boolean"
    if isinstance(value, int):
        return "System.Int32" if -(2**31) <= value < 2**31 else "System.Int64"
    names = {str: "System.String", float: "System.Decimal", dict: "System.Collections.Hashtable",
             list: "System.Object[]"}
    return names.get(type(value), "System.Object")
