"""The lab binds loopback only, and leaves nothing behind when stopped or signalled."""

from __future__ import annotations

import ipaddress
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import winrm

from sitekit.lab import LabHost, LabServer
from sitekit.lab.server import PID_FILE, write_config
from tests.lab.conftest import PASSWORD, USER, LabFactory, free_port, make_hosts, port_closed


def listening(port: int) -> list[str]:
    """Return the IPv4 and IPv6 addresses listening on a TCP port, from /proc/net."""
    found = []
    for table, width in (("/proc/net/tcp", 8), ("/proc/net/tcp6", 32)):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            address, port_hex = fields[1].split(":")
            if fields[3] == "0A" and int(port_hex, 16) == port:  # 0A = LISTEN
                raw = bytes.fromhex(address)
                # /proc prints each 32-bit word in host (little-endian) order.
                words = b"".join(raw[i:i + 4][::-1] for i in range(0, width // 2, 4))
                found.append(str(ipaddress.ip_address(words)))
    return found


def test_listens_on_each_host_address_and_nothing_else(start_lab: LabFactory) -> None:
    hosts = make_hosts(3)
    lab = start_lab(hosts)
    addresses = listening(lab.port)
    assert sorted(addresses) == sorted(h.address for h in hosts)
    assert all(ipaddress.ip_address(a) in ipaddress.ip_network("127.0.0.0/8") for a in addresses)


@pytest.mark.parametrize("address", ["0.0.0.0", "10.1.2.3", "192.168.0.10", "::1"])  # noqa: S104
def test_refuses_non_loopback_addresses(address: str, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"127\.0\.0\.0/8"):
        LabHost("pos01", address, USER, PASSWORD)
    host = LabHost("pos01", "127.0.0.10", USER, PASSWORD)
    host.address = address  # changed after construction: the server checks again
    with pytest.raises(ValueError, match=r"127\.0\.0\.0/8"):
        LabServer([host], tmp_path)


def test_refuses_two_hosts_on_one_address(tmp_path: Path) -> None:
    hosts = [LabHost("a", "127.0.0.11", USER, PASSWORD), LabHost("b", "127.0.0.11", USER, PASSWORD)]
    with pytest.raises(ValueError, match="own address"):
        LabServer(hosts, tmp_path)


def test_open_connections_are_closed_on_stop(start_lab: LabFactory) -> None:
    lab = start_lab()
    host = lab.hosts[0]
    protocol = winrm.protocol.Protocol(
        lab.endpoint(host), transport="ntlm", username=USER, password=PASSWORD,
        server_cert_validation="validate", ca_trust_path=str(lab.ca_path),
        message_encryption="always")
    protocol.open_shell()  # leaves an authenticated keep-alive connection open
    lab.stop()
    assert port_closed(host.address, lab.port)


def test_separate_process_writes_pid_file_and_exits_on_sigterm(tmp_path: Path) -> None:
    hosts = make_hosts(2)
    port = free_port()
    write_config(tmp_path, hosts, port)
    command = [sys.executable, "-m", "sitekit.lab.server", "--lab-dir", str(tmp_path)]
    with subprocess.Popen(command, stderr=subprocess.PIPE, text=True) as process:
        try:
            deadline = time.monotonic() + 20
            while not (tmp_path / PID_FILE).exists():
                assert process.poll() is None, "lab exited before listening"
                assert time.monotonic() < deadline, "lab did not start"
                time.sleep(0.05)
            assert (tmp_path / PID_FILE).read_text().strip() == str(process.pid)
            client = winrm.Session(
                f"https://{hosts[1].address}:{port}/wsman", auth=(USER, PASSWORD),
                transport="ntlm", ca_trust_path=str(tmp_path / "pki" / "ca.pem"),
                message_encryption="always")
            assert client.run_cmd("hostname").std_out == b"POS01\r\n"
            process.send_signal(signal.SIGTERM)
            _, stderr = process.communicate(timeout=10)
        finally:
            if process.poll() is None:
                process.kill()
    assert process.returncode == 0
    assert "Warning" not in stderr  # e.g. runpy's "found in sys.modules" double import
    assert not (tmp_path / PID_FILE).exists()
    assert all(port_closed(h.address, port) for h in hosts)
