"""One WinRM client connection: HTTP/1.1 over TLS, NTLM handshake, encrypted SOAP.

NTLM authenticates the TCP connection, not a request, so a connection keeps its
security context for life and is never closed for being idle.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import logging
import socket
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from spnego.channel_bindings import GssChannelBindings

from sitekit.lab import encryption, wsman
from sitekit.lab.ntlm import AuthError, NtlmAcceptor
from sitekit.lab.shell import ShellService

log = logging.getLogger(__name__)

_MAX_HEADER_LINES = 100
_MAX_BODY = 16 * 1024 * 1024
_SOAP_TYPE = "application/soap+xml;charset=UTF-8"
_AUTH_SCHEMES = ("negotiate", "ntlm")


@dataclass(frozen=True)
class Listener:
    """What a connection to one host's address needs."""

    service: ShellService
    credential_file: Path
    bindings: GssChannelBindings | None


@dataclass
class _Request:
    """A parsed HTTP request."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes


class _ClosedError(Exception):
    """The client went away or spoke something other than HTTP/1.1."""


def serve_connection(sock: socket.socket, listener: Listener, stopping: Callable[[], bool]) -> None:
    """Serve one client connection until it closes."""
    reader: BinaryIO | None = None
    try:
        if isinstance(sock, ssl.SSLSocket):
            sock.do_handshake()
        reader = sock.makefile("rb")
        _Connection(sock, reader, listener).serve(stopping)
    except (OSError, _ClosedError) as exc:
        log.debug("connection ended: %s", exc)
    finally:
        # The socket only really closes once its reader file is closed too.
        if reader is not None:
            with contextlib.suppress(OSError):
                reader.close()
        _close(sock)


def _close(sock: socket.socket) -> None:
    """Close a socket, ignoring errors from a peer that is already gone."""
    with contextlib.suppress(OSError):
        sock.close()


class _Connection:
    """The per-connection protocol state: NTLM context and request loop."""

    def __init__(self, sock: socket.socket, reader: BinaryIO, listener: Listener) -> None:
        """Start unauthenticated."""
        self._sock = sock
        self._reader = reader
        self._listener = listener
        self._acceptor: NtlmAcceptor | None = None

    def serve(self, stopping: Callable[[], bool]) -> None:
        """Answer requests in order until the client closes or the lab stops."""
        while not stopping():
            request = self._read_request()
            status, headers, body, close = self._respond(request)
            self._write(status, headers, body, close)
            if close:
                return

    def _read_request(self) -> _Request:
        """Read one request: request line, headers and a Content-Length body."""
        line = self._reader.readline(65537)
        if not line:
            raise _ClosedError("client closed the connection")
        try:
            method, path, _version = line.decode("latin-1").split()
        except ValueError as exc:
            raise _ClosedError(f"bad request line {line[:80]!r}") from exc
        headers: dict[str, str] = {}
        for _ in range(_MAX_HEADER_LINES):
            header = self._reader.readline(65537)
            if header in (b"\r\n", b"\n", b""):
                break
            name, _, value = header.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length", "0") or 0)
        if length > _MAX_BODY:
            raise _ClosedError("request body too large")
        body = self._reader.read(length) if length else b""
        if len(body) != length:
            raise _ClosedError("client closed mid-request")
        return _Request(method, path, headers, body)

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
        status, reply = self._dispatch(message)
        if encrypted:
            return status, {"Content-Type": encryption.CONTENT_TYPE}, encryption.encrypt(
                reply, self._acceptor), False
        return status, {"Content-Type": _SOAP_TYPE}, reply, False

    def _dispatch(self, message: bytes) -> tuple[int, bytes]:
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
                  500: "Internal Server Error"}[status]
        lines = [f"HTTP/1.1 {status} {reason}", "Server: Microsoft-HTTPAPI/2.0",
                 f"Content-Length: {len(body)}"]
        lines += [f"{k}: {v}" for k, v in headers.items()]
        lines.append("Connection: close" if close else "Connection: Keep-Alive")
        self._sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
