"""The backup and scan schedules' rules have one home each (issue 12's remainders).

Day names: sitekit.plan.schedule, read by the roles through their filters; the weekly full's
interval: sitekit.backup.schedule, from which db_backup's end-of-run full backup and BAK-01
both derive theirs; BAK-01 judges each server by its own db_backup schedule.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
from pathlib import Path
from typing import Any

import pytest
import yaml

from sitekit.audit.checks import FAIL, PASS
from sitekit.audit.gather import document
from sitekit.backup.schedule import backup_schedule, full_interval_hours, host_schedule
from sitekit.plan.schedule import DEFENDER_SCAN_DAYS, WindowError, unknown_days, weekday_names
from tests.conftest import ROOT
from tests.unit.test_policy_agrees_with_roles import _control

NOW = dt.datetime(2026, 12, 10, 9, 0, tzinfo=dt.UTC)  # a Thursday


def _filters(role: str, name: str) -> Any:
    path = ROOT / "roles" / role / "filter_plugins" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"{role}_{name}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.FilterModule().filters()


def _playbook_filters() -> Any:
    path = ROOT / "playbooks" / "filter_plugins" / "monthly_audit.py"
    spec = importlib.util.spec_from_file_location("monthly_audit_filters", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.FilterModule().filters()


# -- BAK-01 by the site's own schedule ------------------------------------------------

# A site whose db_backup runs the full on Sunday and differentials Monday, Wednesday and
# Friday only (group vars): on Thursday morning its newest backup is a day and a half old.
SPARSE = {"full_day": "sunday", "other_days": "monday,wednesday,friday"}
BACKUPS = {"LotusPOS": {"last_full": "2026-12-06T02:00:00Z",
                        "last_differential": "2026-12-09T02:00:00Z"}}


def test_bak01_judges_a_server_by_its_own_schedule() -> None:
    check = _control("BAK-01").check
    # By the default (daily differentials) the 31 h old differential would fail ...
    assert check.evaluate({"backups": BACKUPS}, NOW)[0] == FAIL
    # ... by the site's own schedule (every other day) it is what the schedule keeps.
    status, observed, expected, note = check.evaluate(
        {"backups": BACKUPS, "backup_schedule": SPARSE}, NOW)
    assert (status, note) == (PASS, ""), observed
    assert "full sunday" in expected and "at most 2 days" in expected


def test_bak01_fails_a_server_that_missed_its_own_schedule() -> None:
    missed = {"LotusPOS": {"last_full": "2026-12-06T02:00:00Z",
                           "last_differential": "2026-12-07T02:00:00Z"}}
    status, _, _, note = _control("BAK-01").check.evaluate(
        {"backups": missed, "backup_schedule": SPARSE}, NOW)
    assert status == FAIL
    assert "no backup within 2 day(s)" in note


def test_bak01_is_unknown_on_a_schedule_it_cannot_read() -> None:
    status, _, _, note = _control("BAK-01").check.evaluate(
        {"backups": BACKUPS, "backup_schedule": {"full_day": "funday", "other_days": ""}}, NOW)
    assert status == "unknown"
    assert "backup_schedule" in note


def test_the_facts_document_carries_the_servers_schedule() -> None:
    result = {"facts": {"backups": BACKUPS}, "gathered_at": "2026-12-10T09:00:00Z"}
    doc = document(result, host="S1", site="LIS01", kind="server", backup_schedule=SPARSE)
    assert doc["facts"]["backup_schedule"] == SPARSE
    station = document({"facts": {"os": {}}}, host="C1", site="LIS01", kind="cashier",
                       backup_schedule=SPARSE)
    assert "backup_schedule" not in station["facts"]


def test_the_audit_playbook_hands_over_the_inventorys_overrides() -> None:
    schedule = _playbook_filters()["sitekit_audit_backup_schedule"]
    windows = ["sat 22:00-sun 08:00", "mon 23:00-tue 07:00"]
    assert schedule(windows) == {k: backup_schedule(windows)[k] for k in SPARSE}
    assert schedule(windows, "sunday", "monday, wednesday,friday") == SPARSE
    assert schedule([], None, None) is None  # no windows: db_backup refuses to run anyway
    with pytest.raises(Exception, match="funday is no day of the week"):
        schedule(windows, "funday", None)
    assert "backup_schedule" in (ROOT / "playbooks" / "monthly_audit.yml").read_text()


# -- the full interval: one number -------------------------------------------------------


def test_db_backup_derives_its_full_max_age_from_the_schedule() -> None:
    defaults = yaml.safe_load((ROOT / "roles" / "db_backup" / "defaults" / "main.yml").read_text())
    assert "db_backup_full_interval_hours" in str(defaults["db_backup_full_max_age_hours"])
    interval = _filters("db_backup", "db_backup")["db_backup_full_interval_hours"]
    assert interval({"full_day": "sunday", "other_days": "monday"}) == 168 == full_interval_hours()


# -- day names: one table ----------------------------------------------------------------


def test_day_names_have_one_home() -> None:
    assert weekday_names()[0] == "monday" and len(set(weekday_names())) == 7
    assert unknown_days("monday, funday,sunday") == ["funday"]
    assert unknown_days(["Monday"]) == ["Monday"]  # Windows' names are lower case here
    assert _filters("db_backup", "db_backup")["db_backup_unknown_days"]("tuesday,tues") == ["tues"]
    assert _filters("antivirus", "antivirus")["antivirus_scan_days"]() == \
        list(DEFENDER_SCAN_DAYS[:-1])
    with pytest.raises(WindowError):
        host_schedule(None, "sunday", "mon")


def _yaml_lists(path: Path) -> list[list[Any]]:
    def walk(node: Any) -> Any:
        if isinstance(node, list):
            yield node
            for item in node:
                yield from walk(item)
        elif isinstance(node, dict):
            for item in node.values():
                yield from walk(item)
    return list(walk(yaml.safe_load(path.read_text())))


def test_no_role_or_playbook_keeps_a_list_of_day_names() -> None:
    days = set(weekday_names())
    copies = [str(path.relative_to(ROOT)) for top in ("roles", "playbooks")
              for path in (ROOT / top).rglob("*.yml")
              if any(days & {str(item).lower() for item in found}
                     for found in _yaml_lists(path))]
    assert copies == []


def test_no_python_module_spells_the_week_out_again() -> None:
    """The week named in full is written once (sitekit.site.model.DAY_NAMES, read through
    sitekit.plan.schedule); Defender's numbering once (DEFENDER_SCAN_DAYS)."""
    week = '"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"'
    spelled = [str(path.relative_to(ROOT)) for path in (ROOT / "src").rglob("*.py")
               if week in path.read_text(encoding="utf-8")]
    assert spelled == ["src/sitekit/site/model.py"]
