"""`sitekit lab fault`: each fault's effect on a real ansible run, and `clear`."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from tests.lab.conftest import CliLab

pytestmark = pytest.mark.slow
HOST = "lis01-pos01"
COPY = ("ansible.windows.win_copy", "content={} dest=C:\\Windows\\Temp\\fault.txt")


def copy(lab: CliLab, text: str) -> tuple[int, str]:
    """Copy a small file to the host; return rc and output."""
    result = lab.ansible(HOST, COPY[0], COPY[1].format(text))
    return result.returncode, result.stdout + result.stderr


def inject(lab: CliLab, *args: str) -> None:
    """Inject a fault (or clear) through the CLI."""
    result = lab.sitekit("fault", HOST, *args)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(("fault", "rc", "expected"), [
    ("unreachable", 4, "Connection reset by peer"),
    ("wrong-credentials", 4, "credentials were rejected"),
    ("disk-full", 2, "There is not enough space on the disk"),
])
def test_fault_fails_the_run_and_clear_heals_it(cli_lab: CliLab, fault: str, rc: int,
                                                expected: str) -> None:
    inject(cli_lab, fault)
    failed_rc, output = copy(cli_lab, fault)
    assert failed_rc == rc, output
    assert expected in output
    assert fault in cli_lab.sitekit("status").stdout
    inject(cli_lab, "clear")
    healed_rc, output = copy(cli_lab, fault)
    assert healed_rc == 0, output


def test_faults_survive_down_and_up_until_reset(cli_lab: CliLab) -> None:
    inject(cli_lab, "wrong-credentials")
    assert cli_lab.sitekit("down").returncode == 0
    cli_lab.up("LIS01")
    assert copy(cli_lab, "after-up")[0] == 4
    assert cli_lab.sitekit("reset").returncode == 0
    assert copy(cli_lab, "after-reset")[0] == 0


def test_slow_host_delays_every_command(cli_lab: CliLab) -> None:
    def ping() -> float:
        start = time.monotonic()
        assert cli_lab.ansible(HOST, "ansible.windows.win_ping").returncode == 0
        return time.monotonic() - start

    # The quicker of two runs without the fault is the baseline: a busy machine only ever
    # slows a run down, so the slow run cannot come in under it by chance.
    fast = ping()
    inject(cli_lab, "slow", "seconds=3")
    slow = ping()
    inject(cli_lab, "clear")
    fast = min(fast, ping())
    assert slow > fast + 2


def test_reboot_mid_run_resets_the_connection_and_comes_back(cli_lab: CliLab) -> None:
    boot = cli_lab.state(HOST)["boot_time"]
    inject(cli_lab, "reboot-mid-run", "seconds=4")
    result = cli_lab.ansible(HOST, "ansible.windows.win_ping")
    output = result.stdout + result.stderr
    assert result.returncode != 0
    # As a rebooting Windows host: the connection is reset, and so is the next one.
    assert "Connection reset by peer" in output, output
    assert "Code 400" not in output and "Bad HTTP response" not in output, output
    assert cli_lab.state(HOST)["boot_time"] != boot
    time.sleep(4)
    assert cli_lab.ansible(HOST, "ansible.windows.win_ping").returncode == 0  # back up


def test_a_slow_host_past_the_read_timeout_times_out(cli_lab: CliLab) -> None:
    # connection_timeout 3: pywinrm's read timeout is 13 s.
    inject(cli_lab, "slow", "seconds=16")
    result = cli_lab.ansible(HOST, "ansible.windows.win_ping", "",
                             "-e", "ansible_winrm_connection_timeout=3")
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "Read timed out" in output, output
    assert "Code 400" not in output and "Bad HTTP response" not in output, output


@pytest.mark.parametrize(("args", "message"), [
    (["slow", "seconds=abc"], "slow: seconds=abc: 'abc' is not a number of seconds"),
    (["slow", "seconds=-5"], "slow: seconds=-5: -5 is out of range"),
    (["slow", "seconds=inf"], "out of range"),
    (["slow", "sconds=3"], "unknown parameter 'sconds'; slow takes seconds=..."),
    (["slow", "seconds"], "fault parameters are KEY=VALUE"),
    (["slow", "seconds=1", "seconds=2"], "seconds is given twice"),
    (["disk-full", "size=0"], "disk-full takes no parameters"),
    (["service-wont-start", "service=a\\b"], "is not a service name"),
    (["reboot-mid-run", "seconds=9999"], "out of range"),
    (["clear", "seconds=1"], "clear takes no parameters"),
])
def test_bad_fault_parameters_are_refused_at_once(cli_lab: CliLab, args: list[str],
                                                   message: str) -> None:
    result = cli_lab.sitekit("fault", HOST, *args)
    assert result.returncode == 1
    assert message in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    assert cli_lab.state(HOST).get("lab", {}).get("faults", {}) == {}
    assert cli_lab.ansible(HOST, "ansible.windows.win_ping").returncode == 0


@pytest.mark.parametrize("faults", [
    {"slow": {"seconds": "abc"}}, {"slow": 5}, {"slow": {"seconds": -5}},
    {"service-wont-start": ["Spooler"]}, {"reboot-mid-run": "now"},
])
def test_a_hand_edited_bad_fault_does_not_crash_the_lab(cli_lab: CliLab,
                                                        faults: dict[str, Any]) -> None:
    host_dir = cli_lab.layout.host_dir(HOST)
    (host_dir / "faults.json").write_text(json.dumps(faults))
    first = cli_lab.ansible(HOST, "ansible.windows.win_ping")
    if "reboot-mid-run" in faults:  # it still reboots (the default time), then is back
        time.sleep(3.5)
    assert cli_lab.ansible(HOST, "ansible.windows.win_ping").returncode == 0, first.stdout


def test_service_that_will_not_start(cli_lab: CliLab) -> None:
    inject(cli_lab, "service-wont-start", "service=Spooler")
    stopped = cli_lab.ansible(HOST, "ansible.windows.win_service", "name=Spooler state=stopped")
    assert stopped.returncode == 0, stopped.stdout
    started = cli_lab.ansible(HOST, "ansible.windows.win_service", "name=Spooler state=started")
    assert started.returncode == 2
    assert "Error 1067" in started.stdout
    other = cli_lab.ansible(HOST, "ansible.windows.win_service", "name=W32Time state=restarted")
    assert other.returncode == 0, other.stdout


def test_a_running_service_that_will_not_start_fails_where_windows_fails(
        cli_lab: CliLab) -> None:
    # The fault comes while the service runs: it is down, and starting it fails.
    running = cli_lab.ansible(HOST, "ansible.windows.win_service", "name=Spooler", "-o")
    assert '"state": "running"' in running.stdout, running.stdout
    inject(cli_lab, "service-wont-start", "service=Spooler")
    query = cli_lab.ansible(HOST, "ansible.windows.win_service", "name=Spooler", "-o")
    assert '"state": "stopped"' in query.stdout, query.stdout
    check = cli_lab.ansible(HOST, "ansible.windows.win_service", "name=Spooler state=started",
                            "--check", "-o")
    assert check.returncode == 0 and '"changed": true' in check.stdout, check.stdout
    started = cli_lab.ansible(HOST, "ansible.windows.win_service", "name=Spooler state=started")
    assert started.returncode == 2, started.stdout
    assert ("Unhandled exception while executing module: Service 'Print Spooler (Spooler)' "
            "cannot be started due to the following error: Cannot start service Spooler on "
            "computer '.'.") in started.stdout, started.stdout
    assert "Error 1067: The process terminated unexpectedly" in started.stdout


def update_definitions(lab: CliLab) -> dict[str, Any]:
    """Install the Defender definition update with win_updates; return the task result."""
    result = lab.ansible(HOST, "ansible.windows.win_updates",
                         "category_names=DefinitionUpdates state=installed", "-o")
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads(result.stdout.split(" => ", 1)[1])


def test_stale_signatures_are_old_and_will_not_update(cli_lab: CliLab) -> None:
    fresh = cli_lab.state(HOST)["defender"]["antivirus_signature_last_updated"]
    inject(cli_lab, "stale-signatures")
    failed = update_definitions(cli_lab)
    assert failed["failed_update_count"] == 1
    assert failed["installed_update_count"] == 0
    update = next(iter(failed["updates"].values()))
    assert update["title"].startswith("Security Intelligence Update")
    assert update["failure_hresult_code"] == 0x80070643
    stale = cli_lab.state(HOST)["defender"]["antivirus_signature_last_updated"]
    assert stale < fresh  # 30 days old, as the audit will see it
    assert cli_lab.state(HOST)["lab"]["faults"] == {"stale-signatures": {}}
    inject(cli_lab, "clear")
    healed = update_definitions(cli_lab)
    assert (healed["failed_update_count"], healed["installed_update_count"]) == (0, 1)
    assert cli_lab.state(HOST)["defender"]["antivirus_signature_last_updated"] > fresh


def test_failed_backup_is_recorded_and_shown(cli_lab: CliLab) -> None:
    # Its effect on backups is tested with the backup model (tests/lab/test_db_backup_*).
    result = cli_lab.sitekit("fault", HOST, "failed-backup")
    assert result.returncode == 0, result.stderr
    assert "does not model" not in result.stderr
    assert cli_lab.ansible(HOST, "ansible.windows.win_ping").returncode == 0  # picked up
    assert cli_lab.state(HOST)["lab"]["faults"] == {"failed-backup": {}}
    status = [line for line in cli_lab.sitekit("status").stdout.splitlines()
              if line.startswith(HOST)]
    assert status[0].endswith("failed-backup")


def test_unknown_host_or_fault_is_refused(cli_lab: CliLab) -> None:
    assert cli_lab.sitekit("fault", "lis99-pos01", "slow").returncode == 1
    assert cli_lab.sitekit("fault", HOST, "meteor").returncode == 2
