"""Open-ended text in the fleet and site schemas refuses control and invisible characters.

A negated character class (`[^...]`) accepts everything it does not name, so each one must
name the control, bidi and zero-width characters the other text fields refuse: a NUL in the
installer share's path once passed `sitekit validate` (found by the broken-files property test).
"""
from __future__ import annotations

import json
import re
from collections.abc import Iterator
from importlib import resources
from typing import Any

import pytest

INVISIBLE = "\x00\x1f\x7f\u200b\u202e\ufeff"


def _patterns(node: Any, path: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(node, dict):
        if isinstance(node.get("pattern"), str):
            yield path, node["pattern"]
        for key, value in node.items():
            yield from _patterns(value, f"{path}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _patterns(value, f"{path}/{index}")


def _negated_classes(pattern: str) -> list[str]:
    return re.findall(r"\[\^((?:\\.|[^\]\\])*)\]", pattern)


@pytest.mark.parametrize("schema", ["fleet.schema.json", "site.schema.json"])
def test_every_negated_class_refuses_invisible_characters(schema: str) -> None:
    text = resources.files("sitekit.site").joinpath("schemas", schema).read_text(encoding="utf-8")
    open_ended = [(path, cls) for path, pattern in _patterns(json.loads(text))
                  for cls in _negated_classes(pattern)]
    assert open_ended, "the test found no negated classes: the walk is broken"
    for path, cls in open_ended:
        accepted = [c for c in INVISIBLE if re.fullmatch(f"[^{cls}]", c)]
        assert not accepted, f"{schema}{path}: [^{cls[:20]}...] accepts {accepted!r}"
