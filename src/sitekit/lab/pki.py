"""The lab's own certificate authority and the server certificate its hosts present.

Made by the fleet CA's code (sitekit.credentials.ca); one certificate carries every lab
host's address, and the lab's CA key stays in the lab directory (0600), a test fixture.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from sitekit.credentials import ca

_VALIDITY = datetime.timedelta(days=825)
_ORGANISATION = "sitekit lab"


@dataclass(frozen=True)
class PkiPaths:
    """Where the lab's PEM files live."""

    ca_cert: Path
    ca_key: Path
    server_cert: Path
    server_key: Path


def pki_paths(lab_dir: Path) -> PkiPaths:
    """Return the PEM file locations inside a lab directory."""
    pki = lab_dir / "pki"
    return PkiPaths(pki / "ca.pem", pki / "ca-key.pem", pki / "server.pem", pki / "server-key.pem")


def issue_pki(lab_dir: Path, addresses: Iterable[str], names: Iterable[str] = ()) -> PkiPaths:
    """Issue a server certificate for the addresses and names, creating the CA only once.

    Keeping the CA across lab restarts keeps controllers that trust it working.
    """
    paths = pki_paths(lab_dir)
    paths.ca_cert.parent.mkdir(parents=True, exist_ok=True)
    if paths.ca_cert.exists() and paths.ca_key.exists():
        ca_key = serialization.load_pem_private_key(paths.ca_key.read_bytes(), password=None)
        if not isinstance(ca_key, ec.EllipticCurvePrivateKey):
            raise ValueError(f"{paths.ca_key} is not the lab's EC key")
        ca_cert = x509.load_pem_x509_certificate(paths.ca_cert.read_bytes())
    else:
        ca_key = ec.generate_private_key(ec.SECP256R1())
        ca_cert = _ca_certificate(ca_key)
        _write_key(paths.ca_key, ca_key)
        paths.ca_cert.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    server_key = ec.generate_private_key(ec.SECP256R1())
    server_cert = _server_certificate(server_key, ca_key, ca_cert, addresses, names)
    _write_key(paths.server_key, server_key)
    paths.server_cert.write_bytes(server_cert.public_bytes(serialization.Encoding.PEM))
    return paths


def _write_key(path: Path, key: ec.EllipticCurvePrivateKey) -> None:
    """Write a private key readable by the owner only."""
    path.touch(mode=0o600)
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )


def _ca_certificate(key: ec.EllipticCurvePrivateKey) -> x509.Certificate:
    """Self-sign the lab CA certificate, as the fleet CA's is made."""
    now = datetime.datetime.now(datetime.UTC)
    return ca.ca_certificate(key, ca.name("sitekit lab CA", _ORGANISATION), now, _VALIDITY)


def _server_certificate(
    key: ec.EllipticCurvePrivateKey,
    ca_key: ec.EllipticCurvePrivateKey,
    ca_cert: x509.Certificate,
    addresses: Iterable[str],
    names: Iterable[str],
) -> x509.Certificate:
    """Issue the WinRM listener certificate as the fleet CA issues a host's."""
    return ca.host_certificate(key.public_key(), ca_key, ca_cert,
                               common_name="sitekit lab WinRM listener", addresses=addresses,
                               names=names, now=datetime.datetime.now(datetime.UTC),
                               validity=_VALIDITY)
