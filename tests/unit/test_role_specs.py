"""Every role's defaults and its argument spec name the same variables.

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
