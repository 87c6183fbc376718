"""Which release each ring is on, and the audit judging a site's application by it.

The example fleet: LIS01 in ring 0 (the canary), BER02 in ring 1, LON01 in ring 2; the
fleet pins 8.4.2 and the release 2026-12-lotus-8.5 moves it to 8.5.0.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from sitekit.audit.checks import FAIL, PASS
from sitekit.audit.evaluate import Evaluator
from sitekit.audit.history import History
from sitekit.audit.policy import Policy, load_policy
from sitekit.cli import main
from sitekit.rollout.rings import PINNED, audit_values, ring_applications, ring_releases
from sitekit.rollout.state import RolloutHistory, SiteState
from sitekit.site.load import Loaded, load_fleet_dir
from sitekit.site.strict_yaml import plain
from tests.auditdata import RELEASES, drift, healthy, write_run
from tests.conftest import EXAMPLE

RELEASE = "2026-12-lotus-8.5"
NOW = dt.datetime(2026, 12, 20, tzinfo=dt.UTC)
AT = "2026-12-08T02:00:00+00:00"
RING = {"LIS01": 0, "BER02": 1, "LON01": 2}


def history_of(tmp_path: Path, states: dict[str, str]) -> Path:
    """A history with each site's recorded state in the release."""
    path = tmp_path / "history.sqlite"
    with History(path) as opened:
        store = RolloutHistory(opened, "example")
        for code, state in states.items():
            store.record_site(RELEASE, SiteState(code, RING[code], state, at=AT))
    return path


@pytest.mark.parametrize(("states", "rings", "sites"), [
    # No rollout yet: everything on the fleet's pin.
    ({}, {0: "8.4.2", 1: "8.4.2", 2: "8.4.2"},
     {"LIS01": "8.4.2", "BER02": "8.4.2", "LON01": "8.4.2"}),
    # The canary done: ring 0 complete and on the release; rings 1 and 2 not reached.
    ({"LIS01": "done"}, {0: "8.5.0", 1: "8.4.2", 2: "8.4.2"},
     {"LIS01": "8.5.0", "BER02": "8.4.2", "LON01": "8.4.2"}),
    # Every site of ring 1 done: that ring is on the release (whatever ring 0 does).
    ({"BER02": "done"}, {0: "8.4.2", 1: "8.5.0", 2: "8.4.2"},
     {"LIS01": "8.4.2", "BER02": "8.5.0", "LON01": "8.4.2"}),
    # The canary rolled back halts the release: its ring stays on the pin until resumed.
    ({"LIS01": "rolled_back"}, {0: "8.4.2", 1: "8.4.2", 2: "8.4.2"},
     {"LIS01": "8.4.2", "BER02": "8.4.2", "LON01": "8.4.2"}),
    # Deferred: the ring is not complete, nothing moves.
    ({"LIS01": "deferred"}, {0: "8.4.2", 1: "8.4.2", 2: "8.4.2"},
     {"LIS01": "8.4.2", "BER02": "8.4.2", "LON01": "8.4.2"}),
], ids=["none", "canary-done", "ring-1-done", "rolled-back", "deferred"])
def test_the_release_each_ring_and_site_is_on(tmp_path: Path, loaded: Loaded,
                                              states: dict[str, str], rings: dict[int, str],
                                              sites: dict[str, str]) -> None:
    assert loaded.fleet is not None
    found = ring_releases(EXAMPLE, loaded.fleet, loaded.sites, history_of(tmp_path, states), NOW)
    assert {ring: on.version for ring, on in found.rings.items()} == rings
    assert {code: on.version for code, on in found.sites.items()} == sites
    assert {on.release for on in found.rings.values()} <= {PINNED, RELEASE}


def test_opening_day_installs_the_release_each_sites_ring_is_on(tmp_path: Path,
                                                                loaded: Loaded) -> None:
    # Ring 1 complete on the release (BER02 done), ring 0 (its canary deferred) and ring 2 on
    # the fleet's pin: a new site opens with its ring's installers, one rule with the audit.
    assert loaded.fleet is not None
    history = history_of(tmp_path, {"BER02": "done", "LIS01": "deferred"})
    found = ring_applications(EXAMPLE, loaded.fleet, loaded.sites, history, NOW)
    assert found["BER02"] == {
        "release": RELEASE, "version": "8.5.0",
        "server": {"installer": "lotus-pos\\8.5.0\\LotusPOS-Server-8.5.0-x64.msi",
                   "product_id": "{B2C6E1A4-5D3F-4E7A-9C21-7F0A8D3E6B52}"},
        "client": {"installer": "lotus-pos\\8.5.0\\LotusPOS-Client-8.5.0-x64.msi",
                   "product_id": "{C3D7F2B5-6E4A-4F8B-AD32-80B19E4F7C63}",
                   "file_version": "8.5.0.1302"}}
    software = loaded.fleet.software
    for code in ("LIS01", "LON01"):
        assert found[code]["release"] == PINNED
        assert found[code]["version"] == "8.4.2"
        assert found[code]["server"]["installer"] == software["application_server"]["installer"]
        assert found[code]["client"]["file_version"] == software["application_client"][
            "file_version"]


@pytest.fixture(scope="module")
def loaded() -> Loaded:
    return load_fleet_dir(EXAMPLE)


@pytest.fixture(scope="module")
def policy(loaded: Loaded) -> Policy:
    assert loaded.fleet is not None
    found, problems = load_policy(EXAMPLE / "audit-policy.yml",
                                  plain(loaded.fleet.source["fleet"]), releases_path=RELEASES)
    assert found is not None, problems
    return found


@pytest.fixture(scope="module")
def values(tmp_path_factory: pytest.TempPathFactory, loaded: Loaded) -> dict[str, Any]:
    """What the audit judges by once the canary LIS01 is done (every site read again)."""
    assert loaded.fleet is not None
    history = history_of(tmp_path_factory.mktemp("rings"), {"LIS01": "done"})
    return audit_values(EXAMPLE, loaded.fleet, None, history)


def app_status(policy: Policy, values: dict[str, Any], site: str, version: str) -> str:
    """APP-01 of a cashier station of `site` running `version`, judged with `values`."""
    host = f"{site.lower()}-pos01"
    document = drift(healthy(host, site, "cashier"), "application.version", version)
    result = Evaluator(policy, dt.date(2026, 12, 1), site_values=values).host(site, document)
    return next(r.status for r in result.results if r.control == "APP-01")


@pytest.mark.parametrize(("site", "version", "expected"), [
    ("LIS01", "8.5.0", PASS),  # ring 0 on the release
    ("LIS01", "8.4.2", FAIL),  # rolled back in a ring the release has reached
    ("LON01", "8.4.2", PASS),  # ring 2 not reached: the previous release is fine
    ("LON01", "8.4.1", FAIL),  # two releases behind
    ("LON01", "8.5.0", FAIL),  # nor ahead of its ring without being upgraded by the rollout
])
def test_the_audit_judges_a_site_by_its_rings_release(policy: Policy, values: dict[str, Any],
                                                      site: str, version: str,
                                                      expected: str) -> None:
    assert app_status(policy, values, site, version) == expected


def test_sitekit_report_judges_by_the_rollout_in_its_history(tmp_path: Path,
                                                             loaded: Loaded) -> None:
    """LIS01 done in the release: its station still at 8.4.2 fails APP-01 in the report."""
    assert loaded.fleet is not None
    history = history_of(tmp_path, {"LIS01": "done"})
    write_run(tmp_path / "facts", [healthy("lis01-pos01", "LIS01", "cashier")])
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SITEKIT_TODAY", "2026-12-01")
        status = main(["report", str(EXAMPLE), "--releases", str(RELEASES), "--facts",
                       str(tmp_path / "facts"), "--month", "2026-12", "--site", "LIS01",
                       "--engineer", "Ana Costa", "--history", str(history),
                       "--out", str(tmp_path / "out"), "--format", "json"])
    assert status == 0
    document = json.loads((tmp_path / "out" / "results.json").read_text())
    host = next(h for s in document["sites"] for h in s["hosts"] if h["host"] == "lis01-pos01")
    app = next(r for r in host["results"] if r["control"] == "APP-01")
    assert (app["status"], app["observed"], app["expected"]) == ("fail", "8.4.2", "8.5.0")


def test_sitekit_rollout_rings_shows_the_release_each_ring_is_on(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    history = history_of(tmp_path, {"LIS01": "done"})
    assert main(["rollout", "rings", str(EXAMPLE), "--history", str(history)]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "ring 0: 8.5.0 (2026-12-lotus-8.5)", "ring 1: 8.4.2 (the fleet's pin)",
        "ring 2: 8.4.2 (the fleet's pin)"]
    assert main(["rollout", "rings", str(EXAMPLE), "--history", str(history),
                 "--format", "json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["rings"][0] == {"ring": 0, "release": RELEASE, "version": "8.5.0"}
    assert {s["site"]: s["version"] for s in shown["sites"]} == {
        "BER02": "8.4.2", "LIS01": "8.5.0", "LON01": "8.4.2"}
