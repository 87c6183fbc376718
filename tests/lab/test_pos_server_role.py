"""pos_server against a lab started by the CLI, with the real ansible-playbook: a dry run
changes nothing, the first run changes things, the second changes nothing and makes at
most one module call per task, and verify reads the result back."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.lab.adhoc import without_temp_dirs
from tests.lab.conftest import CliLab

pytestmark = pytest.mark.slow
SCENARIO = Path(__file__).resolve().parents[2] / "roles" / "pos_server" / "molecule" / "default"
HOST = "lis01-srv01"
SITE = Path(__file__).resolve().parents[2] / "inventories" / "example" / "sites" / "lis01"


def recap(output: str) -> dict[str, int]:
    """The PLAY RECAP counters of the server."""
    match = re.search(rf"^{HOST}\s*:\s*(.*)$", output, re.MULTILINE)
    assert match, output[-2000:]
    return {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", match.group(1))}


# Tasks that run on the controller only: the argument spec, three asserts (the settings,
# dbatools, the SQL Server update's checksum), the CSV read.
CONTROLLER_TASKS = 5


def module_tasks(output: str) -> int:
    """How many of the run's tasks (and handlers) are module tasks on the server."""
    return len(re.findall(r"^(?:TASK|RUNNING HANDLER) \[", output, re.MULTILINE)) - \
        CONTROLLER_TASKS


def modelled(lab: CliLab) -> dict[str, Any]:
    """The server's state without the lab's bookkeeping and ansible's temp dirs."""
    state = lab.state(HOST)
    state.pop("lab")
    return without_temp_dirs(state)


def calls(lab: CliLab) -> dict[str, int]:
    """Module calls the server has received, per module."""
    return dict(lab.state(HOST)["lab"]["module_calls"])


def test_dry_run_first_run_and_second_run(cli_lab: CliLab) -> None:
    before = modelled(cli_lab)
    dry = cli_lab.playbook(SCENARIO / "converge.yml", "--check")
    assert dry.returncode == 0, dry.stdout[-3000:] + dry.stderr
    assert recap(dry.stdout)["changed"] > 0
    assert modelled(cli_lab) == before

    first = cli_lab.playbook(SCENARIO / "converge.yml")
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr
    assert recap(first.stdout)["changed"] >= 12
    state = cli_lab.state(HOST)
    instance = state["sql_instances"]["SQLEXPRESS"]
    # The fleet's CU slipstreamed from the share, not SQL Server 2022 RTM (16.0.1000.6).
    assert instance["version"] == "16.0.4265.3"
    assert instance["tcp_port"] == 1433
    database = instance["databases"]["LotusPOS"]
    assert database["recovery_model"] == "FULL"
    assert database["owner"] == "NT SERVICE\\LotusPosServer"
    menu_rows = len((SITE / "menu.csv").read_text().strip().splitlines()) - 1
    table_rows = len((SITE / "tables.csv").read_text().strip().splitlines()) - 1
    assert database["tables"] == {"MenuItems": menu_rows, "DiningTables": table_rows}
    service = state["services"]["LotusPosServer"]
    assert (service["state"], service["start_mode"], service["username"]) == \
        ("running", "auto", "NT SERVICE\\LotusPosServer")
    rules = state["firewall"]["rules"]
    assert {(r["localport"], r["remoteip"]) for n, r in rules.items() if n.startswith("POS ")} \
        == {("1433", "10.41.7.0/26"), ("8443", "10.41.7.0/26,10.64.20.128/25")}  # cde; handhelds

    calls_before = calls(cli_lab)
    second = cli_lab.playbook(SCENARIO / "converge.yml")
    assert second.returncode == 0, second.stdout[-3000:] + second.stderr
    assert recap(second.stdout)["changed"] == 0
    calls_after = calls(cli_lab)
    made = {m: n - calls_before.get(m, 0) for m, n in calls_after.items()
            if n != calls_before.get(m, 0)}
    # One call per task that reached the host: never a loop, never a second round trip.
    assert sum(made.values()) <= module_tasks(second.stdout) == 17, made
    # win_package, win_service, win_file, win_copy, database: two tasks each
    assert max(made.values()) <= 2, made

    verify = cli_lab.playbook(SCENARIO / "verify.yml")
    assert verify.returncode == 0, verify.stdout[-3000:] + verify.stderr
    assert recap(verify.stdout)["failed"] == 0


def test_a_bad_menu_stops_before_anything_is_installed(cli_lab: CliLab, tmp_path: Path) -> None:
    (tmp_path / "menu.csv").write_text("code,name,category,price,section\n"
                                       "N01,Chow mein,Noodles,cheap,wok\n")
    (tmp_path / "tables.csv").write_text("number,area,seats\n1,counter,2\n")
    before = modelled(cli_lab)
    result = cli_lab.playbook(SCENARIO / "converge.yml", "-e",
                              json.dumps({"pos_server_site_data_dir": str(tmp_path)}))
    assert result.returncode != 0
    assert f"{tmp_path / 'menu.csv'}:2: column 'price'" in result.stdout
    assert modelled(cli_lab) == before


def test_an_update_on_the_share_that_is_not_the_pinned_one_stops_setup(cli_lab: CliLab) -> None:
    before = modelled(cli_lab)
    pinned = {"kb": "KB5093420", "version": "16.0.4265.3", "sha256": "0" * 64,
              "installer": "sql-server\\2022\\updates\\SQLServer2022-KB5093420-x64.exe"}
    result = cli_lab.playbook(SCENARIO / "converge.yml", "-e",
                              json.dumps({"pos_server_sql_update": pinned}))
    assert result.returncode != 0
    assert "but the fleet file pins KB5093420 with " + "0" * 64 in result.stdout
    assert cli_lab.state(HOST)["sql_instances"] == {}
    assert modelled(cli_lab)["services"] == before["services"]
