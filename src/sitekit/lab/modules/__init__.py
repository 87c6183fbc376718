"""Module models: FQCN -> handler(host, args, check_mode, diff) -> the documented result.

A handler receives arguments already validated against the spec the module's own code
declares (argspec.py) and returns the module-specific part of its result; it raises
ModuleFailedError for a documented failure. `run_module` adds what Ansible.Basic adds
(changed, invocation, check-mode skip) and frames the result as the module's stdout.
Importing a handler module registers it; every public submodule is one.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib
import logging
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from sitekit.lab.errors import ModuleCrashError, ModuleFailedError
from sitekit.lab.host import LabHost
from sitekit.lab.modules.argspec import (
    NO_LOG_MASK,
    ArgumentError,
    Invocation,
    ModuleSpec,
    OptionSpec,
    SpecNotFoundError,
    load_spec,
    options_off_default,
    validate,
)
from sitekit.lab.process import ExecResult, json_result

log = logging.getLogger(__name__)



class Handler(Protocol):
    """What a module model implements."""

    def __call__(
        self, host: LabHost, args: dict[str, Any], check_mode: bool, diff: bool
    ) -> dict[str, Any]:
        """Apply the module to the host model and return its result."""
        ...


@dataclass(frozen=True)
class Registration:
    """A registered module model."""

    fqcn: str
    handler: Handler
    supports_check_mode: bool
    # The options the model acts on: any other given at a value other than its default
    # fails the task (a model that ignored it would answer what Windows does not).
    implements: frozenset[str]
    # Options the .ps1 accepts that its spec cannot show: a legacy module's (win_copy's
    # _copy_mode, checked against its documentation) or those setup adds at run time.
    hidden: tuple[OptionSpec, ...] = ()


REGISTRY: dict[str, Registration] = {}


def register(fqcn: str, *, supports_check_mode: bool, implements: tuple[str, ...],
             hidden: tuple[OptionSpec, ...] = ()) -> Callable[[Handler], Handler]:
    """Register a handler for a module, as its .ps1 spec declares check-mode support.

    `implements` names the options the handler acts on; `hidden` ones are implemented too.
    """

    def decorate(handler: Handler) -> Handler:
        if fqcn in REGISTRY:
            raise ValueError(f"{fqcn} is registered twice")
        implemented = frozenset(implements) | {o.name for o in hidden}
        REGISTRY[fqcn] = Registration(fqcn, handler, supports_check_mode, implemented, hidden)
        return handler

    return decorate


@functools.cache
def load_models() -> None:
    """Import every module model so it registers itself; later calls do nothing.

    Every public submodule is a model (one file per module); helpers start with `_`.
    """
    for info in pkgutil.iter_modules(__path__):
        if not info.name.startswith("_") and info.name != "argspec":
            importlib.import_module(f"{__name__}.{info.name}")


def run_module(host: LabHost, fqcn: str, args: dict[str, Any]) -> ExecResult:
    """Run a module model; validation and unmodelled modules fail like a module would."""
    host.count_module_call(fqcn)
    load_models()
    registration = REGISTRY.get(fqcn)
    if registration is None:
        return _failed(f"the sitekit lab does not model the module {fqcn}", args)
    try:
        spec = _with_hidden(load_spec(fqcn), registration.hidden)
        invocation = validate(spec, args)
    except SpecNotFoundError as exc:
        return _failed(f"the sitekit lab cannot check arguments of {fqcn}: {exc}", args)
    except ArgumentError as exc:
        return _failed(str(exc), args, exc.no_log_values)
    unmodelled = [name for name in options_off_default(spec, args, invocation.params)
                  if name not in registration.implements]
    if unmodelled:
        model = registration.handler.__module__.replace(".", "/")
        return _failed(f"the sitekit lab does not model the option {', '.join(unmodelled)} of"
                       f" {fqcn}: leave it at its default, or model it in src/{model}.py",
                       args, frozenset(invocation.no_log_values))
    name = str(invocation.internal.get("module_name") or fqcn.rsplit(".", 1)[-1])
    if invocation.check_mode and not registration.supports_check_mode:
        # Parse-Args (a legacy module) does not name the module.
        msg = "remote module does not support check mode" if spec.legacy else \
            f"remote module ({name}) does not support check mode"
        skipped = {"changed": False, "skipped": True, "msg": msg}
        return json_result(skipped | _invocation(invocation))
    result: dict[str, Any] = {"changed": False}
    try:
        result |= registration.handler(
            host, invocation.params, invocation.check_mode, invocation.diff
        )
    except ModuleFailedError as exc:
        result |= exc.result | {"failed": True, "msg": exc.msg}
    # A full disk (.NET's IOException) or a crash the module does not handle.
    except (OSError, ModuleCrashError) as exc:
        return json_result(
            {"failed": True, "msg": f"Unhandled exception while executing module: {exc}",
             "exception": f"{exc}\r\nScriptStackTrace:\r\nat <ScriptBlock>, <No file>"},
            rc=1,
        )
    except Exception as exc:  # a bug in a model: fail the task loudly, keep the connection
        log.exception("the model of %s failed", fqcn)
        return json_result({"failed": True, "msg": f"the sitekit lab's model of {fqcn} failed:"
                            f" {type(exc).__name__}: {exc} (a lab bug; see lab.log)"}, rc=1)
    if "diff" in result and not invocation.diff:
        del result["diff"]
    log.info("%s %s%s: changed=%s%s", host.hostname, fqcn, " (check)" if invocation.check_mode
             else "", result.get("changed"), f" FAILED {result['msg']}" if result.get("failed")
             else "")
    result |= _invocation(invocation)
    return json_result(result, rc=1 if result.get("failed") else 0)


_SPECS: dict[str, ModuleSpec] = {}


def _with_hidden(spec: ModuleSpec, hidden: tuple[OptionSpec, ...]) -> ModuleSpec:
    """The spec with the registration's hidden options; built once per module."""
    merged = _SPECS.get(spec.fqcn)
    if merged is None:
        # The registration's own definition wins over one read from a legacy module's
        # Get-AnsibleParam calls (which carry no default or choices for these).
        mine = {o.name for o in hidden}
        kept = tuple(o for o in spec.options if o.name not in mine)
        merged = _SPECS[spec.fqcn] = dataclasses.replace(spec, options=kept + hidden)
    return merged


def _invocation(invocation: Invocation) -> dict[str, Any]:
    """Build the invocation key with no_log values masked."""
    return {"invocation": {"module_args": _masked(invocation.params,
                                                  frozenset(invocation.no_log_values))}}


def _masked(value: Any, secrets: frozenset[str]) -> Any:
    """A value with every no_log value in it replaced by Ansible.Basic's mask."""
    if isinstance(value, dict):
        return {k: _masked(v, secrets) for k, v in value.items()}
    if isinstance(value, list):
        return [_masked(v, secrets) for v in value]
    if value is not None and str(value) in secrets:
        return NO_LOG_MASK
    return value


def _failed(msg: str, args: dict[str, Any], secrets: frozenset[str] = frozenset()) -> ExecResult:
    """Fail before the module ran, as Ansible.Basic does, with rc 1 and secrets masked."""
    module_args = {k: v for k, v in args.items() if not k.startswith("_ansible_")}
    return json_result({"failed": True, "msg": msg,
                        "invocation": {"module_args": _masked(module_args, secrets)}}, rc=1)
