"""The Pester suite (tests/pester) for the PowerShell side of rules the Python tests check too.

Pester needs PowerShell, which this machine may not have: the run is then SKIPPED, with
the reason, never counted as passing. What can be checked without PowerShell is checked:
the suite parses, and every vector file it reads is read by a Python test as well.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from sitekit.lab import psspec

ROOT = Path(__file__).resolve().parents[2]
PESTER = ROOT / "tests" / "pester"
SUITES = sorted(PESTER.glob("*.Tests.ps1"))
VECTORS = sorted((ROOT / "tests" / "data" / "vectors").glob("*.json"))
PWSH = shutil.which("pwsh") or shutil.which("powershell")


def test_there_is_a_suite_and_vectors() -> None:
    assert SUITES
    assert VECTORS


@pytest.mark.parametrize("script", sorted(PESTER.glob("*.ps1")), ids=lambda p: p.name)
def test_suite_parses_as_powershell(script: Path) -> None:
    assert not psspec.parse(script.read_bytes()).root_node.has_error, f"{script.name} is broken"


@pytest.mark.parametrize("vector", VECTORS, ids=lambda p: p.stem)
def test_each_vector_file_drives_both_sides(vector: Path) -> None:
    data = json.loads(vector.read_text(encoding="utf-8"))
    assert data["cases"], f"{vector.name} has no cases"
    readers = [ROOT / reader for reader in data["read_by"]]
    assert any(r.suffix == ".py" for r in readers) and any(r.suffix == ".ps1" for r in readers)
    for reader in readers:
        assert vector.stem in reader.read_text(encoding="utf-8"), f"{reader} does not read it"


@pytest.mark.skipif(PWSH is None, reason="no PowerShell (pwsh) on this machine: the Pester"
                    " suite in tests/pester did not run")
def test_pester_suite_passes() -> None:
    assert PWSH is not None
    command = ("Import-Module Pester -MinimumVersion 5.0; "
               f"$r = Invoke-Pester -Path '{PESTER}' -PassThru -Output Detailed; "
               "if ($r.FailedCount -gt 0 -or $r.PassedCount -eq 0) { exit 1 }")
    result = subprocess.run([PWSH, "-NoProfile", "-NonInteractive", "-Command", command],
                            capture_output=True, text=True, timeout=600, check=False)
    assert result.returncode == 0, (result.stdout + result.stderr)[-6000:]
