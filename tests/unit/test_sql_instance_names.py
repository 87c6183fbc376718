r"""The SQL Server instance's service and connect string, derived once (sitekit.site.sqlserver),
handed to every role by the inventory (sitekit_sql), read by the policy (${fleet.sql.service}),
and the lab refusing what Windows refuses: `localhost\MSSQLSERVER` reaches no default instance.
"""

from __future__ import annotations

import copy
import re
import shutil
from pathlib import Path

import pytest

from sitekit.audit.policy import load_policy
from sitekit.inventory import build_inventory
from sitekit.lab import sqlserver as lab_sql
from sitekit.lab.host import LabHost
from sitekit.lab.modules import ModuleFailedError
from sitekit.lab.state import host_state
from sitekit.plan.fleet import plan_fleet_dir
from sitekit.site import strict_yaml
from sitekit.site.load import load_fleet_dir
from sitekit.site.sqlserver import names
from tests.conftest import EXAMPLE, ROOT


@pytest.mark.parametrize(("instance", "expected"), [
    ("SQLEXPRESS", {"instance": "SQLEXPRESS", "service": "MSSQL$SQLEXPRESS",
                    "connect": "localhost\\SQLEXPRESS"}),
    ("pos", {"instance": "POS", "service": "MSSQL$POS", "connect": "localhost\\POS"}),
    ("MSSQLSERVER", {"instance": "MSSQLSERVER", "service": "MSSQLSERVER",
                     "connect": "localhost"}),
    ("mssqlserver", {"instance": "MSSQLSERVER", "service": "MSSQLSERVER",
                     "connect": "localhost"}),
])
def test_names_of_an_instance(instance: str, expected: dict[str, str]) -> None:
    assert names(instance) == expected


def _host(instance: str) -> LabHost:
    """A lab server (a fresh install) with one running instance whose sysadmin connects."""
    host = LabHost("lis01-srv01", "127.41.7.4", "sitekit", "p", state={})
    state = host_state(host)
    service = names(instance)["service"]
    state["services"][service] = {"state": "running", "start_mode": "auto"}
    state["sql_instances"] = {instance: {"name": instance, "service": service,
                                         "sysadmins": ["sitekit"], "tcp_enabled": True,
                                         "tcp_port": 1433, "databases": {}}}
    return host


def test_the_default_instance_answers_to_the_server_name_alone() -> None:
    host = _host("MSSQLSERVER")
    assert lab_sql.connect(host, "localhost")["name"] == "MSSQLSERVER"
    assert lab_sql.connect(host, "localhost,1433")["name"] == "MSSQLSERVER"
    # Windows: the default instance has no instance name to look up.
    with pytest.raises(ModuleFailedError, match="Error connecting to localhost\\\\MSSQLSERVER"):
        lab_sql.connect(host, "localhost\\MSSQLSERVER")


def test_a_named_instance_answers_to_its_name_only() -> None:
    host = _host("SQLEXPRESS")
    assert lab_sql.connect(host, "localhost\\SQLEXPRESS")["name"] == "SQLEXPRESS"
    with pytest.raises(ModuleFailedError, match="Error connecting to localhost:"):
        lab_sql.connect(host, "localhost")


def _default_instance_fleet(tmp_path: Path) -> Path:
    """A copy of the example fleet whose SQL Server is the default instance."""
    fleet = tmp_path / "fleet"
    shutil.copytree(EXAMPLE, fleet)
    text = (fleet / "sitekit.yml").read_text()
    assert "instance: SQLEXPRESS" in text
    (fleet / "sitekit.yml").write_text(text.replace("instance: SQLEXPRESS",
                                                    "instance: MSSQLSERVER"))
    return fleet


def test_the_inventory_hands_every_host_the_instance_names(tmp_path: Path) -> None:
    plan = plan_fleet_dir(_default_instance_fleet(tmp_path))
    assert plan.problems == []
    inventory = build_inventory(plan)
    assert plan.fleet is not None
    found = inventory.group(f"fleet_{plan.fleet.name}").vars["sitekit_sql"]
    # The version the server reports: the pinned update's, not the installer's RTM.
    assert found == {"instance": "MSSQLSERVER", "service": "MSSQLSERVER", "connect": "localhost",
                     "version": "16.0.4265.3"}
    assert plan.fleet.software["sql_server"]["version"] == "16.0.1000.6"


def test_without_a_pinned_update_the_installers_version_is_installed(tmp_path: Path) -> None:
    fleet = tmp_path / "fleet"
    shutil.copytree(EXAMPLE, fleet)
    text = (fleet / "sitekit.yml").read_text()
    start = text.index("      update:\n")
    end = text.index("    application_server:")
    (fleet / "sitekit.yml").write_text(text[:start] + text[end:])
    plan = plan_fleet_dir(fleet)
    assert plan.problems == []
    assert plan.fleet is not None
    assert build_inventory(plan).group(f"fleet_{plan.fleet.name}").vars["sitekit_sql"][
        "version"] == "16.0.1000.6"


@pytest.mark.parametrize(("old", "new", "field", "says"), [
    ('version: "16.0.4265.3"', 'version: "15.0.4430.1"', "fleet.software.sql_server.update.version",
     "not a Microsoft SQL Server 2022 Express version"),
    ('version: "16.0.4265.3"', 'version: "16.0.1000.6"', "fleet.software.sql_server.update.version",
     "not newer than the installer's 16.0.1000.6"),
    ('version: "16.0.4265.3"', 'version: "16.0.4255"', "fleet.software.sql_server.update.version",
     ""),
    ("sha256: \"6452", "sha256: \"6452F", "fleet.software.sql_server.update.sha256", ""),
    (r"installer: sql-server\2022\updates\SQLServer2022-KB5093420-x64.exe",
     "installer: SQLServer2022-KB5093420-x64.exe", "fleet.software.sql_server.update.installer",
     ""),
])
def test_a_wrong_update_pin_names_the_file_and_field(tmp_path: Path, old: str, new: str,
                                                      field: str, says: str) -> None:
    fleet = tmp_path / "fleet"
    shutil.copytree(EXAMPLE, fleet)
    text = (fleet / "sitekit.yml").read_text()
    assert text.count(old) == 1, old
    (fleet / "sitekit.yml").write_text(text.replace(old, new))
    problems = load_fleet_dir(fleet).problems
    found = [(p.file.endswith("sitekit.yml"), p.field) for p in problems]
    assert found == [(True, field)], problems
    assert says in problems[0].message


def test_the_policy_judges_the_fleets_instance_service(tmp_path: Path) -> None:
    fleet = _default_instance_fleet(tmp_path)
    loaded = load_fleet_dir(fleet)
    assert loaded.fleet is not None
    policy, problems = load_policy(fleet / "audit-policy.yml",
                                   strict_yaml.plain(loaded.fleet.source["fleet"]))
    assert problems == []
    assert policy is not None
    control = next(c for c in policy.controls if c.id == "SVC-02")
    facts = {"services": {"LotusPosServer": {"state": "running"},
                          "MSSQLSERVER": {"state": "running"}}}
    assert control.check.evaluate(facts, None)[0] == "pass"
    stopped = copy.deepcopy(facts)
    stopped["services"]["MSSQLSERVER"]["state"] = "stopped"
    assert control.check.evaluate(stopped, None)[0] == "fail"


def test_the_policy_refuses_a_fleet_name_it_does_not_have(tmp_path: Path) -> None:
    fleet = _default_instance_fleet(tmp_path)
    policy_file = fleet / "audit-policy.yml"
    policy_file.write_text(policy_file.read_text().replace("${fleet.sql.service}",
                                                           "${fleet.sql.servce}"))
    loaded = load_fleet_dir(fleet)
    assert loaded.fleet is not None
    policy, problems = load_policy(policy_file, strict_yaml.plain(loaded.fleet.source["fleet"]))
    assert policy is None
    assert any("fleet file has no name at sql.servce" in p.message for p in problems)


# The rule lives in sitekit.site.sqlserver; nothing else works the names out again.
_COPIES = re.compile(r"'MSSQL\$' ~|\"MSSQL\$\{|MSSQL`\$|== ?['\"]MSSQLSERVER['\"]|"
                     r"-eq \"MSSQLSERVER\"|localhost\\\\+\{\{|\"localhost\\\\+\$")


def test_no_other_copy_of_the_instance_rule() -> None:
    found = []
    for folder in ("roles", "playbooks", "plugins", "src"):
        for path in (ROOT / folder).rglob("*"):
            if path.suffix not in {".yml", ".j2", ".ps1", ".py", ".psm1"} or \
                    path == ROOT / "src" / "sitekit" / "site" / "sqlserver.py":
                continue
            for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
                if _COPIES.search(line):
                    found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert found == []
