"""pslint over every PowerShell file the kit ships: any finding fails, naming file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.pslint.linter import ROOT, kit_scripts, lint, parse
from tests.pslint.rules import RULES

SCRIPTS = kit_scripts()


def test_the_kit_has_powershell_to_lint() -> None:
    names = {p.name for p in SCRIPTS}
    assert "sitekit_printers.ps1" in names
    assert any(n.endswith(".psm1") for n in names)
    assert any(n.endswith(".ps1.j2") for n in names)


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_known_trap(script: Path) -> None:
    parsed = parse(script.read_text(encoding="utf-8"), str(script.relative_to(ROOT)))
    findings = lint(parsed, RULES)
    assert not findings, "\n".join(map(str, findings))
