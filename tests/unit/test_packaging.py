"""The package's own layout: every package shipped, the kit's plugins found, the lab extra."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from sitekit import kit
from tests.conftest import ROOT


def test_pyproject_lists_every_package() -> None:
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    found = {".".join(init.parent.relative_to(ROOT / "src").parts)
             for init in (ROOT / "src" / "sitekit").rglob("__init__.py")}
    assert set(setuptools["packages"]) == found | {"sitekit._plugins"}
    assert setuptools["package-dir"]["sitekit._plugins"] == "plugins"


def test_plugins_dir_is_the_installed_copy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(kit.PLUGINS_VARIABLE, raising=False)
    # This checkout's editable install maps sitekit._plugins to plugins/.
    assert kit.plugins_dir().resolve() == (ROOT / "plugins").resolve()


def test_plugins_dir_follows_the_setting(monkeypatch: pytest.MonkeyPatch,
                                         tmp_path: Path) -> None:
    (tmp_path / "inventory").mkdir()
    (tmp_path / "inventory" / "sitekit.py").write_text("")
    monkeypatch.setenv(kit.PLUGINS_VARIABLE, str(tmp_path))
    assert kit.plugins_dir() == tmp_path


def test_plugins_dir_refuses_a_folder_without_the_plugins(monkeypatch: pytest.MonkeyPatch,
                                                          tmp_path: Path) -> None:
    monkeypatch.setenv(kit.PLUGINS_VARIABLE, str(tmp_path))
    with pytest.raises(kit.KitNotFoundError, match=r"holds no inventory/sitekit\.py: set "
                       "SITEKIT_PLUGINS"):
        kit.plugins_dir()


@pytest.mark.parametrize("missing", ["spnego", "tree_sitter"])
def test_lab_without_its_extra_says_how_to_install_it(missing: str) -> None:
    code = (f"import sys; sys.modules[{missing!r}] = None\n"
            "from sitekit.cli import main\nsys.exit(main(['lab', 'status']))")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=False, cwd=ROOT)
    assert run.returncode == 2, run.stderr
    assert f"sitekit lab needs {missing}, which the lab extra installs" in run.stderr
    assert "pip install 'sitekit[lab]'" in run.stderr


def test_python_m_sitekit_is_the_command() -> None:
    run = subprocess.run([sys.executable, "-m", "sitekit", "validate", "inventories/example"],
                         capture_output=True, text=True, check=False, cwd=ROOT)
    assert run.returncode == 0, run.stderr
    assert "3 sites, 26 hosts, no problems" in run.stdout


def test_validate_without_the_plugins_says_where_to_point(tmp_path: Path) -> None:
    env = {**os.environ, kit.PLUGINS_VARIABLE: str(tmp_path)}
    run = subprocess.run([sys.executable, "-m", "sitekit", "validate", "inventories/example"],
                         capture_output=True, text=True, check=False, cwd=ROOT, env=env)
    assert run.returncode == 2
    assert run.stderr == (f"sitekit: {tmp_path} (SITEKIT_PLUGINS={tmp_path}) holds no "
                          "inventory/sitekit.py: set SITEKIT_PLUGINS to the kit's plugins/ "
                          "directory\n")
