"""windows_base's opening-day updates against a lab host whose update search fails, and
one whose Windows speaks German: a failed search fails the run, and the classifications
are matched by ID, not by their localised names (issue 19, defect 9)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from sitekit.lab.seed_base import UPDATE_CLASSIFICATIONS
from tests.lab.conftest import ROOT, CliLab, cli_lab_at

pytestmark = pytest.mark.slow
HOST = "lis01-pos01"
CONVERGE = ROOT / "roles" / "windows_base" / "molecule" / "default" / "converge.yml"


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[CliLab]:
    """A lab of LIS01 for one test."""
    with cli_lab_at(tmp_path / "lab", "LIS01") as started:
        yield started


def with_state(lab: CliLab, change: Callable[[dict[str, Any]], None]) -> None:
    """Change HOST's persisted state while the lab is down, then start it again."""
    assert lab.sitekit("down").returncode == 0
    path = lab.layout.state_file(HOST)
    state = json.loads(path.read_text())
    change(state)
    path.write_text(json.dumps(state))
    lab.up("LIS01")


def updates_run(lab: CliLab) -> tuple[int, str]:
    """The role's update tasks on HOST; the return code and output."""
    result = lab.playbook(CONVERGE, "--limit", HOST, "--tags", "windows_base_updates")
    return result.returncode, result.stdout + result.stderr


def test_a_failed_update_search_fails_the_run_naming_why(lab: CliLab) -> None:
    def unreachable(state: dict[str, Any]) -> None:
        state["updates"]["search_error"] = "0x8024402C (WU_E_PT_WINHTTP_NAME_NOT_RESOLVED)"

    with_state(lab, unreachable)
    rc, output = updates_run(lab)
    assert rc != 0, output[-3000:]
    assert f"{HOST} could not search for updates" in output
    assert "0x8024402C" in output
    assert "windows_base_install_updates" in output


def test_updates_are_chosen_by_classification_id_in_any_language(lab: CliLab) -> None:
    def german(state: dict[str, Any]) -> None:
        for update in state["updates"]["pending"]:
            english = update["categories"][0]
            update["category_id"] = UPDATE_CLASSIFICATIONS[english]
            update["categories"] = [{"Security Updates": "Sicherheitsupdates",
                                     "Update Rollups": "Updaterollups",
                                     "Definition Updates": "Definitionsupdates"}[english]]

    with_state(lab, german)
    rc, output = updates_run(lab)
    assert rc == 0, output[-3000:]
    state = lab.state(HOST)
    assert state["updates"]["pending"] == []
    assert {u["kb"][0] for u in state["updates"]["installed"]} >= {"KB5044281", "KB890830",
                                                                   "KB2267602"}
