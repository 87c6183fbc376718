"""The venv's real `ansible` CLI against the lab over HTTPS, NTLM and message encryption."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from sitekit.lab import LabServer, filesystem
from tests.lab.conftest import PASSWORD, USER, LabFactory, make_hosts

ANSIBLE = Path(sys.executable).with_name("ansible")
pytestmark = pytest.mark.slow


def inventory(lab: LabServer, path: Path) -> Path:
    """Write a static YAML inventory with the connection settings the lab needs."""
    hosts = {h.hostname: {"ansible_host": h.address} for h in lab.hosts}
    connection = {
        "ansible_connection": "winrm",
        "ansible_port": lab.port,
        "ansible_user": USER,
        "ansible_password": PASSWORD,
        "ansible_winrm_scheme": "https",
        "ansible_winrm_transport": "ntlm",
        "ansible_winrm_message_encryption": "always",
        "ansible_winrm_server_cert_validation": "validate",
        "ansible_winrm_ca_trust_path": str(lab.ca_path),
    }
    path.write_text(yaml.safe_dump({"windows": {"hosts": hosts, "vars": connection}}))
    return path


def run_ansible(lab: LabServer, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run `ansible all` with a config of its own, away from the project's ansible.cfg."""
    config = tmp_path / "ansible.cfg"
    config.write_text("[defaults]\nforks = 10\nnocows = true\n")
    env = os.environ | {"ANSIBLE_CONFIG": str(config), "ANSIBLE_LOCAL_TEMP": str(tmp_path / "tmp")}
    command = [str(ANSIBLE), "-i", str(inventory(lab, tmp_path / "hosts.yml")), "all", *args]
    return subprocess.run(command, capture_output=True, text=True, env=env, cwd=tmp_path,
                          timeout=60, check=False)


@pytest.mark.parametrize(
    ("args", "rc", "expected"),
    [
        (["-m", "ansible.windows.win_ping"], 0, ['SUCCESS => {', '"ping": "pong"']),
        (["-m", "ansible.windows.win_ping", "-a", "data=foo"], 0, ['"ping": "foo"']),
        (["-m", "ansible.windows.win_ping", "--check"], 0, ['"ping": "pong"']),
        (["-m", "ansible.windows.win_ping", "-a", "dta=foo"], 2, [
            "FAILED!",
            "Unsupported parameters for (ansible.windows.win_ping) module: dta."
            " Supported parameters include: data",
        ]),
        (["-m", "ansible.windows.win_ping", "-a", "data=crash"], 2,
         ["Unhandled exception while executing module: boom"]),
        (["-m", "community.windows.win_say", "-a", "msg=hello"], 2,
         ["the sitekit lab does not model the module community.windows.win_say"]),
    ],
    ids=["pong", "data", "check-mode", "misspelled-option", "crash", "unmodelled-module"],
)
def test_adhoc_module(
    start_lab: LabFactory, tmp_path: Path, args: list[str], rc: int, expected: list[str]
) -> None:
    lab = start_lab()
    result = run_ansible(lab, tmp_path, *args)
    assert result.returncode == rc, result.stdout + result.stderr
    for text in expected:
        assert text in result.stdout
    assert lab.hosts[0].module_calls == 1


def test_ten_hosts_at_once(start_lab: LabFactory, tmp_path: Path) -> None:
    lab = start_lab(make_hosts(10, prefix="till"))
    result = run_ansible(lab, tmp_path, "-m", "ansible.windows.win_ping", "--forks", "10")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("SUCCESS") == 10
    assert all(host.module_calls == 1 for host in lab.hosts)


def test_wrong_password_is_unreachable(start_lab: LabFactory, tmp_path: Path) -> None:
    lab = start_lab()
    lab.hosts[0].password = "changed-on-the-host"  # noqa: S105 - test value
    # The acceptor reads the account file, so rewrite it as a password change would.
    lab.stop()
    lab = start_lab(lab.hosts)
    result = run_ansible(lab, tmp_path, "-m", "ansible.windows.win_ping")
    assert result.returncode == 4, result.stdout + result.stderr
    assert "UNREACHABLE!" in result.stdout
    assert "credentials were rejected" in result.stdout


# More than one of the 512 KiB blocks ansible's winrm fetch_file asks for, every byte value.
BLOB = bytes(range(256)) * 2600


@pytest.mark.parametrize(
    ("src", "rc", "expected"),
    [
        ("C:\\ProgramData\\Pos\\journal.bin", 0, '"changed": true'),
        ("C:\\ProgramData\\Pos\\missing.bin", 2, "the remote file does not exist"),
        ("C:\\ProgramData\\Pos", 2, "remote file is a directory, fetch cannot work on directories"),
    ],
    ids=["file", "missing", "directory"],
)
def test_fetch_brings_a_file_back_byte_for_byte(
    start_lab: LabFactory, tmp_path: Path, src: str, rc: int, expected: str
) -> None:
    lab = start_lab()
    host = lab.hosts[0]
    filesystem.make_dirs(host, "C:\\ProgramData\\Pos")
    filesystem.write_file(host, "C:\\ProgramData\\Pos\\journal.bin", BLOB)
    dest = tmp_path / "fetched" / "journal.bin"
    result = run_ansible(lab, tmp_path, "-m", "ansible.builtin.fetch",
                         "-a", f"src={src} dest={dest} flat=true")
    assert result.returncode == rc, result.stdout + result.stderr
    assert expected in result.stdout
    assert dest.exists() == (rc == 0)
    if rc == 0:
        assert dest.read_bytes() == BLOB
        again = run_ansible(lab, tmp_path, "-m", "ansible.builtin.fetch",
                            "-a", f"src={src} dest={dest} flat=true")
        assert '"changed": false' in again.stdout  # checksums match: nothing transferred
