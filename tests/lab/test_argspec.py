"""Module arguments checked against installed documentation, with Ansible.Basic's messages."""

from __future__ import annotations

from typing import Any

import pytest

from sitekit.lab.modules.argspec import (
    ArgumentError,
    ModuleSpec,
    OptionSpec,
    SpecNotFoundError,
    load_spec,
    validate,
)

SPEC = ModuleSpec(
    "ns.coll.win_thing",
    (
        OptionSpec("name", required=True, aliases=("title",)),
        OptionSpec("state", choices=("present", "absent"), default="present"),
        OptionSpec("enabled", type="bool"),
        OptionSpec("port", type="int"),
        OptionSpec("tags", type="list", elements="str"),
        OptionSpec("secret", no_log=True),
        OptionSpec("limits", type="dict", options=(OptionSpec("cpu", type="int", required=True),)),
    ),
)


@pytest.mark.parametrize(
    ("args", "params"),
    [
        ({"name": "a"}, {"name": "a", "state": "present", "enabled": None, "port": None}),
        ({"title": "a"}, {"name": "a", "title": "a"}),
        ({"name": "a", "enabled": "yes", "port": "80"}, {"enabled": True, "port": 80}),
        ({"name": "a", "tags": "x, y"}, {"tags": ["x", "y"]}),
        ({"name": "a", "state": "Absent"}, {"state": "Absent"}),
        ({"name": "a", "limits": {"cpu": "2"}}, {"limits": {"cpu": 2}}),
        ({"NAME": "a"}, {"name": "a"}),
    ],
)
def test_valid_arguments(args: dict[str, Any], params: dict[str, Any]) -> None:
    result = validate(SPEC, args)
    assert result.params | params == result.params


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"name": "a", "nmae": "b"},
         "Unsupported parameters for (win_thing) module: nmae. Supported parameters include:"
         " name, state, enabled, port, tags, secret, limits, title"),
        ({"name": "a", "_ansible_module_name": "ns.coll.win_thing", "x": 1},
         "Unsupported parameters for (ns.coll.win_thing) module: x."),
        ({"state": "absent"}, "missing required arguments: name"),
        ({"name": "a", "state": "gone"},
         "value of state must be one of: present, absent. Got no match for: gone"),
        ({"name": "a", "enabled": "maybe"},
         "argument for enabled is of type System.String and we were unable to convert to bool:"
         " The value 'maybe' is not a valid boolean. Valid booleans include: y, yes, on, 1,"),
        ({"name": "a", "port": "eighty"},
         "argument for port is of type System.String and we were unable to convert to int:"
         " Input string was not in a correct format."),
        ({"name": "a", "limits": {}}, "missing required arguments: cpu found in limits"),
        ({"name": "a", "limits": {"cpu": 1, "ram": 2}},
         "Unsupported parameters for (win_thing) module: ram found in limits."),
        ({"name": "a", "_ansible_bogus": True}, "Unsupported parameters for (win_thing) module:"
         " _ansible_bogus."),
    ],
)
def test_invalid_arguments(args: dict[str, Any], message: str) -> None:
    with pytest.raises(ArgumentError) as error:
        validate(SPEC, args)
    assert str(error.value).startswith(message)


def test_internal_options_are_taken_out() -> None:
    result = validate(SPEC, {"name": "a", "_ansible_check_mode": "yes", "_ansible_diff": False,
                             "_ansible_verbosity": 3})
    assert result.check_mode is True
    assert result.diff is False
    assert not any(k.startswith("_ansible") for k in result.params)


def test_unknown_options_pass_when_ansible_asks_to_ignore_them() -> None:
    result = validate(SPEC, {"name": "a", "extra": 1, "_ansible_ignore_unknown_opts": True})
    assert result.params["extra"] == 1


def test_no_log_values_are_collected() -> None:
    assert validate(SPEC, {"name": "a", "secret": "hunter2"}).no_log_values == {"hunter2"}


def test_real_documentation_with_fragments() -> None:
    spec = load_spec("ansible.windows.win_get_url")
    names = {o.name for o in spec.options}
    assert {"url", "dest", "checksum"} <= names  # the module's own options
    assert {"url_username", "use_proxy", "validate_certs"} <= names  # from web_request


def test_win_ping_spec_comes_from_its_documentation() -> None:
    assert load_spec("ansible.windows.win_ping").options == (OptionSpec("data", default="pong"),)


def test_missing_documentation_is_an_error() -> None:
    with pytest.raises(SpecNotFoundError):
        load_spec("ansible.windows.win_does_not_exist")
