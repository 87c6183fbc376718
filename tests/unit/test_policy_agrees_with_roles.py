"""The example policy judges what the roles set as passing: db_backup's weekly full with daily
differentials (BAK-01, a restorable chain by the role's own schedule), windows_base's lockout
of 0 (until an administrator unlocks) or at least 30 minutes (LCK-02)."""

from __future__ import annotations

import datetime as dt
import importlib.util
from typing import Any

import jinja2
import pytest
import yaml

from sitekit.audit.checks import FAIL, PASS
from sitekit.audit.policy import Control, load_policy
from sitekit.backup.schedule import backup_schedule, chain_intervals
from tests.conftest import EXAMPLE, ROOT
from tests.unit.test_audit_policy import fleet_data

OPENING = dt.datetime(2026, 12, 6, 2, 0, tzinfo=dt.UTC)  # a Sunday: the weekly full


def _control(control_id: str) -> Control:
    policy, problems = load_policy(EXAMPLE / "audit-policy.yml", fleet_data())
    assert problems == []
    assert policy is not None
    return next(c for c in policy.controls if c.id == control_id)


def _iso(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _backups_on(day: int, skipped: frozenset[int] = frozenset()) -> tuple[dict[str, Any],
                                                                           dt.datetime]:
    """The backups db_backup's schedule leaves by 09:00 of `day` after opening day (day 0)."""
    full_every, backup_every = chain_intervals()
    now = OPENING + dt.timedelta(days=day, hours=7)
    fulls = [OPENING + full_every * n for n in range(day // full_every.days + 1)]
    last_full = max(f for f in fulls if f <= now)
    runs = [OPENING + backup_every * n for n in range(day + 1)]
    differentials = [r for r in runs if r > last_full and (r - OPENING).days not in skipped]
    return {"LotusPOS": {"last_full": _iso(last_full),
                         "last_differential": _iso(max(differentials)) if differentials
                         else None}}, now


def test_the_schedule_db_backup_sets_is_a_weekly_full_and_daily_differentials() -> None:
    assert chain_intervals(backup_schedule(["sat 22:00-sun 08:00", "mon 23:00-tue 07:00"])) == (
        dt.timedelta(days=7), dt.timedelta(days=1))


@pytest.mark.parametrize("day", [1, 2, 3, 6, 7, 8, 15])
def test_a_server_run_as_the_kit_configures_it_passes_bak01_every_day(day: int) -> None:
    backups, now = _backups_on(day)
    status, observed, _, note = _control("BAK-01").check.evaluate({"backups": backups}, now)
    assert (status, note) == (PASS, ""), observed


def test_a_missed_differential_fails_bak01() -> None:
    backups, now = _backups_on(3, skipped=frozenset({3}))
    status, observed, _, _ = _control("BAK-01").check.evaluate({"backups": backups}, now)
    assert status == FAIL
    assert "differential" in observed


def test_a_missed_weekly_full_fails_bak01() -> None:
    now = OPENING + dt.timedelta(days=8, hours=7)
    backups = {"LotusPOS": {"last_full": _iso(OPENING),
                            "last_differential": _iso(OPENING + dt.timedelta(days=8))}}
    status, observed, _, _ = _control("BAK-01").check.evaluate({"backups": backups}, now)
    assert status == FAIL
    assert observed.startswith("LotusPOS: full")


@pytest.mark.parametrize(("minutes", "status"), [(0, PASS), (30, PASS), (45, PASS),
                                                  (15, FAIL), (29, FAIL)])
def test_lck02_accepts_what_windows_base_accepts(minutes: int, status: str) -> None:
    facts = {"lockout_policy": {"duration_minutes": minutes}}
    assert _control("LCK-02").check.evaluate(facts, None)[0] == status


def _windows_base_filter() -> Any:
    path = ROOT / "roles" / "windows_base" / "filter_plugins" / "windows_base_policy.py"
    spec = importlib.util.spec_from_file_location("windows_base_policy", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.windows_base_policy_failures


def _windows_base_values(kind: str = "server", **changes: Any) -> dict[str, Any]:
    defaults = yaml.safe_load((ROOT / "roles" / "windows_base" / "defaults" / "main.yml")
                              .read_text())
    values = {name: defaults[name] for name in defaults
              if name.startswith(("windows_base_password_", "windows_base_lockout_",
                                  "windows_base_security_log_"))}
    # The idle lock's default depends on the kind of host, as the role renders it.
    idle = jinja2.Template(defaults["windows_base_inactivity_timeout_seconds"])
    values["windows_base_inactivity_timeout_seconds"] = int(idle.render(sitekit_kind=kind))
    return values | changes


@pytest.mark.parametrize("kind", ["server", "cashier", "kitchen", "office"])
def test_windows_base_defaults_pass_the_policy(kind: str) -> None:
    assert _windows_base_filter()(_windows_base_values(kind), str(EXAMPLE), kind) == []


@pytest.mark.parametrize(("kind", "seconds", "control"), [
    ("server", 0, "IDL-01"), ("office", 0, "IDL-02"), ("office", 1800, "IDL-02")])
def test_windows_base_refuses_an_idle_lock_the_audit_would_fail(kind: str, seconds: int,
                                                                 control: str) -> None:
    values = _windows_base_values(kind, windows_base_inactivity_timeout_seconds=seconds)
    failures = _windows_base_filter()(values, str(EXAMPLE), kind)
    assert len(failures) == 1
    assert failures[0].startswith(f"windows_base_inactivity_timeout_seconds is {seconds} s, "
                                  f"which fails {control}")


def test_windows_base_accepts_a_lockout_until_an_administrator_unlocks() -> None:
    values = _windows_base_values(windows_base_lockout_duration_minutes=0)
    assert _windows_base_filter()(values, str(EXAMPLE), "server") == []


def test_windows_base_refuses_what_the_audit_would_fail_naming_the_control() -> None:
    values = _windows_base_values(windows_base_lockout_duration_minutes=15,
                                  windows_base_password_min_length=8)
    failures = _windows_base_filter()(values, str(EXAMPLE), "server")
    assert len(failures) == 2
    assert any(f.startswith("windows_base_lockout_duration_minutes is 15 minutes, which fails "
                            "LCK-02") for f in failures)
    assert any(f.startswith("windows_base_password_min_length is 8 characters") for f in failures)


def test_windows_base_refuses_a_security_log_the_audit_would_fail() -> None:
    values = _windows_base_values(windows_base_security_log_max_kb=20480)
    assert _windows_base_filter()(values, str(EXAMPLE), "cashier") == [
        "windows_base_security_log_max_kb is 20480 KB, which fails LOG-07 (The Security log holds "
        "at least 196,608 KB) of inventories/example/audit-policy.yml: expected >= 196608 KB; set "
        "windows_base_security_log_max_kb to a value the audit accepts"]


def test_acceptance_keeps_no_threshold_of_its_own() -> None:
    """Acceptance's old copies (a 24 h signature age, a 26 h backup age, versions compared as
    exact strings) are gone: the policy's controls and the engine's operators judge."""
    texts = [(ROOT / "src" / "sitekit" / "acceptance.py").read_text()]
    texts += [path.read_text() for path in (ROOT / "roles" / "acceptance").rglob("*")
              if path.is_file() and path.suffix in {".yml", ".py", ".md", ".j2"}]
    for text in texts:
        assert "max_age_hours" not in text
        assert "observed == version" not in text
