"""Acceptance's probes follow the flow matrix; the segmentation test (PCI DSS 11.4.5)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sitekit.acceptance import probe_checks, probe_targets, probes, segmentation_result, site_record
from sitekit.inventory import GUEST_VANTAGE, build_inventory
from sitekit.plan.fleet import plan_fleet_dir
from tests.conftest import EXAMPLE

TODAY = dt.date(2026, 11, 25)


def _site_hosts(code: str) -> list[dict[str, Any]]:
    """A site's hosts' variables as Ansible merges them (site, kind group, host)."""
    inventory = build_inventory(plan_fleet_dir(EXAMPLE, only=[code], today=TODAY), vantage=True)
    site = inventory.groups[f"site_{code.lower()}"]
    merged = []
    for child in [None, *site.children]:
        group = site if child is None else inventory.groups[child]
        merged += [site.vars | group.vars | inventory.hosts[name] for name in group.hosts]
    return merged


def test_the_inventory_adds_each_sites_guest_vantage_point_only_when_asked() -> None:
    plan = plan_fleet_dir(EXAMPLE, today=TODAY)
    assert build_inventory(plan).groups[GUEST_VANTAGE].children == []
    inventory = build_inventory(plan, vantage=True, loopback=True)
    assert inventory.groups[GUEST_VANTAGE].children == [
        "site_ber02_guest", "site_lis01_guest", "site_lon01_guest"]
    assert "site_lis01_guest" in inventory.groups["site_lis01"].children
    assert inventory.groups["site_lis01_guest"].hosts == ["lis01-guest"]
    lis01 = inventory.hosts["lis01-guest"]
    # The last address of LIS01's guest DHCP scope, reached on loopback in the lab.
    assert (lis01["sitekit_address"], lis01["ansible_host"]) == ("172.16.41.254", "127.16.41.254")
    assert (lis01["sitekit_kind"], lis01["sitekit_segment"]) == ("vantage", "guest")


def test_an_office_station_probes_the_application_and_is_refused_sql_and_management() -> None:
    hosts = _site_hosts("BER02")
    office = next(h for h in hosts if h["sitekit_kind"] == "office")
    targets = probe_targets("office", hosts)
    assert [t["address"] for t in targets] == ["10.40.2.10"]
    found = probes(targets[0]["address"], targets[0]["inbound"],
                   office["sitekit_segments"]["back_office"]["subnet"], targets[0]["subnet"])
    assert [(p["port"], p["allowed"]) for p in found] == [
        (1433, False), (5986, False), (8443, True), (9182, False)]


def test_a_cde_station_probes_what_the_matrix_allows_and_nothing_else() -> None:
    hosts = _site_hosts("BER02")
    target = probe_targets("cashier", hosts)[0]
    found = probes(target["address"], target["inbound"], "10.40.2.0/24", target["subnet"])
    # WinRM and the exporter are the controller's and monitoring's: within the cde only the
    # host firewalls decide, so they are not probed from a station.
    assert [(p["port"], p["allowed"], p["flows"]) for p in found] == [
        (1433, True, ["pos-sql"]), (8443, True, ["pos-application"])]


def test_the_guest_vantage_point_probes_every_cde_host_and_expects_no_answer() -> None:
    hosts = _site_hosts("BER02")
    targets = probe_targets("vantage", hosts)
    cde = [h["sitekit_address"] for h in hosts
           if h["sitekit_kind"] != "vantage" and h["sitekit_segment"] == "cde"]
    assert sorted(t["address"] for t in targets) == sorted(cde)
    assert "10.61.0.66" not in cde  # the office station is outside the cde
    found = [p for t in targets
             for p in probes(t["address"], t["inbound"], "172.16.2.0/24", t["subnet"])]
    assert found
    assert not any(p["allowed"] for p in found)
    assert {p["port"] for p in found if p["target"] == "10.40.2.10"} == {1433, 5986, 8443, 9182}
    assert probe_targets("server", hosts) == []


def _checks(*answers: tuple[str, int, bool, bool]) -> list[dict[str, Any]]:
    """probe_checks over (target, port, allowed, opened): the plan's probes and
    sitekit_port_probe's answers in the same order."""
    planned = [{"target": t, "port": p, "allowed": allowed,
                "flows": ["pos-sql"] if allowed else []} for t, p, allowed, _ in answers]
    result = {"changed": False, "probes": [
        {"host": t, "port": p, "open": opened,
         "error": None if opened else "no answer within 5 s"} for t, p, _, opened in answers]}
    return probe_checks(planned, result)


def test_probe_checks_pass_an_allowed_flow_that_connects_and_a_denied_one_that_does_not() -> None:
    checks = _checks(("10.40.2.10", 1433, True, True), ("10.40.2.10", 5986, False, False),
                     ("10.40.2.10", 8443, True, False), ("10.40.2.10", 9182, False, True))
    assert [(c["check"], c["passed"]) for c in checks] == [
        ("reaches 10.40.2.10:1433 (pos-sql)", True),
        ("refused at 10.40.2.10:5986 (no flow in the matrix)", True),
        ("reaches 10.40.2.10:8443 (pos-sql)", False),
        ("refused at 10.40.2.10:9182 (no flow in the matrix)", False)]
    assert checks[2]["observed"] == "no answer within 5 s"


def test_a_probe_run_that_failed_fails_every_probe_with_its_reason() -> None:
    planned = [{"target": "10.40.2.10", "port": 1433, "allowed": False, "flows": []}]
    checks = probe_checks(planned, {"failed": True, "msg": "the host did not answer"})
    assert [(c["passed"], c["observed"]) for c in checks] == [
        (False, "the host did not answer")]


def _entry(host: str, kind: str, checks: list[dict[str, Any]]) -> dict[str, Any]:
    return {"host": host, "kind": kind, "checks": checks, "facts": {}, "exception": None}


def test_the_segmentation_test_passes_only_when_nothing_answers_from_the_guest_segment() -> None:
    refused = _checks(("10.40.2.10", 1433, False, False))
    reached = _checks(("10.40.2.10", 1433, True, True))
    station = _entry("ber02-pos01", "cashier", reached)
    good = segmentation_result([station, _entry("ber02-guest", "vantage", refused)],
                               guest_segment=True)
    assert (good["result"], good["probes"], good["failed_probes"]) == ("passed", 2, [])
    answered = _checks(("10.40.2.10", 1433, False, True))
    bad = segmentation_result([station, _entry("ber02-guest", "vantage", answered)],
                              guest_segment=True)
    assert bad["result"] == "failed"
    assert bad["failed_probes"] == [
        "ber02-guest: refused at 10.40.2.10:1433 (no flow in the matrix)"]
    broken = _checks(("10.40.2.10", 1433, True, False))
    assert segmentation_result([_entry("ber02-pos01", "cashier", broken),
                                _entry("ber02-guest", "vantage", refused)],
                               guest_segment=True)["result"] == "failed"


def test_a_site_whose_segmentation_was_not_tested_is_not_accepted() -> None:
    station = _entry("ber02-pos01", "cashier", [])
    record = site_record({"code": "BER02"}, [station], "Ana", "2026-11-25 12:00:00 UTC", [])
    assert record["segmentation"]["result"] == "not tested"
    assert record["result"] == "not accepted"
    assert "no guest vantage point took part" in record["failed"][-1]
    without_guests = site_record({"code": "BER02"}, [station], "Ana", "now", [],
                                 guest_segment=False)
    assert (without_guests["segmentation"]["result"], without_guests["result"]) == (
        "not applicable", "accepted")
