"""A lab site days and weeks after opening day passes the example policy every day.

The lab's clock moves on (`sitekit lab advance`); the hosts' scheduled jobs run by their
schedules when next looked at (db_backup's weekly full, daily differentials and log
backups, Defender's scans and signature checks), and the monthly audit gathers and
evaluates at day 1, 3, 6, 8 and 15. BAK-01 judges the chain db_backup keeps (a full within
its week, a backup every day since), so the kit's own schedule passes the kit's own audit.

The lab opens at a date the example's release table covers (COVERED), so the release-dated
floors pass too; then its clock moves on to today, when the table is older than the run and
those floors are unknown, never passed.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sitekit.audit.evaluate import Evaluator
from sitekit.audit.policy import Policy, load_policy
from sitekit.site import strict_yaml
from sitekit.site.load import load_fleet_dir
from tests.lab.conftest import COVERED, ROOT, CliLab, cli_lab_at
from tests.lab.test_audit_gather import AUDIT, CASHIER, KITCHEN, SERVER
from tests.lab.test_opening_day import run

pytestmark = pytest.mark.slow
DAYS = (1, 3, 6, 8, 15)
EXAMPLE = ROOT / "inventories" / "example"
TODAY = -1  # the audit once the lab's clock has caught up with the controller's
# The controls whose floors are dated releases of the fleet's release table.
BY_DATE = ("OS-01", "OS-02", "AV-04", "AV-05", "SQL-01")
DATED = {(SERVER, "OS-01"), (SERVER, "AV-04"), (SERVER, "AV-05"), (SERVER, "SQL-01"),
         *((station, control) for station in (CASHIER, KITCHEN)
           for control in ("OS-02", "AV-04", "AV-05"))}


@pytest.fixture(scope="module")
def audits(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[int, dict[str, Any]]]:
    """Opening day, then the audit on each of DAYS after it, and today: rows and facts."""
    with cli_lab_at(tmp_path_factory.mktemp("lab"), "LIS01", at=COVERED) as lab:
        rc, _, output = run(lab, "--limit", "site_lis01", *lab.opening_day_options())
        assert rc == 0, output[-4000:]
        found: dict[int, dict[str, Any]] = {}
        day = 0
        for wanted in DAYS:
            result = lab.sitekit("advance", "--days", str(wanted - day))
            assert result.returncode == 0, result.stdout + result.stderr
            day = wanted
            found[day] = _audit(lab, tmp_path_factory.mktemp(f"day{day}"), day)
        behind = dt.datetime.now(dt.UTC) - (COVERED + dt.timedelta(days=day))
        result = lab.sitekit("advance", "--days", str(behind.days))
        assert result.returncode == 0, result.stdout + result.stderr
        found[TODAY] = _audit(lab, tmp_path_factory.mktemp("today"), TODAY)
        yield found


def _audit(lab: CliLab, reports: Path, day: int) -> dict[str, Any]:
    """The monthly audit's gather on `day` after opening day, evaluated as of the lab's clock.

    `sitekit report` judges by the controller's clock, which did not move: facts from the
    lab's future are rightly not its evidence. So the run's facts are evaluated here with
    the audit core, its clock set to the lab's.
    """
    result = lab.playbook(AUDIT, "--limit", "site_lis01", "-e", "monthly_audit_report=false",
                          "-e", f"monthly_audit_reports_dir={reports}")
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]
    facts = {path.stem: json.loads(path.read_text())
             for path in (reports / "facts").glob("*/LIS01/*.json")}
    assert sorted(facts) == sorted((SERVER, CASHIER, KITCHEN))
    assert all(doc["reachable"] and not doc.get("error") for doc in facts.values()), {
        host: doc.get("error") for host, doc in facts.items()}
    now = max(dt.datetime.fromisoformat(doc["gathered_at"].replace("Z", "+00:00"))
              for doc in facts.values()) + dt.timedelta(minutes=1)
    # LIS01's card terminal, inspected as the month's routine check does (TRM-01).
    terminals = {"LIS01": {"card-terminal-1": {
        "serial": "401-372-118", "inspected": (now - dt.timedelta(days=3)).date().isoformat(),
        "outcome": "passed"}}}
    evaluator = Evaluator(_policy(), now.date(), now=now, terminals=terminals)
    rows = [{"host": host, "control": r.control, "status": r.status, "observed": r.observed,
             "note": r.note}
            for host, doc in facts.items() for r in evaluator.host("LIS01", doc).results]
    return {"facts": facts, "rows": rows}


def _policy() -> Policy:
    loaded = load_fleet_dir(EXAMPLE)
    assert loaded.fleet is not None
    policy, problems = load_policy(EXAMPLE / "audit-policy.yml",
                                   strict_yaml.plain(loaded.fleet.source["fleet"]))
    assert policy is not None, problems
    return policy


@pytest.mark.parametrize("day", DAYS)
def test_the_site_passes_the_policy_every_day(audits: dict[int, dict[str, Any]],
                                              day: int) -> None:
    rows = audits[day]["rows"]
    not_passing = {(r["host"], r["control"], r["status"], r["observed"], r["note"]) for r in rows
                   if r["status"] in ("fail", "unknown")}
    assert not_passing == set()
    # The release-dated floors pass on their merits: the newest updates, SQL Server's CU.
    assert {(r["host"], r["control"]) for r in rows if r["control"] in BY_DATE} == DATED
    assert [r["observed"] for r in rows if r["control"] == "SQL-01"] == ["16.0.4265.3"]
    assert {(r["host"], r["control"]) for r in rows if r["status"] == "waived"} == {
        (CASHIER, "AUT-01"), (KITCHEN, "AUT-01")}


def test_today_the_stale_release_table_leaves_the_floors_unknown(
        audits: dict[int, dict[str, Any]]) -> None:
    # The example's table ends with August 2026's releases: on the controller's date its
    # floors have no release in their window. Unknown, saying why, never passed nor failed
    # (the hosts run the newest releases it knows); nothing else changes its verdict.
    rows = audits[TODAY]["rows"]
    dated = [r for r in rows if r["control"] in BY_DATE]
    assert {(r["host"], r["control"]) for r in dated} == DATED
    assert {r["status"] for r in dated} == {"unknown"}, dated
    assert all("the table is older than the run" in r["note"] for r in dated), dated
    gathered = dt.datetime.fromisoformat(
        audits[TODAY]["facts"][SERVER]["gathered_at"].replace("Z", "+00:00"))
    assert abs(gathered - dt.datetime.now(dt.UTC)) < dt.timedelta(days=2)


def test_time_passed_and_the_schedules_ran(audits: dict[int, dict[str, Any]]) -> None:
    def gathered(day: int) -> dt.datetime:
        text = audits[day]["facts"][SERVER]["gathered_at"]
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    assert gathered(15) - gathered(1) >= dt.timedelta(days=13, hours=23)
    backups = [audits[day]["facts"][SERVER]["facts"]["backups"]["LotusPOS"] for day in DAYS]
    # A new full at least once a week, a differential on the days between.
    assert len({b["last_full"] for b in backups}) >= 3
    assert any(b["last_differential"] and b["last_differential"] > b["last_full"]
               for b in backups)
    for day in DAYS:
        defender = audits[day]["facts"][CASHIER]["facts"]["defender"]
        updated = dt.datetime.fromisoformat(defender["signature_last_updated"].replace(
            "Z", "+00:00"))
        assert gathered(day) - updated < dt.timedelta(days=1)
