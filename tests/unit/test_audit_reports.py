"""`sitekit report` end to end on the example fleet: history, month-to-month, every format."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from junitparser import Error, Failure, JUnitXml, Skipped

from sitekit.audit.history import History
from sitekit.audit.published import schema
from sitekit.audit.render import renderers
from sitekit.cli import main
from sitekit.site.load import load_fleet_dir
from tests.auditdata import RELEASES, drift, healthy, inspect_terminals, unreachable, write_run
from tests.conftest import EXAMPLE

OCT = dt.datetime(2026, 10, 1, 2, 30, tzinfo=dt.UTC)
NOV = dt.datetime(2026, 11, 1, 2, 30, tzinfo=dt.UTC)


def example_hosts() -> list[tuple[str, str, str]]:
    from sitekit.audit.evaluate import fleet_sites  # noqa: PLC0415

    loaded = load_fleet_dir(EXAMPLE)
    assert loaded.fleet is not None
    return [(host, site.code, kind) for site in fleet_sites(loaded.fleet, loaded.sites)
            for host, kind in site.hosts]


def month_facts(at: dt.datetime, changes: dict[str, tuple[str, Any]]) -> list[dict[str, Any]]:
    documents = []
    for host, site, kind in example_hosts():
        document = healthy(host, site, kind, at)
        if host in changes:
            path, value = changes[host]
            document = (unreachable(host, site, kind, at) if path == "unreachable"
                        else drift(document, path, value))
        documents.append(document)
    return documents


@pytest.fixture(scope="module")
def audited(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two months of the example fleet through `sitekit report`, kept in one history."""
    work = tmp_path_factory.mktemp("audit")
    october = {"ber02-srv01": ("backups.LotusPOS.last_full", "2026-09-28T01:00:00Z"),
               "lis01-pos01": ("services.WinDefend", {"state": "stopped", "start_mode": "auto"})}
    november = {"lis01-pos01": ("services.WinDefend", {"state": "stopped", "start_mode": "auto"}),
                "lon01-kds02": ("disks", {"C:": {"size_bytes": 10, "free_bytes": 1,
                                                 "free_percent": 10.0}}),
                "lon01-pos03": ("unreachable", None)}
    inspect_terminals(work / "history.sqlite", EXAMPLE, "2026-09-28")  # TRM-01 passes
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SITEKIT_TODAY", "2026-12-01")  # the day waivers are judged on
        for month, at, changes in (("2026-10", OCT, october), ("2026-11", NOV, november)):
            if month == "2026-11":
                inspect_terminals(work / "history.sqlite", EXAMPLE, "2026-10-27")
            write_run(work / "facts" / month, month_facts(at, changes))
            status = main(["report", str(EXAMPLE), "--releases", str(RELEASES),
                           "--facts", str(work / "facts" / month),
                           "--month", month, "--engineer", "Ana Costa", "--history",
                           str(work / "history.sqlite"), "--out", str(work / "out" / month)])
            assert status == 0
    return work


def load_json(audited: Path, month: str = "2026-11") -> dict[str, Any]:
    return json.loads((audited / "out" / month / "results.json").read_text())


def test_all_reports_are_written(audited: Path) -> None:
    out = audited / "out" / "2026-11"
    names = sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file())
    assert names == ["junit.xml", "results.csv", "results.json",
                     *(f"sites/{code}/{name}.html" for code in ("BER02", "LIS01", "LON01")
                       for name in ("inspection", "maintenance")), "summary.html"]


def test_json_validates_against_its_published_schema(audited: Path) -> None:
    document = load_json(audited)
    jsonschema.validate(document, schema("report"))
    assert document["counts"] == {"pass": 1512, "fail": 2, "waived": 19, "unknown": 60}
    broken = json.loads(json.dumps(document))
    broken["sites"][0]["hosts"][0]["results"][0]["status"] = "ok"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, schema("report"))


@pytest.mark.parametrize(("host", "control", "status", "observed"), [
    ("lis01-pos01", "SVC-01", "fail",
     "WinDefend: stopped; mpssvc: running; W32Time: running; WinRM: running"),
    ("lon01-kds02", "DSK-01", "fail", "C: 10%"),
    ("lon01-pos03", "AV-02", "unknown", ""),
    ("ber02-srv01", "BAK-01", "pass", "LotusPOS: full 2026-10-31T23:30:00Z (3.0 hours old)"),
    ("lis01-kds01", "AUT-01", "waived", "true"),
    ("lon01-srv01", "SQL-02", "pass", "LotusPOS: 2300 MB"),
])
def test_csv_has_one_row_per_host_and_control(audited: Path, host: str, control: str,
                                              status: str, observed: str) -> None:
    text = (audited / "out" / "2026-11" / "results.csv").read_text()
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 1593
    assert len({(r["host"], r["control"]) for r in rows}) == 1593
    row = next(r for r in rows if (r["host"], r["control"]) == (host, control))
    assert (row["status"], row["observed"], row["month"]) == (status, observed, "2026-11")


def test_junit_xml_parses_with_a_real_consumer(audited: Path) -> None:
    xml = JUnitXml.fromfile(str(audited / "out" / "2026-11" / "junit.xml"))
    suites = {suite.name: suite for suite in xml}
    assert set(suites) == {"BER02", "LIS01", "LON01"}
    cases = [(suite.name, case) for suite in xml for case in suite]
    assert len(cases) == 1593
    kinds: dict[str, int] = {}
    for _, case in cases:
        for result in case.result:
            kinds[type(result).__name__] = kinds.get(type(result).__name__, 0) + 1
    assert kinds == {"Failure": 2, "Skipped": 19, "Error": 60}
    lon01 = suites["LON01"]
    assert (lon01.tests, lon01.failures, lon01.errors, lon01.skipped) == (
        sum(1 for s, _ in cases if s == "LON01"), 1, 60, 11)
    disk = next(c for s, c in cases if c.classname == "LON01.lon01-kds02"
                and c.name.startswith("DSK-01"))
    failure = disk.result[0]
    assert isinstance(failure, Failure)
    assert failure.message == "observed C: 10%; expected >= 15%"
    waived = next(c for s, c in cases if c.classname == "LIS01.lis01-pos01"
                  and c.name.startswith("AUT-01"))
    assert isinstance(waived.result[0], Skipped)
    assert "Shared cashier and kitchen stations" in waived.result[0].message
    gone = next(c for s, c in cases if c.classname == "LON01.lon01-pos03")
    assert isinstance(gone.result[0], Error)


def test_month_to_month_new_fixed_still_open(audited: Path) -> None:
    sites = {site["code"]: site for site in load_json(audited)["sites"]}
    def keys(site: str, what: str) -> list[tuple[str, str]]:
        return [(f["host"], f["control"]) for f in sites[site]["changes"][what]]
    assert keys("BER02", "fixed") == [("ber02-srv01", "BAK-01")]
    assert keys("LIS01", "still_open") == [("lis01-pos01", "SVC-01")]
    assert keys("LON01", "new") == [("lon01-kds02", "DSK-01")]
    assert keys("BER02", "new") == keys("LIS01", "new") == keys("LON01", "fixed") == []
    assert sites["BER02"]["changes"]["fixed"][0]["before"].startswith("LotusPOS: full 2026-09-28")
    october = {site["code"]: site for site in load_json(audited, "2026-10")["sites"]}
    assert october["LIS01"]["changes"] is None  # nothing earlier in the history


def test_history_keeps_runs_records_and_trend(audited: Path) -> None:
    with History(audited / "history.sqlite") as history:
        assert history.months("example") == ["2026-10", "2026-11"]
        trend = history.trend("example", "2026-11")
        assert [(t.month, t.counts["fail"], t.unreachable) for t in trend] == [
            ("2026-10", 2, 0), ("2026-11", 2, 1)]
        records = history.maintenance("example", "2026-11")
        lis01 = records["LIS01"][0]
        assert (lis01.engineer, lis01.date, lis01.source) == ("Ana Costa", "2026-12-01", "audit")
        assert lis01.findings.startswith("1 problem: SVC-01 on lis01-pos01")
        assert "1 still open" in lis01.result
        assert records["BER02"][0].cause == "Fixed since last month: BAK-01 on ber02-srv01"
        tables = {row[0] for row in history.db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert tables == {"runs", "controls", "sites", "hosts", "results", "maintenance",
                          "rollout_sites", "rollout_events", "rollout_steps", "incidents",
                          "incident_events", "account_sightings", "terminal_inspections"}


def test_re_running_a_month_replaces_it(audited: Path, tmp_path: Path) -> None:
    history = tmp_path / "history.sqlite"
    shutil.copy(audited / "history.sqlite", history)
    facts = audited / "facts" / "2026-11"
    for _ in range(2):
        assert main(["report", str(EXAMPLE), "--releases", str(RELEASES),
                     "--facts", str(facts), "--month", "2026-11",
                     "--engineer", "Rui", "--history", str(history), "--out",
                     str(tmp_path / "out")]) == 0
    with History(history) as kept:
        assert kept.months("example") == ["2026-10", "2026-11"]
        rows = kept.db.execute("SELECT count(*) FROM results").fetchone()[0]
        assert rows == 2 * 1593
        assert len(kept.maintenance("example", "2026-11")["LIS01"]) == 1


def test_from_history_renders_the_same_reports(audited: Path, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", str(EXAMPLE), "--month", "2026-11", "--from-history", "--history",
                 str(audited / "history.sqlite"), "--out", str(tmp_path)]) == 0
    assert "3 sites, 26 hosts; 2 fail, 60 unknown" in capsys.readouterr().out
    fresh = audited / "out" / "2026-11"
    for name in ("results.json", "results.csv", "junit.xml", "summary.html",
                 "sites/LIS01/inspection.html", "sites/LON01/maintenance.html"):
        assert (tmp_path / name).read_text() == (fresh / name).read_text(), name
    one = tmp_path / "one"
    assert main(["report", str(EXAMPLE), "--month", "2026-11", "--from-history", "--site",
                 "LON01", "--history", str(audited / "history.sqlite"), "--out",
                 str(one)]) == 0
    assert (one / "sites/LON01/inspection.html").read_text() == (
        fresh / "sites/LON01/inspection.html").read_text()
    assert not (one / "sites/LIS01").exists()


@pytest.mark.parametrize(("argv", "message"), [
    (["--facts", "{facts}", "--month", "2026-13"], "2026-13 is not a month"),
    (["--facts", "{facts}"], "say who ran the audit"),
    (["--month", "2026-11"], "give --facts RUN_DIR"),
    (["--from-history"], "--from-history needs --month"),
    (["--facts", "{facts}", "--from-history", "--month", "2026-11"], "leave out --facts"),
])
def test_usage_errors(audited: Path, argv: list[str], message: str,
                      capsys: pytest.CaptureFixture[str],
                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SITEKIT_ENGINEER", raising=False)
    argv = [a.replace("{facts}", str(audited / "facts" / "2026-11")) for a in argv]
    with pytest.raises(SystemExit) as exit_:
        main(["report", str(EXAMPLE), *argv])
    assert exit_.value.code == 2
    assert message in capsys.readouterr().err


def test_engineer_from_the_environment(audited: Path, tmp_path: Path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SITEKIT_ENGINEER", "Joana Pires")
    assert main(["report", str(EXAMPLE), "--releases", str(RELEASES),
                 "--facts", str(audited / "facts" / "2026-11"),
                 "--month", "2026-11", "--history", str(tmp_path / "h.sqlite"), "--out",
                 str(tmp_path / "out"), "--format", "json"]) == 0
    assert json.loads((tmp_path / "out" / "results.json").read_text())["engineer"] == "Joana Pires"
    assert not (tmp_path / "out" / "summary.html").exists()


def test_a_bad_policy_stops_the_report(audited: Path, tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    policy = tmp_path / "policy.yml"
    policy.write_text((EXAMPLE / "audit-policy.yml").read_text().replace(
        "op: max_age, value: 2d}", "op: max_age, value: two days}"))
    assert main(["report", str(EXAMPLE), "--releases", str(RELEASES),
                 "--facts", str(audited / "facts" / "2026-11"),
                 "--engineer", "Ana", "--policy", str(policy), "--history",
                 str(tmp_path / "h.sqlite")]) == 1
    err = capsys.readouterr().err
    assert "1 problem found in the audit policy:" in err
    assert f"{policy}:" in err
    assert "controls[11].check.value: max_age needs a duration" in err


# The inspection report, as a reader and a printer see it.

def test_inspection_report_has_the_service_plans_sections(audited: Path) -> None:
    html = (audited / "out" / "2026-11" / "sites" / "LON01" / "inspection.html").read_text()
    for heading in ("1. Assessment of the site's state", "2. Problems found", "3. Suggestions",
                    "4. Changes since last month", "5. Waived controls", "6. Not checked"):
        assert heading in html
    assert "Action required" in html  # DSK-01 is high severity
    assert "C: 10%" in html and "&gt;= 15%" in html  # the evidence, escaped
    assert "lon01-pos03" in html and "unreachable: ntlm" in html
    assert "@page { size: A4" in html
    assert "<script" not in html and "http://" not in html.replace(
        'xmlns="http://www.w3.org/2000/svg"', "")


def test_summary_has_inline_svg_charts_and_the_trend(audited: Path) -> None:
    html = (audited / "out" / "2026-11" / "summary.html").read_text()
    assert html.count("<svg ") == 5
    assert "<script" not in html
    assert "<td>2026-10</td>" in html and "<td>2026-11</td>" in html
    assert "<title>compliance by month</title>" in html


def test_every_renderer_renders_a_report_of_one_site(audited: Path) -> None:
    with History(audited / "history.sqlite") as history:
        report = history.load("example", "2026-11")
    lis01 = report.for_site("LIS01")
    for name, render in renderers().items():
        text = render(lis01)
        assert "LIS01" in text, name
        assert "LON01" not in text, name


def chromium(html: Path, tmp_path: Path) -> tuple[str, str]:
    """Render a page in headless chromium: the DOM it built and its log."""
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    assert binary, "chromium is missing: run scripts/setup (it installs Debian's chromium)"
    result = subprocess.run(
        [binary, "--headless", "--disable-gpu", "--no-sandbox", "--enable-logging=stderr",
         "--v=0", f"--user-data-dir={tmp_path / 'profile'}",
         f"--print-to-pdf={tmp_path / 'page.pdf'}", "--dump-dom", html.as_uri()],
        capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout, result.stderr


def console_errors(log: str) -> list[str]:
    return [line for line in log.splitlines()
            if "CONSOLE" in line or "Uncaught" in line or "ERR_FILE_NOT_FOUND" in line
            or "Failed to load resource" in line]


@pytest.mark.parametrize("page", ["sites/LON01/inspection.html", "sites/LIS01/maintenance.html",
                                  "summary.html"])
def test_html_renders_in_headless_chromium_without_errors(audited: Path, tmp_path: Path,
                                                          page: str) -> None:
    dom, log = chromium(audited / "out" / "2026-11" / page, tmp_path)
    assert console_errors(log) == []
    assert "</html>" in dom and "<h1>" in dom
    pdf = (tmp_path / "page.pdf").read_bytes()
    assert pdf.startswith(b"%PDF")
    boxes = re.findall(rb"/MediaBox \[0 0 ([0-9.]+) ([0-9.]+)\]", pdf)
    assert boxes
    assert all(round(float(w)) == 595 and round(float(h)) == 842 for w, h in boxes)  # A4


def test_the_chromium_check_catches_a_broken_page(tmp_path: Path) -> None:
    page = tmp_path / "broken.html"
    page.write_text('<!DOCTYPE html><html><body><h1>x</h1><img src="missing.png">'
                    "<script>undefinedFunction()</script></body></html>")
    _, log = chromium(page, tmp_path)
    assert console_errors(log)


@pytest.mark.parametrize(("counts", "share"), [
    ({"pass": 3, "fail": 0, "waived": 1, "unknown": 0}, 0.75),  # waived is not compliant
    ({"pass": 0, "fail": 0, "waived": 2, "unknown": 0}, 0.0),
    ({"pass": 2, "fail": 1, "waived": 0, "unknown": 1}, 0.5),
    ({"pass": 0, "fail": 0, "waived": 0, "unknown": 0}, None),
])
def test_compliance_counts_pass_only(counts: dict[str, int], share: float | None) -> None:
    from sitekit.audit.report import compliance  # noqa: PLC0415 - one function under test
    assert compliance(counts) == share


def test_summary_shows_the_application_versions_per_ring(audited: Path) -> None:
    html = (audited / "out" / "2026-11" / "summary.html").read_text()
    spread = dict(re.findall(r"<tr><td>(ring \d)</td><td>([^<]*)</td></tr>", html))
    hosts = {ring: sum(1 for _, code, _ in example_hosts() if code == site)
             for ring, site in (("ring 0", "LIS01"), ("ring 1", "BER02"), ("ring 2", "LON01"))}
    assert spread == {"ring 0": f"8.4.2: {hosts['ring 0']}",
                      "ring 1": f"8.4.2: {hosts['ring 1']}",
                      # lon01-pos03 was unreachable: its version is not known
                      "ring 2": f"8.4.2: {hosts['ring 2'] - 1}; unknown: 1"}


# The month's incidents in the reports (sitekit.incident.monthly through `sitekit report`).

INCIDENTS = [  # (site, opened, [(step, at, extra arguments)])
    ("lis01", "2026-10-30T09:00:00Z", [("ack", "2026-10-30T09:05:00Z", ())]),  # October's
    # Answered after 1 h 30: the response promise missed; on site after 2 h 30 of work.
    ("lis01", "2026-11-10T09:00:00Z", [
        ("ack", "2026-11-10T10:30:00Z", ()), ("dispatch", "2026-11-10T10:35:00Z", ()),
        ("onsite", "2026-11-10T11:30:00Z", ()),
        ("restore", "2026-11-10T12:00:00Z", ("--cause", "the switch's power supply failed",
                                              "--solution", "replaced the switch")),
        ("close", "2026-11-10T12:30:00Z", ("--evaluation", "slow to answer, quick fix"))]),
    # Answered in 10 min, fixed remotely.
    ("lis01", "2026-11-12T10:00:00Z", [
        ("ack", "2026-11-12T10:10:00Z", ()),
        ("restore", "2026-11-12T10:40:00Z", ("--cause", "a full disk", "--solution",
                                              "old logs archived"))]),
    ("lon01", "2026-11-20T08:00:00Z", [
        ("ack", "2026-11-20T08:05:00Z", ()),
        ("restore", "2026-11-20T08:25:00Z", ("--cause", "a printer out of paper",
                                              "--solution", "the manager refilled it"))]),
]


@pytest.fixture(scope="module")
def with_incidents(audited: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The audited history, with October's and November's incidents recorded in it."""
    history = tmp_path_factory.mktemp("incidents") / "history.sqlite"
    shutil.copy(audited / "history.sqlite", history)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SITEKIT_NOW", "2026-12-01T09:00:00Z")
        patch.setenv("SITEKIT_ENGINEER", "Ana Costa")
        for number, (site, opened, steps) in enumerate(INCIDENTS, start=1):
            assert main(["incident", "open", str(EXAMPLE), "--history", str(history),
                         "--site", site, "--source", "phone", "--caller", "Rui (manager)",
                         "--contact", "+351 21 000 0000", "--reported",
                         f"the tills of {site} cannot print", "--at", opened]) == 0
            for action, at, extra in steps:
                assert main(["incident", action, str(EXAMPLE), str(number), "--history",
                             str(history), "--at", at, *extra]) == 0
    return history


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_months_reports_show_the_incidents_and_the_missed_answer(
        with_incidents: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SITEKIT_NOW", "2026-12-01T09:00:00Z")
    assert main(["report", str(EXAMPLE), "--month", "2026-11", "--from-history", "--history",
                 str(with_incidents), "--out", str(tmp_path)]) == 0
    summary = _text((tmp_path / "summary.html").read_text())
    # Three in November (October's is not November's): answered in 1h30, 10 and 5 minutes.
    assert ("Fleet 3 0h10m 1h30m 2h30m 2h30m missed #2 response" in summary), summary
    assert "LIS01 2 0h50m 1h30m 2h30m 2h30m missed #2 response" in summary
    assert "LON01 1 0h05m 0h05m - - none" in summary
    inspection = _text((tmp_path / "sites/LIS01/inspection.html").read_text())
    assert "8. Incidents" in inspection
    assert "LIS01 2 0h50m 1h30m 2h30m 2h30m missed #2 response" in inspection
    assert "1h30m of 1h00m (MISSED)" in inspection
    assert "LON01" not in inspection.split("8. Incidents")[1]
    maintenance = _text((tmp_path / "sites/LIS01/maintenance.html").read_text())
    assert "Incidents (2)" in maintenance
    assert ("Cause the switch's power supply failed Solution replaced the switch (restored "
            "2026-11-10T12:00:00+00:00) Customer's evaluation slow to answer, quick fix"
            in maintenance.replace("&#39;", "'")), maintenance
    assert "Cause a full disk Solution old logs archived" in maintenance
    assert "printer" not in maintenance
    lon01 = _text((tmp_path / "sites/LON01/maintenance.html").read_text())
    assert "Incidents (1)" in lon01 and "a printer out of paper" in lon01
    ber02 = _text((tmp_path / "sites/BER02/maintenance.html").read_text())
    assert "No incident at this site in 2026-11" in ber02
    # results.json carries the same, for tools.
    document = json.loads((tmp_path / "results.json").read_text())
    jsonschema.validate(document, schema("report"))
    fleet = document["incidents"]["fleet"]
    assert fleet["incidents"] == 3 and fleet["response_worst_seconds"] == 5400
    assert fleet["missed"] == [{"incident": 2, "clock": "response"}]
    sites = {site["code"]: site["incidents"] for site in document["sites"]}
    assert [line["id"] for line in sites["LIS01"]["incidents"]] == [2, 3]
    switch = sites["LIS01"]["incidents"][0]
    assert switch["cause"] == "the switch's power supply failed"
    assert switch["response"] == {"used_seconds": 5400, "limit_seconds": 3600,
                                  "stopped": True, "missed": True}
    assert sites["BER02"] == {"stats": sites["BER02"]["stats"], "incidents": []}
    assert sites["BER02"]["stats"]["incidents"] == 0


def test_a_fresh_run_shows_them_too(with_incidents: Path, audited: Path, tmp_path: Path,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    history = tmp_path / "history.sqlite"
    shutil.copy(with_incidents, history)
    monkeypatch.setenv("SITEKIT_NOW", "2026-12-01T09:00:00Z")
    assert main(["report", str(EXAMPLE), "--releases", str(RELEASES), "--facts",
                 str(audited / "facts" / "2026-11"), "--month", "2026-11", "--site", "LIS01",
                 "--engineer", "Rui", "--history", str(history), "--out", str(tmp_path / "out"),
                 "--format", "maintenance", "--format", "summary"]) == 0
    assert "Fleet 3 0h10m 1h30m" in _text((tmp_path / "out/summary.html").read_text())
    assert "replaced the switch" in (tmp_path / "out/sites/LIS01/maintenance.html").read_text()


def test_incidents_without_a_contract_to_measure_them_stop_the_report(
        with_incidents: Path, audited: Path, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    fleet = tmp_path / "example"
    shutil.copytree(EXAMPLE, fleet, ignore=shutil.ignore_patterns("service-contract.yml"))
    argv = ["report", str(fleet), "--month", "2026-11", "--from-history", "--history"]
    assert main([*argv, str(with_incidents), "--out", str(tmp_path / "a")]) == 1
    err = capsys.readouterr().err
    assert "1 problem found in the service contract:" in err
    assert (f"{fleet / 'service-contract.yml'}: site (contract): (file): no service contract "
            "here") in err
    assert not (tmp_path / "a").exists()
    # Without incidents, a fleet that keeps no contract gets its reports, without the section.
    assert main([*argv, str(audited / "history.sqlite"), "--out", str(tmp_path / "b")]) == 0
    assert "Incidents" not in (tmp_path / "b/summary.html").read_text()
