"""The cache of checked site files: same plan from it, never stale, never forged."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from sitekit.plan.fleet import plan_fleet_dir
from sitekit.site import strict_yaml
from sitekit.site.cache import CACHE_VARIABLE, KEY_FILE
from sitekit.site.load import load_fleet_dir


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv(CACHE_VARIABLE, str(folder))
    return folder


def _entries(cache: Path) -> dict:
    (file,) = cache.glob("sites-*.json")
    return json.loads(file.read_text().partition("\n")[2])


def _no_parsing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Parsing any YAML document but the fleet file fails the test."""
    parse = strict_yaml.load

    def refuse(text: str) -> object:
        if "\nfleet:" not in text:
            raise AssertionError("a cached site file was parsed again")
        return parse(text)
    monkeypatch.setattr(strict_yaml, "load", refuse)


def test_a_second_load_parses_nothing_and_gives_the_same_sites(
        fleet_copy: Path, cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = load_fleet_dir(fleet_copy, cached=True)
    assert not first.problems and len(_entries(cache)) == 3
    assert stat.S_IMODE(cache.stat().st_mode) == 0o700
    assert all(stat.S_IMODE(f.stat().st_mode) == 0o600 for f in cache.iterdir())
    _no_parsing(monkeypatch)
    second = load_fleet_dir(fleet_copy, cached=True)
    assert second.sites == first.sites


def test_without_the_cache_every_file_is_parsed(fleet_copy: Path, cache: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    load_fleet_dir(fleet_copy, cached=True)
    monkeypatch.setenv(CACHE_VARIABLE, "off")
    _no_parsing(monkeypatch)
    with pytest.raises(AssertionError, match="parsed again"):
        load_fleet_dir(fleet_copy, cached=True)


def test_an_edited_site_file_is_read_again(fleet_copy: Path, cache: Path) -> None:
    load_fleet_dir(fleet_copy, cached=True)
    site = fleet_copy / "sites" / "ber02.yml"
    site.write_text(site.read_text().replace("city: Berlin", "city: Potsdam"))
    again = load_fleet_dir(fleet_copy, cached=True)
    assert {s.code: s.city for s in again.sites}["BER02"] == "Potsdam"
    assert len(_entries(cache)) == 3  # the old content's entry is gone


def test_a_file_with_problems_is_never_kept(fleet_copy: Path, cache: Path) -> None:
    site = fleet_copy / "sites" / "ber02.yml"
    site.write_text(site.read_text().replace("city: Berlin", "city: no"))
    for _ in range(2):
        loaded = load_fleet_dir(fleet_copy, cached=True)
        assert [(p.field, p.line) for p in loaded.problems] == [("city", 6)]
        assert "`no` is read by YAML as the boolean false" in loaded.problems[0].message
    assert len(_entries(cache)) == 2


def test_a_cached_site_still_names_the_line_of_a_plan_problem(fleet_copy: Path,
                                                              cache: Path) -> None:
    # Both files pass the schema (so both are kept); the clash is found by the plan.
    site = fleet_copy / "sites" / "lon01.yml"
    site.write_text(site.read_text().replace("subnet: 10.50.0.0/23", "subnet: 10.41.7.0/26"))
    first = plan_fleet_dir(fleet_copy, cached=True).problems
    assert len(_entries(cache)) == 3
    second = plan_fleet_dir(fleet_copy, cached=True).problems
    assert second == first
    assert any(p.field == "network.subnet" and p.line == 14 for p in second), first


def test_an_entry_edited_outside_sitekit_is_not_served(fleet_copy: Path, cache: Path) -> None:
    load_fleet_dir(fleet_copy, cached=True)
    (file,) = cache.glob("sites-*.json")
    file.write_text(file.read_text().replace('"city":"Berlin"', '"city":"Forged"'))
    again = load_fleet_dir(fleet_copy, cached=True)
    assert {s.code: s.city for s in again.sites}["BER02"] == "Berlin"
    assert '"city":"Forged"' not in file.read_text()  # replaced by the real one


def test_a_key_others_can_read_turns_the_cache_off(fleet_copy: Path, cache: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    load_fleet_dir(fleet_copy, cached=True)
    (cache / KEY_FILE).chmod(0o644)
    _no_parsing(monkeypatch)
    with pytest.raises(AssertionError, match="parsed again"):
        load_fleet_dir(fleet_copy, cached=True)
