"""NTLM acceptor for the lab's listeners, backed by pyspnego.

pyspnego's NTLM acceptor reads the accepted accounts from the file named by the
NTLM_USER_FILE environment variable (`DOMAIN:USER:PASSWORD` or smbpasswd lines) when it is
created and when it checks a client's answer; it takes no credentials in-process.
Each host has its own file, so those two steps run under one process-wide lock with
the variable pointed at the host's file: hosts may share user names, not passwords.
"""

from __future__ import annotations

import hashlib
import os
import struct
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import cast

import spnego
import spnego.exceptions
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from spnego._ntlm_raw.crypto import ntowfv1  # MD4 of UTF-16LE; hashlib lacks MD4 on OpenSSL 3
from spnego.channel_bindings import GssChannelBindings

from sitekit.lab.host import LabHost

_ENV = "NTLM_USER_FILE"
_ENV_LOCK = threading.Lock()
_EMPTY_LM = "AAD3B435B51404EEAAD3B435B51404EE"


class AuthError(Exception):
    """An NTLM exchange failed; the client gets 401."""


def netbios_name(hostname: str) -> str:
    """Return the NetBIOS form of a host name: first label, upper case, 15 characters."""
    return hostname.split(".", 1)[0].upper()[:15]


def write_credential_file(host: LabHost, path: Path) -> Path:
    """Write the host's local account for the acceptor, in smbpasswd form.

    smbpasswd lines carry the hashes, so no authentication re-derives them (pyspnego's
    pure-Python DES for the LM hash costs ~1 ms a time). The LM hash is the empty
    one, as Windows stores since LM hashes were disabled.
    """
    nt_hash = ntowfv1(host.password).hex().upper()
    # A local account answers to no domain, '.' and the machine's own name.
    user = host.username
    names = (user, f".\\{user}", f"{netbios_name(host.hostname)}\\{user}")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600)
    path.write_text("".join(f"{n}:1000:{_EMPTY_LM}:{nt_hash}:[U          ]:LCT-00000000\n"
                            for n in names))
    return path


@contextmanager
def _credentials(path: Path) -> Iterator[None]:
    """Point NTLM_USER_FILE at one host's file while pyspnego reads it."""
    with _ENV_LOCK:
        previous = os.environ.get(_ENV)
        os.environ[_ENV] = str(path)
        try:
            yield
        finally:
            if previous is None:
                del os.environ[_ENV]
            else:
                os.environ[_ENV] = previous


def channel_bindings(cert_pem: bytes) -> GssChannelBindings:
    """Build the tls-server-end-point bindings NTLMv2 clients send over HTTPS (RFC 5929)."""
    cert = x509.load_pem_x509_certificate(cert_pem)
    der = cert.public_bytes(serialization.Encoding.DER)
    algorithm = cert.signature_hash_algorithm
    name = "sha256" if algorithm is None or algorithm.name in ("md5", "sha1") else algorithm.name
    digest = hashlib.new(name, der).digest()
    return GssChannelBindings(application_data=b"tls-server-end-point:" + digest)


class NtlmAcceptor:
    """One connection's NTLM context: the handshake, then message sealing."""

    def __init__(self, credential_file: Path, bindings: GssChannelBindings | None) -> None:
        """Create a fresh acceptor context for one host's accounts."""
        self._credential_file = credential_file
        with _credentials(credential_file):
            self._ctx = spnego.server(protocol="ntlm", channel_bindings=bindings)

    @property
    def complete(self) -> bool:
        """Tell whether the handshake has finished."""
        return bool(self._ctx.complete)

    @property
    def user(self) -> str:
        r"""Return the authenticated user as DOMAIN\user or user."""
        return self._ctx.client_principal or ""

    def step(self, token: bytes) -> bytes | None:
        """Process a client token and return the challenge, if any."""
        try:
            with _credentials(self._credential_file):
                return self._ctx.step(token)
        except (spnego.exceptions.SpnegoError, ValueError, struct.error) as exc:
            raise AuthError(str(exc)) from exc

    def seal(self, data: bytes) -> bytes:
        """Encrypt a message as pywinrm frames it: signature length, signature, sealed data."""
        wrapped = self._ctx.wrap_winrm(data)
        return struct.pack("<i", len(wrapped.header)) + wrapped.header + wrapped.data

    def unseal(self, blob: bytes | memoryview) -> bytes:
        """Decrypt and verify a message framed like `seal` output.

        Takes a memoryview so a large message is not copied on its way to the cipher.
        """
        try:
            (sig_len,) = struct.unpack_from("<i", blob)
            signature = bytes(blob[4 : 4 + sig_len])
            # pyspnego's hint says bytes; it takes any buffer, and a copy is what we avoid.
            return self._ctx.unwrap_winrm(signature, cast("bytes", blob[4 + sig_len :]))
        except struct.error as exc:
            raise AuthError("message too short for its signature") from exc
        except spnego.exceptions.SpnegoError as exc:
            raise AuthError(f"message failed verification: {exc}") from exc
