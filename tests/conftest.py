"""Shared fixtures: the example fleet, and site data to vary in tests."""

from __future__ import annotations

import copy
import datetime as dt
import os
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest

from sitekit.plan.site import SitePlan, plan_site
from sitekit.problems import Problem
from sitekit.site import strict_yaml
from sitekit.site.cache import CACHE_VARIABLE
from sitekit.site.load import load_fleet_dir
from sitekit.site.model import Fleet, Site
from tests.scheduling import LabScheduling

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent  # the venv's ansible-* commands sit beside its python
EXAMPLE = ROOT / "inventories" / "example"
TODAY = dt.date(2026, 12, 1)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Slow tests first: under pytest-xdist the last minutes are then not one worker
    running a lab while the other idles (tests/scheduling.py spreads them)."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


@pytest.hookimpl(optionalhook=True)  # a hook of xdist's: `-p no:xdist` runs without it
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """scripts/test's pytest-xdist runs: a module's tests on one worker, own-lab tests spread."""
    return LabScheduling(config, log)


@pytest.fixture(autouse=True, scope="session")
def _site_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Each test process keeps its checked site files in a folder of its own (and its
    `sitekit` subprocesses with it), never in the checkout's .cache."""
    os.environ[CACHE_VARIABLE] = str(tmp_path_factory.mktemp("site-cache"))


@pytest.fixture(scope="session")
def fleet() -> Fleet:
    loaded = load_fleet_dir(EXAMPLE)
    assert loaded.fleet is not None, loaded.problems
    return loaded.fleet


@pytest.fixture(scope="session")
def ber02_data() -> dict[str, Any]:
    """The mid-size example site as plain data, to copy and change."""
    return strict_yaml.load((EXAMPLE / "sites" / "ber02.yml").read_text())


@pytest.fixture
def site_data(ber02_data: dict[str, Any]) -> dict[str, Any]:
    return copy.deepcopy(ber02_data)


def plan(data: dict[str, Any], fleet: Fleet,
         today: dt.date = TODAY) -> tuple[SitePlan | None, list[Problem]]:
    """Plan one site from data; returns the plan (or None) and the problems."""
    problems: list[Problem] = []
    site = Site.from_data("sites/test.yml", data)
    return plan_site(site, fleet, problems, today), problems


def messages(problems: list[Problem]) -> str:
    return "\n".join(str(p) for p in problems)


@pytest.fixture
def fleet_copy(tmp_path: Path) -> Path:
    """A writable copy of the example fleet directory."""
    target = tmp_path / "fleet"
    shutil.copytree(EXAMPLE, target)
    return target
