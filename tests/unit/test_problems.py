"""Problems sort and print whatever mix of lines they have."""

from __future__ import annotations

import pytest

from sitekit.problems import Problem, ProblemsFound


def test_problems_with_and_without_lines_sort_together() -> None:
    # Dataclass ordering raised TypeError comparing None with int here.
    found = ProblemsFound([
        Problem("sites/lis01.yml", 40, "LIS01", "handhelds", "expected a whole number"),
        Problem("sites/lis01.yml", None, "LIS01", "", "unknown key 'colour'"),
        Problem("sites/ber02.yml", 3, "BER02", "name", "too long"),
    ])
    assert [(p.file, p.line) for p in found.problems] == [
        ("sites/ber02.yml", 3), ("sites/lis01.yml", None), ("sites/lis01.yml", 40)]
    assert found.report().startswith("3 problems found")


def test_problems_compare_only_with_problems() -> None:
    with pytest.raises(TypeError):
        _ = Problem("a", None, "A", "", "x") < "a"  # type: ignore[operator]
