"""WinRM HTTP message encryption ([MS-WSMV] 2.2.9.1.1), framed exactly as pywinrm does."""

from __future__ import annotations

from typing import Protocol

BOUNDARY = b"--Encrypted Boundary"
PROTOCOL = "application/HTTP-SPNEGO-session-encrypted"
CONTENT_TYPE = f'multipart/encrypted;protocol="{PROTOCOL}";boundary="Encrypted Boundary"'
_OCTET_HEADER = b"\tContent-Type: application/octet-stream\r\n"


class Sealer(Protocol):
    """What an authenticated security context offers for message protection."""

    def seal(self, data: bytes) -> bytes:
        """Encrypt and sign."""
        ...

    def unseal(self, blob: bytes) -> bytes:
        """Verify and decrypt."""
        ...


class EncryptionError(Exception):
    """A request body is not a well-formed encrypted WinRM message."""


def is_encrypted(content_type: str) -> bool:
    """Tell whether a request carries an SPNEGO session-encrypted body."""
    return content_type.startswith("multipart/encrypted") and PROTOCOL in content_type


def decrypt(body: bytes, sealer: Sealer) -> bytes:
    """Return the SOAP message inside a multipart/encrypted body."""
    parts = [p for p in body.split(BOUNDARY + b"\r\n") if p]
    if len(parts) != 2:
        raise EncryptionError(f"expected one encrypted part, got {len(parts) // 2}")
    header, payload = parts
    try:
        length = int(header.split(b"Length=")[1].strip())
    except (IndexError, ValueError) as exc:
        raise EncryptionError("missing OriginalContent length") from exc
    payload = payload.removesuffix(BOUNDARY + b"--\r\n")
    if not payload.startswith(_OCTET_HEADER):
        raise EncryptionError("missing application/octet-stream part")
    message = sealer.unseal(payload[len(_OCTET_HEADER) :])
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
