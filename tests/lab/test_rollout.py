"""playbooks/rollout.yml through the real ansible-playbook against one lab, opened once.

The example fleet, with BER02 moved into ring 0 beside LIS01 and both made canaries (LON01
takes ring 1), so one batch holds two sites: one lab of LIS01 and BER02 is opened once and
then rolled out in this order, each run at a fixed SITEKIT_NOW that the lab's clock
follows:

1. outside every window: nothing changes, nothing is kept;
2. --check inside the window: nothing changes, nothing is kept;
3. BER02's kitchen station does not answer: BER02 is deferred, LIS01 is upgraded (with
   the release's Windows update and its restart), in a budget of module calls per host;
4. (a history of its own) BER02's kitchen station does not come back from the restart:
   BER02 fails, its application untouched;
5. BER02 answers again but its new application server will not start: BER02 is rolled
   back (previous versions, database restored) and the later ring halts; LIS01, done,
   is not touched;
6. (a history of its own, both sites) LIS01's backup fails: no upgrade there; BER02's
   kitchen station's installer ends in 1603 after the server was upgraded: the whole
   site is rolled back, server and database too;
7. (a history of its own) an order is taken at BER02 after the nightly backup, then, with
   a release that carries the next SQL Server CU too, its schema step fails: the database is
   restored from the pre-upgrade backup, order and all, and the site is failed, not rolled
   back, since the CU stays;
8. (a second release, SQL Server's next CU only, a history of its own) LIS01's server is
   patched with the CU's package and restarted; the same release again from a history of
   its own finds SQL Server at the CU and runs no installer;
9. ring 1, in the example fleet's own layout (LIS01 ring 0 and the only canary, BER02 ring
   1), from the history as run 3 left it (LIS01 done, BER02 deferred): two nights later,
   ring 0 soaked, nothing starts before an engineer approves ring 1; once approved, BER02's
   upgrade is cut by its server dropping off the network right after the schema step (the
   site stays upgrading); a history that never saw that run's backup is refused (the schema
   is at the release, nothing safe to roll back to); the run again resumes after the schema
   step (one pre-upgrade backup, one schema step, the data intact) and BER02 is done, ring 2
   waits for ring 1's soak, and a re-run contacts no host.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from sitekit.site import strict_yaml
from tests.lab.conftest import BIN, EXAMPLE, ROOT, CliLab, free_port

pytestmark = pytest.mark.slow
PLAYBOOK = ROOT / "playbooks" / "rollout.yml"
OPENING_DAY = ROOT / "playbooks" / "opening_day.yml"
RELEASE = "2026-12-lotus-8.5"
# A Tuesday night: both restaurants closed (Lisbon 01:00, Berlin 02:00), 90 minutes left.
NIGHT = "2026-12-08T01:00:00Z"
NOON = "2026-12-08T13:00:00Z"  # both open for lunch: no window
# Thursday night, 48 hours after LIS01's upgrade: ring 0 has soaked, BER02 is closed.
THURSDAY = "2026-12-10T01:00:00Z"
SITES = ("LIS01", "BER02")
KB = "KB5048667"
# The fleet's next SQL Server 2022 cumulative update (the fleet runs CU26, 16.0.4265.3).
CU_RELEASE = "2026-12-sql-cu27"
WITH_CU = "2026-12-lotus-8.5-cu27"
CU = {"cumulative_update": "CU27", "version": "16.0.4275.1",
      "installer": "sql-server\\2022\\updates\\SQLServer2022-KB5094000-x64.exe",
      "sha256": "5c" * 32}
# A table the restaurant writes to after opening day (the test's stand-in for an order).
ORDER = {"name": "LateOrders", "key": "Id",
         "columns": [{"name": "Id", "type": "int"}, {"name": "Item", "type": "nvarchar(60)"}],
         "rows": [{"Id": 1, "Item": "taken after the nightly backup"}]}


def two_canaries(tmp: Path) -> Path:
    """The example fleet with LIS01 and BER02 in ring 0, both canaries, LON01 in ring 1."""
    fleet = tmp / "example"
    shutil.copytree(EXAMPLE, fleet, ignore=shutil.ignore_patterns("records", "audit"))
    for code, ring in (("ber02", "0"), ("lon01", "1")):
        site = fleet / "sites" / f"{code}.yml"
        text = re.sub(r"^rollout_ring: \d+$", f"rollout_ring: {ring}", site.read_text(),
                      flags=re.MULTILINE)
        site.write_text(text)
    release = fleet / "releases" / f"{RELEASE}.yml"
    text = release.read_text().replace("sites: [LIS01]", "sites: [LIS01, BER02]")
    assert f"kb: {KB}" in text  # the example's Windows update, which needs a restart
    text = "\n".join(line for line in text.splitlines() if "{ring: 2," not in line) + "\n"
    release.write_text(text)
    # A second release: SQL Server's CU alone, for the same two canaries and LON01's ring.
    cu = strict_yaml.plain(strict_yaml.load(text))
    cu["release"] |= {"id": CU_RELEASE, "title": "SQL Server 2022 CU27",
                      "components": {"sql_server": CU}, "database": {"schema_changes": False}}
    (fleet / "releases" / f"{CU_RELEASE}.yml").write_text(yaml.safe_dump(cu, sort_keys=False))
    # A third: the application's release with the CU too (its schema step fails below).
    both = strict_yaml.plain(strict_yaml.load(text))
    both["release"]["id"] = WITH_CU
    both["release"]["components"]["sql_server"] = CU
    (fleet / "releases" / f"{WITH_CU}.yml").write_text(yaml.safe_dump(both, sort_keys=False))
    return fleet


@contextlib.contextmanager
def clock(now: str | None) -> Iterator[None]:
    """SITEKIT_NOW for what starts inside (the lab process reads it when it starts)."""
    before = os.environ.pop("SITEKIT_NOW", None)
    if now:
        os.environ["SITEKIT_NOW"] = now
    try:
        yield
    finally:
        os.environ.pop("SITEKIT_NOW", None)
        if before is not None:
            os.environ["SITEKIT_NOW"] = before


class Rollout:
    """The lab, its fleet and the history the runs keep."""

    def __init__(self, lab: CliLab, fleet: Path, history: Path) -> None:
        self.lab, self.fleet, self.history = lab, fleet, history

    def run(self, now: str, *options: str, history: Path | None = None,
            release: str = RELEASE) -> tuple[int, dict[str, Any], str]:
        """The rollout playbook at `now`: rc, per-host stats, the whole output."""
        kept = history or self.history
        return self.lab.playbook_stats(
            PLAYBOOK, "-e", f"release={release}", "-e", f"rollout_history={kept}", *options,
            env={"SITEKIT_ENGINEER": "Test Engineer", "SITEKIT_NOW": now})

    def afresh(self, name: str, faults: dict[str, str], *options: str,
               release: str = RELEASE) -> dict[str, Any]:
        """A run from a history of its own (every site pending again), with `faults` injected.

        A site rolled back is not taken again in one history; a new one rolls it out afresh.
        The faults are cleared after the run; the module calls each host answered are kept.
        """
        for host, fault in faults.items():
            self.fault(host, fault)
        history = self.history.with_name(f"{name}.sqlite")
        before = self.calls()
        outcome = {"run": self.run(NIGHT, *options, history=history, release=release),
                   "states": self.states()}
        outcome["calls"] = {host: {module: count - before[host].get(module, 0)
                                   for module, count in counted.items()
                                   if count > before[host].get(module, 0)}
                            for host, counted in self.calls().items()}
        outcome["status"] = self.status(NIGHT, history, release)
        for host in faults:
            self.fault(host, "clear")
        return outcome

    def alone(self, name: str, host: str, fault: str, *options: str,
              release: str = RELEASE) -> dict[str, Any]:
        """BER02 alone (LIS01, done, is left out), afresh, with `fault` on `host`."""
        return self.afresh(name, {host: fault}, "--limit", "localhost,site_ber02", *options,
                           release=release)

    def status(self, now: str, history: Path | None = None,
               release: str = RELEASE) -> dict[str, Any]:
        """`sitekit rollout status --format json` of the history."""
        result = subprocess.run(
            [str(BIN / "sitekit"), "rollout", "status", str(self.fleet), "--release", release,
             "--history", str(history or self.history), "--format", "json"],
            capture_output=True, text=True, cwd=ROOT, timeout=60, check=False,
            env=os.environ | {"SITEKIT_NOW": now})
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)

    def states(self) -> dict[str, Any]:
        """Every host's modelled state, without the lab's bookkeeping."""
        found = {}
        for host in self.lab.hosts():
            state = self.lab.state(host.hostname)
            state.pop("lab", None)
            found[host.hostname] = state
        return found

    def calls(self) -> dict[str, dict[str, int]]:
        """The module calls each host has answered so far, per module (the lab counts them)."""
        return {host.hostname: dict(self.lab.state(host.hostname).get("lab", {}).get(
            "module_calls", {})) for host in self.lab.hosts()}

    def approve(self, now: str, ring: int) -> subprocess.CompletedProcess[str]:
        """`sitekit rollout approve --ring N`, as an engineer gives it, kept in the history."""
        return subprocess.run(
            [str(BIN / "sitekit"), "rollout", "approve", str(self.fleet), "--release", RELEASE,
             "--ring", str(ring), "--engineer", "Test Engineer", "--reason",
             f"ring {ring - 1} healthy", "--history", str(self.history)],
            capture_output=True, text=True, cwd=ROOT, timeout=60, check=False,
            env=os.environ | {"SITEKIT_NOW": now})

    def fault(self, host: str, *fault: str) -> None:
        """Inject (or clear) a fault."""
        result = self.lab.sitekit("fault", host, *fault)
        assert result.returncode == 0, result.stderr


def site_of(status: dict[str, Any], code: str) -> dict[str, Any]:
    """One site's entry in the status."""
    return next(s for ring in status["rings"] for s in ring["sites"] if s["site"] == code)


def database(state: dict[str, Any]) -> dict[str, Any]:
    """The application database of a server's state."""
    instance = next(iter(state["sql_instances"].values()))
    return instance["databases"]["LotusPOS"]


def application(state: dict[str, Any]) -> set[str]:
    """The versions of the application's packages on a host."""
    return {p["version"] for p in state["packages"].values() if p["name"].startswith("Lotus")}


@pytest.fixture(scope="module")
def rollout(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """Open both sites once, then the four runs in order, with the states between them."""
    tmp = tmp_path_factory.mktemp("rollout")
    fleet = two_canaries(tmp)
    lab = CliLab(tmp / "lab", free_port())
    try:
        with clock(None):
            lab.up(*SITES, fleet=fleet)
        # What the rollout needs of opening day: the antivirus and the handover are not.
        opened = lab.playbook(OPENING_DAY, "--skip-tags", "antivirus,acceptance")
        assert opened.returncode == 0, (opened.stdout + opened.stderr)[-4000:]
        with clock(NIGHT):  # the lab's clock at the rollout's night from here on
            lab.up(*SITES, fleet=fleet)
        out = Rollout(lab, fleet, tmp / "history.sqlite")
        runs: dict[str, Any] = {"rollout": out, "opened": out.states()}
        runs["closed"] = out.run(NOON)
        runs["after_closed"] = out.states()
        runs["kept_after_closed"] = out.history.exists()
        runs["check"] = out.run(NIGHT, "--check")
        runs["after_check"] = out.states()
        runs["kept_after_check"] = out.history.exists()
        out.fault("ber02-kds01", "unreachable")
        calls = out.calls()
        runs["deferred"] = out.run(NIGHT)
        runs["calls"] = {host: {name: count - calls[host].get(name, 0)
                                for name, count in counted.items()
                                if count > calls[host].get(name, 0)}
                         for host, counted in out.calls().items()}
        runs["after_deferred"] = out.states()
        runs["status_deferred"] = out.status(NIGHT)
        # The history as it stands now (LIS01 done, BER02 deferred) for ring 1 below.
        with contextlib.closing(sqlite3.connect(out.history)) as source, \
                contextlib.closing(sqlite3.connect(tmp / "rings.sqlite")) as copy:
            source.backup(copy)
        out.fault("ber02-kds01", "clear")
        # BER02's kitchen station does not come back from the updates' restart (a history
        # of its own: the main one goes on below). A short wait for it: 10 s.
        runs["no_come_back"] = out.alone("no-come-back", "ber02-kds01", "no-come-back",
                                         "-e", "rollout_site_reboot_timeout=10")
        out.fault("ber02-srv01", "new-version-wont-start")
        runs["rolled_back"] = out.run(NIGHT)
        runs["after_rolled_back"] = out.states()
        runs["status_rolled_back"] = out.status(NIGHT)
        out.fault("ber02-srv01", "clear")
        # The failure paths. Both sites afresh: BER02's kitchen station's installer ends in
        # 1603 after its server was upgraded; LIS01's backup fails (one run for both).
        runs["station_1603"] = runs["no_backup"] = out.afresh(
            "station-1603", {"ber02-kds01": "installer-fails", "lis01-srv01": "failed-backup"})
        # An order taken after the last backups (the nightly one, the runs' before): the
        # rollback must restore the one taken right before this change, which holds it.
        ordered = lab.ansible("ber02-srv01", "sitekit_pos_data", json.dumps({
            "sql_instance": "{{ sitekit_sql.connect }}", "database": "LotusPOS",
            "tables": [ORDER]}))
        assert ordered.returncode == 0, ordered.stdout + ordered.stderr
        runs["ordered"] = out.states()
        # With the release that also carries the CU: the CU stays after the rollback.
        runs["schema"] = out.alone("schema", "ber02-srv01", "schema-upgrade-fails",
                                   release=WITH_CU)
        # SQL Server's CU at LIS01, then the same release afresh: nothing left to install.
        for name in ("cu", "cu_again"):
            history, before = tmp / f"{name}.sqlite", out.calls()
            runs[name] = {"run": out.run(NIGHT, "--limit", "localhost,site_lis01",
                                         history=history, release=CU_RELEASE),
                          "states": out.states(),
                          "status": out.status(NIGHT, history, CU_RELEASE),
                          "calls": {host: {module: count - before[host].get(module, 0)
                                           for module, count in counted.items()
                                           if count > before[host].get(module, 0)}
                                    for host, counted in out.calls().items()}}
        runs["ring1"] = ring_one(lab, tmp)
        yield runs
    finally:
        lab.down_and_check()


def ring_one(lab: CliLab, tmp: Path) -> dict[str, Any]:
    """Ring 1 of the example fleet's own layout: soaked, approved, upgraded, run again."""
    fleet = tmp / "rings" / "example"
    shutil.copytree(EXAMPLE, fleet, ignore=shutil.ignore_patterns("records", "audit"))
    with clock(THURSDAY):  # the same hosts, the example's rings, the lab's clock on Thursday
        lab.up(*SITES, fleet=fleet)
    out = Rollout(lab, fleet, tmp / "rings.sqlite")
    runs: dict[str, Any] = {"unapproved": out.run(THURSDAY), "before": out.states()}
    runs["approved"] = out.approve(THURSDAY, 1)
    # A second history that has not seen BER02's first run (as from another controller).
    shutil.copyfile(out.history, tmp / "unseen.sqlite")
    # BER02's server drops off the network right after its schema step: the run is cut.
    out.fault("ber02-srv01", "drops-after-schema-upgrade")
    before = out.calls()
    runs["interrupted"] = out.run(THURSDAY)
    runs["after_interrupted"] = out.states()
    runs["status_interrupted"] = out.status(THURSDAY)
    out.fault("ber02-srv01", "clear")
    # Its schema is at the release, but that history records no pre-upgrade backup: refused.
    runs["unseen"] = out.run(THURSDAY, history=tmp / "unseen.sqlite")
    runs["after_unseen"] = out.states()
    runs["status_unseen"] = out.status(THURSDAY, tmp / "unseen.sqlite")
    # The run again, with the history that saw the first: it resumes after the schema step.
    runs["run"] = out.run(THURSDAY)
    runs["after"], runs["status"] = out.states(), out.status(THURSDAY)
    runs["calls"] = {host: {module: count - before[host].get(module, 0)
                            for module, count in counted.items()
                            if count > before[host].get(module, 0)}
                     for host, counted in out.calls().items()}
    with contextlib.closing(sqlite3.connect(out.history)) as kept:
        runs["steps"] = dict(kept.execute(
            "SELECT step, detail FROM rollout_steps WHERE site = 'BER02'").fetchall())
    runs["again"] = out.run(THURSDAY)
    runs["after_again"] = out.states()
    return runs


def test_outside_the_window_nothing_changes(rollout: dict[str, Any]) -> None:
    rc, stats, output = rollout["closed"]
    assert rc == 0, output[-4000:]
    assert set(stats) == {"localhost"}  # no host was contacted
    assert rollout["after_closed"] == rollout["opened"]
    assert not rollout["kept_after_closed"]
    assert "its maintenance window is closed" in output


def test_check_mode_rehearses_and_changes_nothing(rollout: dict[str, Any]) -> None:
    rc, stats, output = rollout["check"]
    assert rc == 0, output[-4000:]
    assert stats["lis01-srv01"]["changed"] > 0 and stats["ber02-srv01"]["changed"] > 0
    assert rollout["after_check"] == rollout["opened"]
    assert not rollout["kept_after_check"]


def test_an_unreachable_site_is_deferred_and_the_batch_goes_on(rollout: dict[str, Any]) -> None:
    rc, _, output = rollout["deferred"]
    assert rc == 0, output[-4000:]
    after, before = rollout["after_deferred"], rollout["opened"]
    status = rollout["status_deferred"]
    # BER02: nothing changed anywhere on the site, kept deferred with the reason.
    for host in (h for h in after if h.startswith("ber02")):
        assert after[host]["packages"] == before[host]["packages"], host
    ber02 = site_of(status, "BER02")
    assert ber02["state"] == "deferred"
    assert "ber02-kds01 did not answer" in ber02["reason"]
    assert status["halted"] is None
    # LIS01: the whole site at the release, with the schema step, kept done.
    assert site_of(status, "LIS01")["state"] == "done"
    assert site_of(status, "LIS01")["engineer"] == "Test Engineer"
    # Every host of the site but its guest vantage point, which the rollout leaves out.
    for host in (h for h in after if h.startswith("lis01") and not h.endswith("-guest")):
        assert application(after[host]) == {"8.5.0"}, host
    assert database(after["lis01-srv01"])["schema_version"] == "8.5.0"
    # The release's Windows update on every host, finished by a restart.
    for host in (h for h in after if h.startswith("lis01") and not h.endswith("-guest")):
        assert [h["state"] for h in after[host]["hotfixes"].values()] == ["Installed"], host
        assert after[host]["boot_time"] > before[host]["boot_time"], host
    assert after["lis01-srv01"]["services"]["LotusPosServer"]["state"] == "running"
    backups = next(iter(after["lis01-srv01"]["sql_instances"].values()))["backups"]
    fresh = [b for b in backups if b["origin"] == "sitekit_sql_backup" and b["type"] == "full"
             and b["started"] >= NIGHT.replace("Z", "+00:00")]
    assert fresh and fresh[-1]["checksum"] and fresh[-1]["verified"] and fresh[-1]["copy_path"]


def test_a_canary_that_will_not_start_is_rolled_back_with_its_data(
        rollout: dict[str, Any]) -> None:
    rc, _, output = rollout["rolled_back"]
    assert rc == 0, output[-4000:]
    after, before = rollout["after_rolled_back"], rollout["opened"]
    status = rollout["status_rolled_back"]
    ber02 = site_of(status, "BER02")
    assert ber02["state"] == "rolled_back"
    assert "Error 1067" in ber02["error"]
    for host in (h for h in after if h.startswith("ber02") and not h.endswith("-guest")):
        assert application(after[host]) == {"8.4.2"}, host
    server = after["ber02-srv01"]
    assert server["services"]["LotusPosServer"]["state"] == "running"
    # The database is back as the pre-upgrade backup had it: the initial data, no new schema.
    assert "schema_version" not in database(server)
    assert database(server)["table_rows"] == database(before["ber02-srv01"])["table_rows"]
    assert database(server)["table_rows"]["MenuItems"]
    # A canary rolled back halts the later ring until an engineer resumes.
    assert "canary BER02 rolled back" in status["halted"]
    assert [ring["state"] for ring in status["rings"]] == ["halted", "halted"]


def test_a_done_site_is_not_touched_again(rollout: dict[str, Any]) -> None:
    _, stats, _ = rollout["rolled_back"]
    assert not any(host.startswith("lis01") for host in stats), stats
    assert {h: s for h, s in rollout["after_rolled_back"].items() if h.startswith("lis01")} == \
        {h: s for h, s in rollout["after_deferred"].items() if h.startswith("lis01")}


def test_no_secret_in_any_output(rollout: dict[str, Any]) -> None:
    secrets = rollout["rollout"].lab.secrets()  # every vault file's, the sites' too
    texts = [rollout[name][2] for name in ("closed", "check", "deferred", "rolled_back")]
    texts.append(json.dumps(rollout["status_rolled_back"]))
    for secret in secrets:
        for text in texts:
            assert secret not in text


def ber02(after: dict[str, Any]) -> dict[str, Any]:
    """BER02's hosts in a snapshot of states (not its guest vantage point: not the site's)."""
    return {h: s for h, s in after.items() if h.startswith("ber02") and not h.endswith("-guest")}


def test_a_failed_backup_means_no_upgrade(rollout: dict[str, Any]) -> None:
    outcome = rollout["no_backup"]
    rc, _, output = outcome["run"]
    assert rc == 0, output[-4000:]
    site = site_of(outcome["status"], "LIS01")
    assert site["state"] == "failed"
    assert site["error"].startswith("no upgrade without a backup: lis01-srv01: the pre-upgrade "
                                    "backup failed"), site["error"]
    # Nothing past the backup ran at the site: no installer, no schema step, no service
    # started for the new version (LIS01 runs the release already: its modules would say).
    upgrading = {"ansible.windows.win_package", "ansible.windows.win_command",
                 "ansible.windows.win_wait_for", "lowlydba.sqlserver.restore"}
    for host, calls in outcome["calls"].items():
        if host.startswith("lis01"):
            assert not upgrading & set(calls), (host, calls)
            assert outcome["states"][host]["packages"] == rollout["after_rolled_back"][host][
                "packages"], host
    # Stopped for the backup, started again: the restaurant opens as it closed.
    assert outcome["states"]["lis01-srv01"]["services"]["LotusPosServer"]["state"] == "running"


def test_a_station_installer_failing_rolls_the_whole_site_back(
        rollout: dict[str, Any]) -> None:
    outcome = rollout["station_1603"]
    rc, stats, output = outcome["run"]
    assert rc == 0, output[-4000:]
    site = site_of(outcome["status"], "BER02")
    assert site["state"] == "rolled_back", site
    assert "ber02-kds01" in site["error"] and "rc 1603" in site["error"], site["error"]
    # The server had been upgraded (the release's MSI, the schema step) and is back too
    # (the release's product removed, the fleet's reinstalled, the database restored):
    # never a new server with old clients.
    calls = outcome["calls"]["ber02-srv01"]
    assert calls["ansible.windows.win_package"] == 3, calls
    assert calls["ansible.windows.win_command"] == 1, calls
    assert calls["lowlydba.sqlserver.restore"] == 1, calls
    assert stats["ber02-srv01"]["changed"] > 0
    for host, state in ber02(outcome["states"]).items():
        assert application(state) == {"8.4.2"}, host
    server = outcome["states"]["ber02-srv01"]
    assert server["services"]["LotusPosServer"]["state"] == "running"
    assert "schema_version" not in database(server)  # the schema step ran: restored


def test_a_failed_schema_upgrade_restores_the_database_with_its_data(
        rollout: dict[str, Any]) -> None:
    outcome = rollout["schema"]
    rc, _, output = outcome["run"]
    assert rc == 0, output[-4000:]
    site = site_of(outcome["status"], "BER02")
    # The application and its database are back, but the release's CU cannot be removed by
    # the kit: the site is failed, saying so, not "rolled back".
    assert site["state"] == "failed", site
    assert "ber02-srv01 at \"Upgrade the database schema" in site["error"], site["error"]
    assert (f"SQL Server stays at {CU['version']} ({CU['cumulative_update']})"
            in site["error"]), site["error"]
    server = outcome["states"]["ber02-srv01"]
    assert instance(server)["version"] == CU["version"]
    assert application(server) == {"8.4.2"}
    assert "schema_version" not in database(server)
    rows = database(server)["table_rows"]
    # The initial data and the order taken after the nightly backup are both there.
    assert rows == database(rollout["ordered"]["ber02-srv01"])["table_rows"]
    assert rows["LateOrders"] == [{"Id": "1", "Item": "taken after the nightly backup"}]
    assert rows["MenuItems"] == database(rollout["opened"]["ber02-srv01"])["table_rows"][
        "MenuItems"]


def test_a_host_that_does_not_come_back_fails_its_site(rollout: dict[str, Any]) -> None:
    outcome = rollout["no_come_back"]
    _, stats, output = outcome["run"]
    kds = stats["ber02-kds01"]
    assert kds["rescued"] + kds["unreachable"] >= 1, output[-4000:]
    site = site_of(outcome["status"], "BER02")
    assert site["state"] == "failed", site
    assert site["error"].startswith(
        "the Windows updates failed, the application was not changed: ber02-kds01 did not "
        "come back after the restart (Timed out waiting for"), site["error"]
    assert site["error"].endswith("an engineer must switch it on and check it"), site["error"]
    # The application was not touched anywhere on the site; the other hosts restarted fine.
    for host, state in ber02(outcome["states"]).items():
        assert application(state) == {"8.4.2"}, host
    server = outcome["states"]["ber02-srv01"]
    assert server["services"]["LotusPosServer"]["state"] == "running"
    assert all(s["failures"] == 0 for h, s in stats.items() if h != "ber02-kds01"), stats


# Module calls per host for one site's whole upgrade (LIS01: the Windows update with its
# restart, the backup, the application and the schema step), measured in this lab: the
# pre-checks' one sitekit_facts call, one win_stat per installer, one install per package,
# and no call the outcome does not need. A new call must earn its place here.
CALL_BUDGET = {"lis01-srv01": 12, "lis01-pos01": 6}


@pytest.mark.parametrize("host", sorted(CALL_BUDGET))
def test_one_sites_upgrade_takes_few_module_calls(rollout: dict[str, Any], host: str) -> None:
    calls = rollout["calls"][host]
    assert sum(calls.values()) <= CALL_BUDGET[host], calls


def instance(state: dict[str, Any]) -> dict[str, Any]:
    """The SQL Server instance of a server's state."""
    return next(iter(state["sql_instances"].values()))


def test_a_sql_server_cu_patches_the_server_and_restarts_it(rollout: dict[str, Any]) -> None:
    outcome, before = rollout["cu"], rollout["ordered"]["lis01-srv01"]
    rc, _, output = outcome["run"]
    assert rc == 0, output[-4000:]
    site = site_of(outcome["status"], "LIS01")
    assert site["state"] == "done", site
    server = outcome["states"]["lis01-srv01"]
    assert instance(before)["version"] == "16.0.4265.3"
    assert instance(server)["version"] == CU["version"]
    # The package answered 3010: the server was restarted inside the window, and came back
    # with SQL Server and the application running; the stations were not touched.
    assert server["boot_time"] > before["boot_time"]
    assert server["services"]["LotusPosServer"]["state"] == "running"
    assert outcome["calls"]["lis01-srv01"]["ansible.windows.win_package"] == 1
    assert not any("win_package" in name for name in outcome["calls"]["lis01-pos01"])
    # The release moves SQL Server only: no backup, no application installer.
    assert "sitekit_sql_backup" not in " ".join(outcome["calls"]["lis01-srv01"])


def test_a_sql_server_cu_already_there_is_not_installed_again(rollout: dict[str, Any]) -> None:
    outcome = rollout["cu_again"]
    rc, _, output = outcome["run"]
    assert rc == 0, output[-4000:]
    assert site_of(outcome["status"], "LIS01")["state"] == "done"
    calls = outcome["calls"]["lis01-srv01"]
    assert "ansible.windows.win_package" not in calls, calls
    assert outcome["states"]["lis01-srv01"]["boot_time"] == rollout["cu"]["states"][
        "lis01-srv01"]["boot_time"]


def test_ring_1_waits_for_its_approval_then_upgrades_and_a_rerun_changes_nothing(
        rollout: dict[str, Any]) -> None:
    ring = rollout["ring1"]
    rc, stats, output = ring["unapproved"]
    assert rc == 0, output[-4000:]
    assert set(stats) == {"localhost"}, stats  # ring 0 has soaked; ring 1 needs approval
    assert "1 waiting (needs approval: `sitekit rollout approve --ring 1`)" in output
    assert ring["approved"].returncode == 0, ring["approved"].stderr
    rc, stats, output = ring["run"]
    assert rc == 0, output[-4000:]
    assert not any(host.startswith("lis01") for host in stats), stats  # ring 0: done
    status = ring["status"]
    assert site_of(status, "BER02")["state"] == "done", (site_of(status, "BER02"),
                                                         output[-3000:])
    assert [(r["state"], r["reason"]) for r in status["rings"]] == [
        ("complete", ""), ("complete", ""), ("waiting", "ring 1 soaks until 2026-12-13T01:00Z")]
    after = ring["after"]
    for host, state in ber02(after).items():
        assert application(state) == {"8.5.0"}, host
        assert application(ring["before"][host]) == {"8.4.2"}, host
    assert database(after["ber02-srv01"])["schema_version"] == "8.5.0"
    assert after["ber02-srv01"]["services"]["LotusPosServer"]["state"] == "running"
    rc, stats, output = ring["again"]
    assert rc == 0, output[-4000:]
    assert set(stats) == {"localhost"}, stats
    assert ring["after_again"] == after


def test_an_upgrade_cut_after_its_schema_step_resumes_from_there(
        rollout: dict[str, Any]) -> None:
    ring = rollout["ring1"]
    _, stats, output = ring["interrupted"]
    assert stats["ber02-srv01"]["unreachable"] >= 1, output[-4000:]
    site = site_of(ring["status_interrupted"], "BER02")
    assert site["state"] == "upgrading", site
    assert "ber02-srv01 stopped answering during the upgrade" in site["reason"], site
    cut = ring["after_interrupted"]["ber02-srv01"]
    assert database(cut)["schema_version"] == "8.5.0"
    # Nothing was undone at the stations, nothing done there yet: the next run resumes.
    for host, state in ber02(ring["after_interrupted"]).items():
        if host != "ber02-srv01":
            assert application(state) == {"8.4.2"}, host
    # Resumed: no second pre-upgrade backup (it would be of the upgraded database), the
    # schema step not run again, the site done with its data as before the upgrade.
    calls = ring["calls"]["ber02-srv01"]
    assert calls["ansible.legacy.sitekit_sql_backup"] == 1, calls
    assert calls["ansible.windows.win_command"] == 1, calls
    after = ring["after"]["ber02-srv01"]
    fresh = [b for b in instance(after)["backups"] if b not in instance(ring["before"][
        "ber02-srv01"])["backups"] and b["origin"] == "sitekit_sql_backup"]
    assert len(fresh) == 1, fresh
    assert ring["steps"]["backup"] == fresh[0]["path"]
    assert set(ring["steps"]) == {"backup", "schema", "server", "stations"}
    # The drop cut the schema step before it was kept: the resumed run found it done.
    assert ring["steps"]["schema"] == "found at 8.5.0 by the pre-checks"
    assert database(after)["table_rows"] == database(ring["before"]["ber02-srv01"])["table_rows"]
    assert site_of(ring["status"], "BER02")["state"] == "done"


def test_a_schema_at_the_release_without_its_backup_recorded_is_refused(
        rollout: dict[str, Any]) -> None:
    ring = rollout["ring1"]
    rc, _, output = ring["unseen"]
    assert rc == 0, output[-4000:]
    site = site_of(ring["status_unseen"], "BER02")
    assert site["state"] == "failed", site
    error = site["error"]
    behind = re.search(r"database LotusPOS is already at the release's schema 8\.5\.0 "
                       r"\(([^)]*) not yet at the release\) but the history records no "
                       r"pre-upgrade backup of (\S+) at this site, so there is nothing safe to "
                       r"roll back to", error)
    assert behind, error
    # The server runs the release (its MSI went in before the schema step), the stations not.
    assert behind[1].split(", ") == sorted(h for h in ber02(ring["after_interrupted"])
                                           if h != "ber02-srv01"), error
    assert behind[2] == RELEASE
    assert ring["after_unseen"] == ring["after_interrupted"]
