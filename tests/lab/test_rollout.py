"""playbooks/rollout.yml through the real ansible-playbook against one lab, opened once.

The example fleet, with BER02 moved into ring 0 beside LIS01 and both made canaries (LON01
takes ring 1), so one batch holds two sites: one lab of LIS01 and BER02 is opened once and
then rolled out in this order, each run at a fixed SITEKIT_NOW that the lab's clock
follows:

1. outside every window: nothing changes, nothing is kept;
2. --check inside the window: nothing changes, nothing is kept;
3. BER02's kitchen station does not answer: BER02 is deferred, LIS01 is upgraded;
4. BER02 answers again but its new application server will not start: BER02 is rolled
   back (previous versions, database restored) and the later ring halts; LIS01, done,
   is not touched.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.lab.conftest import BIN, EXAMPLE, ROOT, CliLab, free_port

pytestmark = pytest.mark.slow
PLAYBOOK = ROOT / "playbooks" / "rollout.yml"
OPENING_DAY = ROOT / "playbooks" / "opening_day.yml"
RELEASE = "2026-12-lotus-8.5"
# A Tuesday night: both restaurants closed (Lisbon 01:00, Berlin 02:00), 90 minutes left.
NIGHT = "2026-12-08T01:00:00Z"
NOON = "2026-12-08T13:00:00Z"  # both open for lunch: no window
SITES = ("LIS01", "BER02")


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
    text = "\n".join(line for line in text.splitlines() if "{ring: 2," not in line) + "\n"
    release.write_text(text)
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

    def run(self, now: str, *options: str) -> tuple[int, dict[str, Any], str]:
        """The rollout playbook at `now`: rc, per-host stats, the whole output."""
        env = self.lab.env() | {"ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json",
                                "SITEKIT_ENGINEER": "Test Engineer", "SITEKIT_NOW": now}
        result = self.lab.playbook(PLAYBOOK, "-e", f"release={RELEASE}",
                                   "-e", f"rollout_history={self.history}", *options, env=env)
        output = result.stdout + result.stderr
        try:
            stats = json.loads(result.stdout)["stats"]
        except (json.JSONDecodeError, KeyError):
            pytest.fail(f"no JSON result (rc {result.returncode}):\n{output[-4000:]}")
        return result.returncode, stats, output

    def status(self, now: str) -> dict[str, Any]:
        """`sitekit rollout status --format json` of the history."""
        result = subprocess.run(
            [str(BIN / "sitekit"), "rollout", "status", str(self.fleet), "--release", RELEASE,
             "--history", str(self.history), "--format", "json"],
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
        runs["deferred"] = out.run(NIGHT)
        runs["after_deferred"] = out.states()
        runs["status_deferred"] = out.status(NIGHT)
        out.fault("ber02-kds01", "clear")
        out.fault("ber02-srv01", "new-version-wont-start")
        runs["rolled_back"] = out.run(NIGHT)
        runs["after_rolled_back"] = out.states()
        runs["status_rolled_back"] = out.status(NIGHT)
        yield runs
    finally:
        lab.down_and_check()


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
    lab = rollout["rollout"].lab
    result = CliLab.run_tool("ansible-vault", "view", str(lab.layout.vault_file), env=lab.env())
    secrets = [v.strip().strip("'\"") for v in re.findall(r"^\w+: (.+)$", result.stdout,
                                                          re.MULTILINE)]
    assert secrets
    texts = [rollout[name][2] for name in ("closed", "check", "deferred", "rolled_back")]
    texts.append(json.dumps(rollout["status_rolled_back"]))
    for secret in secrets:
        for text in texts:
            assert secret not in text
