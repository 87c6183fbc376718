"""WinRM HTTP message encryption ([MS-WSMV] 2.2.9.1.1), framed exactly as pywinrm does."""

from __future__ import annotations

from typing import Protocol

BOUNDARY = b"--Encrypted Boundary"
PROTOCOL = "application/HTTP-SPNEGO-session-encrypted"
CONTENT_TYPE = f'multipart/encrypted;protocol="{PROTOCOL}";boundary="Encrypted Boundary"'
_OCTET_HEADER = b"\tContent-Type: application/octet-stream\r\n"
_PART = BOUNDARY + b"\r\n"
_END = BOUNDARY + b"--\r\n"


class Sealer(Protocol):
    """What an authenticated security context offers for message protection."""

    def seal(self, data: bytes) -> bytes:
        """Encrypt and sign."""
        ...

    def unseal(self, blob: bytes | memoryview) -> bytes:
        """Verify and decrypt."""
        ...


class EncryptionError(Exception):
    """A request body is not a well-formed encrypted WinRM message."""


def is_encrypted(content_type: str) -> bool:
    """Tell whether a request carries an SPNEGO session-encrypted body."""
    return content_type.startswith("multipart/encrypted") and PROTOCOL in content_type


def decrypt(body: bytes | bytearray, sealer: Sealer) -> bytes:
    """Return the SOAP message inside a multipart/encrypted body.

    The sealed part is handed on as a memoryview: a Send carrying stdin is ~270 KB, and
    each copy of it costs about as much as handling a small request.
    """
    if not body.startswith(_PART):
        raise EncryptionError("the body does not start with the encrypted boundary")
    data_start = body.find(_PART, len(_PART))
    if data_start < 0 or not body.endswith(_END):
        raise EncryptionError("expected one encrypted part")
    try:
        length = int(body[len(_PART) : data_start].split(b"Length=")[1].strip())
    except (IndexError, ValueError) as exc:
        raise EncryptionError("missing OriginalContent length") from exc
    sealed_start = data_start + len(_PART) + len(_OCTET_HEADER)
    if body[data_start + len(_PART) : sealed_start] != _OCTET_HEADER:
        raise EncryptionError("missing application/octet-stream part")
    message = sealer.unseal(memoryview(body)[sealed_start : len(body) - len(_END)])
    if len(message) != length:
        raise EncryptionError("decrypted length does not match OriginalContent")
    return message


def encrypt(message: bytes, sealer: Sealer) -> bytes:
    """Wrap a SOAP message into a multipart/encrypted body."""
    return (
        BOUNDARY + b"\r\n"
        b"\tContent-Type: " + PROTOCOL.encode() + b"\r\n"
        b"\tOriginalContent: type=application/soap+xml;charset=UTF-8;Length="
        + str(len(message)).encode()
        + b"\r\n"
        + BOUNDARY
        + b"\r\n"
        + _OCTET_HEADER
        + sealer.seal(message)
        + BOUNDARY
        + b"--\r\n"
    )
