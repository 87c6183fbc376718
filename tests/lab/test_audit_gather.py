"""The monthly audit's gather half in the lab: the sitekit_facts model, then monthly_audit.yml
against a site that opening day provisioned, with faults and drifts showing in the facts.

Every facts document is validated against the audit core's facts schema. The report part
runs `sitekit report` (the audit core) on what the playbook wrote.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from sitekit.audit.gather import document
from sitekit.audit.published import schema
from sitekit.lab.modules.sitekit_facts import SUBSETS
from sitekit.plan.schedule import weekday_names
from tests.lab.adhoc import adhoc, calls, delta, modelled
from tests.lab.conftest import COVERED, ROOT, CliLab, cli_lab_at, record_terminal_inspection

pytestmark = pytest.mark.slow
AUDIT = ROOT / "playbooks" / "monthly_audit.yml"
OPENING_DAY = ROOT / "playbooks" / "opening_day.yml"
SERVER, CASHIER, KITCHEN = "lis01-srv01", "lis01-pos01", "lis01-kds01"
HOSTS = (SERVER, CASHIER, KITCHEN)
MODULE = "sitekit_facts"
COLLECTOR = "https://wec.lotus-kitchen.example:5986/wsman/SubscriptionManager/WEC"
ARGS = {"application_name": "Lotus POS", "ntp_server": "time.windows.com", "collector": COLLECTOR,
        "services": ["WinDefend", "mpssvc", "W32Time", "WinRM", "LotusPosServer", "NoSuchSvc"],
        "groups": ["Administrators", "Users", "No Such Group"], "databases": ["LotusPOS"]}
_VALIDATOR = Draft202012Validator(schema("facts"))
POLICIES = "HKLM:\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Policies"


def invalid(doc: dict[str, Any]) -> list[str]:
    """What the facts schema finds wrong in a document ([] when valid)."""
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
            for e in _VALIDATOR.iter_errors(doc)]


def ago(text: str, since: str) -> dt.timedelta:
    """How long before `since` a facts timestamp is."""
    def parse(value: str) -> dt.datetime:
        return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parse(since) - parse(text)


def playbook(lab: CliLab, path: Path, *options: str) -> tuple[int, str]:
    """Run a playbook against LIS01 with the extra vars above; exit code and output."""
    env = lab.env() | {"SITEKIT_ENGINEER": "Test Engineer"}
    result = lab.playbook(path, "--limit", "site_lis01", *options,
                          env=env)
    return result.returncode, result.stdout + result.stderr


class Run:
    """One monthly_audit run: its output, the facts files and the report's rows."""

    def __init__(self, lab: CliLab, reports: Path) -> None:
        # The month's inspection of LIS01's card terminal (PCI DSS 9.5.1.2, TRM-01), recorded.
        record_terminal_inspection(lab, reports / "history.sqlite")
        before = {host: calls(lab, host) for host in HOSTS}
        self.rc, self.output = playbook(lab, AUDIT, "-e", f"monthly_audit_reports_dir={reports}")
        self.calls = {host: delta(calls(lab, host), before[host]) for host in HOSTS}
        runs = sorted((reports / "facts").glob("*/LIS01"))
        self.facts = {path.stem: json.loads(path.read_text()) for run in runs
                      for path in run.glob("*.json")}
        results = sorted(reports.glob("[0-9]*/results.csv"))
        self.rows = list(csv.DictReader(results[-1].open())) if results else []

    def status(self, status: str) -> set[tuple[str, str]]:
        """(host, control) of the report's rows with a status."""
        return {(row["host"], row["control"]) for row in self.rows if row["status"] == status}


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CliLab]:
    # At a date the example's release table covers, so every control can pass; at today's
    # date the table is older than the run (test_audit_over_time).
    with cli_lab_at(tmp_path_factory.mktemp("lab"), "LIS01", at=COVERED) as started:
        yield started


# -- the module model on fresh hosts ---------------------------------------------------------

@pytest.fixture(scope="module")
def fresh(lab: CliLab) -> dict[str, Any]:
    """Every subset read from the fresh server and a fresh station; check mode and real."""
    out: dict[str, Any] = {}
    for host in (SERVER, CASHIER):
        before = modelled(lab, host)
        out[f"{host} check"] = adhoc(lab, host, MODULE, ARGS, "--check")
        out[f"{host} after check"] = modelled(lab, host)
        out[host] = adhoc(lab, host, MODULE, ARGS)
        out[f"{host} after"] = modelled(lab, host)
        out[f"{host} before"] = before
    return out


@pytest.mark.parametrize(("host", "kind"), [(SERVER, "server"), (CASHIER, "cashier")])
def test_every_subset_in_the_schema_shape(fresh: dict[str, Any], host: str, kind: str) -> None:
    result = fresh[host]
    assert result["changed"] is False
    assert set(result["facts"]) == set(SUBSETS)
    assert result["unavailable"] == {}
    doc = document(result, host=host, site="LIS01", kind=kind)
    assert invalid(doc) == []
    facts = doc["facts"]
    # A fresh install: nothing of the restaurant's yet, Windows as shipped.
    assert (facts["application"], facts["sql_server"], facts["backups"],
            facts["sql_files"]) == (None, None, {}, {})
    assert facts["services"]["NoSuchSvc"] == {"state": "absent", "start_mode": None}
    assert facts["services"]["WinRM"] == {"state": "running", "start_mode": "auto"}
    assert set(facts["local_groups"]) == {"Administrators", "Users"}
    assert facts["local_groups"]["Administrators"]["members"] == ["Administrator", "sitekit"]
    assert facts["disks"]["C:"]["free_bytes"] > 0
    assert set(facts["firewall"]) == {"domain", "private", "public"}
    assert facts["winrm"]["basic_auth"] is True  # the bootstrap's; windows_base turns it off
    assert facts["winrm"]["listeners"][0]["transport"] == "HTTPS"
    assert len(facts["winrm"]["listeners"][0]["certificate_thumbprint"]) == 40
    assert facts["os"]["version"].endswith(f".{facts['os']['build']}.{facts['os']['ubr']}")
    assert facts["clock"]["offset_seconds"] == 0
    assert "KB5044281" in [u["kb"] for u in facts["updates"]["missing"]]
    # Windows' own audit policy and Security log, before windows_base sets them.
    logging = facts["logging"]
    assert logging["force_subcategories"] is None
    assert logging["security_log"] == {"maximum_size_kb": 20480, "mode": "circular"}
    assert logging["audit_policy"]["logon"] == ["success", "failure"]
    assert logging["audit_policy"]["other_logon_logoff_events"] == []
    assert len(logging["audit_policy"]) == 59
    # No idle lock on a fresh install (InactivityTimeoutSecs not set).
    assert facts["hardening"]["inactivity_timeout_seconds"] is None
    # Windows as shipped: the built-in accounts by SID; the bootstrap's account never expires.
    assert facts["hardening"]["guest"] == {"name": "Guest", "enabled": False}
    assert facts["hardening"]["administrator"] == {"name": "Administrator",
                                                   "enabled": kind == "server"}
    assert facts["hardening"]["lm_compatibility_level"] is None
    assert facts["accounts"]["password_never_expires"] == ["sitekit"]
    # Every enabled account and its last logon (the lab records none: a known gap).
    assert facts["accounts"]["enabled"] == [
        *([{"name": "Administrator", "last_logon": None}] if kind == "server" else []),
        {"name": "sitekit", "last_logon": None}]
    # No Event Forwarding policy, NETWORK SERVICE not in Event Log Readers, an empty log.
    assert facts["forwarding"] == {"managers": [], "configured": False,
                                   "security_readable": False, "last_subscribed": None,
                                   "problems_since": 0, "last_problem": None}


@pytest.mark.parametrize("host", [SERVER, CASHIER])
def test_reading_changes_nothing_in_check_mode_or_not(fresh: dict[str, Any], host: str) -> None:
    assert fresh[f"{host} check"]["changed"] is False
    assert fresh[f"{host} check"]["facts"] == fresh[host]["facts"]
    assert fresh[f"{host} after check"] == fresh[f"{host} before"]
    assert fresh[f"{host} after"] == fresh[f"{host} before"]


@pytest.mark.parametrize(("args", "message"), [
    ({"gahter": ["os"]}, "Unsupported parameters for (sitekit_facts) module: gahter"),
    ({"gather": ["os", "bios"]}, "gather"),
    ({"gather": ["application"]}, "gather: application needs the option application_name"),
])
def test_wrong_options_fail(lab: CliLab, fresh: dict[str, Any], args: dict[str, Any],
                            message: str) -> None:
    result = adhoc(lab, SERVER, MODULE, args)
    assert result.get("failed") is True
    assert message in result["msg"]
    assert "facts" not in result


# -- monthly_audit.yml on a provisioned site ---------------------------------------------------

@pytest.fixture(scope="module")
def provisioned(lab: CliLab, fresh: dict[str, Any],
                tmp_path_factory: pytest.TempPathFactory) -> Run:
    """Opening day, then the audit."""
    rc, output = playbook(lab, OPENING_DAY, *lab.opening_day_options())
    assert rc == 0, output[-4000:]
    return Run(lab, tmp_path_factory.mktemp("reports"))


def test_the_audit_writes_a_valid_facts_file_for_every_host(provisioned: Run) -> None:
    assert provisioned.rc == 0, provisioned.output[-4000:]
    assert sorted(provisioned.facts) == sorted(HOSTS)
    for host, doc in provisioned.facts.items():
        assert invalid(doc) == [], host
        assert (doc["host"], doc["site"], doc["reachable"]) == (host, "LIS01", True)
        assert "error" not in doc, doc.get("error")
    server = provisioned.facts[SERVER]["facts"]
    assert set(server) == set(SUBSETS) | {"backup_schedule", "planned_network"}
    # The plan beside the network facts, as NET-01 and NET-02 judge them.
    assert server["network"]["addresses"] == ["10.41.7.4/26"]
    assert server["planned_network"]["address"] == "10.41.7.4"
    assert {e["port"] for e in server["planned_network"]["inbound"]} == {1433, 5986, 8443, 9182}
    rules = {r["name"]: r for r in server["network"]["inbound_rules"]}
    assert "Windows Remote Management (HTTPS-In)" not in rules  # the bootstrap's, removed
    assert rules["Windows Remote Management (HTTPS-In, sitekit)"]["remote_addresses"] == [
        "10.39.0.10", "10.39.0.20/255.255.255.254"]
    # The days db_backup runs on this server, as the playbook hands them to BAK-01: the
    # example sets none, so the role's default from the windows, a full and daily others.
    schedule = server["backup_schedule"]
    assert {schedule["full_day"], *schedule["other_days"].split(",")} == set(weekday_names())
    assert server["application"] == {"name": "Lotus POS Server", "version": "8.4.2",
                                     "component": "server"}
    # SQL Server 2022 with the fleet's CU26 slipstreamed (software.sql_server.update).
    assert server["sql_server"]["version"] == "16.0.4265.3"
    assert server["backups"]["LotusPOS"]["restore_test_result"] == "succeeded"
    assert server["backups"]["LotusPOS"]["last_log"] is not None
    assert server["services"]["MSSQL$SQLEXPRESS"]["state"] == "running"
    station = provisioned.facts[CASHIER]["facts"]
    assert set(station) == set(SUBSETS) - {"sql_server", "backups", "sql_files"} | {
        "planned_network"}
    assert station["application"]["component"] == "client"
    assert station["autologon"] == {"enabled": True, "user": "pos-station"}
    for group in station["local_groups"].values():
        assert set(group["members"]) <= set(group["expected"])


def test_the_audit_makes_one_winrm_call_per_host(provisioned: Run) -> None:
    assert provisioned.calls == {host: {"ansible.legacy.sitekit_facts": 1} for host in HOSTS}


def test_a_freshly_provisioned_site_passes_every_control(provisioned: Run) -> None:
    # Every control, the release-dated floors (OS-01/02, AV-04/05, SQL-01) included.
    assert provisioned.status("fail") == set()
    assert provisioned.status("unknown") == set()
    assert {row["control"] for row in provisioned.rows if row["status"] == "pass"} >= {
        "OS-01", "OS-02", "OS-03", "AV-04", "AV-05", "SQL-01"}
    # The deliberate exception opening day records: a waiver, not a pass.
    assert provisioned.status("waived") == {(CASHIER, "AUT-01"), (KITCHEN, "AUT-01")}
    for host in HOSTS:
        assert provisioned.facts[host]["facts"]["updates"]["missing"] == []


# -- faults and drifts --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def faulted(lab: CliLab, provisioned: Run, tmp_path_factory: pytest.TempPathFactory) -> Run:
    """Faults and drifts on each host, then the audit again."""
    for host, *fault in ((SERVER, "failed-backup"), (SERVER, "service-wont-start",
                                                      "service=LotusPosServer"),
                         (CASHIER, "stale-signatures"), (KITCHEN, "disk-full"),
                         (KITCHEN, "collector-unreachable")):
        result = lab.sitekit("fault", host, *fault)
        assert result.returncode == 0, result.stderr
    intruder = adhoc(lab, CASHIER, "ansible.windows.win_user",
                     {"name": "intruder", "password": "Intru-der-Passw0rd!",
                      "groups": ["Administrators"], "groups_action": "add"})
    assert intruder["changed"] is True, intruder
    stopped = adhoc(lab, CASHIER, "ansible.windows.win_service",
                    {"name": "W32Time", "state": "stopped"})
    assert stopped["changed"] is True, stopped
    # Someone stops auditing failed logons on the till (auditpol /set).
    unaudited = adhoc(lab, CASHIER, "ansible.windows.win_audit_policy_system",
                      {"subcategory": "Logon", "audit_type": ["success"]})
    assert unaudited["current_audit_policy"] == {"logon": "success"}, unaudited
    # Someone turns the server's idle lock off (Interactive logon: Machine inactivity limit 0).
    unlocked = adhoc(lab, SERVER, "ansible.windows.win_regedit",
                     {"path": f"{POLICIES}\\System", "name": "InactivityTimeoutSecs",
                      "data": 0, "type": "dword"})
    assert unlocked["changed"] is True, unlocked
    # Someone takes the forwarder's read access to the Security log away.
    unreadable = adhoc(lab, CASHIER, "ansible.windows.win_group_membership",
                       {"name": "Event Log Readers", "members": ["NT AUTHORITY\\NETWORK SERVICE"],
                        "state": "absent"})
    assert unreadable["changed"] is True, unreadable
    # The intruder's password is set never to expire (8.3.9).
    forever = adhoc(lab, CASHIER, "ansible.windows.win_user",
                    {"name": "intruder", "password_never_expires": True})
    assert forever["changed"] is True, forever
    # Someone opens SQL Server to every address for a test and forgets it (NET-02).
    opened = adhoc(lab, SERVER, "community.windows.win_firewall_rule",
                   {"name": "SQL test (TCP-In)", "direction": "in", "action": "allow",
                    "protocol": "tcp", "localport": "1433", "remoteip": "any",
                    "enabled": True, "state": "present"})
    assert opened["changed"] is True, opened
    # Patch Tuesday came and went: the kitchen station has a security update missing.
    assert lab.sitekit("down").returncode == 0
    path = lab.layout.state_file(KITCHEN)
    state = json.loads(path.read_text())
    state["updates"]["pending"].append({
        "kb": ["KB5048685"], "id": "lab-kb5048685", "reboot_required": True,
        "title": f"{COVERED:%Y-%m} Cumulative Update for Windows 11 Version 25H2 (KB5048685)",
        "categories": ["Security Updates"]})
    # A manager who left in the summer: the account still enabled, last used 120 days ago.
    manager = min(name for name, user in state["users"].items()
                  if user["enabled"] and name != "sitekit")
    state["users"][manager]["last_logon"] = (COVERED - dt.timedelta(days=120)).isoformat()
    path.write_text(json.dumps(state))
    lab.up("LIS01")
    return Run(lab, tmp_path_factory.mktemp("reports"))


def test_each_fault_and_drift_shows_in_the_facts(faulted: Run) -> None:
    assert faulted.rc == 0, faulted.output[-4000:]
    for host, doc in faulted.facts.items():
        assert invalid(doc) == [], host
    server, cashier, kitchen = (faulted.facts[h] for h in HOSTS)
    backups = server["facts"]["backups"]["LotusPOS"]
    assert dt.timedelta(days=7, hours=23) < ago(backups["last_full"], server["gathered_at"]) < \
        dt.timedelta(days=8, hours=1)
    assert server["facts"]["services"]["LotusPosServer"]["state"] == "stopped"
    signatures = cashier["facts"]["defender"]["signature_last_updated"]
    assert ago(signatures, cashier["gathered_at"]) > dt.timedelta(days=29)
    administrators = cashier["facts"]["local_groups"]["Administrators"]
    assert "intruder" in administrators["members"]
    assert "intruder" not in administrators["expected"]
    assert cashier["facts"]["services"]["W32Time"]["state"] == "stopped"
    assert "source" not in cashier["facts"]["clock"]
    assert cashier["facts"]["clock"]["designated"] is False
    assert kitchen["facts"]["disks"]["C:"]["free_bytes"] == 0
    assert server["facts"]["hardening"]["inactivity_timeout_seconds"] == 0
    assert kitchen["facts"]["disks"]["C:"]["free_percent"] == 0
    # The collector stopped answering the kitchen station; the till's forwarder lost the
    # Security log; both still name the collector and subscribed at provisioning.
    assert kitchen["facts"]["forwarding"]["problems_since"] == 1
    assert kitchen["facts"]["forwarding"]["last_problem"].startswith(
        "105: The forwarder is having a problem communicating with subscription manager at "
        "address https://wec.lotus-kitchen.example:5986/")
    assert cashier["facts"]["forwarding"]["security_readable"] is False
    for doc in (server, cashier, kitchen):
        assert doc["facts"]["forwarding"]["configured"] is True
        assert doc["facts"]["forwarding"]["last_subscribed"] is not None


def test_each_fault_and_drift_fails_exactly_its_controls(faulted: Run) -> None:
    assert faulted.status("fail") == {
        # failed-backup: no full backup for 8 days, nor any log backup since.
        (SERVER, "BAK-01"), (SERVER, "BAK-02"),
        # service-wont-start: the application's service is stopped.
        (SERVER, "SVC-02"),
        # SQL Server opened to any address, wider than the flow matrix.
        (SERVER, "NET-02"),
        # the idle lock turned off.
        (SERVER, "IDL-01"),
        # stale-signatures.
        (CASHIER, "AV-03"),
        # an extra local administrator: not a planned administrator, nor a planned member.
        (CASHIER, "ACC-01"), (CASHIER, "ACC-02"),
        # and its password never expires.
        (CASHIER, "ACC-05"),
        # Windows Time stopped: nor does the till take time from the designated server.
        (CASHIER, "SVC-01"), (CASHIER, "CLK-02"),
        # failed logons no longer audited; the forwarder cannot read the Security log.
        (CASHIER, "LOG-02"), (CASHIER, "LOG-10"),
        # the collector does not answer the kitchen station's forwarder.
        (KITCHEN, "LOG-12"),
        # disk-full, the missing security update, and an account unused for 120 days.
        (KITCHEN, "DSK-01"), (KITCHEN, "UPD-02"), (KITCHEN, "ACC-06")}
    assert faulted.status("unknown") == set()


def test_an_unreachable_host_is_recorded_and_unknown(lab: CliLab, faulted: Run,
                                                      tmp_path_factory: pytest.TempPathFactory
                                                      ) -> None:
    assert lab.sitekit("fault", KITCHEN, "unreachable").returncode == 0
    run = Run(lab, tmp_path_factory.mktemp("reports"))
    assert run.rc == 0, run.output[-4000:]
    kitchen = run.facts[KITCHEN]
    assert invalid(kitchen) == []
    assert (kitchen["reachable"], kitchen["facts"]) == (False, {})
    assert kitchen["error"]
    assert run.facts[CASHIER]["reachable"] is True
    statuses = {row["status"] for row in run.rows if row["host"] == KITCHEN}
    assert statuses == {"unknown"}


# -- as AWX runs it: through ansible-runner ---------------------------------------------------

def test_the_audit_through_ansible_runner_shows_awx_its_hosts_and_no_secret(
        lab: CliLab, provisioned: Run, tmp_path: Path) -> None:
    # AWX and Automation Controller run every job with ansible_runner.run() and answer the
    # vault prompt from the job's vault credential (the runner's `passwords`), keeping every
    # event under the private data dir. Here: the audit's gather, as such a job.
    import ansible_runner  # noqa: PLC0415 - the test extra; only this test needs it

    vault_password = lab.layout.vault_password_file.read_text().strip()
    # Every vault value: the fleet's, each host's management and each user's first password.
    secrets = {"the vault password": vault_password,
               **{f"vault value {number}": value
                  for number, value in enumerate(lab.secrets(), start=1)},
               **{f"{host.hostname}'s password": host.password for host in lab.hosts()}}
    assert all(isinstance(value, str) and len(value) >= 8 for value in secrets.values())
    for host in HOSTS:  # whatever the module's other tests injected (an unreachable host)
        assert lab.sitekit("fault", host, "clear").returncode == 0
    env = {key: value for key, value in lab.env().items()
           if key.startswith("SITEKIT_") and key != "SITEKIT_ENGINEER"}
    private = tmp_path / "runner"
    private.mkdir()
    reports = tmp_path / "reports"
    result = ansible_runner.run(
        private_data_dir=str(private), project_dir=str(ROOT), playbook=str(AUDIT),
        inventory=str(lab.layout.inventory), limit="site_lis01", envvars=env,
        extravars={"monthly_audit_reports_dir": str(reports), "monthly_audit_report": False},
        cmdline="--ask-vault-pass", passwords={r"^Vault password:\s*?$": vault_password},
        quiet=True, timeout=300)
    assert (result.status, result.rc) == ("successful", 0), result.stdout.read()[-4000:]
    assert set(result.stats["ok"]) == set(HOSTS)
    assert not (result.stats["failures"] or result.stats["dark"])
    gathered = {event["event_data"]["host"]: event["event_data"]["res"]
                for event in result.events if event["event"] == "runner_on_ok"
                and event["event_data"]["task_action"] == "sitekit_audit_gather"}
    assert set(gathered) == set(HOSTS)
    for host, res in gathered.items():
        written = json.loads(Path(res["facts_file"]).read_text())
        assert (written["host"], written["reachable"]) == (host, True)
        assert invalid(written) == []
    # Nothing secret in any event, nor in any file the runner wrote, but for the answer to
    # the vault prompt it keeps for the run (env/passwords, its owner's alone, as AWX's
    # private data dir, which AWX deletes after the job).
    events = json.dumps(list(result.events))
    answers = private / "env" / "passwords"
    assert answers.stat().st_mode & 0o077 == 0
    files = [path for path in private.rglob("*") if path.is_file() and path != answers]
    assert any(path.parent.name == "job_events" for path in files)
    for name, secret in secrets.items():
        assert secret not in events, name
        for path in files:
            assert secret.encode() not in path.read_bytes(), (name, path)
