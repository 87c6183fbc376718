"""Every role's defaults and its argument spec agree: the same variables, defaults and shapes.

meta/argument_specs.yml is the source of truth for types and descriptions; defaults/main.yml
documents the values. A variable in one and not the other is either unchecked or undocumented.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

ROLES = Path(__file__).resolve().parents[2] / "roles"
ROLE_DIRS = sorted(p for p in ROLES.iterdir() if p.is_dir()) if ROLES.is_dir() else []


def _yaml(path: Path) -> dict:
    """A YAML mapping, or {} for a missing file (test_role_has_the_standard_files names it)."""
    if not path.is_file():
        return {}
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return data if isinstance(data, dict) else {}


def spec_keys(role: Path) -> set[str]:
    """The options of the role's main entry point."""
    specs = _yaml(role / "meta" / "argument_specs.yml").get("argument_specs") or {}
    return set((specs.get("main") or {}).get("options") or {})


def default_keys(role: Path) -> set[str]:
    """The variables defaults/main.yml sets."""
    return set(_yaml(role / "defaults" / "main.yml"))


def test_there_are_roles() -> None:
    assert ROLE_DIRS, f"no roles in {ROLES}"


@pytest.mark.parametrize("role", ROLE_DIRS, ids=lambda p: p.name)
def test_role_has_the_standard_files(role: Path) -> None:
    for name in ("defaults/main.yml", "meta/argument_specs.yml", "meta/main.yml",
                 "tasks/main.yml", "README.md"):
        assert (role / name).is_file(), f"{role.name} has no {name}"
    assert _yaml(role / "meta" / "main.yml").get("dependencies", []) == []


@pytest.mark.parametrize("role", ROLE_DIRS, ids=lambda p: p.name)
def test_defaults_equal_argument_spec(role: Path) -> None:
    defaults, spec = default_keys(role), spec_keys(role)
    assert defaults - spec == set(), f"{role.name}: defaults without a spec"
    assert spec - defaults == set(), f"{role.name}: spec options without a default"


@pytest.mark.parametrize("role", ROLE_DIRS, ids=lambda p: p.name)
def test_public_variables_carry_the_role_prefix(role: Path) -> None:
    unprefixed = [k for k in default_keys(role) if not k.startswith(f"{role.name}_")]
    assert unprefixed == []


@pytest.mark.parametrize("role", ROLE_DIRS, ids=lambda p: p.name)
def test_readme_shows_every_variable(role: Path) -> None:
    readme = (role / "README.md").read_text(encoding="utf-8") if (role / "README.md").is_file() \
        else ""
    missing = sorted(k for k in default_keys(role) if k not in readme)
    assert missing == []


def test_the_check_finds_a_mismatch(tmp_path: Path) -> None:
    role = tmp_path / "demo"
    (role / "defaults").mkdir(parents=True)
    (role / "meta").mkdir()
    (role / "defaults" / "main.yml").write_text("---\ndemo_a: 1\ndemo_b: 2\n")
    (role / "meta" / "argument_specs.yml").write_text(
        "---\nargument_specs:\n  main:\n    options:\n      demo_a: {type: int}\n")
    assert default_keys(role) - spec_keys(role) == {"demo_b"}


# --- Defaults and shapes: the spec's default is the default, and the value fits the spec. ---

_TYPES: dict[str, tuple[type, ...]] = {
    "str": (str,), "path": (str,), "int": (int,), "float": (int, float), "bool": (bool,),
    "list": (list,), "dict": (dict,), "raw": (object,),
}


def _templated(value: object) -> bool:
    return isinstance(value, str) and "{{" in value


def shape_problems(name: str, spec: dict, value: object) -> list[str]:
    """Where a value does not fit an option's spec: type, elements, nested options."""
    kind = spec.get("type", "str")
    if value is None or _templated(value):
        return []  # none means unset; a template is checked when the role runs
    if kind not in _TYPES:
        return [f"{name}: unknown type {kind!r}"]
    if not isinstance(value, _TYPES[kind]) or (kind in ("int", "float")
                                               and isinstance(value, bool)):
        return [f"{name}: {value!r} is not a {kind}"]
    if "choices" in spec and kind != "list" and value not in spec["choices"]:
        return [f"{name}: {value!r} is not one of {spec['choices']}"]
    found: list[str] = []
    if kind == "list":
        if "elements" not in spec:
            return [f"{name}: a list without `elements`"]
        element = {k: v for k, v in spec.items() if k in ("options", "choices")}
        element["type"] = spec["elements"]
        for number, item in enumerate(value):  # type: ignore[arg-type]
            found += shape_problems(f"{name}[{number}]", element, item)
        if spec["elements"] == "dict" and "options" not in spec:
            found.append(f"{name}: a list of dicts without nested `options`")
    if kind == "dict" and "options" in spec:
        found += _nested_problems(name, spec["options"], value)  # type: ignore[arg-type]
    return found


def _nested_problems(name: str, options: dict, value: dict) -> list[str]:
    """Where a dict does not fit its nested options: unknown keys, missing or misshapen ones."""
    found = []
    unknown = sorted(set(value) - set(options))
    if unknown:
        found.append(f"{name}: {unknown} are not among its options {sorted(options)}")
    for key, option in options.items():
        if key in value:
            found += shape_problems(f"{name}.{key}", option, value[key])
        elif option.get("required"):
            found.append(f"{name}: {key} is required")
    return found


def spec_problems(role: Path) -> list[str]:
    """Where the spec and defaults/main.yml disagree on a default, or a default on its shape."""
    specs = _yaml(role / "meta" / "argument_specs.yml").get("argument_specs") or {}
    options = (specs.get("main") or {}).get("options") or {}
    defaults = _yaml(role / "defaults" / "main.yml")
    found = []
    for name, option in options.items():
        if name not in defaults:
            continue  # test_defaults_equal_argument_spec names it
        if option.get("required"):
            found.append(f"{name}: required, yet defaults/main.yml sets it")
        if "default" not in option:
            found.append(f"{name}: no default in the spec (defaults/main.yml: "
                         f"{defaults[name]!r})")
        elif option["default"] != defaults[name]:
            found.append(f"{name}: the spec's default {option['default']!r} is not "
                         f"defaults/main.yml's {defaults[name]!r}")
        found += shape_problems(name, option, defaults[name])
    return found


@pytest.mark.parametrize("role", ROLE_DIRS, ids=lambda p: p.name)
def test_spec_defaults_and_shapes_match_the_defaults(role: Path) -> None:
    assert spec_problems(role) == []


@pytest.mark.parametrize(("spec", "value", "problem"), [
    ({"type": "int"}, "3", "x: '3' is not a int"),
    ({"type": "int"}, True, "x: True is not a int"),
    ({"type": "list"}, ["a"], "x: a list without `elements`"),
    ({"type": "list", "elements": "str"}, ["a", 1], "x[1]: 1 is not a str"),
    ({"type": "list", "elements": "dict"}, [{"a": 1}], "x: a list of dicts without nested"),
    ({"type": "list", "elements": "dict", "options": {"a": {"type": "str"}}}, [{"a": 1}],
     "x[0].a: 1 is not a str"),
    ({"type": "list", "elements": "dict", "options": {"a": {"type": "str", "required": True}}},
     [{"b": "c"}], "x[0]: ['b'] are not among its options ['a']"),
    ({"type": "str", "choices": ["a", "b"]}, "c", "x: 'c' is not one of ['a', 'b']"),
])
def test_the_shape_check_finds_a_mismatch(spec: dict, value: object, problem: str) -> None:
    assert any(found.startswith(problem) for found in shape_problems("x", spec, value))


def test_the_default_check_finds_a_mismatch(tmp_path: Path) -> None:
    role = tmp_path / "demo"
    (role / "defaults").mkdir(parents=True)
    (role / "meta").mkdir()
    (role / "defaults" / "main.yml").write_text("---\ndemo_a: 1\ndemo_b: 2\ndemo_c: x\n")
    (role / "meta" / "argument_specs.yml").write_text(
        "---\nargument_specs:\n  main:\n    options:\n      demo_a: {type: int, default: 2}\n"
        "      demo_b: {type: int, required: true}\n      demo_c: {type: str, default: x}\n")
    assert spec_problems(role) == [
        "demo_a: the spec's default 2 is not defaults/main.yml's 1",
        "demo_b: required, yet defaults/main.yml sets it",
        "demo_b: no default in the spec (defaults/main.yml: 2)"]


def structure_problems(options: dict, where: str = "") -> list[str]:
    """Options whose structure the spec leaves open: lists without elements, dicts of
    dicts (a list's items or a mapping) without nested options."""
    found = []
    for name, option in options.items():
        kind = option.get("type", "str")
        if kind == "list" and "elements" not in option:
            found.append(f"{where}{name}: a list without `elements`")
        if (kind == "list" and option.get("elements") == "dict") and "options" not in option:
            found.append(f"{where}{name}: a list of dicts without nested `options`")
        found += structure_problems(option.get("options") or {}, f"{where}{name}.")
    return found


@pytest.mark.parametrize("role", ROLE_DIRS, ids=lambda p: p.name)
def test_structured_options_say_their_shape(role: Path) -> None:
    specs = _yaml(role / "meta" / "argument_specs.yml").get("argument_specs") or {}
    assert structure_problems((specs.get("main") or {}).get("options") or {}) == []


@pytest.mark.parametrize(("role", "option", "planned"), [
    ("windows_base", "windows_base_local_groups", "sitekit_local_groups"),
    ("pos_workstation", "pos_workstation_printers", "sitekit_printers"),
])
def test_the_plans_structured_inputs_pass_the_nested_spec(role: str, option: str,
                                                          planned: str) -> None:
    """Ansible's own validator (as validate_argument_spec runs it) accepts every host's plan."""
    import json  # noqa: PLC0415

    from ansible.module_utils.common.arg_spec import ArgumentSpecValidator  # noqa: PLC0415

    specs = _yaml(ROLES / role / "meta" / "argument_specs.yml")["argument_specs"]
    validator = ArgumentSpecValidator({option: specs["main"]["options"][option]})
    golden = ROLES.parent / "tests" / "data" / "golden" / "example-inventory.json"
    hostvars = json.loads(golden.read_text(encoding="utf-8"))["_meta"]["hostvars"]
    values = [host[planned] for host in hostvars.values() if host.get(planned)]
    assert values
    for value in values:
        assert validator.validate({option: value}).error_messages == []
    item = {key: value for key, value in values[0][0].items() if key != "name"}
    refused = validator.validate({option: [{**item, "colour": "red"}]}).error_messages
    assert f"missing required arguments: name found in {option}" in refused
    assert any(message.startswith(f"{option}.colour. Supported parameters") for message in refused)
