"""Fixtures that start a lab on fresh loopback addresses and prove it is gone afterwards."""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import json
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from sitekit.lab import LabHost, LabServer, control
from sitekit.lab.clock import CLOCK_FILE
from sitekit.lab.labdir import LabLayout
from sitekit.lab.server import read_config

# A moment the example fleet's release table covers (inventories/example/release-table.yml
# ends with August 2026's releases): every product the policy dates has a release within its
# 62 days before this and for the two weeks after it (the Defender platform's newest is of
# 2026-05-19, so not after 2026-07-20). The proofs that a lab site passes every control run
# here; at the controller's date the table is older than the run (test_audit_gather).
COVERED = dt.datetime(2026, 7, 1, 9, 0, tzinfo=dt.UTC)
USER = "labadmin"
PASSWORD = "Lab-Passw0rd!"  # noqa: S105 - the lab's throwaway test account
_NEXT_OCTET = itertools.count(1)


def free_port() -> int:
    """Return a port the kernel just had free on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def fresh_address() -> str:
    """Return a loopback address no other test in this run uses (127.77.<pid>.<n>)."""
    return f"127.{77 + os.getpid() % 100}.{next(_NEXT_OCTET) % 250 + 1}.{os.getpid() % 250 + 1}"


def make_hosts(count: int, prefix: str = "pos") -> list[LabHost]:
    """Build hosts on distinct fresh addresses with the shared test account."""
    return [LabHost(f"{prefix}{i:02d}", fresh_address(), USER, PASSWORD) for i in range(count)]


def port_closed(address: str, port: int) -> bool:
    """Tell whether nothing accepts on address:port any more."""
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex((address, port)) != 0


def lab_threads() -> list[threading.Thread]:
    """Return the lab's threads still alive in this process."""
    return [t for t in threading.enumerate() if t.name.startswith("lab-")]


LabFactory = Callable[..., LabServer]


@pytest.fixture
def start_lab(tmp_path: Path) -> Iterator[LabFactory]:
    """Start labs on demand; stop them after the test and check nothing is left running."""
    started: list[LabServer] = []

    def start(hosts: list[LabHost] | None = None, port: int | None = None,
              lab_dir: Path | None = None) -> LabServer:
        lab = LabServer(hosts or make_hosts(1), lab_dir or tmp_path / f"lab{len(started)}",
                        port or free_port())
        started.append(lab.start())
        return lab

    yield start
    for lab in started:
        lab.stop()
    for lab in started:
        for host in lab.hosts:
            assert port_closed(host.address, lab.port), f"{host.address}:{lab.port} still open"
    assert lab_threads() == []


# -- labs started through the `sitekit lab` CLI, driven by the real ansible-* commands ----

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "inventories" / "example"
BIN = Path(sys.executable).parent


class CliLab:
    """A lab started with `sitekit lab up`; runs ansible against it from the project root."""

    def __init__(self, lab_dir: Path, port: int) -> None:
        self.layout = LabLayout(lab_dir)
        self.port = port
        # Its exporters on a port of its own: another lab of the same sites may run beside it.
        self.metrics_port = free_port()
        self.today: dt.date | None = None  # the date the lab was opened at, if not today
        self.behind = dt.timedelta(0)  # how far the lab's clock runs behind the controller's

    def open_at(self, moment: dt.datetime) -> None:
        """Run the lab's clock from `moment` (before it first starts; it then moves on).

        The lab's clock.json offset (what `sitekit lab advance` adds to), here negative: the
        lab process and its hosts' seeds read it. Ansible and the audit take the date from
        SITEKIT_TODAY, so the report judges the lab's facts as of their month.
        """
        self.layout.root.mkdir(parents=True, exist_ok=True)
        offset = int((moment - dt.datetime.now(dt.UTC)).total_seconds())
        (self.layout.root / CLOCK_FILE).write_text(json.dumps({"offset_seconds": offset}),
                                                   encoding="utf-8")
        self.today = moment.date()
        self.behind = dt.datetime.now(dt.UTC) - moment

    def opening_day_options(self) -> list[str]:
        """What opening day needs on a lab whose clock runs behind the controller's.

        Preflight compares each host's clock with the controller's, which cannot be set
        back: the skew it allows here is as far as the lab is behind, and the hour a run
        takes. Everything else (acceptance judges ages by the host's own clock, as the
        audit does) runs as it would at the lab's date.
        """
        if not self.behind:
            return []
        allowed = int(self.behind.total_seconds()) + 3600
        return ["-e", json.dumps({"preflight_max_clock_skew_seconds": allowed})]

    def sitekit(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run `sitekit lab ...` with this lab's directory."""
        command = [str(BIN / "sitekit"), "lab", *args, "--lab-dir", str(self.layout.root)]
        return subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=60,
                              check=False)

    def up(self, *sites: str, fleet: Path = EXAMPLE) -> subprocess.CompletedProcess[str]:
        """Start (or restart) the lab for the example fleet's sites."""
        site_args = [arg for code in sites for arg in ("--site", code)]
        result = self.sitekit("up", str(fleet), *site_args, "--port", str(self.port),
                              "--metrics-port", str(self.metrics_port))
        assert result.returncode == 0, result.stdout + result.stderr
        return result

    @property
    def pid(self) -> int | None:
        """The running lab process, if any."""
        return control.running_pid(self.layout.root)

    def hosts(self) -> list[LabHost]:
        """The lab's hosts as written to lab.json."""
        return read_config(self.layout.root)[0]

    def secrets(self) -> list[str]:
        """Every secret the lab's vault files hold, for the tests that look for leaks.

        The fleet-wide vault (the automatic logon's) and each site's file: every host's
        management password and every user's first-logon password.
        """
        from sitekit.credentials.passwords import SECRETS_DIR, SiteSecrets  # noqa: PLC0415
        from sitekit.credentials.vault import read_vault_vars  # noqa: PLC0415

        key = self.layout.vault_password_file
        found = [str(v) for v in read_vault_vars(self.layout.vault_file, key).values()]
        for path in sorted((self.layout.inventory / SECRETS_DIR).glob("*.yml")):
            site = SiteSecrets.read(path, key)
            found += [entry["password"] for entry in (*site.hosts.values(),
                                                      *site.users.values())]
        assert found
        return found

    def state(self, host: str) -> dict[str, Any]:
        """A host's persisted state."""
        return json.loads(self.layout.state_file(host).read_text())

    def env(self) -> dict[str, str]:
        """The environment a user sets: the vault password file (and the lab's date, if set)."""
        today = {"SITEKIT_TODAY": self.today.isoformat()} if self.today else {}
        return os.environ | today | {
            "ANSIBLE_VAULT_PASSWORD_FILE": str(self.layout.vault_password_file)}

    def ansible(self, pattern: str, module: str, args: str = "", *options: str,
                env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        """Run an ad-hoc module over WinRM against the lab inventory."""
        command = [str(BIN / "ansible"), "-i", str(self.layout.inventory), pattern, "-m",
                   module, *(["-a", args] if args else []), *options]
        return subprocess.run(command, capture_output=True, text=True, cwd=ROOT,
                              env=env or self.env(), timeout=180, check=False)

    def playbook(self, playbook: Path, *options: str,
                 env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        """Run ansible-playbook against the lab inventory."""
        command = [str(BIN / "ansible-playbook"), "-i", str(self.layout.inventory),
                   str(playbook), *options]
        return subprocess.run(command, capture_output=True, text=True, cwd=ROOT,
                              env=env or self.env(), timeout=300, check=False)

    def playbook_stats(self, playbook: Path, *options: str,
                       env: dict[str, str] | None = None) -> tuple[int, dict[str, Any], str]:
        """Run a playbook with the JSON callback: rc, per-host stats, the whole output.

        `env` is added to the lab's own environment (the vault password file, its date).
        """
        env = self.env() | {"ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json"} | (env or {})
        result = self.playbook(playbook, *options, env=env)
        output = result.stdout + result.stderr
        try:
            stats = json.loads(result.stdout)["stats"]
        except (json.JSONDecodeError, KeyError):
            pytest.fail(f"no JSON result (rc {result.returncode}):\n{output[-4000:]}")
        return result.returncode, stats, output

    @staticmethod
    def run_tool(tool: str, *args: str,
                 env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        """Run one of the venv's tools (ansible-vault, ...) from the project root."""
        return subprocess.run([str(BIN / tool), *args], capture_output=True, text=True,
                              cwd=ROOT, env=env, timeout=120, check=False)

    def down_and_check(self) -> None:
        """Stop the lab and prove nothing of it is left listening or running."""
        pid = self.pid
        hosts = self.hosts() if self.layout.exists() else []
        result = self.sitekit("down")
        assert result.returncode == 0, result.stderr
        assert pid is None or not Path(f"/proc/{pid}/cmdline").exists() or \
            control.running_pid(self.layout.root) is None
        for host in hosts:
            assert port_closed(host.address, self.port), f"{host.address}:{self.port} open"


@contextlib.contextmanager
def cli_lab_at(lab_dir: Path, *sites: str, at: dt.datetime | None = None) -> Iterator[CliLab]:
    """Start a lab with the CLI (its clock at `at`, if given); always `down` it afterwards,
    and check it is gone."""
    lab = CliLab(lab_dir, free_port())
    if at is not None:
        lab.open_at(at)
    try:
        lab.up(*sites)
        yield lab
    finally:
        lab.down_and_check()


@pytest.fixture
def cli_lab(tmp_path: Path) -> Iterator[CliLab]:
    """A lab of the example site LIS01 for one test."""
    with cli_lab_at(tmp_path / "lab", "LIS01") as lab:
        yield lab


@pytest.fixture(scope="module")
def module_lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CliLab]:
    """A lab of LIS01 shared by one test file (module-model tests run in sequence)."""
    with cli_lab_at(tmp_path_factory.mktemp("lab"), "LIS01") as lab:
        yield lab


def record_terminal_inspection(lab: CliLab, history: Path) -> None:
    """LIS01's card terminal inspected 3 days before the lab's date, passed (TRM-01)."""
    day = (lab.today or dt.datetime.now(dt.UTC).date()) - dt.timedelta(days=3)
    result = subprocess.run(
        [str(BIN / "sitekit"), "maintenance", str(EXAMPLE), "--site", "LIS01",
         "--terminal", "card-terminal-1", "--checked", "surfaces, seals, serial",
         "--outcome", "passed", "--engineer", "Rui Matos", "--date", day.isoformat(),
         "--history", str(history)],
        capture_output=True, text=True, cwd=ROOT, env=lab.env(), check=False, timeout=60)
    assert result.returncode == 0, result.stderr

