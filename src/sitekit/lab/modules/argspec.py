"""Module argument specs as the modules' own code declares them, checked as Ansible.Basic does.

A module's spec is read from its PowerShell source (sitekit.lab.psspec): what the code
hands `[Ansible.Basic.AnsibleModule]::Create`, fragments from its module_utils merged in.
The documentation is read only where the code cannot be: a value the code computes at run
time (win_package's provider choices) or a legacy module with no `$spec` (Parse-Args);
each such fallback is named in the spec's `notes` and logged once. Arguments are then
checked in Ansible.Basic's order (module_utils/csharp/Ansible.Basic.cs, CheckArguments)
with its messages, so a mistake fails in the lab as it would on a real host.
"""

from __future__ import annotations

import ast
import copy
import functools
import json
import logging
import os
import re
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from sitekit.kit import plugins_dir
from sitekit.lab import psspec

log = logging.getLogger(__name__)

# Ansible.Basic's passVars: the internal options every module accepts.
INTERNAL_OPTIONS = (
    "check_mode", "debug", "diff", "keep_remote_files", "ignore_unknown_opts", "module_name",
    "no_log", "remote_tmp", "selinux_special_fs", "shell_executable", "socket",
    "syslog_facility", "target_log_info", "tracebacks_for", "tmpdir", "verbosity", "version",
)
_BOOLEANS_TRUE = ("y", "yes", "on", "1", "true", "t", "1.0")
_BOOLEANS_FALSE = ("n", "no", "off", "0", "false", "f", "0.0")
NO_LOG_MASK = "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"
# libyaml's safe loader where built: the documentation of legacy modules is large.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class ArgumentError(Exception):
    """Arguments Ansible.Basic would reject; the message is Ansible.Basic's.

    `no_log_values` are the secrets found before the check failed: FailJson masks them in
    the invocation it returns, as after any other failure.
    """

    no_log_values: frozenset[str] = frozenset()


class SpecNotFoundError(LookupError):
    """Neither the module's code nor its documentation is installed."""


@dataclass(frozen=True, kw_only=True)
class Rules:
    """The cross-option checks of one level of options (the module's, or a dict option's)."""

    mutually_exclusive: tuple[tuple[str, ...], ...] = ()
    required_together: tuple[tuple[str, ...], ...] = ()
    required_one_of: tuple[tuple[str, ...], ...] = ()
    # (key, value, requirements, any_of): Ansible.Basic's 3- or 4-entry required_if.
    required_if: tuple[tuple[str, Any, tuple[str, ...], bool], ...] = ()
    required_by: tuple[tuple[str, tuple[str, ...]], ...] = ()


@dataclass(frozen=True)
class OptionSpec(Rules):
    """One option; its own Rules apply to its suboptions."""

    name: str
    type: str = "str"
    required: bool = False
    default: Any = None
    choices: tuple[Any, ...] = ()
    aliases: tuple[str, ...] = ()
    elements: str | None = None
    no_log: bool = False
    options: tuple[OptionSpec, ...] = ()
    apply_defaults: bool = False


@dataclass(frozen=True)
class ModuleSpec(Rules):
    """A module's options and rules, and where they were read from."""

    fqcn: str
    options: tuple[OptionSpec, ...] = field(default_factory=tuple)
    # None where the documentation was read instead of the code.
    supports_check_mode: bool | None = None
    source: str = ""
    # What was not read from the code, and why: each a documentation fallback.
    notes: tuple[str, ...] = ()
    # A legacy module (Parse-Args, Get-AnsibleParam): its list and dict options reach its
    # code as given, unchecked (Ansible.ModuleUtils.Legacy.psm1, Get-AnsibleParam).
    legacy: bool = False

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
    # Ansible.Basic stopped checking: check mode on a module that does not support it.
    skipped: bool = False

    @property
    def check_mode(self) -> bool:
        """Tell whether Ansible asked for check mode."""
        return bool(self.internal.get("check_mode", False))

    @property
    def diff(self) -> bool:
        """Tell whether Ansible asked for a diff."""
        return bool(self.internal.get("diff", False))


# -- loading: the code first, the documentation where the code can't be read -------------


def _collections_roots() -> tuple[Path, ...]:
    """Return every ansible_collections directory on sys.path."""
    roots = [Path(p) / "ansible_collections" for p in sys.path if p]
    return tuple(r for r in roots if r.is_dir())


@functools.cache
def load_spec(fqcn: str) -> ModuleSpec:
    """A module's spec from its PowerShell source; parsed once per process."""
    parts = fqcn.split(".")
    if len(parts) != 3:
        raise SpecNotFoundError(f"{fqcn} is not a fully qualified module name")
    ns, coll, name = parts
    if (ns, coll) == ("ansible", "legacy"):
        script = own_modules_dir() / f"{name}.ps1"
        if not script.is_file():
            raise SpecNotFoundError(
                f"{name} is not one of the kit's modules in {own_modules_dir()}")
    else:
        found = [r / ns / coll / "plugins" / "modules" / f"{name}.ps1"
                 for r in _collections_roots()]
        script = next((p for p in found if p.is_file()), Path())
        if not script.is_file():
            raise SpecNotFoundError(f"no PowerShell source for {fqcn} in the installed collections")
    try:
        code = psspec.read(script, _collections_roots(), own_modules_dir().parent / "module_utils")
    except psspec.SpecSourceError as exc:
        spec = _replace_notes(load_doc_spec(fqcn), f"{exc}: checked against its documentation")
        text = script.read_text(encoding="utf-8", errors="replace")
        if "Parse-Args" in text:
            spec = _with_code_choices(_with_code_options(replace(spec, legacy=True), text), text)
    else:
        spec = _spec_from_code(fqcn, code)
    for note in spec.notes:
        log.info("%s: %s", fqcn, note)
    return spec


_QUOTED_LIST = r'"[^"]*"(?:\s*,\s*"[^"]*")*'
_VALIDATESET = re.compile(r'Get-AnsibleParam\b[^\n]*?-name\s+"(\w+)"[^\n]*?-validateset\s+'
                          rf'({_QUOTED_LIST}|\$\w+)', re.IGNORECASE)


def _with_code_choices(spec: ModuleSpec, text: str) -> ModuleSpec:
    """A legacy module's choices from its Get-AnsibleParam -validateset, where it has one.

    The code is what Windows runs: win_scheduled_task's documentation offers
    `token_or_password` where its code takes `interactive_token_or_password`.
    """
    def values(found: str) -> tuple[str, ...]:
        if found.startswith("$"):  # a variable: its assignment of a quoted list
            assigned = re.search(rf"^\s*\{found}\s*=\s*({_QUOTED_LIST})", text,
                                 re.IGNORECASE | re.MULTILINE)
            found = assigned.group(1) if assigned else ""
        return tuple(re.findall(r'"([^"]*)"', found))

    choices = {m.group(1).lower(): values(m.group(2)) for m in _VALIDATESET.finditer(text)}
    options = tuple(replace(o, choices=choices[o.name.lower()])
                    if choices.get(o.name.lower()) else o for o in spec.options)
    return replace(spec, options=options)


# Get-AnsibleParam -obj $params -name "x" ..., or positionally: Get-AnsibleParam $params "x".
_PARAM_CALL = re.compile(r'Get-AnsibleParam\b(?:[^\n]*?-name\s+|\s+\$\w+\s+)"(\w+)"([^\n]*)',
                         re.IGNORECASE)
_LEGACY_TYPES = ("str", "bool", "int", "float", "list", "path")


def _with_code_options(spec: ModuleSpec, text: str) -> ModuleSpec:
    """A legacy module's options its code reads and its documentation does not name.

    The code is what Windows runs: community.windows 3.1.0's win_firewall_rule reads
    `interfacetypes`, `edge` and `security` (win_firewall_rule.ps1, Get-AnsibleParam) that
    its documentation leaves out. Without them here a task giving one would pass the
    lab's check that every option given is modelled, and be silently ignored.
    """
    known = {n.lower() for o in spec.options for n in (o.name, *o.aliases)}
    added: list[OptionSpec] = []
    for match in _PARAM_CALL.finditer(text):
        name, rest = match.group(1), match.group(2)
        if name.lower().startswith("_ansible") or name.lower() in known:
            continue
        known.add(name.lower())
        kind = re.search(r'-type\s+"(\w+)"', rest, re.IGNORECASE)
        aliases = re.search(r'-aliases\s+((?:"[^"]*"\s*,?\s*)+)', rest, re.IGNORECASE)
        option_type = kind.group(1).lower() if kind else "raw"
        added.append(OptionSpec(
            name, type=option_type if option_type in _LEGACY_TYPES else "raw",
            aliases=tuple(re.findall(r'"([^"]*)"', aliases.group(1))) if aliases else (),
            required=bool(re.search(r"-failifempty\s+\$true", rest, re.IGNORECASE))))
    if not added:
        return spec
    return _replace_notes(replace(spec, options=spec.options + tuple(added)),
                          "options its code reads and its documentation leaves out: "
                          + ", ".join(o.name for o in added))


def _replace_notes(spec: ModuleSpec, *notes: str) -> ModuleSpec:
    return replace(spec, notes=spec.notes + notes)


def own_modules_dir() -> Path:
    """The kit's own modules (plugins/modules); SITEKIT_LIBRARY points elsewhere."""
    configured = os.environ.get("SITEKIT_LIBRARY")
    return Path(configured) if configured else plugins_dir() / "modules"


def _spec_from_code(fqcn: str, code: psspec.CodeSpec) -> ModuleSpec:
    """Turn the evaluated $spec into a ModuleSpec; unresolved values from the docs."""
    notes: list[str] = []
    if code.dynamic:
        notes.append(f"the code changes its spec at run time ({'; '.join(code.dynamic)});"
                     " those options are not known here")
    raw = code.spec
    options = _code_options(raw.get("options") or {}, _DocLookup(fqcn), [], notes)
    return ModuleSpec(fqcn, options, supports_check_mode=bool(raw.get("supports_check_mode")),
                      source=str(code.path), notes=tuple(notes), **_code_rules(raw, [], notes))


class _DocLookup:
    """A module's documented options, read only when the code leaves a value open."""

    def __init__(self, fqcn: str) -> None:
        self.fqcn = fqcn

    def option(self, where: list[str]) -> OptionSpec | None:
        """The documented option at a path of names, if documented."""
        try:
            options = load_doc_spec(self.fqcn).options
        except SpecNotFoundError:
            return None
        found = None
        for name in where:
            found = next((o for o in options if o.name == name), None)
            if found is None:
                return None
            options = found.options
        return found


def _code_options(raw: Any, docs: _DocLookup, context: list[str],
                  notes: list[str]) -> tuple[OptionSpec, ...]:
    if not isinstance(raw, dict):
        notes.append(f"options of {' -> '.join(context) or 'the module'} are computed"
                     f" ({_text(raw)}); not checked")
        return ()
    options = []
    for name, entry in raw.items():
        where = [*context, name]
        if not isinstance(entry, dict):
            notes.append(f"{' -> '.join(where)} is computed ({_text(entry)}); not checked")
            continue

        def get(key: str, default: Any, entry: dict[str, Any] = entry,
                where: list[str] = where) -> Any:
            value = entry.get(key, default)
            if not isinstance(value, psspec.Unresolved) and not (
                    isinstance(value, list) and any(isinstance(v, psspec.Unresolved)
                                                    for v in value)):
                return value
            fallback = docs.option(where)
            doc_value = getattr(fallback, key, default) if fallback is not None else default
            notes.append(f"{key} of {' -> '.join(where)} is computed by the code"
                         f" ({_text(value)}); taken from the documentation: {doc_value!r}")
            return doc_value

        kind = get("type", "str")
        options.append(OptionSpec(
            name=name,
            type=kind if isinstance(kind, str) else "raw",
            required=bool(get("required", False)),
            default=get("default", None),
            choices=tuple(_as_list(get("choices", []))),
            aliases=tuple(str(a) for a in _as_list(get("aliases", []))),
            elements=get("elements", None),
            no_log=bool(get("no_log", False)),
            options=_code_options(entry.get("options") or {}, docs, where, notes),
            apply_defaults=bool(get("apply_defaults", False)),
            **_code_rules(entry, where, notes),
        ))
    return tuple(options)


def _code_rules(raw: dict[str, Any], context: list[str], notes: list[str]) -> dict[str, Any]:
    """The Rules of one spec level, as Ansible.Basic reads them."""
    def groups(key: str) -> tuple[tuple[str, ...], ...]:
        value = raw.get(key) or []
        if not isinstance(value, list) or any(not isinstance(g, list) for g in value):
            notes.append(f"{key} of {' -> '.join(context) or 'the module'} is computed"
                         f" ({_text(value)}); not checked")
            return ()
        return tuple(tuple(str(n) for n in g) for g in value)

    required_if = []
    entries = raw.get("required_if") or []
    for entry in entries if isinstance(entries, list) else [entries]:
        if isinstance(entry, list) and len(entry) in (3, 4):
            required_if.append((str(entry[0]), entry[1], tuple(_as_list(entry[2])),
                                bool(entry[3]) if len(entry) == 4 else False))
        else:
            notes.append(f"a required_if entry is not a 3- or 4-entry list: {_text(entry)}")
    by = raw.get("required_by") or {}
    return {
        "mutually_exclusive": groups("mutually_exclusive"),
        "required_together": groups("required_together"),
        "required_one_of": groups("required_one_of"),
        "required_if": tuple(required_if),
        "required_by": tuple((str(k), tuple(str(v) for v in _list(vs)))
                             for k, vs in by.items()) if isinstance(by, dict) else (),
    }


def _as_list(value: Any) -> list[Any]:
    if isinstance(value, list | tuple):
        return list(value)
    return [] if value is None else [value]


def _text(value: Any) -> str:
    return value.text if isinstance(value, psspec.Unresolved) else repr(value)


# -- the documentation, where the code cannot be read -------------------------------------


def _documentation(path: Path, variable: str = "DOCUMENTATION") -> dict[str, Any]:
    """Read a YAML documentation string from a Python file without importing it."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant):
            names = [t.id for t in node.targets if isinstance(t, ast.Name)]
            if variable in names and isinstance(node.value.value, str):
                doc = yaml.load(node.value.value, Loader=_YAML_LOADER)  # noqa: S506 - a safe loader
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
def load_doc_spec(fqcn: str) -> ModuleSpec:
    """A module's spec from its installed documentation and doc fragments."""
    ns, coll, name = fqcn.split(".")
    if (ns, coll) == ("ansible", "legacy"):
        stub = own_modules_dir() / f"{name}.py"
        if not stub.is_file():
            raise SpecNotFoundError(f"{name} has no documentation stub in {own_modules_dir()}")
        return _spec_from_doc(fqcn, _documentation(stub))
    for root in _collections_roots():
        path = root / ns / coll / "plugins" / "modules" / f"{name}.py"
        if path.is_file():
            return _spec_from_doc(fqcn, _documentation(path))
        # Newer modules (ansible.windows.setup) keep their documentation in <name>.yml.
        sidecar = path.with_suffix(".yml")
        if sidecar.is_file():
            text = sidecar.read_text(encoding="utf-8")
            doc = yaml.load(text, Loader=_YAML_LOADER)  # noqa: S506 - a safe loader
            return _spec_from_doc(fqcn, (doc or {}).get("DOCUMENTATION") or {})
    raise SpecNotFoundError(f"no documentation for {fqcn} in the installed collections")


def _spec_from_doc(fqcn: str, doc: dict[str, Any]) -> ModuleSpec:
    """A spec from a module's DOCUMENTATION, its fragments' options merged in first."""
    options: dict[str, Any] = {}
    fragments = doc.get("extends_documentation_fragment") or []
    for fragment in [fragments] if isinstance(fragments, str) else fragments:
        options.update(_fragment(fragment).get("options") or {})
    options.update(doc.get("options") or {})
    return ModuleSpec(fqcn, _doc_options(options), source="documentation")


def _doc_options(raw: dict[str, Any]) -> tuple[OptionSpec, ...]:
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
            options=_doc_options(o.get("suboptions") or {}),
        )
        for name, o in raw.items()
        if isinstance(o, dict)
    )


# -- validation: Ansible.Basic's CheckArguments, in its order ----------------------------


def validate(spec: ModuleSpec, args: dict[str, Any]) -> Invocation:
    """Check and convert module arguments; raise ArgumentError with Ansible.Basic's message."""
    params = dict(args)
    internal = {
        key.removeprefix("_ansible_"): params.pop(key)
        for key in list(params)
        if key.startswith("_ansible_") and key.removeprefix("_ansible_") in INTERNAL_OPTIONS
    }
    for key in ("check_mode", "diff"):
        if key in internal:
            internal[key] = _bool(internal[key])
    if spec.legacy:
        return _legacy(spec, params, internal)
    run = _Run(
        module_name=str(internal.get("module_name") or spec.short_name),
        ignore_unknown=_bool(internal.get("ignore_unknown_opts", False)),
        # Checking stops after the unsupported-parameter check (CheckArguments).
        skip_check_mode=bool(internal.get("check_mode")) and spec.supports_check_mode is False,
        legacy=spec.legacy,
    )
    try:
        _check(spec, params, [], run)
    except ArgumentError as exc:
        exc.no_log_values = frozenset(run.no_log)
        raise
    except _SkippedError:
        return Invocation(params, internal, run.no_log, skipped=True)
    return Invocation(params, internal, run.no_log)


# -- a legacy module: each option read by Get-AnsibleParam (Ansible.ModuleUtils.Legacy) ---


def _legacy(spec: ModuleSpec, params: dict[str, Any], internal: dict[str, Any]) -> Invocation:
    """Read each option as Get-AnsibleParam does, in the documented order.

    The name, then each alias, looked up case-insensitively (the arguments are a
    Hashtable); a missing required option and a value outside the choices fail in its
    words; values convert its way (a bool never fails, an int that is none is $null); an
    option the module does not read is ignored, as Parse-Args ignores it.
    """
    given = {key.lower(): (key, value) for key, value in params.items()}
    read: dict[str, Any] = {}
    no_log: set[str] = set()
    for opt in spec.options:
        found = next((given[n.lower()] for n in (opt.name, *opt.aliases) if n.lower() in given),
                     None)
        if found is None:
            if opt.required:
                raise ArgumentError(f"Get-AnsibleParam: Missing required argument: {opt.name}")
            read[opt.name] = copy.deepcopy(opt.default)
            continue
        name, value = found
        if opt.choices and not any(_str(c).lower() == _str(value).lower() for c in opt.choices):
            raise ArgumentError(f"Get-AnsibleParam: Argument {name} needs to be one of"
                                f" {','.join(_str(c) for c in opt.choices)} but was"
                                f" {_ps_text(value)}.")
        read[opt.name] = None if value is None else _legacy_convert(opt, name, value)
        if opt.no_log and value not in (None, ""):
            no_log.add(_str(value))
    return Invocation(read, internal, no_log)


def _legacy_convert(opt: OptionSpec, name: str, value: Any) -> Any:
    """Get-AnsibleParam's -type conversions."""
    if opt.type == "str":
        return _ps_text(value) if isinstance(value, list) else _str(value)
    if opt.type == "bool":  # ConvertTo-Bool: anything but these is false
        return value is True or _str(value).lower() in ("yes", "on", "1", "true")
    if opt.type in ("int", "float"):  # -as [int] / [float]: $null when it is not one
        if isinstance(value, bool):
            return int(value)
        try:
            number = float(_str(value).strip())
        except ValueError:
            return None
        if opt.type == "float":
            return number
        rounded = round(number)  # .NET rounds half to even, as round() does
        return rounded if -(2**31) <= rounded < 2**31 else None
    if opt.type == "list":
        try:
            return _list(value)
        except ValueError:
            raise ArgumentError(f"Get-AnsibleParam: Parameter '{name}' is not a YAML list."
                                ) from None
    if opt.type == "path":
        try:
            return _path(value)
        except ValueError:
            raise ArgumentError(f"Get-AnsibleParam: Parameter '{name}' has an invalid path"
                                f" '{_str(value)}' specified.") from None
    return value


def _ps_text(value: Any) -> str:
    """A value as PowerShell interpolates it into a string: a list's items space-joined."""
    if isinstance(value, list):
        return " ".join(_ps_text(v) for v in value)
    return _str(value)


class _SkippedError(Exception):
    """Ansible.Basic exits here: check mode on a module that does not support it."""


@dataclass
class _Run:
    """What one validation carries through every nesting level."""

    module_name: str
    ignore_unknown: bool
    skip_check_mode: bool = False
    legacy: bool = False
    no_log: set[str] = field(default_factory=set)


def _check(level: ModuleSpec | OptionSpec, params: dict[str, Any], context: list[str],
           run: _Run) -> None:
    """Validate one level of options in place: GetAliases, SetNoLogValues, CheckArguments."""
    options = level.options
    for opt in options:
        for alias in opt.aliases:
            if alias in params:
                params[opt.name] = params[alias]
        if opt.no_log and params.get(opt.name) not in (None, ""):
            run.no_log.add(_str(params[opt.name]))
    legal = [o.name for o in options] + [a for o in options for a in o.aliases]
    _check_unsupported(params, legal, context, run)
    if run.skip_check_mode and not context:
        raise _SkippedError
    for group in level.mutually_exclusive:
        if sum(name in params for name in group) > 1:
            raise ArgumentError(_ctx(f"parameters are mutually exclusive: {', '.join(group)}",
                                     context))
    _check_required(options, params, context)
    for opt in options:
        if params.get(opt.name) is not None:
            params[opt.name] = _convert_option(opt, params[opt.name], context)
    _check_rules(level, params, context)
    for opt in options:
        params.setdefault(opt.name, None)
        _check_suboptions(opt, params, context, run)


def _check_required(options: tuple[OptionSpec, ...], params: dict[str, Any],
                    context: list[str]) -> None:
    """CheckRequiredArguments: defaults first, then what is still missing."""
    missing = []
    for opt in options:
        if opt.default is not None and opt.name not in params:
            # A copy: a model that changes its params must not change the spec.
            params[opt.name] = copy.deepcopy(opt.default) \
                if isinstance(opt.default, list | dict) else opt.default
        if opt.required and opt.name not in params:
            missing.append(opt.name)
    if missing:
        raise ArgumentError(_ctx(f"missing required arguments: {', '.join(missing)}", context))


def _check_rules(level: Rules, params: dict[str, Any], context: list[str]) -> None:
    """CheckRequiredTogether, CheckRequiredOneOf, CheckRequiredIf, CheckRequiredBy."""
    for group in level.required_together:
        found = [name in params for name in group]
        if any(found) and not all(found):
            raise ArgumentError(_ctx(f"parameters are required together: {', '.join(group)}",
                                     context))
    for group in level.required_one_of:
        if not any(name in params for name in group):
            raise ArgumentError(_ctx(f"one of the following is required: {', '.join(group)}",
                                     context))
    for key, value, requirements, any_of in level.required_if:
        # ParseStr of both sides, compared case-sensitively.
        if params.get(key) is None or _str(params[key]) != _str(value):
            continue
        missing = [name for name in requirements if name not in params]
        if len(missing) >= (len(requirements) if any_of else 1):
            term = "any" if any_of else "all"
            raise ArgumentError(_ctx(f"{key} is {_str(value)} but {term} of the following are"
                                     f" missing: {', '.join(missing)}", context))
    for key, requires in level.required_by:
        if key not in params:
            continue
        missing = [name for name in requires if name not in params]
        if missing:
            raise ArgumentError(_ctx(f"missing parameter(s) required by '{key}':"
                                     f" {', '.join(missing)}", context))


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
    if not (opt.type == "dict" or (opt.type == "list" and opt.elements)):
        return
    # Get-AnsibleParam hands a legacy module its dicts and lists of dicts as given: the
    # module's own code checks them, in its own words (the model does too).
    if run.legacy and "dict" in (opt.type, opt.elements):
        return
    if opt.type == "dict":
        params[opt.name] = _sub_spec(opt, value, context, run)
        return
    if value is None:
        return
    converted = []
    for element in value:
        if opt.elements == "dict":
            converted.append(_sub_spec(opt, element, context, run))
            continue
        try:
            converted.append(convert(str(opt.elements), element))
        except (ValueError, TypeError) as exc:
            raise ArgumentError(_ctx(
                f"argument for list entry {opt.name} is of type {dotnet_type(element)} and we"
                f" were unable to convert to {opt.elements}: {exc}", context)) from exc
    params[opt.name] = converted


def _sub_spec(opt: OptionSpec, value: Any, context: list[str], run: _Run) -> Any:
    """ParseSubSpec: apply_defaults makes an absent dict {}; no suboptions, no checks."""
    if opt.apply_defaults and opt.options and value is None:
        value = {}
    elif not opt.options or value is None:
        return value
    entry = dict(_dict(value))
    _check(opt, entry, [*context, opt.name], run)
    return entry


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


def options_off_default(spec: ModuleSpec, args: dict[str, Any],
                        params: dict[str, Any]) -> list[str]:
    """The top-level options a task gave at a value other than their default.

    `args` as the task sent them (an alias counts as its option), `params` as validated.
    """
    given = []
    for opt in spec.options:
        if not any(name in args for name in (opt.name, *opt.aliases)):
            continue
        default = None if opt.default is None else convert(opt.type, opt.default)
        if params.get(opt.name) != default:
            given.append(opt.name)
    return given
