"""The package as a user installs it: a wheel in a fresh venv, outside this checkout.

Built offline (no build isolation: setuptools and wheel come with the test extra) from a copy
of the sources, installed with --no-deps; the dependencies are this venv's, reached through
a .pth line (not a site directory, so this venv's editable sitekit stays out of sight).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tomllib
import zipfile
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from tests.conftest import EXAMPLE, ROOT

pytestmark = pytest.mark.slow
_SOURCES = ("pyproject.toml", "README.md", "LICENSE", "src", "plugins")


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(the fresh venv's python, the wheel) with sitekit installed from the wheel."""
    base = tmp_path_factory.mktemp("wheel")
    source = base / "source"
    source.mkdir()
    for name in _SOURCES:
        copy = shutil.copytree if (ROOT / name).is_dir() else shutil.copy2
        copy(ROOT / name, source / name,
             **({"ignore": shutil.ignore_patterns("__pycache__", "*.egg-info")}
                if (ROOT / name).is_dir() else {}))
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--no-input"]
    subprocess.run([*pip, "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                    "--no-index", "--wheel-dir", str(base / "dist"), str(source)],
                   check=True, cwd=base)
    (wheel,) = (base / "dist").glob("sitekit-*.whl")
    venv = base / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run([*pip, "--python", str(python), "install", "--quiet", "--no-deps",
                    "--no-index", str(wheel)], check=True, cwd=base)
    site_packages = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        check=True, capture_output=True, text=True).stdout.strip()
    (Path(site_packages) / "deps.pth").write_text(sysconfig.get_path("purelib") + "\n")
    return python, wheel


def _run(python: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items()
           if key not in ("PYTHONPATH", "SITEKIT_PLUGINS", "SITEKIT_LIBRARY")}
    return subprocess.run([str(python), *args], cwd=cwd, env=env, capture_output=True,
                          text=True, check=False, timeout=120)


def test_the_wheel_runs_outside_the_checkout(installed: tuple[Path, Path],
                                             tmp_path: Path) -> None:
    python, _ = installed
    fleet = tmp_path / "fleet"
    shutil.copytree(EXAMPLE, fleet)
    where = _run(python, "-c", "import sitekit, sitekit.kit; "
                 "print(sitekit.__file__); print(sitekit.kit.plugins_dir())", cwd=tmp_path)
    assert where.returncode == 0, where.stderr
    module, plugins = (Path(line) for line in where.stdout.splitlines())
    assert module.is_relative_to(python.parent.parent)  # the wheel's, not the checkout's
    assert plugins.is_relative_to(python.parent.parent)
    assert (plugins / "modules" / "sitekit_facts.ps1").is_file()

    validate = _run(python, "-m", "sitekit", "validate", "fleet", cwd=tmp_path)
    assert validate.returncode == 0, validate.stderr
    assert "3 sites, 26 hosts, no problems" in validate.stdout
    plan = _run(python, "-m", "sitekit", "plan", "fleet", "--format", "json", cwd=tmp_path)
    assert plan.returncode == 0, plan.stderr
    assert len(json.loads(plan.stdout)["sites"]) == 3


def test_the_wheel_keeps_the_lab_dependencies_in_the_lab_extra(
        installed: tuple[Path, Path]) -> None:
    _, wheel = installed
    with zipfile.ZipFile(wheel) as archive:
        (metadata,) = (name for name in archive.namelist() if name.endswith("/METADATA"))
        requires = [line.removeprefix("Requires-Dist: ")
                    for line in archive.read(metadata).decode().splitlines()
                    if line.startswith("Requires-Dist: ")]
    # What pyproject.toml declares as the lab extra, and nothing else.
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    lab = {Requirement(text).name for text in declared["project"]["optional-dependencies"]["lab"]}
    assert {"pyspnego", "tree-sitter"} <= lab
    extras = {Requirement(text).name: Requirement(text).marker for text in requires}
    assert {name for name, marker in extras.items()
            if marker is not None and marker.evaluate({"extra": "lab"})} == lab
    assert {name for name, marker in extras.items() if marker is None} & lab == set()
    assert "ansible" in extras
    assert extras["ansible"] is None
    # The fleet's CA and the bootstrap bundles (`sitekit ca`, `sitekit bootstrap`) need it
    # wherever sitekit runs, not only in the lab.
    assert extras["cryptography"] is None
