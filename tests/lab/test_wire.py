"""The lab's wire handling without sockets: request reading, decryption framing, SOAP parsing.

These paths were made cheaper for ansible's ~270 KB Sends; each fast path must give
exactly what the plain one gives, and fall back whenever it could not.
"""

from __future__ import annotations

import base64
import xml.etree.ElementTree as ET

import pytest

from sitekit.lab import encryption, wsman
from sitekit.lab.connection import _ClosedError, _Reader

STDIN = base64.b64encode(bytes(range(256)) * 64).decode()  # 21,848 base64 characters
ENVELOPE = (
    '<?xml version="1.0" encoding="utf-8"?>\n'
    f'<env:Envelope xmlns:env="{wsman.NS["s"]}" xmlns:a="{wsman.NS["a"]}"'
    f' xmlns:w="{wsman.NS["w"]}" xmlns:rsp="{wsman.NS["rsp"]}">'
    "<env:Header><a:Action>{action}</a:Action><a:MessageID>uuid:1</a:MessageID>"
    f"<w:ResourceURI>{wsman.CMD_RESOURCE}</w:ResourceURI>"
    '<w:SelectorSet><w:Selector Name="ShellId">S1</w:Selector></w:SelectorSet>'
    "<w:OperationTimeout>PT20S</w:OperationTimeout></env:Header>"
    "<env:Body>{body}</env:Body></env:Envelope>"
)


def send(stream: str, before: str = "") -> bytes:
    """A Send envelope carrying `stream` as the Stream element."""
    return ENVELOPE.format(action=wsman.ACTION_SEND, body=f"{before}<rsp:Send>{stream}</rsp:Send>"
                           ).encode()


RSP = wsman.NS["rsp"]
PLAIN = f'<rsp:Stream Name="stdin" CommandId="C1" End="true">{STDIN}</rsp:Stream>'


@pytest.mark.parametrize(
    ("envelope", "lifted"),
    [
        (send(PLAIN), True),
        (send(f'<x:Stream xmlns:x="{RSP}" Name="stdin" CommandId="C1">{STDIN}</x:Stream>'), True),
        (send(f'<rsp:Stream Name="a>b" CommandId=\'C1\'>{STDIN}</rsp:Stream>'), True),
        (send(f'<rsp:Stream Name="stdin">{STDIN[:-4]}&#65;{STDIN[-3:]}</rsp:Stream>'), False),
        (send(f'<rsp:Stream Name="stdin">{STDIN[:100]}\r\n{STDIN[100:]}</rsp:Stream>'), False),
        (send(f'<rsp:Stream Name="stdin"><![CDATA[{STDIN}]]></rsp:Stream>'), False),
        (send(PLAIN, before="<!-- <rsp:Stream>QUFB</rsp:Stream> -->"), False),
        (send(f'<rsp:Stream Name="stdin">{STDIN}<rsp:Extra/></rsp:Stream>'), False),
        (send(f'<rsp:Stream Name="stdin">{STDIN[:1000]}</rsp:Stream>'), False),
        (send(f'<rsp:Stream Name="stdin">{STDIN}é</rsp:Stream>'), False),
    ],
    ids=["plain", "other-prefix", "quoted-gt", "reference", "crlf", "cdata", "comment-before",
         "child-element", "short", "non-ascii"],
)
def test_send_parses_exactly_as_expat_does(envelope: bytes, lifted: bool) -> None:
    assert (wsman._lift_stream_text(envelope) is not None) == lifted
    request = wsman.parse_request(envelope)
    expected = ET.fromstring(envelope).find(wsman.tag("s:Body"))  # noqa: S314 - our own XML
    assert expected is not None
    assert ET.tostring(request.body) == ET.tostring(expected)
    assert (request.action, request.shell_id, request.operation_timeout) == (
        wsman.ACTION_SEND, "S1", 20.0)


def test_malformed_send_is_a_bad_request_fault() -> None:
    with pytest.raises(wsman.WsmanError, match="not well-formed"):
        wsman.parse_request(send(PLAIN).replace(b"</rsp:Send>", b""))


class Framing:
    """A stand-in security context: frames like NtlmAcceptor.seal, without the cipher."""

    def seal(self, data: bytes) -> bytes:
        return b"\x10\x00\x00\x00" + b"S" * 16 + data[::-1]

    def unseal(self, blob: bytes | memoryview) -> bytes:
        assert bytes(blob[:20]) == b"\x10\x00\x00\x00" + b"S" * 16
        return bytes(blob[20:])[::-1]


BODY = encryption.encrypt(b"<s:Envelope/>", Framing())


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (BODY, None),
        (bytearray(BODY), None),
        (BODY[2:], "does not start with the encrypted boundary"),
        (BODY.replace(b"--\r\n", b"\r\n"), "expected one encrypted part"),
        (BODY.replace(b"Length=13", b"Length=x"), "missing OriginalContent length"),
        (BODY.replace(b"Length=13", b"Length=12"), "does not match OriginalContent"),
        (BODY.replace(b"octet-stream", b"octet-string"), "missing application/octet-stream"),
    ],
    ids=["good", "bytearray", "no-boundary", "no-end", "bad-length", "wrong-length", "no-octet"],
)
def test_decrypt_checks_the_framing(body: bytes, error: str | None) -> None:
    if error is None:
        assert encryption.decrypt(body, Framing()) == b"<s:Envelope/>"
    else:
        with pytest.raises(encryption.EncryptionError, match=error):
            encryption.decrypt(body, Framing())


class Chunks:
    """A socket that returns the given pieces, then end of stream."""

    def __init__(self, *pieces: bytes) -> None:
        self.pieces = list(pieces)

    def recv(self, size: int) -> bytes:
        return self.pieces.pop(0)[:size] if self.pieces else b""

    def recv_into(self, buffer: memoryview) -> int:
        piece = self.recv(len(buffer))
        buffer[: len(piece)] = piece
        return len(piece)


HEAD = b"POST /wsman HTTP/1.1\r\nContent-Length: 10"


@pytest.mark.parametrize(
    "pieces",
    [
        (HEAD + b"\r\n\r\n0123456789",),
        (HEAD + b"\r", b"\n\r\n01234", b"56789"),
        (HEAD, b"\r\n\r\n", b"0123456789"),
    ],
    ids=["one-piece", "split-terminator", "body-apart"],
)
def test_reader_reassembles_a_request(pieces: tuple[bytes, ...]) -> None:
    reader = _Reader(Chunks(*pieces))  # type: ignore[arg-type]
    assert reader.head() == HEAD
    assert bytes(reader.body(10)) == b"0123456789"
    with pytest.raises(_ClosedError, match="closed the connection"):
        reader.head()


@pytest.mark.parametrize(
    ("pieces", "length", "error"),
    [
        ((HEAD + b"\r\n",), 0, "closed the connection"),
        ((HEAD + b"\r\n\r\n01234",), 10, "closed mid-request"),
        ((b"X" * 40000,) * 3, 0, "request head too large"),
    ],
    ids=["eof-in-head", "eof-in-body", "endless-head"],
)
def test_reader_refuses_truncated_or_endless_requests(pieces: tuple[bytes, ...], length: int,
                                                      error: str) -> None:
    reader = _Reader(Chunks(*pieces))  # type: ignore[arg-type]
    with pytest.raises(_ClosedError, match=error):
        reader.head()
        reader.body(length)
