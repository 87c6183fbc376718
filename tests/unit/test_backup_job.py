"""The PowerShell backup job the db_backup role deploys parses, and the schedule it runs on."""

from __future__ import annotations

import re
from pathlib import Path

import jinja2
import pytest

from sitekit.backup.schedule import backup_schedule
from sitekit.plan.schedule import WindowError
from tests.unit.test_own_modules import _PARSER, _first_error

JOB = Path(__file__).resolve().parents[2] / "roles" / "db_backup" / "templates" / \
    "ProgramData" / "Sitekit" / "Backup" / "Invoke-SitekitBackup.ps1.j2"


def render(template: str) -> str:
    env = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=False)  # noqa: S701
    env.filters["comment"] = lambda text, decoration="": decoration + text
    return env.from_string(template).render(ansible_managed="Ansible managed: do not edit")


def test_the_backup_job_parses_as_powershell() -> None:
    text = render(JOB.read_text(encoding="utf-8"))
    error = _first_error(_PARSER.parse(text.encode()).root_node)
    assert error is None, f"line {error.start_point[0] + 1}: {error.text[:80]!r}"


def test_a_broken_job_would_be_caught() -> None:
    text = render(JOB.read_text(encoding="utf-8")).replace("foreach ($name in $databases) {",
                                                           "foreach ($name in $databases {")
    assert _first_error(_PARSER.parse(text.encode()).root_node) is not None


def test_the_job_implements_the_retention_rule_and_checks_its_backups() -> None:
    text = JOB.read_text(encoding="utf-8")
    for needle in ("Function Select-SitekitExpiredBackup", "RESTORE VERIFYONLY", "CHECKSUM",
                   "DBCC CHECKDB", "src/sitekit/backup/retention.py", "DROP DATABASE"):
        assert needle in text


@pytest.mark.parametrize(("windows", "expected"), [
    (["tue 23:00-wed 10:00", "sun 23:00-tue 10:00", "wed 23:00-thu 10:00"],
     {"full_day": "sunday", "full_time": "23:00", "restore_test_day": "monday",
      "restore_test_time": "01:00", "integrity_day": "monday", "integrity_time": "03:00"}),
    (["fri 01:30-fri 09:30", "sat 01:30-sat 09:30"],
     {"full_day": "friday", "full_time": "01:30", "restore_test_day": "friday",
      "restore_test_time": "03:30"}),
    (["mon 23:00-tue 00:30"], {"full_day": "monday", "restore_test_time": "23:45",
                               "integrity_day": "tuesday", "integrity_time": "00:07"}),
])
def test_the_schedule_follows_the_longest_window(windows: list[str],
                                                 expected: dict[str, str]) -> None:
    schedule = backup_schedule(windows)
    assert {k: schedule[k] for k in expected} == expected
    assert schedule["full_day"] not in schedule["other_days"].split(",")
    assert len(schedule["other_days"].split(",")) == 6


@pytest.mark.parametrize("windows", [None, []])
def test_no_window_is_refused_not_replaced_by_a_default(windows: list[str] | None) -> None:
    with pytest.raises(WindowError, match="no maintenance window for the backups"):
        backup_schedule(windows)


def test_defaults_and_argument_specs_name_the_same_variables() -> None:
    import yaml  # noqa: PLC0415 - only this test reads the role's YAML

    role = JOB.parents[4]
    defaults = yaml.safe_load((role / "defaults" / "main.yml").read_text(encoding="utf-8"))
    specs = yaml.safe_load((role / "meta" / "argument_specs.yml").read_text(encoding="utf-8"))
    options = specs["argument_specs"]["main"]["options"]
    assert set(defaults) == set(options)
    assert all(name.startswith("db_backup_") for name in defaults)


PLUGINS = JOB.parents[6] / "plugins"
# What runs the job: the two modules and the module_util they share.
RUNNERS = [PLUGINS / "modules" / "sitekit_sql_backup.ps1",
           PLUGINS / "modules" / "sitekit_sql_restore_test.ps1",
           PLUGINS / "module_utils" / "Ansible.ModuleUtils.SitekitBackup.psm1"]


def _code(path: Path) -> str:
    """A PowerShell file without its comments."""
    text = re.sub(r"<#.*?#>", "", path.read_text(encoding="utf-8"), flags=re.DOTALL)
    return re.sub(r"(?m)^\s*#.*$", "", text)


@pytest.mark.parametrize("path", RUNNERS, ids=lambda p: p.name)
def test_the_job_runs_without_2_to_1_under_stop(path: Path) -> None:
    # The module wrapper sets $ErrorActionPreference = 'Stop'; in Windows PowerShell 5.1 a
    # native command's stderr line merged with 2>&1 then ends the module (about_Redirection).
    assert "2>&1" not in _code(path)


def test_the_databases_reach_the_job_as_one_string() -> None:
    # powershell.exe -File passes each word as a string: -Database A B cannot bind an array
    # (about_PowerShell_exe), so the job takes "A,B" and splits it.
    job = JOB.read_text(encoding="utf-8")
    assert re.search(r"\[String\]\$Database\b", job)
    assert re.search(r'\$Database -split ","', job)
    runner = _code(RUNNERS[2])
    assert '-Database "{3}"' in runner and '-join ","' in runner
    for module in RUNNERS[:2]:
        assert "powershell.exe" not in _code(module)  # only the module_util starts the job


@pytest.mark.parametrize(("copy_dir", "accepted"), [
    ("D:\\SQLBackupCopy", True), ("E:\\", True), ("\\\\nas\\sql-backup\\LIS01", False),
    ("//nas/sql-backup", False), ("SQLBackupCopy", False),
])
def test_preflight_refuses_a_share_as_the_second_target(copy_dir: str, accepted: bool) -> None:
    import yaml  # noqa: PLC0415 - only these tests read the role's YAML

    tasks = yaml.safe_load((JOB.parents[4] / "tasks" / "preflight.yml").read_text("utf-8"))
    check = next(t for t in tasks if "not a share" in t["name"])["ansible.builtin.assert"]
    env = jinja2.Environment(autoescape=False)  # noqa: S701
    env.tests["match"] = lambda value, pattern: re.match(pattern, value) is not None
    verdict = env.from_string("{{ " + check["that"] + " }}").render(db_backup_copy_dir=copy_dir)
    assert verdict == str(accepted)
    assert "no credentials for a share" in check["fail_msg"]


def test_every_writer_of_the_history_takes_the_same_mutex() -> None:
    # The job (as SYSTEM) and sitekit_sql_backup (in a WinRM logon) write the same file.
    name = re.compile(r'"(Global\\[A-Za-z]+)"')
    job = name.findall(JOB.read_text(encoding="utf-8"))
    util = name.findall(_code(RUNNERS[2]))
    assert job == util == ["Global\\SitekitBackupHistory"]
    assert "Update-SitekitBackupHistory" in _code(RUNNERS[0])
    assert "Set-Content" not in _code(RUNNERS[0])  # no write around the lock
