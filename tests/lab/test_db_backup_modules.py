"""The db_backup role's own modules in the lab: check / real / again, a misspelled option,
and the failed-backup and disk-full faults with a run that converges once they are cleared."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.lab.adhoc import without_temp_dirs
from tests.lab.conftest import CliLab, cli_lab_at
from tests.lab.sql_seed import seed_instance

pytestmark = pytest.mark.slow
PLAYBOOK = Path(__file__).parent / "playbooks" / "db_backup_modules.yml"
HOST = "lis01-srv01"
CHANGING = ("db_backup : Create the backup job folder", "db_backup : Deploy the backup job",
            "db_backup : Deploy the backup job's settings", "Take a verified full backup",
            "Test a restore")


def seed(lab: CliLab, **kwargs: Any) -> None:
    """Give the server the instance pos_server would install (the lab restarts)."""
    assert lab.sitekit("down").returncode == 0
    path = lab.layout.state_file(HOST)
    state = json.loads(path.read_text())
    seed_instance(state, **kwargs)
    path.write_text(json.dumps(state))
    lab.up("LIS01")


def run(lab: CliLab, *options: str) -> tuple[int, dict[str, Any]]:
    """Run the playbook with the JSON callback: its exit code and each task's result."""
    env = lab.env() | {"ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json"}
    result = lab.playbook(PLAYBOOK, *options, env=env)
    tasks = json.loads(result.stdout)["plays"][0]["tasks"]
    return result.returncode, {t["task"]["name"]: t["hosts"].get(HOST, {}) for t in tasks}


def modelled(lab: CliLab) -> dict[str, Any]:
    """The host state without the lab's bookkeeping and ansible's temp dirs."""
    state = lab.state(HOST)
    state.pop("lab")
    return without_temp_dirs(state)


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CliLab]:
    with cli_lab_at(tmp_path_factory.mktemp("lab"), "LIS01") as started:
        seed(started)
        yield started


@pytest.fixture(scope="module")
def runs(lab: CliLab) -> dict[str, Any]:
    before = modelled(lab)
    check = run(lab, "--check")
    after_check = modelled(lab)
    real = run(lab)
    after_real = modelled(lab)
    again = run(lab)
    return {"before": before, "check": check, "after_check": after_check, "real": real,
            "after_real": after_real, "again": again}


def test_check_mode_predicts_the_changes_and_changes_nothing(runs: dict[str, Any]) -> None:
    code, tasks = runs["check"]
    assert code == 0
    assert [name for name in CHANGING if not tasks[name]["changed"]] == []
    assert runs["after_check"] == runs["before"]


def test_the_real_run_backs_up_verifies_copies_and_restores(runs: dict[str, Any]) -> None:
    code, tasks = runs["real"]
    assert code == 0
    assert [name for name in CHANGING if not tasks[name]["changed"]] == []
    (taken,) = tasks["Take a verified full backup"]["backups"]
    assert (taken["type"], taken["checksum"], taken["verified"]) == ("full", True, True)
    assert taken["copy_path"].startswith("D:\\SQLBackupCopy\\LotusPOS\\")
    (test,) = tasks["Test a restore"]["restore_tests"]
    assert (test["result"], test["backup_path"]) == ("passed", taken["path"])
    assert "DBCC CHECKDB" in test["message"]
    sql = runs["after_real"]["sql_instances"]["SQLEXPRESS"]
    assert sql["backups"] == [taken]
    assert "LotusPOS_RestoreTest" not in sql["databases"]  # the scratch database is dropped
    files = runs["after_real"]["fs"]["files"]
    assert taken["path"].lower() in files and taken["copy_path"].lower() in files


def test_again_changes_nothing(runs: dict[str, Any]) -> None:
    code, tasks = runs["again"]
    assert code == 0
    assert [name for name, result in tasks.items() if result.get("changed")] == []
    info = tasks["Show the backups"]["db_backup_test_info"]
    assert info["databases"]["NoSuchDatabase"] == {"exists": False}
    assert info["databases"]["LotusPOS"]["last_restore_test"]["result"] == "passed"


def test_a_misspelled_option_is_refused(runs: dict[str, Any], lab: CliLab) -> None:
    result = lab.ansible(HOST, "sitekit_sql_backup",
                         "scirpt=C:\\x.ps1 settings=C:\\y.json")
    assert result.returncode != 0
    assert "scirpt" in result.stdout and "Unsupported parameters" in result.stdout


def _fault(lab: CliLab, *args: str) -> None:
    result = lab.sitekit("fault", HOST, *args)
    assert result.returncode == 0, result.stderr


def test_failed_backup_then_disk_full_fail_as_documented_and_a_rerun_converges(
        runs: dict[str, Any], lab: CliLab) -> None:
    _fault(lab, "failed-backup")
    code, tasks = run(lab)
    assert code != 0
    failed = tasks["Take a verified full backup"]
    assert failed["failed"] and "Msg 3013" in failed["msg"] and "failed-backup" in failed["msg"]
    sql = lab.state(HOST)["sql_instances"]["SQLEXPRESS"]
    newest = max(dt.datetime.fromisoformat(b["finished"]) for b in sql["backups"])
    age = dt.datetime.now(dt.UTC) - newest
    assert dt.timedelta(days=8) <= age < dt.timedelta(days=8, minutes=5)

    _fault(lab, "clear")
    _fault(lab, "disk-full")
    code, tasks = run(lab)
    assert code != 0
    failed = tasks["Take a verified full backup"]
    assert "There is not enough space on the disk" in failed["msg"]
    assert "Free space on the backup volume" in failed["msg"]

    _fault(lab, "clear")
    code, tasks = run(lab)
    assert code == 0
    assert tasks["Take a verified full backup"]["changed"]
    assert tasks["Take a verified full backup"]["backups"][0]["verified"]
    code, tasks = run(lab)
    assert code == 0
    assert [name for name, result in tasks.items() if result.get("changed")] == []
