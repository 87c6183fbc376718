"""pywinrm against the lab: HTTPS with the lab CA, NTLM, message encryption, WinRS shells."""

from __future__ import annotations

import base64

import pytest
import requests
import winrm
from winrm.exceptions import InvalidCredentialsError, WinRMOperationTimeoutError, WSManFaultError
from winrm.protocol import Protocol

from sitekit.lab import LabHost, LabServer
from tests.lab.conftest import PASSWORD, USER, LabFactory, make_hosts


def session(
    lab: LabServer, host: LabHost, password: str = PASSWORD, **kwargs: object
) -> winrm.Session:
    """A pywinrm session that trusts only the lab CA and always encrypts messages."""
    options: dict[str, object] = {
        "transport": "ntlm",
        "server_cert_validation": "validate",
        "ca_trust_path": str(lab.ca_path),
        "message_encryption": "always",
    } | kwargs
    return winrm.Session(lab.endpoint(host), auth=(USER, password), **options)


def protocol(lab: LabServer, host: LabHost) -> Protocol:
    """A raw pywinrm protocol, to drive single WS-Man operations."""
    return Protocol(
        lab.endpoint(host), transport="ntlm", username=USER, password=PASSWORD,
        server_cert_validation="validate", ca_trust_path=str(lab.ca_path),
        message_encryption="always",
    )


@pytest.mark.parametrize(
    ("command", "args", "rc", "stdout"),
    [
        ("hostname", [], 0, b"POS00\r\n"),
        ("ipconfig", ["/all"], 0, b"IPv4 Address"),
        ("echo", ["hello", "lab"], 0, b"hello lab\r\n"),
        ("whoami", [], 0, b"pos00\\labadmin\r\n"),
        ("dir", ["C:\\"], 1, b""),
    ],
)
def test_run_cmd(
    start_lab: LabFactory, command: str, args: list[str], rc: int, stdout: bytes
) -> None:
    lab = start_lab()
    result = session(lab, lab.hosts[0]).run_cmd(command, args)
    assert result.status_code == rc
    assert stdout in result.std_out
    if rc:
        assert b"the sitekit lab does not model the command 'dir'" in result.std_err


def test_ipconfig_shows_the_hosts_address(start_lab: LabFactory) -> None:
    lab = start_lab()
    host = lab.hosts[0]
    assert f"IPv4 Address. . . . . . . . . . . : {host.address}".encode() in (
        session(lab, host).run_cmd("ipconfig").std_out
    )


def test_run_ps_from_the_table_and_unmodelled_script(start_lab: LabFactory) -> None:
    lab = start_lab()
    client = session(lab, lab.hosts[0])
    assert client.run_ps("$env:COMPUTERNAME").std_out == b"POS00\r\n"
    failed = client.run_ps("Get-Service")
    assert failed.status_code == 1
    assert b"does not model this PowerShell script: Get-Service" in failed.std_err


def test_unencrypted_messages_over_https_also_work(start_lab: LabFactory) -> None:
    lab = start_lab()
    result = session(lab, lab.hosts[0], message_encryption="auto").run_cmd("hostname")
    assert result.std_out == b"POS00\r\n"


def test_wrong_password_is_refused(start_lab: LabFactory) -> None:
    lab = start_lab()
    with pytest.raises(InvalidCredentialsError):
        session(lab, lab.hosts[0], password="not-the-password").run_cmd("hostname")  # noqa: S106


def test_hosts_keep_their_own_passwords(start_lab: LabFactory) -> None:
    first, second = make_hosts(2)
    other = "Another-Passw0rd"
    second.password = other
    lab = start_lab([first, second])
    assert session(lab, second, password=other).run_cmd("hostname").status_code == 0
    with pytest.raises(InvalidCredentialsError):
        session(lab, second, password=PASSWORD).run_cmd("hostname")


def test_client_without_the_lab_ca_is_refused(start_lab: LabFactory) -> None:
    lab = start_lab()
    # certifi's public roots only: the lab's own CA is not among them.
    untrusting = session(lab, lab.hosts[0], ca_trust_path=requests.certs.where())
    with pytest.raises(requests.exceptions.SSLError):
        untrusting.run_cmd("hostname")


def test_receive_before_stdin_ends_is_the_timeout_fault(start_lab: LabFactory) -> None:
    lab = start_lab()
    client = protocol(lab, lab.hosts[0])
    shell = client.open_shell()
    command = client.run_command(shell, "hostname")
    client.send_command_input(shell, command, b"partial ", end=False)
    with pytest.raises(WinRMOperationTimeoutError):
        client.get_command_output_raw(shell, command)
    client.send_command_input(shell, command, b"input", end=True)
    assert client.get_command_output(shell, command) == (b"POS00\r\n", b"", 0)
    client.cleanup_command(shell, command)  # asserts RelatesTo == its MessageID
    client.close_shell(shell)  # likewise


def test_unknown_shell_is_a_wsman_fault(start_lab: LabFactory) -> None:
    lab = start_lab()
    client = protocol(lab, lab.hosts[0])
    with pytest.raises(WSManFaultError) as fault:
        client.run_command("00000000-0000-0000-0000-000000000000", "hostname")
    assert fault.value.wsman_fault_code == 2150858843
    assert "shell was not found" in fault.value.reason


def test_long_output_arrives_in_several_receives(start_lab: LabFactory) -> None:
    lab = start_lab()
    client = protocol(lab, lab.hosts[0])
    text = "x" * 300_000
    script = base64.b64encode(f"Write-Output '{text}'".encode("utf-16-le")).decode()
    shell = client.open_shell()
    command = client.run_command(shell, f"powershell -EncodedCommand {script}")
    chunks = []
    done = False
    while not done:
        out, _err, rc, done = client.get_command_output_raw(shell, command)
        chunks.append(out)
    client.close_shell(shell)
    assert len(chunks) > 2
    assert b"".join(chunks) == text.encode() + b"\r\n"
    assert rc == 0
