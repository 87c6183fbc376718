"""The certificate the lab's WinRM HTTPS listener really serves, as models read it back."""

from __future__ import annotations

from cryptography import x509
from cryptography.hazmat.primitives import hashes

from sitekit.lab.host import LabHost
from sitekit.lab.pki import pki_paths


def listener_certificate(host: LabHost) -> x509.Certificate | None:
    r"""The listener's certificate (Cert:\LocalMachine\My\<thumbprint> on Windows).

    None for a host not started from a lab directory (a model called directly).
    """
    if host.state_file is None:  # hosts/<host>/state.json in the lab directory
        return None
    try:
        return x509.load_pem_x509_certificate(
            pki_paths(host.state_file.parent.parent.parent).server_cert.read_bytes())
    except (OSError, ValueError):
        return None


def thumbprint(cert: x509.Certificate) -> str:
    """X509Certificate2.Thumbprint: the SHA-1 of the DER certificate, upper-case hex."""
    return cert.fingerprint(hashes.SHA1()).hex().upper()  # noqa: S303 - what Windows shows
