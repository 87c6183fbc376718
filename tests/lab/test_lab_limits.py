"""What an unauthenticated client can make the lab hold: bounded, as WinRM bounds it.

A body over WinRM's default MaxEnvelopeSizekb (500 KB) before authentication is answered
413 at once, without being read; at most MAX_UNAUTHENTICATED connections wait to
authenticate, and one more is reset.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import time

import pytest

from sitekit.lab import server
from sitekit.lab.connection import MAX_UNAUTHENTICATED_BODY
from tests.lab.conftest import LabFactory


def tls(lab: server.LabServer) -> ssl.SSLSocket:
    context = ssl.create_default_context(cafile=str(lab.ca_path))
    context.check_hostname = False
    raw = socket.create_connection((lab.hosts[0].address, lab.port), timeout=5)
    return context.wrap_socket(raw)


def post(length: int, body: bytes = b"") -> bytes:
    return (f"POST /wsman HTTP/1.1\r\nHost: lab\r\nContent-Length: {length}\r\n"
            "Content-Type: application/soap+xml;charset=UTF-8\r\n\r\n").encode() + body


def answer(sock: ssl.SSLSocket) -> bytes:
    data = b""
    with contextlib.suppress(OSError):
        while chunk := sock.recv(65536):
            data += chunk
    return data


@pytest.mark.parametrize("length", [MAX_UNAUTHENTICATED_BODY + 1, 16 * 1024 * 1024])
def test_a_large_body_before_authentication_is_refused_unread(start_lab: LabFactory,
                                                              length: int) -> None:
    lab = start_lab()
    with tls(lab) as sock:
        sock.sendall(post(length, b"x" * 1024))  # the rest is never sent
        started = time.monotonic()
        reply = answer(sock)
    assert reply.startswith(b"HTTP/1.1 413 "), reply[:80]
    assert b"Connection: close" in reply
    assert time.monotonic() - started < 3  # answered at once, not after waiting for 16 MB


def test_a_small_body_before_authentication_is_asked_to_authenticate(
        start_lab: LabFactory) -> None:
    lab = start_lab()
    with tls(lab) as sock:
        sock.sendall(post(100, b"x" * 100))
        reply = sock.recv(65536)
    assert reply.startswith(b"HTTP/1.1 401 "), reply[:80]


def test_unauthenticated_connections_are_bounded(start_lab: LabFactory,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(server, "MAX_UNAUTHENTICATED", 3)
    lab = start_lab()
    held = [tls(lab) for _ in range(3)]
    try:
        with pytest.raises((ConnectionResetError, ssl.SSLError, OSError)):
            extra = tls(lab)
            extra.sendall(post(10, b"x" * 10))
            if not extra.recv(100):
                raise ConnectionResetError("closed")
        held.pop().close()
        time.sleep(0.3)  # the lab sees the close and gives the place back
        with tls(lab) as again:
            again.sendall(post(10, b"x" * 10))
            assert again.recv(100).startswith(b"HTTP/1.1 401 ")
    finally:
        for sock in held:
            sock.close()
