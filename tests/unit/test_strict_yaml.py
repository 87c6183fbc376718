"""The strict loader: accidents YAML 1.1 would let through are caught, with lines."""

from __future__ import annotations

import pytest
import yaml

from sitekit.site import strict_yaml
from sitekit.site.strict_yaml import Coerced


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("v: true", True),
        ("v: false", False),
        ("v: 42", 42),
        ("v: -7", -7),
        ("v: 0", 0),
        ("v: 2.5", 2.5),
        ('v: "no"', "no"),
        ("v: 'off'", "off"),
        ('v: "0123"', "0123"),
        ("v: 2026-01-31", "2026-01-31"),  # dates stay text
        ("v: hello", "hello"),
    ],
)
def test_plain_values_load_as_written(text: str, expected: object) -> None:
    assert strict_yaml.load(text)["v"] == expected


@pytest.mark.parametrize(
    ("text", "value", "hint"),
    [
        ("no", False, "boolean false"),
        ("Yes", True, "boolean true"),
        ("off", False, "boolean false"),
        ("0123", 83, "octal"),
        ("10:30", 630, "base-60"),
        ("0x1F", 31, "number 31"),
        ("1_000", 1000, "number 1000"),
    ],
)
def test_surprising_scalars_are_marked(text: str, value: object, hint: str) -> None:
    loaded = strict_yaml.load(f"v: {text}")["v"]
    assert isinstance(loaded, Coerced)
    assert loaded.value == value
    assert hint in loaded.explain()
    assert f'"{text}"' in loaded.explain()  # says how to quote it


def test_duplicate_keys_are_an_error_with_both_lines() -> None:
    with pytest.raises(yaml.MarkedYAMLError) as raised:
        strict_yaml.load("a: 1\nb: 2\na: 3\n")
    assert raised.value.problem_mark.line == 2
    assert "first on line 1" in str(raised.value)


def test_lines_are_remembered_for_nested_paths() -> None:
    data = strict_yaml.load("top:\n  items:\n    - a: 1\n    - a: 2\n      b: 3\n")
    assert strict_yaml.line_of(data, ("top",)) == 1
    assert strict_yaml.line_of(data, ("top", "items", 1)) == 4
    assert strict_yaml.line_of(data, ("top", "items", 1, "b")) == 5
    # A path that goes past what exists stops at the deepest known line.
    assert strict_yaml.line_of(data, ("top", "items", 7, "x")) == 2
