"""Module arguments checked against the spec the module's code declares, as Ansible.Basic does.

The expected messages are Ansible.Basic's own (module_utils/csharp/Ansible.Basic.cs,
CheckArguments and the Check* functions it calls, in that order).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from sitekit.lab.modules import REGISTRY, load_models
from sitekit.lab.modules.argspec import (
    ArgumentError,
    ModuleSpec,
    OptionSpec,
    SpecNotFoundError,
    load_spec,
    validate,
)

RULES = ModuleSpec(
    "ns.coll.win_rules",
    (
        OptionSpec("state", choices=("present", "absent"), default="present"),
        OptionSpec("path"),
        OptionSpec("product_id"),
        OptionSpec("creates_path", type="path"),
        OptionSpec("creates_version"),
        OptionSpec("user"),
        OptionSpec("password", no_log=True),
        OptionSpec("src"),
        OptionSpec("content"),
        OptionSpec("enabled", type="bool"),
        OptionSpec("owner"),
        OptionSpec(
            "settings", type="dict", apply_defaults=True,
            options=(OptionSpec("mode", default="auto"), OptionSpec("a"), OptionSpec("b")),
            mutually_exclusive=(("a", "b"),),
        ),
    ),
    supports_check_mode=False,
    mutually_exclusive=(("src", "content"),),
    required_together=(("user", "password"),),
    required_one_of=(("path", "product_id"),),
    required_if=(("state", "absent", ("path", "product_id"), True),
                 ("enabled", True, ("owner",), False)),
    required_by=(("creates_version", ("creates_path",)),),
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


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"path": "a", "src": "x", "content": "y"},
         "parameters are mutually exclusive: src, content"),
        ({"path": "a", "user": "u"}, "parameters are required together: user, password"),
        ({"state": "present"}, "one of the following is required: path, product_id"),
        # Four entries: any one of them is enough; the message names the missing ones.
        ({"state": "absent", "user": "u", "password": "p"},
         "one of the following is required: path, product_id"),
        ({"path": "a", "enabled": "yes"}, "enabled is True but all of the following are missing:"
         " owner"),
        ({"path": "a", "creates_version": "1.0"},
         "missing parameter(s) required by 'creates_version': creates_path"),
        ({"path": "a", "settings": {"a": 1, "b": 2}},
         "parameters are mutually exclusive: a, b found in settings"),
    ],
)
def test_rules_between_options(args: dict[str, Any], message: str) -> None:
    with pytest.raises(ArgumentError) as error:
        validate(RULES, args)
    assert str(error.value) == message


@pytest.mark.parametrize(
    "args",
    [
        {"path": "a", "creates_version": "1.0", "creates_path": "C:\\a.exe"},
        {"state": "absent", "product_id": "{X}"},  # any one of path, product_id
        {"path": "a", "enabled": False},  # required_if compares the converted value
        {"path": "a", "enabled": True, "owner": "o"},
    ],
)
def test_rules_satisfied(args: dict[str, Any]) -> None:
    assert validate(RULES, args).params["path"] == args.get("path")


def test_apply_defaults_fills_an_absent_dict() -> None:
    assert validate(RULES, {"path": "a"}).params["settings"] == {
        "mode": "auto", "a": None, "b": None}


def test_check_mode_skip_comes_before_the_rules() -> None:
    # Ansible.Basic exits "does not support check mode" before mutually_exclusive & co.
    result = validate(RULES, {"src": "x", "content": "y", "_ansible_check_mode": True})
    assert result.skipped
    with pytest.raises(ArgumentError, match="Unsupported parameters"):
        validate(RULES, {"bogus": 1, "_ansible_check_mode": True})


def test_win_ping_spec_comes_from_its_code() -> None:
    spec = load_spec("ansible.windows.win_ping")
    assert spec.options == (OptionSpec("data", default="pong"),)
    assert spec.source.endswith("win_ping.ps1")
    assert spec.supports_check_mode is True


def test_win_package_declares_required_by_in_its_code_only() -> None:
    spec = load_spec("ansible.windows.win_package")
    assert ("creates_version", ("creates_path",)) in spec.required_by
    assert ("state", "present", ("path",), False) in spec.required_if
    with pytest.raises(ArgumentError) as error:
        validate(spec, {"path": "\\\\share\\a.msi", "product_id": "{X}",
                        "creates_version": "8.4.2"})
    assert str(error.value) == "missing parameter(s) required by 'creates_version': creates_path"


def test_fragments_come_from_the_module_utils_code() -> None:
    web = {o.name for o in load_spec("ansible.windows.win_package").options}
    assert {"url_username", "validate_certs", "proxy_password"} <= web  # WebRequest.psm1
    login = load_spec("lowlydba.sqlserver.login")
    assert ("sql_username", "sql_password") in login.required_together  # _SqlServerUtils
    with pytest.raises(ArgumentError, match="parameters are required together: sql_username,"
                       " sql_password"):
        validate(login, {"login": "a", "sql_instance": "x", "sql_username": "sa"})


def test_values_the_code_computes_come_from_the_documentation_and_say_so() -> None:
    spec = load_spec("ansible.windows.win_package")
    provider = next(o for o in spec.options if o.name == "provider")
    assert set(provider.choices) == {"auto", "msi", "msix", "msp", "registry"}
    assert any("provider" in n and "documentation" in n for n in spec.notes)


def test_legacy_modules_are_checked_against_their_documentation_and_say_so() -> None:
    spec = load_spec("ansible.windows.win_file")  # Parse-Args, no $spec
    assert spec.source == "documentation"
    assert any("legacy" in n for n in spec.notes)


def test_a_legacy_modules_dicts_reach_its_code_as_given() -> None:
    # Get-AnsibleParam -type list checks no elements: win_scheduled_task reads its triggers
    # itself, so a list of days is not turned into text by the documented `str`.
    spec = load_spec("community.windows.win_scheduled_task")
    assert spec.legacy is True
    trigger = {"type": "weekly", "days_of_week": ["monday", "friday"], "bogus": 1}
    params = validate(spec, {"name": "t", "triggers": [trigger]}).params
    assert params["triggers"] == [trigger]
    assert load_spec("ansible.windows.win_service").legacy is False


def test_the_code_wins_over_the_documentation(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "sitekit_code_wins.ps1").write_text(
        "#!powershell\n$spec = @{\n    options = @{ name = @{ type = 'int'; required = $true } }\n"
        "    supports_check_mode = $true\n}\n"
        "$module = [Ansible.Basic.AnsibleModule]::Create($args, $spec)\n")
    (tmp_path / "sitekit_code_wins.py").write_text(
        'DOCUMENTATION = """\nmodule: sitekit_code_wins\noptions:\n  name:\n    type: str\n'
        '  extra:\n    type: str\n"""\n')
    monkeypatch.setenv("SITEKIT_LIBRARY", str(tmp_path))
    spec = load_spec("ansible.legacy.sitekit_code_wins")
    assert [(o.name, o.type, o.required) for o in spec.options] == [("name", "int", True)]
    with pytest.raises(ArgumentError, match=r"Unsupported parameters .*: extra"):
        validate(spec, {"name": 1, "extra": "documented only"})


def test_missing_documentation_is_an_error() -> None:
    with pytest.raises(SpecNotFoundError):
        load_spec("ansible.windows.win_does_not_exist")


def test_every_model_declares_check_mode_as_its_modules_code_does() -> None:
    load_models()
    for fqcn, registration in REGISTRY.items():
        spec = load_spec(fqcn)
        if spec.supports_check_mode is not None:  # None: a legacy module, read from its docs
            assert registration.supports_check_mode == spec.supports_check_mode, fqcn


# -- legacy modules: Get-AnsibleParam's rules and words (Ansible.ModuleUtils.Legacy.psm1) --

@pytest.mark.parametrize(("module", "args", "message"), [
    ("ansible.windows.win_reg_stat", {"name": "x"},
     "Get-AnsibleParam: Missing required argument: path"),
    ("community.windows.win_scheduled_task", {"name": "t", "State": "gone"},
     "Get-AnsibleParam: Argument State needs to be one of absent,present but was gone."),
    ("community.windows.win_firewall_rule", {"name": "r", "profiles": {"a": 1}},
     "Get-AnsibleParam: Parameter 'profiles' is not a YAML list."),
])
def test_a_legacy_module_refuses_in_get_ansibleparams_words(
        module: str, args: dict[str, Any], message: str) -> None:
    with pytest.raises(ArgumentError) as failed:
        validate(load_spec(module), args)
    assert str(failed.value) == message


def test_a_legacy_module_reads_its_options_get_ansibleparams_way() -> None:
    spec = load_spec("community.windows.win_firewall_rule")
    params = validate(spec, {"Name": "r", "enable": "maybe", "profile": "domain, private",
                             "nmae": "typo", "_ansible_bogus": 1}).params
    # Any case and the aliases; a bool that is no true word is false; a string list splits;
    # an option the module never reads is ignored, as Parse-Args ignores it.
    assert (params["name"], params["enabled"], params["profiles"]) == (
        "r", False, ["domain", "private"])
    assert "nmae" not in params
    assert "_ansible_bogus" not in params
    assert validate(load_spec("community.windows.win_scheduled_task"),
                    {"name": "t", "priority": "high"}).params["priority"] is None  # -as [int]
