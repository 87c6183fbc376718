"""One WinRM client connection: HTTP/1.1 over TLS, NTLM handshake, encrypted SOAP.

NTLM authenticates the TCP connection, not a request, so a connection keeps its
security context for life and is never closed for being idle, once authenticated. Before
that, what a client can make the lab hold is bounded: a body of at most WinRM's default
MaxEnvelopeSizekb (500 KB; a larger one is answered 413 and the connection closed), a
read timeout, and a number of connections that have not authenticated yet (server.py).
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import logging
import socket
import ssl
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from spnego.channel_bindings import GssChannelBindings

from sitekit.lab import encryption, faults, wsman
from sitekit.lab.ntlm import AuthError, NtlmAcceptor
from sitekit.lab.shell import ShellService

log = logging.getLogger(__name__)

_MAX_HEAD = 64 * 1024
_RECV_SIZE = 64 * 1024
_MAX_BODY = 16 * 1024 * 1024
# Before a connection has authenticated: WinRM's default MaxEnvelopeSizekb (500), and how
# long it may take to send a request.
MAX_UNAUTHENTICATED_BODY = 500 * 1024
UNAUTHENTICATED_TIMEOUT = 30.0
_SOAP_TYPE = "application/soap+xml;charset=UTF-8"
_AUTH_SCHEMES = ("negotiate", "ntlm")


@dataclass(frozen=True)
class Listener:
    """What a connection to one host's address needs."""

    service: ShellService
    credential_file: Path
    bindings: GssChannelBindings | None
    # Connections not yet authenticated, over the whole lab (server.py sets the bound).
    unauthenticated: threading.BoundedSemaphore | None = None


@dataclass
class _Request:
    """A parsed HTTP request."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes | bytearray


class _ClosedError(Exception):
    """The client went away or spoke something other than HTTP/1.1."""


class _TooLargeError(_ClosedError):
    """A request body larger than the connection may send (answered 413)."""


def serve_connection(sock: socket.socket, listener: Listener, stopping: Callable[[], bool],
                     admitted: bool = False) -> None:
    """Serve one client connection until it closes.

    `admitted`: the connection holds a place in `listener.unauthenticated`, given back
    once it authenticates or ends.
    """
    connection = None
    try:
        sock.settimeout(UNAUTHENTICATED_TIMEOUT)
        if isinstance(sock, ssl.SSLSocket):
            sock.do_handshake()
        connection = _Connection(sock, listener, admitted)
        connection.serve(stopping)
    except ConnectionResetError as exc:
        # The host went down (reboot-mid-run): reset, as a rebooting Windows host does.
        log.info("connection reset: %s", exc)
        reset(sock)
    except (OSError, _ClosedError) as exc:
        log.debug("connection ended: %s", exc)
    finally:
        if connection is not None:
            connection.leave_gate()
        elif admitted and listener.unauthenticated is not None:
            listener.unauthenticated.release()
        _close(sock)


def reset(sock: socket.socket) -> None:
    """Abort a TCP connection with a reset (RST), not an orderly close."""
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


def _close(sock: socket.socket) -> None:
    """Close a socket, ignoring errors from a peer that is already gone."""
    with contextlib.suppress(OSError):
        sock.close()


class _Reader:
    """Reads requests off a socket through one buffer.

    A body is received straight into its own buffer: a Send is ~270 KB, which a file
    object would first gather in 8 KB pieces and then copy.
    """

    def __init__(self, sock: socket.socket) -> None:
        """Start with nothing buffered."""
        self._sock = sock
        self._buffer = bytearray()

    def head(self) -> bytes:
        """Return the request line and headers, without the blank line that ends them."""
        end = self._buffer.find(b"\r\n\r\n")
        while end < 0:
            if len(self._buffer) > _MAX_HEAD:
                raise _ClosedError("request head too large")
            searched = max(0, len(self._buffer) - 3)
            self._fill("client closed the connection")
            end = self._buffer.find(b"\r\n\r\n", searched)
        head = bytes(self._buffer[:end])
        del self._buffer[: end + 4]
        return head

    def body(self, length: int) -> bytes | bytearray:
        """Return exactly `length` bytes of body."""
        if len(self._buffer) >= length:
            head = bytes(self._buffer[:length])
            del self._buffer[:length]
            return head
        body = bytearray(length)
        view = memoryview(body)
        have = len(self._buffer)
        view[:have] = self._buffer
        self._buffer.clear()
        while have < length:
            got = self._sock.recv_into(view[have:])
            if not got:
                raise _ClosedError("client closed mid-request")
            have += got
        return body

    def _fill(self, closed_message: str) -> None:
        """Append what the socket has next (one TLS record at most)."""
        data = self._sock.recv(_RECV_SIZE)
        if not data:
            raise _ClosedError(closed_message)
        self._buffer += data


class _Connection:
    """The per-connection protocol state: NTLM context and request loop."""

    def __init__(self, sock: socket.socket, listener: Listener, admitted: bool = False) -> None:
        """Start unauthenticated."""
        self._sock = sock
        self._reader = _Reader(sock)
        self._listener = listener
        self._acceptor: NtlmAcceptor | None = None
        self._admitted = admitted
        self._slowed: set[str] = set()  # commands the slow fault has delayed

    @property
    def authenticated(self) -> bool:
        """Whether NTLM has authenticated this connection."""
        return self._acceptor is not None and self._acceptor.complete

    def leave_gate(self) -> None:
        """Give back the connection's place among the unauthenticated ones (once)."""
        if self._admitted and self._listener.unauthenticated is not None:
            self._listener.unauthenticated.release()
        self._admitted = False

    def serve(self, stopping: Callable[[], bool]) -> None:
        """Answer requests in order until the client closes or the lab stops."""
        hostname = self._listener.service.host.hostname
        while not stopping():
            try:
                request = self._read_request()
            except _TooLargeError as exc:
                self._write(413, {}, b"", close=True)
                raise _ClosedError(str(exc)) from exc
            if faults.rebooting(hostname) or faults.stuck(self._listener.service.host.state):
                raise ConnectionResetError(f"{hostname} is rebooting")
            status, headers, body, close = self._respond(request)
            self._write(status, headers, body, close)
            if close:
                return
            if self._admitted and self.authenticated:
                self.leave_gate()
                self._sock.settimeout(None)  # authenticated: kept for life, never idle-closed

    def _read_request(self) -> _Request:
        """Read one request: request line, headers and a Content-Length body."""
        line, *lines = self._reader.head().decode("latin-1").split("\r\n")
        try:
            method, path, _version = line.split()
        except ValueError as exc:
            raise _ClosedError(f"bad request line {line[:80]!r}") from exc
        headers: dict[str, str] = {}
        for header in lines:
            name, _, value = header.partition(":")
            headers[name.strip().lower()] = value.strip()
        try:
            length = int(headers.get("content-length") or 0)
        except ValueError as exc:
            raise _ClosedError("bad Content-Length") from exc
        if length < 0:
            raise _ClosedError("bad Content-Length")
        most = _MAX_BODY if self.authenticated else MAX_UNAUTHENTICATED_BODY
        if length > most:
            raise _TooLargeError(f"request body of {length} bytes; at most {most} "
                                 f"{'' if self.authenticated else 'before authentication'}")
        return _Request(method, path, headers, self._reader.body(length))

    def _respond(self, request: _Request) -> tuple[int, dict[str, str], bytes, bool]:
        """Authenticate the connection, then answer the SOAP request it carries."""
        if request.method != "POST" or request.path.split("?")[0].lower() != "/wsman":
            return 404, {}, b"", False
        auth = request.headers.get("authorization", "")
        if auth:
            scheme, _, token = auth.partition(" ")
            if scheme.lower() not in _AUTH_SCHEMES:
                return 401, {"WWW-Authenticate": "Negotiate"}, b"", True
            challenge = self._authenticate(token)
            if challenge is None:
                return 401, {"WWW-Authenticate": "Negotiate"}, b"", True
            if challenge:
                return 401, {"WWW-Authenticate": f"{scheme} {challenge}"}, b"", False
        if self._acceptor is None or not self._acceptor.complete:
            return 401, {"WWW-Authenticate": "Negotiate"}, b"", False
        return self._soap(request)

    def _authenticate(self, token: str) -> str | None:
        """Step NTLM; return the challenge, '' when done, None when refused."""
        if self._acceptor is None or self._acceptor.complete:
            self._acceptor = NtlmAcceptor(self._listener.credential_file, self._listener.bindings)
        try:
            out = self._acceptor.step(base64.b64decode(token, validate=True))
        except (AuthError, binascii.Error) as exc:
            log.info("NTLM authentication refused: %s", exc)
            self._acceptor = None
            return None
        if self._acceptor.complete:
            return ""
        return base64.b64encode(out or b"").decode()

    def _soap(self, request: _Request) -> tuple[int, dict[str, str], bytes, bool]:
        """Decrypt, dispatch to the shell service, encrypt the reply."""
        assert self._acceptor is not None  # noqa: S101 - _respond checked it
        encrypted = encryption.is_encrypted(request.headers.get("content-type", ""))
        try:
            message = (encryption.decrypt(request.body, self._acceptor) if encrypted
                       else request.body)
        except (encryption.EncryptionError, AuthError) as exc:
            log.info("bad encrypted message: %s", exc)
            return 400, {}, b"", True
        if not message:
            # pywinrm's blank POST that sets up the security context.
            return 200, {}, b"", False
        self._slow_down(message)
        status, reply = self._dispatch(message)
        if encrypted:
            return status, {"Content-Type": encryption.CONTENT_TYPE}, encryption.encrypt(
                reply, self._acceptor), False
        return status, {"Content-Type": _SOAP_TYPE}, reply, False

    def _slow_down(self, message: bytes | bytearray) -> None:
        """The slow fault: a command's first Receive answers `seconds` later.

        Past the client's read timeout, the client gives up waiting: a timeout, as a host
        too slow to answer looks.
        """
        injected = faults.refresh(self._listener.service.host)
        if "slow" not in injected or wsman.ACTION_RECEIVE.encode() not in message:
            return
        try:
            request = wsman.parse_request(message)
        except wsman.WsmanError:
            return
        stream = request.body.find(f".//{wsman.tag('rsp:DesiredStream')}")
        command = stream.get("CommandId", "") if stream is not None else ""
        if command in self._slowed:
            return
        self._slowed.add(command)
        time.sleep(faults.parameter(injected["slow"], "slow", "seconds"))

    def _dispatch(self, message: bytes | bytearray) -> tuple[int, bytes]:
        """Answer a SOAP message: 200 and a reply, or 500 and a fault."""
        service = self._listener.service
        relates_to = ""
        try:
            request = wsman.parse_request(message)
            relates_to = request.message_id
            return 200, service.handle(request)
        except wsman.WsmanError as exc:
            return 500, wsman.fault(relates_to, exc, service.host.hostname)

    def _write(self, status: int, headers: dict[str, str], body: bytes, close: bool) -> None:
        """Send a response in one write; with TCP_NODELAY that is one segment burst."""
        reason = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 404: "Not Found",
                  413: "Request Entity Too Large", 500: "Internal Server Error"}[status]
        lines = [f"HTTP/1.1 {status} {reason}", "Server: Microsoft-HTTPAPI/2.0",
                 f"Content-Length: {len(body)}"]
        lines += [f"{k}: {v}" for k, v in headers.items()]
        lines.append("Connection: close" if close else "Connection: Keep-Alive")
        self._sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
