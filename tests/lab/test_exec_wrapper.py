"""What ansible-core sends, built by ansible-core itself, run against the host model."""

from __future__ import annotations

import base64
import hashlib
import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from ansible.executor.powershell.module_manifest import (
    _bootstrap_powershell_script,
    _create_powershell_wrapper,
)
from ansible.plugins.shell.powershell import ShellModule
from winrm.protocol import Protocol

from sitekit.lab import LabHost, LabServer, filesystem
from sitekit.lab.exec_wrapper import decode_powershell, is_bootstrap_wrapper
from sitekit.lab.process import ExecResult
from sitekit.lab.runner import execute
from tests.lab.conftest import PASSWORD, USER, LabFactory

WIN_PING = "ansible_collections.ansible.windows.plugins.modules.win_ping"
TEMP = "C:\\Users\\labadmin\\AppData\\Local\\Temp"
SHELL = ShellModule()


def encode(script: str, *, strict: bool = True) -> str:
    """Build the command line ansible's powershell shell plugin builds."""
    return " ".join(SHELL._encode_script(script, as_list=True, strict_mode=strict,
                                         preserve_rc=False))


def module_input(args: dict[str, object], *, become: bool = False, async_timeout: int = 0) -> bytes:
    """Build the pipelined module input ansible sends for win_ping."""
    source = Path(__import__("ansible_collections.ansible.windows.plugins.modules",
                             fromlist=["x"]).__path__[0]) / "win_ping.ps1"
    data = source.read_bytes() + (b"\n#AnsibleRequires -Become\n" if become else b"")
    return _create_powershell_wrapper(
        name=WIN_PING, module_data=data, module_path=str(source), module_args=args,
        environment={"ANSIBLE_ASYNC_DIR": "%USERPROFILE%\\.ansible_async"},
        async_timeout=async_timeout, become_plugin=None, substyle="powershell", task_vars={},
        profile="legacy",
    )


@pytest.fixture
def host() -> LabHost:
    return LabHost("till01", "127.0.0.9", USER, PASSWORD)


def run_module(host: LabHost, stdin: bytes) -> ExecResult:
    """Run the bootstrap wrapper the way ansible pipelines a module."""
    bootstrap = _bootstrap_powershell_script("powershell_mkdtemp.ps1")[0]
    return execute(host, encode(bootstrap, strict=False), stdin)


def test_bootstrap_wrapper_is_recognised_with_or_without_strict_mode() -> None:
    bootstrap = _bootstrap_powershell_script("powershell_mkdtemp.ps1")[0]
    for strict in (True, False):
        script = decode_powershell(encode(bootstrap, strict=strict))
        assert script is not None
        assert script.strict_mode is strict
        assert is_bootstrap_wrapper(script)
    other = decode_powershell(encode("Write-Output 'hi'"))
    assert other is not None
    assert not is_bootstrap_wrapper(other)


@pytest.mark.parametrize(
    ("line", "script"),
    [
        ("ipconfig /all", None),
        ("powershell -encodedcommand " + base64.b64encode("hostname".encode("utf-16-le")).decode(),
         "hostname"),
        ("PowerShell.exe -NoProfile -enc " + base64.b64encode("'x'".encode("utf-16-le")).decode(),
         "'x'"),
        ("powershell -Command hostname", None),
    ],
)
def test_decode_powershell(line: str, script: str | None) -> None:
    decoded = decode_powershell(line)
    assert (decoded.body if decoded else None) == script


def test_bad_encoded_command_fails(host: LabHost) -> None:
    result = execute(host, "powershell -EncodedCommand not!base64", b"")
    assert result.rc == 1
    assert b"-EncodedCommand is not base64 UTF-16LE" in result.stderr


@pytest.mark.parametrize(
    ("args", "rc", "expected"),
    [
        ({"data": "hi", "_ansible_check_mode": False, "_ansible_diff": False}, 0, {"ping": "hi"}),
        ({"_ansible_check_mode": True}, 0, {"ping": "pong", "changed": False}),
        ({"data": "crash"}, 1, {"failed": True}),
        ({"data": "x", "_ansible_bogus": 1}, 1, {"failed": True}),
    ],
)
def test_module_through_the_wrapper(
    host: LabHost, args: dict[str, object], rc: int, expected: dict[str, object]
) -> None:
    result = run_module(host, module_input(args))
    output = json.loads(result.stdout)
    assert result.rc == rc
    assert output | expected == output
    assert host.module_calls == 1


def test_become_wrapper_passes_through(host: LabHost) -> None:
    result = run_module(host, module_input({"data": "up"}, become=True))
    assert json.loads(result.stdout)["ping"] == "up"


def test_async_is_not_modelled(host: LabHost) -> None:
    result = run_module(host, module_input({}, async_timeout=30))
    assert result.rc == 1
    assert json.loads(result.stdout)["msg"] == "the sitekit lab does not model async_wrapper.ps1"


def test_temp_dir_lifecycle(host: LabHost) -> None:
    mkdtemp = SHELL._mkdtemp2("ansible-tmp-1-2", tmpdir="%TEMP%")
    created = execute(host, mkdtemp.command, mkdtemp.input_data)
    path = f"{TEMP}\\ansible-tmp-1-2"
    assert created == ExecResult(0, f"{path}\r\n".encode())
    assert execute(host, mkdtemp.command, mkdtemp.input_data).rc == 1
    filesystem.write_file(host, path + "\\module.ps1", b"x")
    removed = execute(host, SHELL.remove(path, recurse=True), b"")
    assert removed.rc == 0
    assert not filesystem.is_dir(host, path)
    assert not filesystem.is_file(host, path + "\\module.ps1")
    again = execute(host, SHELL.remove(path, recurse=True), b"")
    assert again.rc == 1
    assert b"does not exist" in again.stderr


def test_expand_user(host: LabHost) -> None:
    command = SHELL._expand_user2("~\\.ansible")
    assert execute(host, command.command, command.input_data).stdout == (
        b"C:\\Users\\labadmin\\.ansible\r\n"
    )


# -- file transfer over the wire, chunked as the winrm connection plugin chunks it ----


def winrm_exec(client: Protocol, shell: str, command: str, chunks: Iterator[tuple[bytes, bool]]
               ) -> tuple[int, bytes, bytes]:
    """Run like ansible's _winrm_exec: Command, Send chunks, Receive, Signal."""
    program, _, args = command.partition(" ")
    command_id = client.run_command(shell, program, [args], console_mode_stdin=False)
    for data, last in chunks:
        client.send_command_input(shell, command_id, data, end=last)
    stdout, stderr, rc = client.get_command_output(shell, command_id)
    client.cleanup_command(shell, command_id)
    return rc, stdout, stderr


def put_file(client: Protocol, shell: str, data: bytes, path: str) -> dict[str, str]:
    """ansible's put_file: bootstrap input, then 250000-byte blocks as base64 lines."""
    script, stdin = _bootstrap_powershell_script("winrm_put_file.ps1", {"Path": path},
                                                 has_input=True)

    def chunks() -> Iterator[tuple[bytes, bool]]:
        yield stdin, False
        blocks = [data[i:i + 250_000] for i in range(0, len(data), 250_000)] or [b""]
        for i, block in enumerate(blocks):
            yield base64.b64encode(block) + b"\r\n", i == len(blocks) - 1

    rc, stdout, stderr = winrm_exec(client, shell, encode(script, strict=False), chunks())
    assert rc == 0, stderr
    return json.loads(stdout)


def fetch_file(client: Protocol, shell: str, path: str, buffer_size: int = 2**19) -> bytes:
    """ansible's fetch_file: one base64 block per exec until a short block."""
    data = b""
    while True:
        script, stdin = _bootstrap_powershell_script(
            "winrm_fetch_file.ps1", {"Path": path, "BufferSize": buffer_size, "Offset": len(data)})
        rc, stdout, stderr = winrm_exec(client, shell, encode(script), iter([(stdin, True)]))
        assert rc == 0, stderr
        block = base64.b64decode(stdout.strip())
        data += block
        if len(block) < buffer_size:
            return data


def connect(lab: LabServer) -> Protocol:
    return Protocol(lab.endpoint(lab.hosts[0]), transport="ntlm", username=USER,
                    password=PASSWORD, server_cert_validation="validate",
                    ca_trust_path=str(lab.ca_path), message_encryption="always")


def test_put_and_fetch_a_large_file_survive_a_restart(start_lab: LabFactory) -> None:
    payload = os.urandom(700_000)
    target = f"{TEMP}\\payload.bin"
    lab = start_lab()
    client = connect(lab)
    shell = client.open_shell(codepage=65001)
    assert put_file(client, shell, payload, target) == {"sha1": hashlib.sha1(payload).hexdigest()}  # noqa: S324
    client.close_shell(shell)
    lab.stop()

    again = start_lab([LabHost(h.hostname, h.address, USER, PASSWORD) for h in lab.hosts],
                      port=lab.port, lab_dir=lab.lab_dir)
    client = connect(again)
    shell = client.open_shell(codepage=65001)
    assert fetch_file(client, shell, target) == payload
    script, stdin = _bootstrap_powershell_script(
        "winrm_fetch_file.ps1", {"Path": TEMP, "BufferSize": 10, "Offset": 0})
    assert winrm_exec(client, shell, encode(script), iter([(stdin, True)]))[1] == b"[DIR]\r\n"
    script, stdin = _bootstrap_powershell_script(
        "winrm_fetch_file.ps1", {"Path": "C:\\missing.txt", "BufferSize": 10, "Offset": 0})
    rc, _, stderr = winrm_exec(client, shell, encode(script), iter([(stdin, True)]))
    assert (rc, stderr) == (1, b"C:\\missing.txt does not exist\r\n")
    client.close_shell(shell)


def test_a_tasks_environment_reaches_the_module(host: LabHost) -> None:
    # module_wrapper.ps1 sets each of the task's `environment:` variables in the module's
    # process; win_service.ps1 then expands the path with ExpandEnvironmentVariables.
    source = Path(__import__("ansible_collections.ansible.windows.plugins.modules",
                             fromlist=["x"]).__path__[0]) / "win_service.ps1"
    stdin = _create_powershell_wrapper(
        name="ansible_collections.ansible.windows.plugins.modules.win_service",
        module_data=source.read_bytes(), module_path=str(source),
        module_args={"name": "LabSvc", "path": '"%TEST_SERVICE_PATH%\\test.exe"'},
        environment={"TEST_SERVICE_PATH": "C:\\temp"}, async_timeout=0, become_plugin=None,
        substyle="powershell", task_vars={}, profile="legacy")
    result = json.loads(run_module(host, stdin).stdout)
    assert result["changed"] is True
    assert result["path"] == '"C:\\temp\\test.exe"'
    # Only while that task runs: the next one sees the session's own environment.
    assert filesystem.getenv(host, "TEST_SERVICE_PATH") is None
