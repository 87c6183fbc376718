"""Each module model declares the options it implements; any other option fails loudly.

A model that silently ignored an option would answer what Windows does not (a false green:
win_service's `failure_actions` would look applied). So the registry names what each model
acts on, an option given at anything but its default is refused naming module and option,
and the declaration is held to the model's code: every option the model's code reads is
declared, and every declared option exists in the module's own spec.
"""

from __future__ import annotations

import ast
import inspect
import json
from typing import Any

import pytest

from sitekit.lab.host import LabHost
from sitekit.lab.modules import REGISTRY, load_models, run_module
from sitekit.lab.modules.argspec import load_spec
from tests.lab.models import seeded


@pytest.fixture
def server() -> LabHost:
    """A server as `lab up` seeds it."""
    return seeded("server", "lis01-srv01")


def call(host: LabHost, module: str, args: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """Run a model as ansible does: its rc and JSON result."""
    result = run_module(host, module, args)
    return result.rc, json.loads(result.stdout)


# Options the measurement found silently ignored, each given at a real value.
UNMODELLED = [
    ("ansible.windows.win_service", {"name": "W32Time", "failure_actions": [
        {"type": "restart", "delay_ms": 1000}]}, "failure_actions"),
    ("ansible.windows.win_service", {"name": "W32Time", "dependencies": ["Tcpip"]},
     "dependencies"),
    ("ansible.windows.win_service", {"name": "W32Time", "sid_info": "unrestricted"},
     "sid_info"),
    ("ansible.windows.win_user", {"name": "kit", "account_expires": "invalid"},
     "account_expires"),
    ("ansible.windows.setup", {"fact_path": "C:\\facts"}, "fact_path"),
    ("ansible.windows.win_wait_for", {"port": 1433, "exclude_hosts": ["127.0.0.2"]},
     "exclude_hosts"),
    ("ansible.windows.win_package", {"path": "C:\\x.msi", "state": "present",
                                     "wait_for_children": True}, "wait_for_children"),
]


@pytest.mark.parametrize(("module", "args", "option"), UNMODELLED,
                         ids=[f"{m.rsplit('.', 1)[1]}-{o}" for m, _, o in UNMODELLED])
def test_an_unmodelled_option_fails_naming_the_module_and_the_option(
        server: LabHost, module: str, args: dict[str, Any], option: str) -> None:
    before = windows(server)
    rc, result = call(server, module, args)
    assert rc == 1
    assert result["failed"] is True
    assert f"does not model the option {option} of {module}" in result["msg"]
    assert windows(server) == before  # nothing done


def windows(host: LabHost) -> str:
    """The host's Windows state, without the lab's own bookkeeping (its call counts)."""
    return json.dumps({k: v for k, v in host.state.items() if k != "lab"}, sort_keys=True,
                      default=str)


def test_an_unmodelled_option_at_its_default_is_no_change(server: LabHost) -> None:
    # win_service's `error_control` has no default and `force_dependent_services` is false
    # by default: given at false, the module behaves as if it were not given.
    rc, result = call(server, "ansible.windows.win_service",
                      {"name": "W32Time", "force_dependent_services": False})
    assert rc == 0, result
    assert result["name"] == "W32Time"


def test_an_alias_counts_as_its_option(server: LabHost) -> None:
    # win_wait_for's `regex` (a port's banner), given by its alias `search_regex`.
    assert "regex" not in REGISTRY["ansible.windows.win_wait_for"].implements
    rc, result = call(server, "ansible.windows.win_wait_for",
                      {"port": 5986, "search_regex": "HTTP"})
    assert rc == 1
    assert "option regex of ansible.windows.win_wait_for" in result["msg"]


def _models() -> list[str]:
    load_models()
    return sorted(REGISTRY)


@pytest.mark.parametrize("fqcn", _models())
def test_every_declared_option_is_in_the_modules_spec(fqcn: str) -> None:
    registration = REGISTRY[fqcn]
    options = {o.name for o in load_spec(fqcn).options} | {o.name for o in registration.hidden}
    assert registration.implements <= options, sorted(registration.implements - options)


@pytest.mark.parametrize("fqcn", _models())
def test_every_option_the_model_reads_is_declared(fqcn: str) -> None:
    """The options the model's file reads as args["x"] or args.get("x") are declared."""
    registration = REGISTRY[fqcn]
    tree = ast.parse(inspect.getsource(inspect.getmodule(registration.handler)))  # type: ignore[arg-type]
    options = {o.name for o in load_spec(fqcn).options}
    read = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Subscript) and _is_args(node.value) \
                and isinstance(node.slice, ast.Constant):
            read.add(node.slice.value)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and node.func.attr == "get" and _is_args(node.func.value) and node.args \
                and isinstance(node.args[0], ast.Constant):
            read.add(node.args[0].value)
    assert read & options <= registration.implements, sorted(read & options
                                                             - registration.implements)


def _is_args(node: ast.expr) -> bool:
    """`args`, `params` or `<something>.args`: where models keep a task's arguments."""
    return (isinstance(node, ast.Name) and node.id in ("args", "params")) or (
        isinstance(node, ast.Attribute) and node.attr == "args")
