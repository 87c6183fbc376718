"""The fleet's certificate authority: the WinRM listeners' certificates, issued and revoked.

<fleet>/pki/ca.pem          the CA certificate, which the fleet's controllers trust
<fleet>/pki/ca-key.vault    its private key, PEM inside ansible-vault: never on disk in clear
<fleet>/pki/index.json      every certificate issued: serial, host, names, dates, revocation
<fleet>/pki/crl.pem         the revocation list, signed by the CA
<fleet>/pki/issued/<serial>.pem   each issued certificate (public)

How a CA and a host certificate are made lives here once; the lab's own CA uses it too.
"""

from __future__ import annotations

import datetime
import ipaddress
import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.types import (
    CertificateIssuerPrivateKeyTypes,
    CertificatePublicKeyTypes,
)
from cryptography.hazmat.primitives.serialization import pkcs12 as pkcs12_format
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from sitekit.credentials.vault import atomic_write, decrypt_bytes, encrypt_bytes

CA_VALIDITY = datetime.timedelta(days=3650)
# At most 397 days, as browsers require of public server certificates: a host's certificate
# is renewed every year, and a stolen one is useful for a year at most.
HOST_VALIDITY = datetime.timedelta(days=397)
# A controller's clock a little behind the CA's still accepts a certificate just issued.
BACKDATE = datetime.timedelta(minutes=5)
# How long a CRL is current; `sitekit ca revoke` and `renew` publish a new one at once.
CRL_VALIDITY = datetime.timedelta(days=30)
# The reasons RFC 5280 5.3.1 names that an engineer gives (`sitekit ca revoke --reason`).
REASONS = {"unspecified": x509.ReasonFlags.unspecified,
           "key_compromise": x509.ReasonFlags.key_compromise,
           "superseded": x509.ReasonFlags.superseded,
           "cessation_of_operation": x509.ReasonFlags.cessation_of_operation}
# RSA, not EC, for the hosts: Windows' WinRM listener needs a key it can use through the
# legacy CryptoAPI, which an imported PKCS#12 RSA key is and a CNG EC key is not
# (Microsoft: "Configure WinRM for HTTPS", the certificate requirements).
HOST_KEY_BITS = 3072


class CAError(ValueError):
    """A CA command that cannot be done; the message says what to change."""


def name(common_name: str, organisation: str) -> x509.Name:
    """A subject name: the organisation and a common name."""
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
                      x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def ca_certificate(key: CertificateIssuerPrivateKeyTypes, subject: x509.Name,
                   now: datetime.datetime, validity: datetime.timedelta = CA_VALIDITY,
                   ) -> x509.Certificate:
    """Self-sign a CA certificate that signs host certificates and CRLs, nothing else."""
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - BACKDATE)
        .not_valid_after(now + validity)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(digital_signature=True, content_commitment=False,
                          key_encipherment=False, data_encipherment=False, key_agreement=False,
                          key_cert_sign=True, crl_sign=True, encipher_only=False,
                          decipher_only=False),
            critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                       critical=False)
        .sign(key, hashes.SHA256())
    )


def host_certificate(public_key: CertificatePublicKeyTypes,
                     ca_key: CertificateIssuerPrivateKeyTypes, ca_cert: x509.Certificate, *,
                     common_name: str,
                     addresses: Iterable[str], names: Iterable[str], now: datetime.datetime,
                     validity: datetime.timedelta = HOST_VALIDITY,
                     ) -> x509.Certificate:
    """A WinRM listener's certificate: server authentication, its addresses and names as SANs.

    Windows wants the listener's certificate to carry Server Authentication and a CN that is
    the host's name (Microsoft: "How to configure WINRM for HTTPS"); clients check the SANs.
    """
    sans: list[x509.GeneralName] = [x509.DNSName(n) for n in names]
    sans += [x509.IPAddress(ipaddress.ip_address(a)) for a in addresses]
    if not sans:
        raise CAError("a host certificate needs at least one address or name")
    ca_ski = ca_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    organisation = ca_cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)
    return (
        x509.CertificateBuilder()
        .subject_name(name(common_name, str(organisation[0].value) if organisation else ""))
        .issuer_name(ca_cert.subject)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - BACKDATE)
        .not_valid_after(now + validity)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(digital_signature=True, content_commitment=False,
                          key_encipherment=True, data_encipherment=False, key_agreement=False,
                          key_cert_sign=False, crl_sign=False, encipher_only=False,
                          decipher_only=False),
            critical=True)
        .add_extension(x509.SubjectAlternativeName(sans), critical=False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski),
                       critical=False)
        .sign(ca_key, hashes.SHA256())
    )


@dataclass
class Issued:
    """One line of the CA's index: a certificate issued, and its revocation if any."""

    serial: str  # hexadecimal, as Windows' certificate dialogs and openssl show it
    host: str
    names: list[str]
    addresses: list[str]
    not_before: str
    not_after: str
    revoked_at: str | None = None
    reason: str | None = None

    @property
    def status(self) -> str:
        """valid, expired or revoked, at the time of asking."""
        if self.revoked_at is not None:
            return "revoked"
        expiry = datetime.datetime.fromisoformat(self.not_after)
        return "expired" if expiry <= datetime.datetime.now(datetime.UTC) else "valid"


@dataclass(frozen=True)
class HostCredential:
    """A host's certificate and its private key (which only the bootstrap bundle carries)."""

    certificate: x509.Certificate
    key: rsa.RSAPrivateKey


class FleetCA:
    """The CA in a fleet's pki/ directory, its key opened with the vault password."""

    def __init__(self, directory: Path, password_file: Path | None) -> None:
        """Point at a CA directory; nothing is read until needed (no password: list only)."""
        self.directory = directory
        self._password_file = password_file

    @property
    def password_file(self) -> Path:
        """The vault password that opens the CA key."""
        if self._password_file is None:
            raise CAError("this needs the CA key: give the vault password file")
        return self._password_file

    @classmethod
    def of_fleet(cls, fleet_dir: Path, password_file: Path | None) -> FleetCA:
        """The CA of a fleet directory (or of the fleet file's directory)."""
        base = fleet_dir.parent if fleet_dir.is_file() else fleet_dir
        return cls(base / "pki", password_file)

    @property
    def cert_file(self) -> Path:
        """The CA certificate, PEM."""
        return self.directory / "ca.pem"

    @property
    def key_file(self) -> Path:
        """The CA key: PEM inside ansible-vault."""
        return self.directory / "ca-key.vault"

    @property
    def index_file(self) -> Path:
        """Every certificate issued."""
        return self.directory / "index.json"

    @property
    def crl_file(self) -> Path:
        """The current revocation list, PEM."""
        return self.directory / "crl.pem"

    def exists(self) -> bool:
        """Tell whether `sitekit ca init` ran here."""
        return self.cert_file.is_file() and self.key_file.is_file()

    def init(self, organisation: str, now: datetime.datetime | None = None) -> x509.Certificate:
        """Make the CA: a new key (vaulted), its certificate, an empty index and CRL."""
        if self.cert_file.exists() or self.key_file.exists():
            raise CAError(f"{self.directory}: a CA is already there; a second one would strand "
                          "every host certificate it issued (renew host certificates instead)")
        now = now or datetime.datetime.now(datetime.UTC)
        key = ec.generate_private_key(ec.SECP384R1())
        cert = ca_certificate(key, name(f"{organisation} sitekit fleet CA", organisation), now)
        pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
        # The key goes to disk only inside the vault: encrypted in memory, then written.
        atomic_write(self.key_file, encrypt_bytes(pem, self.password_file))
        atomic_write(self.cert_file, cert.public_bytes(serialization.Encoding.PEM))
        self._write_index([])
        self._publish_crl(key, cert, [], now)
        return cert

    def certificate(self) -> x509.Certificate:
        """The CA certificate."""
        self._require()
        return x509.load_pem_x509_certificate(self.cert_file.read_bytes())

    def _key(self) -> CertificateIssuerPrivateKeyTypes:
        self._require()
        try:
            pem = decrypt_bytes(self.key_file.read_bytes(), self.password_file)
        except Exception as error:  # ansible's AnsibleError: a wrong password, a broken file
            raise CAError(f"{self.key_file}: cannot open the CA key with the vault password "
                          f"in {self.password_file} ({error})") from None
        key = serialization.load_pem_private_key(pem, password=None)
        if not isinstance(key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey):
            raise CAError(f"{self.key_file}: not a CA key sitekit made")
        return key

    def _require(self) -> None:
        if not self.exists():
            raise CAError(f"{self.directory}: no fleet CA yet; run `sitekit ca init FLEET`")

    def index(self) -> list[Issued]:
        """Every certificate issued, oldest first."""
        self._require()
        return [Issued(**row) for row in json.loads(self.index_file.read_text(encoding="utf-8"))]

    def _write_index(self, rows: list[Issued]) -> None:
        text = json.dumps([asdict(row) for row in rows], indent=1) + "\n"
        atomic_write(self.index_file, text.encode())

    def issue(self, host: str, addresses: Iterable[str], names: Iterable[str],
              now: datetime.datetime | None = None) -> HostCredential:
        """A new key and certificate for a host; recorded in the index, the key returned only."""
        now = now or datetime.datetime.now(datetime.UTC)
        ca_key = self._key()
        ca_cert = self.certificate()
        key = rsa.generate_private_key(public_exponent=65537, key_size=HOST_KEY_BITS)
        addresses, names = list(addresses), list(names)
        cert = host_certificate(key.public_key(), ca_key, ca_cert, common_name=host,
                                addresses=addresses, names=names, now=now)
        rows = self.index()
        rows.append(Issued(serial=f"{cert.serial_number:x}", host=host, names=names,
                           addresses=addresses,
                           not_before=cert.not_valid_before_utc.isoformat(),
                           not_after=cert.not_valid_after_utc.isoformat()))
        atomic_write(self.directory / "issued" / f"{cert.serial_number:x}.pem",
                     cert.public_bytes(serialization.Encoding.PEM))
        self._write_index(rows)
        return HostCredential(cert, key)

    def revoke(self, serial: str, reason: str = "unspecified",
               now: datetime.datetime | None = None) -> Issued:
        """Revoke a certificate by its serial and publish a new CRL."""
        if reason not in REASONS:
            raise CAError(f"reason {reason!r} is not one of: {', '.join(REASONS)}")
        now = now or datetime.datetime.now(datetime.UTC)
        rows = self.index()
        wanted = serial.lower().removeprefix("0x").lstrip("0")
        found = [row for row in rows if row.serial.lstrip("0") == wanted]
        if not found:
            raise CAError(f"{self.index_file}: no certificate with serial {serial}; "
                          "`sitekit ca list` shows them")
        row = found[0]
        if row.revoked_at is not None:
            raise CAError(f"certificate {row.serial} ({row.host}) was revoked at {row.revoked_at}")
        row.revoked_at, row.reason = now.isoformat(), reason
        self._write_index(rows)
        self._publish_crl(self._key(), self.certificate(), rows, now)
        return row

    def renew(self, host: str, now: datetime.datetime | None = None) -> HostCredential:
        """Issue a host's certificate anew (same names) and revoke the ones it replaces."""
        now = now or datetime.datetime.now(datetime.UTC)
        current = [row for row in self.index() if row.host == host and row.status == "valid"]
        if not current:
            raise CAError(f"{host}: no valid certificate to renew; issue one (`sitekit bootstrap`)")
        newest = current[-1]
        credential = self.issue(host, newest.addresses, newest.names, now)
        for row in current:
            self.revoke(row.serial, "superseded", now)
        return credential

    def crl(self) -> x509.CertificateRevocationList:
        """The published revocation list."""
        return x509.load_pem_x509_crl(self.crl_file.read_bytes())

    def _publish_crl(self, key: CertificateIssuerPrivateKeyTypes, cert: x509.Certificate,
                     rows: list[Issued], now: datetime.datetime) -> None:
        builder = (x509.CertificateRevocationListBuilder()
                   .issuer_name(cert.subject)
                   .last_update(now - BACKDATE)
                   .next_update(now + CRL_VALIDITY))
        for row in rows:
            if row.revoked_at is None:
                continue
            builder = builder.add_revoked_certificate(
                x509.RevokedCertificateBuilder()
                .serial_number(int(row.serial, 16))
                .revocation_date(datetime.datetime.fromisoformat(row.revoked_at))
                .add_extension(x509.CRLReason(REASONS[row.reason or "unspecified"]),
                               critical=False)
                .build())
        crl = builder.sign(key, hashes.SHA256())
        atomic_write(self.crl_file, crl.public_bytes(serialization.Encoding.PEM))


def pkcs12(credential: HostCredential, ca_cert: x509.Certificate, password: bytes,
           friendly_name: str) -> bytes:
    """The host's key, certificate and CA as PKCS#12, as Import-PfxCertificate reads it.

    AES-256 and SHA-256 (PBES2), which Windows Server 2019 and later import; the old
    3DES/RC2 default is refused by FIPS-minded policies.
    """
    encryption = (serialization.PrivateFormat.PKCS12.encryption_builder()
                  .kdf_rounds(50000)
                  .key_cert_algorithm(pkcs12_format.PBES.PBESv2SHA256AndAES256CBC)
                  .hmac_hash(hashes.SHA256())
                  .build(password))
    return pkcs12_format.serialize_key_and_certificates(
        friendly_name.encode(), credential.key, credential.certificate, [ca_cert], encryption)


def describe(row: Issued) -> dict[str, Any]:
    """An index row as `sitekit ca list --format json` prints it."""
    return {**asdict(row), "status": row.status}
