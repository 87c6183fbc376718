"""The execution environment (execution-environment.yml, ansible-builder v3): `ansible-builder
create` writes its build context, which needs no container engine; the image itself is built
where podman or docker exists (docs/awx.md)."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
# A task's module by its fully qualified name, at the start of a YAML key.
_FQCN = re.compile(r"^\s*(?:- )?([a-z_]+\.[a-z_]+)\.[a-z_]+:", re.MULTILINE)
_OWN = {"ansible.builtin", "ansible.legacy"}

pytestmark = pytest.mark.slow  # runs the real ansible-builder


@pytest.fixture(scope="module")
def context(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("ee") / "context"
    result = subprocess.run(
        [BIN / "ansible-builder", "create", "-f", "execution-environment.yml", "-c", str(out),
         "--output-filename", "Containerfile"],
        capture_output=True, text=True, cwd=ROOT, check=False, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    return out


def used_collections() -> set[str]:
    """Every collection a role or playbook calls a module of."""
    found: set[str] = set()
    for folder in ("roles", "playbooks"):
        for path in (ROOT / folder).rglob("*.yml"):
            found |= set(_FQCN.findall(path.read_text(encoding="utf-8")))
    return found - _OWN


def test_the_context_installs_the_collections_the_kit_uses(context: Path) -> None:
    written = context / "_build" / "requirements.yml"
    assert written.read_text() == (ROOT / "requirements.yml").read_text()
    named = {entry["name"] for entry in yaml.safe_load(written.read_text())["collections"]}
    assert used_collections() <= named, used_collections() - named
    containerfile = (context / "Containerfile").read_text()
    assert "ansible-galaxy collection install" in containerfile
    assert "-r requirements.yml" in containerfile


def test_the_context_has_the_system_packages_and_the_interpreter(context: Path) -> None:
    assert (context / "_build" / "bindep.txt").read_text() == (ROOT / "bindep.txt").read_text()
    containerfile = (context / "Containerfile").read_text()
    assert "introspect.py introspect --user-bindep=bindep.txt" in containerfile
    # The interpreter is the one sitekit requires (requires-python >=3.11,<3.12).
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["requires-python"] == ">=3.11,<3.12"
    assert 'ARG PYCMD="/usr/bin/python3.11"' in containerfile
    assert re.search(r'ARG ANSIBLE_INSTALL_REFS=".*ansible-core>=2\.19.*ansible-runner>=2\.4',
                     containerfile)
    assert containerfile.splitlines()[0] == 'ARG EE_BASE_IMAGE="quay.io/centos/centos:stream9"'


def test_the_context_installs_sitekit_with_its_own_dependencies(context: Path) -> None:
    copied = context / "_build" / "sitekit"
    assert (copied / "pyproject.toml").read_text() == (ROOT / "pyproject.toml").read_text()
    assert (copied / "src" / "sitekit" / "__init__.py").is_file()
    # The package carries the kit's plugins as sitekit._plugins (pyproject's package-dir).
    assert (copied / "plugins" / "inventory" / "sitekit.py").is_file()
    assert (copied / "plugins" / "action" / "sitekit_audit_gather.py").is_file()
    containerfile = (context / "Containerfile").read_text()
    final = containerfile[containerfile.index("FROM base AS final"):]
    assert "COPY _build/sitekit /usr/share/sitekit/src" in final
    assert "pip install --no-cache-dir /usr/share/sitekit/src" in final
