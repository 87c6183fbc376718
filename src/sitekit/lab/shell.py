"""The WinRS shell service of one host: shells, commands, stdin and output streams."""

from __future__ import annotations

import binascii
import threading
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field

from sitekit.lab import wsman
from sitekit.lab.host import LabHost
from sitekit.lab.memo import Recent
from sitekit.lab.process import ExecResult
from sitekit.lab.wsman import Request, WsmanError

Executor = Callable[[LabHost, str, bytes], ExecResult]

# Raw bytes per stream per Receive: base64 of two such chunks stays well inside the
# 150 KiB MaxEnvelopeSize clients announce, as WinRS splits long output too.
_CHUNK = 48 * 1024
# How long a Receive waits for stdin to end before answering the timeout fault.
_MAX_RECEIVE_WAIT = 1.0
_COMMAND_LINE, _COMMAND, _ARGUMENTS = (
    wsman.tag("rsp:CommandLine"), wsman.tag("rsp:Command"), wsman.tag("rsp:Arguments"))
_SEND, _STREAM = wsman.tag("rsp:Send"), wsman.tag("rsp:Stream")
_SIGNAL = wsman.tag("rsp:Signal")
_RECEIVE, _DESIRED_STREAM = wsman.tag("rsp:Receive"), wsman.tag("rsp:DesiredStream")


def _decode_base64(text: str) -> bytes:
    """Decode a stdin chunk strictly (ValueError if it is not base64)."""
    # binascii takes the ASCII str as it is; base64.b64decode would copy it first.
    return binascii.a2b_base64(text, strict_mode=True)


# Every host of a task gets the same module chunks (see memo.py).
_decode_chunk = Recent(_decode_base64)


@dataclass
class _Command:
    """One command in a shell: its stdin so far, then its result and read positions."""

    command_line: str
    stdin: list[bytes] = field(default_factory=list)
    got_input: bool = False
    result: ExecResult | None = None
    sent_out: int = 0
    sent_err: int = 0
    finished: threading.Event = field(default_factory=threading.Event)


class ShellService:
    """Answer WS-Man shell requests for one host; commands run through `executor`."""

    def __init__(self, host: LabHost, endpoint: str, executor: Executor) -> None:
        """Serve `host`, announcing `endpoint` in Create replies."""
        self.host = host
        self._endpoint = endpoint
        self._executor = executor
        self._lock = threading.Lock()
        self._shells: dict[str, dict[str, _Command]] = {}

    @property
    def open_shells(self) -> int:
        """Count shells not yet deleted."""
        with self._lock:
            return len(self._shells)

    def handle(self, request: Request) -> bytes:
        """Dispatch a request by its action; protocol errors raise WsmanError."""
        if request.resource_uri != wsman.CMD_RESOURCE:
            raise WsmanError(
                wsman.ERROR_UNSUPPORTED_ACTION,
                f"the sitekit lab does not model the resource {request.resource_uri}",
                "w:DestinationUnreachable",
            )
        handler = self._handlers().get(request.action)
        if handler is None:
            raise WsmanError(
                wsman.ERROR_UNSUPPORTED_ACTION,
                f"the sitekit lab does not model the action {request.action}",
                "w:ActionNotSupported",
            )
        return handler(request)

    def _handlers(self) -> dict[str, Callable[[Request], bytes]]:
        """Map WS-Man actions to their handlers."""
        return {
            wsman.ACTION_CREATE: self._create,
            wsman.ACTION_COMMAND: self._command,
            wsman.ACTION_SEND: self._send,
            wsman.ACTION_RECEIVE: self._receive,
            wsman.ACTION_SIGNAL: self._signal,
            wsman.ACTION_DELETE: self._delete,
        }

    def _create(self, request: Request) -> bytes:
        """Open a shell."""
        shell_id = str(uuid.uuid4()).upper()
        with self._lock:
            self._shells[shell_id] = {}
        return wsman.created(request.message_id, self._endpoint, shell_id)

    def _command(self, request: Request) -> bytes:
        """Start a command; it runs once its stdin has ended."""
        commands = self._shell(request)
        line = request.body.find(_COMMAND_LINE)
        if line is None:
            raise WsmanError(wsman.ERROR_BAD_REQUEST, "Command without rsp:CommandLine")
        parts = [line.findtext(tag, "") for tag in (_COMMAND, _ARGUMENTS)]
        command_id = str(uuid.uuid4()).upper()
        with self._lock:
            commands[command_id] = _Command(" ".join(p.strip() for p in parts if p.strip()))
        return wsman.command_response(request.message_id, command_id)

    def _send(self, request: Request) -> bytes:
        """Append a stdin chunk; the chunk marked End="true" runs the command."""
        stream = _child(request.body, _SEND, _STREAM)
        if stream is None:
            raise WsmanError(wsman.ERROR_BAD_REQUEST, "Send without rsp:Stream")
        command = self._find_command(request, stream.get("CommandId", ""))
        if command.result is not None:
            raise WsmanError(wsman.ERROR_BAD_REQUEST, "stdin of this command is already closed")
        try:
            command.stdin.append(_decode_chunk(stream.text or ""))
        except ValueError as exc:  # binascii.Error, or a non-ASCII character
            raise WsmanError(wsman.ERROR_BAD_REQUEST, f"stdin is not base64: {exc}") from exc
        command.got_input = True
        if stream.get("End", "false").lower() == "true":
            self._run(command)
        return wsman.send_response(request.message_id)

    def _receive(self, request: Request) -> bytes:
        """Return pending output, or the timeout fault while stdin is still open."""
        command = self._find_command(request, _command_id(request))
        if command.result is None and not command.got_input:
            # No stdin at all (pywinrm's run_cmd): stdin is closed, run now.
            self._run(command)
        wait = min(request.operation_timeout, _MAX_RECEIVE_WAIT)
        if not command.finished.wait(wait) or command.result is None:
            raise WsmanError(
                wsman.ERROR_OPERATION_TIMEOUT,
                "The WS-Management service cannot complete the operation within the time"
                " specified in OperationTimeout.",
                "w:TimedOut",
            )
        result = command.result
        out = result.stdout[command.sent_out : command.sent_out + _CHUNK]
        err = result.stderr[command.sent_err : command.sent_err + _CHUNK]
        command.sent_out += len(out)
        command.sent_err += len(err)
        done = command.sent_out >= len(result.stdout) and command.sent_err >= len(result.stderr)
        exit_code = result.rc if done else None
        return wsman.receive_response(request.message_id, _command_id(request), out, err, exit_code)

    def _signal(self, request: Request) -> bytes:
        """Terminate a command: forget it."""
        signal = request.body.find(_SIGNAL)
        command_id = signal.get("CommandId", "") if signal is not None else ""
        commands = self._shell(request)
        with self._lock:
            commands.pop(command_id.upper(), None)
        return wsman.signal_response(request.message_id)

    def _delete(self, request: Request) -> bytes:
        """Close a shell and every command in it."""
        self._shell(request)
        with self._lock:
            self._shells.pop((request.shell_id or "").upper(), None)
        return wsman.delete_response(request.message_id)

    def _run(self, command: _Command) -> None:
        """Run a command to completion on the host model."""
        command.result = self._executor(self.host, command.command_line, b"".join(command.stdin))
        command.stdin.clear()
        command.finished.set()

    def _shell(self, request: Request) -> dict[str, _Command]:
        """Find the request's shell or fault like WinRS does for an unknown ShellId."""
        with self._lock:
            commands = self._shells.get((request.shell_id or "").upper())
        if commands is None:
            raise WsmanError(
                wsman.ERROR_INVALID_SELECTORS,
                f"The request for the Windows Remote Shell with ShellId {request.shell_id} failed"
                " because the shell was not found on the server.",
                "w:InvalidSelectors",
            )
        return commands

    def _find_command(self, request: Request, command_id: str) -> _Command:
        """Find a command in the request's shell."""
        commands = self._shell(request)
        with self._lock:
            command = commands.get(command_id.upper())
        if command is None:
            raise WsmanError(
                wsman.ERROR_INVALID_SELECTORS, f"the command {command_id} is not in the shell"
            )
        return command


def _command_id(request: Request) -> str:
    """Return the CommandId a Receive asked for."""
    desired = _child(request.body, _RECEIVE, _DESIRED_STREAM)
    return desired.get("CommandId", "") if desired is not None else ""


def _child(body: ET.Element, outer: str, inner: str) -> ET.Element | None:
    """Return body/outer/inner by Clark names (see wsman.tag), or None."""
    parent = body.find(outer)
    return parent.find(inner) if parent is not None else None
