"""Facts -> findings on the example fleet: healthy hosts pass, each drift fails its controls."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from sitekit import timestamps
from sitekit.audit.checks import FAIL, PASS, UNKNOWN, WAIVED
from sitekit.audit.evaluate import Evaluator, SiteInfo, fleet_sites
from sitekit.audit.policy import Policy, Waiver, load_policy
from sitekit.site.load import load_fleet_dir
from sitekit.site.strict_yaml import plain
from tests.auditdata import GATHERED, RELEASES, drift, healthy, unreachable, write_run
from tests.conftest import EXAMPLE

TODAY = dt.date(2026, 12, 1)


@pytest.fixture(scope="module")
def example() -> tuple[Policy, list[SiteInfo]]:
    loaded = load_fleet_dir(EXAMPLE)
    assert loaded.fleet is not None
    policy, problems = load_policy(EXAMPLE / "audit-policy.yml",
                                   plain(loaded.fleet.source["fleet"]), releases_path=RELEASES)
    assert policy is not None, problems
    return policy, fleet_sites(loaded.fleet, loaded.sites)


def statuses(evaluator: Evaluator, document: dict[str, Any]) -> dict[str, str]:
    result = evaluator.host(document["site"], document)
    return {r.control: r.status for r in result.results}


@pytest.mark.parametrize(("host", "kind", "waived"), [
    ("lis01-srv01", "server", set()),
    ("lis01-pos01", "cashier", {"AUT-01"}),
    ("lis01-kds01", "kitchen", {"AUT-01"}),
    ("lon01-ofc01", "office", set()),
])
def test_a_healthy_host_passes_every_control(example: tuple[Policy, list[SiteInfo]], host: str,
                                             kind: str, waived: set[str]) -> None:
    policy, _ = example
    found = statuses(Evaluator(policy, TODAY), healthy(host, host[:5].upper(), kind))
    assert set(found) == {c.id for c in policy.by_kind[kind]}
    assert {c for c, s in found.items() if s != PASS} == waived
    assert all(found[c] == WAIVED for c in waived)


def _old(**delta: int) -> str:
    return timestamps.text(GATHERED - dt.timedelta(**delta))


DRIFTS = [
    ("service stopped", "server", "services.WinDefend", {"state": "stopped", "start_mode": "auto"},
     {"SVC-01"}),
    ("app service stopped", "server", "services.LotusPosServer",
     {"state": "stopped", "start_mode": "manual"}, {"SVC-02", "SVC-03"}),
    ("stale signatures", "cashier", "defender.signature_last_updated", _old(days=3), {"AV-03"}),
    ("real-time protection off", "kitchen", "defender.realtime_protection", False, {"AV-02"}),
    ("old backup", "server", "backups.LotusPOS.last_full", _old(days=2), {"BAK-01"}),
    ("never tested a restore", "server", "backups.LotusPOS.last_restore_test", None, {"BAK-03"}),
    ("extra local administrator", "office", "local_groups.Administrators.members",
     ["Administrator", "sitekit", "acosta", "jdoe"], {"ACC-01", "ACC-02"}),
    ("missing update", "cashier", "updates.missing",
     [{"kb": "KB5048667", "title": "2026-12 Cumulative Update", "category": "Security Updates"}],
     {"UPD-02"}),
    ("missing definition update only", "cashier", "updates.missing",
     [{"kb": "KB2267602", "title": "Defender update", "category": "Definition Updates"}], set()),
    ("low disk", "server", "disks", {"C:": {"size_bytes": 100, "free_bytes": 9,
                                            "free_percent": 9.0}}, {"DSK-01"}),
    ("old application", "cashier", "application.version", "8.4.1", {"APP-01"}),
    ("old SQL Server", "server", "sql_server.version", "15.0.4236.7", {"SQL-01"}),
    ("log too large", "server", "sql_files.LotusPOS.log_mb", 5120.0, {"SQL-03"}),
    ("short passwords", "office", "password_policy.min_length", 8, {"PWD-01"}),
    ("no lockout", "office", "lockout_policy.threshold", 0, {"LCK-01"}),
    ("basic auth", "server", "winrm.basic_auth", True, {"WRM-01"}),
    ("HTTP listener", "server", "winrm.listeners",
     [{"transport": "HTTP", "port": 5985, "address": "*"}], {"WRM-03"}),
    ("public profile off", "cashier", "firewall.public.enabled", False, {"FW-01"}),
    ("clock behind", "kitchen", "clock.offset_seconds", -42.0, {"CLK-01"}),
    ("autologon on the office PC", "office", "autologon.enabled", True, {"AUT-01"}),
    ("time from the internet", "cashier", "clock",
     {"offset_seconds": 0.2, "source": "time.windows.com,0x9", "designated": False}, {"CLK-02"}),
    ("categories override subcategories", "server", "logging.force_subcategories", None,
     {"LOG-01"}),
    ("failed logons not audited", "cashier", "logging.audit_policy.logon", ["success"],
     {"LOG-02"}),
    ("user changes not audited (server)", "server",
     "logging.audit_policy.user_account_management", [], {"LOG-03"}),
    ("user changes not audited (station)", "kitchen",
     "logging.audit_policy.user_account_management", ["success"], {"LOG-04"}),
    ("audit policy changes not audited", "office", "logging.audit_policy.audit_policy_change",
     ["failure"], {"LOG-05"}),
    ("new processes not audited", "server", "logging.audit_policy.process_creation", [],
     {"LOG-06"}),
    ("small Security log", "office", "logging.security_log.maximum_size_kb", 20480, {"LOG-07"}),
    ("Security log stops when full", "cashier", "logging.security_log.mode", "retain",
     {"LOG-08"}),
    ("events not forwarded", "server", "forwarding.configured", False, {"LOG-09"}),
    ("forwarder cannot read Security", "office", "forwarding.security_readable", False,
     {"LOG-10"}),
    ("forwarder never subscribed", "cashier", "forwarding.last_subscribed", None, {"LOG-11"}),
    ("last subscription 40 days old", "kitchen", "forwarding.last_subscribed", _old(days=40),
     {"LOG-11"}),
    ("collector unreachable since", "server", "forwarding.problems_since", 3, {"LOG-12"}),
    ("server never locks", "server", "hardening.inactivity_timeout_seconds", None, {"IDL-01"}),
    ("office locks after an hour", "office", "hardening.inactivity_timeout_seconds", 3600,
     {"IDL-02"}),
    ("SMB 1 server on", "server", "hardening.smb1_server", 1, {"HRD-01"}),
    ("SMB 1 client driver", "cashier", "hardening.smb1_client_start", 3, {"HRD-02"}),
    ("LLMNR not set", "kitchen", "hardening.llmnr", None, {"HRD-03"}),
    ("NetBIOS resolution on", "office", "hardening.netbios", 1, {"HRD-04"}),
    ("broadcast node", "server", "hardening.netbt_node_type", 8, {"HRD-04"}),
    ("unsigned SMB server", "server", "hardening.smb_server_signing", 0, {"HRD-05"}),
    ("NTLMv1 accepted", "cashier", "hardening.lm_compatibility_level", 3, {"HRD-06"}),
    ("WDigest on", "office", "hardening.wdigest_logon_credential", 1, {"HRD-07"}),
    ("TLS 1.0 server on", "server", "hardening.tls10_server", 1, {"HRD-08"}),
    ("TLS 1.1 client not set", "kitchen", "hardening.tls11_client", None, {"HRD-08"}),
    ("Remote Desktop on", "office", "hardening.rdp_deny_connections", 0, {"HRD-09"}),
    ("Remote Desktop without NLA", "server", "hardening.rdp_nla", 0, {"HRD-10"}),
    ("Remote Desktop never idles out", "server", "hardening.rdp_max_idle_ms", 0, {"HRD-11"}),
    ("AutoPlay for CD drives", "cashier", "hardening.autoplay_drive_types", 0x91, {"HRD-12"}),
    ("AutoRun commands run", "kitchen", "hardening.autorun_off", 0, {"HRD-13"}),
    ("removable drives not scanned", "office", "hardening.removable_drive_scanning_disabled",
     1, {"AV-07"}),
    ("a manager's password never expires", "office", "accounts.password_never_expires",
     ["acosta", "sitekit"], {"ACC-05"}),
    ("a manager away for 91 days", "office", "accounts.enabled",
     [{"name": "acosta", "last_logon": _old(days=91)},
      {"name": "sitekit", "last_logon": _old(minutes=1)}], {"ACC-06"}),
    ("Guest on", "cashier", "hardening.guest.enabled", True, {"ACC-03"}),
    ("built-in Administrator on", "server", "hardening.administrator.enabled", True, {"ACC-04"}),
]


@pytest.mark.parametrize(("what", "kind", "path", "value", "failing"), DRIFTS,
                         ids=[d[0] for d in DRIFTS])
def test_each_drift_fails_exactly_its_controls(example: tuple[Policy, list[SiteInfo]], what: str,
                                               kind: str, path: str, value: Any,
                                               failing: set[str]) -> None:
    policy, _ = example
    evaluator = Evaluator(policy, TODAY)
    document = drift(healthy("ber02-x01", "BER02", kind), path, value)
    result = evaluator.host("BER02", document)
    assert {r.control for r in result.results if r.status == FAIL} == failing, what
    for r in result.results:
        if r.control in failing:
            assert r.observed and r.expected, r  # the evidence is there


@pytest.mark.parametrize(("last_logon", "first_seen", "status"), [
    (None, None, PASS),               # first seen by this very run
    (None, 89, PASS),                 # days ago
    (None, 91, FAIL),                 # created for someone who never came
    (3, 400, PASS),                   # the last logon counts when there is one
    (90.01, 95, FAIL),
])
def test_an_account_is_aged_from_its_last_logon_or_first_sighting(
        example: tuple[Policy, list[SiteInfo]], last_logon: float | None,
        first_seen: float | None, status: str) -> None:
    policy, _ = example
    known = {} if first_seen is None else {
        ("BER02", "ber02-ofc01"): {"temp": _old(days=first_seen)}}
    evaluator = Evaluator(policy, TODAY, first_seen=known)
    document = drift(healthy("ber02-ofc01", "BER02", "office"), "accounts.enabled",
                     [{"name": "sitekit", "last_logon": _old(minutes=1)},
                      {"name": "Temp", "last_logon": None if last_logon is None
                       else _old(days=last_logon)}])
    result = {r.control: r for r in evaluator.host("BER02", document).results}["ACC-06"]
    assert result.status == status, result
    assert "Temp" in result.observed
    # What this run saw, for the history: the earlier sighting kept, else this run's time.
    seen = evaluator.sightings[("BER02", "ber02-ofc01")]
    assert seen["temp"] == (document["gathered_at"] if first_seen is None
                            else _old(days=first_seen))
    assert set(seen) == {"sitekit", "temp"}


@pytest.mark.parametrize(("terminals", "status", "note"), [
    ({"t1": ("2026-11-01", "passed"), "t2": ("2026-10-28", "passed")}, PASS, ""),
    ({}, PASS, ""),                                 # a site without card terminals
    ({"t1": ("2026-11-01", "passed"), "t2": (None, None)}, FAIL, "t2 never inspected"),
    ({"t1": ("2026-10-26", "passed")}, FAIL, "t1 last inspected 36 days ago"),
    ({"t1": ("2026-11-30", "failed")}, FAIL, "t1 failed its inspection on 2026-11-30"),
])
def test_card_terminals_are_judged_by_their_newest_inspection(
        example: tuple[Policy, list[SiteInfo]], terminals: dict[str, tuple[str | None, ...]],
        status: str, note: str) -> None:
    policy, _ = example
    records = {"BER02": {name: {"serial": f"S-{name}", "inspected": day, "outcome": outcome}
                         for name, (day, outcome) in terminals.items()}}
    # The records', never the host's: a facts file claiming an inspection does not count.
    document = drift(healthy("ber02-srv01", "BER02", "server"), "terminal_inspections",
                     {"t1": {"serial": "S-t1", "inspected": "2026-11-30", "outcome": "passed"}})
    result = {r.control: r for r in Evaluator(policy, TODAY, terminals=records)
              .host("BER02", document).results}["TRM-01"]
    assert (result.status, result.note) == (status, note)


def test_a_gather_that_left_out_a_section_is_unknown(
        example: tuple[Policy, list[SiteInfo]]) -> None:
    policy, _ = example
    found = statuses(Evaluator(policy, TODAY),
                     drift(healthy("ber02-srv01", "BER02", "server"), "backups", ...))
    assert {c for c, s in found.items() if s == UNKNOWN} == {"BAK-01", "BAK-02", "BAK-03",
                                                              "BAK-04"}


def test_an_unreachable_host_is_unknown_never_pass(
        example: tuple[Policy, list[SiteInfo]]) -> None:
    policy, _ = example
    result = Evaluator(policy, TODAY).host("BER02", unreachable("ber02-pos01", "BER02",
                                                                "cashier"))
    assert not result.reachable
    assert len(result.results) == len(policy.by_kind["cashier"]) == 60
    assert {r.status for r in result.results} == {UNKNOWN}
    assert result.results[0].note.startswith("unreachable: ntlm: HTTPSConnectionPool")


def test_a_site_from_a_run_directory(example: tuple[Policy, list[SiteInfo]],
                                     tmp_path: Path) -> None:
    policy, sites = example
    lis01 = next(site for site in sites if site.code == "LIS01")
    assert lis01.hosts == [("lis01-srv01", "server"), ("lis01-pos01", "cashier"),
                           ("lis01-kds01", "kitchen")]
    run = write_run(tmp_path / "run", [healthy("lis01-srv01", "LIS01", "server")])
    # A file about another host, and one that is not JSON.
    (run / "LIS01" / "lis01-pos01.json").write_text(
        json.dumps(healthy("lis01-kds01", "LIS01", "kitchen")))
    (run / "LIS01" / "lis01-kds01.json").write_text("{not json")
    result = Evaluator(policy, TODAY).site(lis01, run)
    server, cashier, kitchen = result.hosts
    assert server.reachable
    assert {r.status for r in server.results} == {PASS}
    assert {r.status for r in cashier.results} == {UNKNOWN}
    assert "is about kitchen lis01-kds01" in cashier.error
    assert "is not JSON" in kitchen.error
    empty = Evaluator(policy, TODAY).site(lis01, tmp_path / "nothing")
    assert all(h.error and "no facts for this host" in h.error for h in empty.hosts)


def test_validate_facts_refuses_a_document_off_the_schema(
        example: tuple[Policy, list[SiteInfo]], tmp_path: Path) -> None:
    policy, sites = example
    lis01 = next(site for site in sites if site.code == "LIS01")
    document = drift(healthy("lis01-srv01", "LIS01", "server"), "clock.offset_seconds", "0.4s")
    path = tmp_path / "run" / "LIS01" / "lis01-srv01.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(document))
    lenient = Evaluator(policy, TODAY).site(lis01, tmp_path / "run").hosts[0]
    assert {r.control: r.status for r in lenient.results}["CLK-01"] == UNKNOWN
    strict = Evaluator(policy, TODAY, validate=True).site(lis01, tmp_path / "run").hosts[0]
    assert not strict.reachable
    assert "facts.clock.offset_seconds: expected a number, got '0.4s'" in strict.error


@pytest.mark.parametrize(("expires", "today", "status", "note"), [
    ("2026-12-31", dt.date(2026, 12, 1), WAIVED, "waived: Drawer PC logs on by itself"),
    ("2026-12-01", dt.date(2026, 12, 1), WAIVED, "waived: "),  # the last day still counts
    ("2026-11-30", dt.date(2026, 12, 1), FAIL, "waiver expired on 2026-11-30: Drawer PC"),
])
def test_a_waiver_applies_until_it_expires(example: tuple[Policy, list[SiteInfo]], expires: str,
                                           today: dt.date, status: str, note: str) -> None:
    policy, _ = example
    waiver = Waiver("BER02", "ber02-ofc01", None, "AUT-01",
                    "Drawer PC logs on by itself for the cash count", "M. Weber",
                    dt.date.fromisoformat(expires))
    waived = Policy(policy.file, policy.version, policy.fleet, "", policy.controls, (waiver,))
    document = drift(healthy("ber02-ofc01", "BER02", "office"), "autologon.enabled", True)
    result = {r.control: r for r in Evaluator(waived, today).host("BER02", document).results}
    assert result["AUT-01"].status == status
    assert note in result["AUT-01"].note
    # Another host of the site is not covered by a host waiver.
    other = drift(healthy("ber02-ofc02", "BER02", "office"), "autologon.enabled", True)
    assert statuses(Evaluator(waived, today), other)["AUT-01"] == FAIL


def test_a_waiver_does_not_turn_unknown_into_waived(
        example: tuple[Policy, list[SiteInfo]]) -> None:
    policy, _ = example
    found = statuses(Evaluator(policy, TODAY),
                     drift(healthy("ber02-pos01", "BER02", "cashier"), "autologon", ...))
    assert found["AUT-01"] == UNKNOWN


NOW = dt.datetime(2026, 12, 7, 12, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(("month", "gathered_at", "why"), [
    ("2026-12", "2024-12-01T02:30:00Z", "outside the 2026-12 run window"),  # two years old
    ("2026-12", "2026-11-30T23:59:59Z", "outside the 2026-12 run window"),  # last month
    ("2026-11", "2026-12-02T00:00:00Z", "outside the 2026-11 run window"),  # past the grace
    ("2026-12", "2026-12-07T13:00:00Z", "in the future"),
    ("2026-12", "2030-01-01T00:00:00Z", "in the future"),
    ("2026-12", "yesterday", "is not a UTC time written yyyy-MM-ddTHH:mm:ssZ"),
    ("2026-12", "2026-12-07T03:00:00+00:00", "is not a UTC time written yyyy-MM-ddTHH:mm:ssZ"),
])
def test_evidence_of_another_month_is_unknown(example: tuple[Policy, list[SiteInfo]],
                                              month: str, gathered_at: str, why: str) -> None:
    policy, _ = example
    document = healthy("lis01-pos01", "LIS01", "cashier")
    document["gathered_at"] = gathered_at
    result = Evaluator(policy, TODAY, month=month, now=NOW).host("LIS01", document)
    assert {r.status for r in result.results} == {UNKNOWN}
    assert not result.reachable
    assert all(why in r.note for r in result.results), result.results[0].note


@pytest.mark.parametrize(("month", "gathered_at"), [
    ("2026-12", "2026-12-01T00:00:00Z"),  # the window opens
    ("2026-11", "2026-11-30T23:30:00Z"),
    ("2026-11", "2026-12-01T01:10:00Z"),  # a run that crossed midnight: the grace
    ("2026-12", "2026-12-07T12:03:00Z"),  # a host's clock a little ahead
])
def test_evidence_of_the_month_is_judged(example: tuple[Policy, list[SiteInfo]],
                                         month: str, gathered_at: str) -> None:
    policy, _ = example
    document = healthy("lis01-srv01", "LIS01", "server",
                       at=dt.datetime.fromisoformat(gathered_at))
    found = Evaluator(policy, TODAY, month=month, now=NOW).host("LIS01", document)
    assert found.reachable
    assert {r.status for r in found.results} == {PASS}


def test_a_report_of_a_month_judges_only_that_months_facts(
        example: tuple[Policy, list[SiteInfo]], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    from sitekit.cli import main  # noqa: PLC0415

    monkeypatch.setenv("SITEKIT_TODAY", "2026-12-01")
    _, sites = example
    old = dt.datetime(2024, 12, 1, 2, 30, tzinfo=dt.UTC)
    write_run(tmp_path / "run", [healthy(host, site.code, kind, at=old)
                                 for site in sites for host, kind in site.hosts])
    assert main(["report", str(EXAMPLE), "--releases", str(RELEASES),
                 "--facts", str(tmp_path / "run"), "--month", "2026-12",
                 "--engineer", "Ana Costa", "--history", str(tmp_path / "h.sqlite"), "--out",
                 str(tmp_path / "out"), "--format", "json"]) == 0
    kept = json.loads((tmp_path / "out" / "results.json").read_text())
    assert kept["counts"]["pass"] == 0, kept["counts"]


BAD_FACTS = Path(__file__).parents[1] / "data" / "bad-facts"
# Each file of the corpus is lis01-pos01's facts for 2026-12, broken in one way: the host
# is unknown on every control, and the note says why.
BAD_FACTS_WHY = {
    "two-years-old.json": "outside the 2026-12 run window",
    "last-month.json": "outside the 2026-12 run window",
    "in-the-future.json": "in the future",
    "gathered-at-not-a-time.json": "is not a UTC time written yyyy-MM-ddTHH:mm:ssZ",
    "gathered-at-a-number.json": "gathered_at: expected text",
    "kind-a-list.json": "kind: expected one of",
    "about-another-host.json": "is about kitchen lis01-kds01 of LIS01",
    "reachable-as-text.json": "reachable: expected true or false",
    "facts-a-list.json": "facts: expected a mapping",
    "truncated.json": "is not JSON",
    "empty.json": "is not JSON",
    "no-format.json": "format: expected 1",
    "infinity.json": "Infinity is not a number JSON allows",
    "nan.json": "NaN is not a number JSON allows",
}


def test_the_bad_facts_corpus_is_complete() -> None:
    assert {path.name for path in BAD_FACTS.glob("*.json")} == set(BAD_FACTS_WHY)


@pytest.mark.parametrize(("name", "why"), sorted(BAD_FACTS_WHY.items()))
def test_each_bad_facts_document_makes_its_host_unknown(
        example: tuple[Policy, list[SiteInfo]], tmp_path: Path, name: str, why: str) -> None:
    policy, sites = example
    lis01 = next(site for site in sites if site.code == "LIS01")
    run = tmp_path / "run" / "LIS01"
    run.mkdir(parents=True)
    (run / "lis01-pos01.json").write_bytes((BAD_FACTS / name).read_bytes())
    for validate in (False, True):
        evaluator = Evaluator(policy, TODAY, validate=validate, month="2026-12", now=NOW)
        cashier = evaluator.site(lis01, tmp_path / "run").hosts[1]
        assert cashier.host == "lis01-pos01"
        assert {r.status for r in cashier.results} == {UNKNOWN}
        assert not cashier.reachable
        if not validate:
            assert why in cashier.results[0].note, cashier.results[0].note


@pytest.mark.parametrize(("path", "control"), [
    ("defender.signature_last_updated", "AV-03"),
    ("backups.LotusPOS.last_full", "BAK-01"),
])
def test_a_date_after_the_facts_were_gathered_is_not_evidence(
        example: tuple[Policy, list[SiteInfo]], path: str, control: str) -> None:
    policy, _ = example
    document = drift(healthy("lis01-srv01", "LIS01", "server"), path, "2099-01-01T00:00:00Z")
    found = {r.control: r for r in Evaluator(policy, TODAY, month="2026-12", now=NOW).host(
        "LIS01", document).results}
    assert found[control].status == UNKNOWN
    assert "dated after the facts were gathered" in found[control].note
