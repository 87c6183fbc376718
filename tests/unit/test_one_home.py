"""Issue 12's remainders that are not schedules: one definition of a control, a changelog
that names what exists, an inventory cache key that follows what the plan reads."""

from __future__ import annotations

import dataclasses
import importlib.util
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

import sitekit
from sitekit.audit.policy import Control, ControlFields
from sitekit.audit.report import ControlInfo
from tests.conftest import ROOT


def test_a_control_is_defined_once() -> None:
    shared = [f.name for f in dataclasses.fields(ControlFields)]
    assert issubclass(Control, ControlFields) and issubclass(ControlInfo, ControlFields)
    assert [f.name for f in dataclasses.fields(ControlInfo)] == [*shared, "expected"]
    assert [f.name for f in dataclasses.fields(Control)] == [*shared, "check"]
    # Neither class declares a shared field again.
    for cls in (Control, ControlInfo):
        assert not set(cls.__annotations__) & set(shared), cls.__name__


def _changelog_texts() -> list[tuple[str, str]]:
    files = [ROOT / "CHANGELOG.md", *sorted((ROOT / "changelogs" / "fragments").glob("*.yml"))]
    return [(str(path.relative_to(ROOT)), path.read_text(encoding="utf-8")) for path in files]


@pytest.mark.parametrize(("name", "text"), _changelog_texts())
def test_the_changelog_names_only_files_that_exist(name: str, text: str) -> None:
    named = set(re.findall(r"\b((?:playbooks|scripts|roles|src|tests|docs)/[\w./-]+\w)", text))
    missing = sorted(p for p in named if not (ROOT / p).exists() and "<" not in p)
    assert missing == [], f"{name} names what is gone"


def test_the_changelog_names_only_faults_the_lab_has() -> None:
    text = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert "acts on nothing" not in text  # every fault of the lab now acts


def _plugin() -> Any:
    path = ROOT / "plugins" / "inventory" / "sitekit.py"
    spec = importlib.util.spec_from_file_location("sitekit_inventory_plugin_for_key", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_cache_key_changes_with_a_schema_not_with_a_readme(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The README's claim: a changed rule or schema plans again, a template change does not."""
    package = tmp_path / "sitekit"
    shutil.copytree(Path(sitekit.__file__).parent, package,
                    ignore=shutil.ignore_patterns("__pycache__"))
    plugin = _plugin()
    monkeypatch.setattr(plugin.sitekit, "__file__", str(package / "__init__.py"))

    def key() -> str:
        plugin.site_cache.code_digest.cache_clear()
        return plugin._code_digest()

    before = key()
    schema = next(package.rglob("*.schema.json"))
    schema.write_text(schema.read_text() + " ")
    after_schema = key()
    assert after_schema != before
    template = next(package.rglob("*.j2"))
    template.write_text(template.read_text() + "\n")
    assert key() == after_schema
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "`*.json` file of the installed package (its code and schemas)" in readme
