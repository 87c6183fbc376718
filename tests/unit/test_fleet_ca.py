"""The fleet CA: its key only ever vaulted, host certificates, the index, revocation, CRL."""

from __future__ import annotations

import datetime
import ipaddress
import shutil
import subprocess
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from sitekit.cli import main
from sitekit.credentials import ca
from sitekit.credentials.vault import decrypt_bytes

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def authority(tmp_path_factory: pytest.TempPathFactory) -> ca.FleetCA:
    base = tmp_path_factory.mktemp("fleetca")
    password = base / "vault-password"
    password.write_text("correct horse\n", encoding="utf-8")
    fleet_ca = ca.FleetCA(base / "pki", password)
    fleet_ca.init("Lotus Kitchen Group")
    return fleet_ca


def test_the_ca_key_is_on_disk_only_inside_the_vault(authority: ca.FleetCA) -> None:
    for path in authority.directory.rglob("*"):
        if path.is_file():
            assert b"PRIVATE KEY" not in path.read_bytes(), path
    assert authority.key_file.read_bytes().startswith(b"$ANSIBLE_VAULT;1.1;AES256")
    assert oct(authority.key_file.stat().st_mode & 0o777) == "0o600"
    pem = decrypt_bytes(authority.key_file.read_bytes(), authority.password_file)
    key = serialization.load_pem_private_key(pem, password=None)
    assert key.public_key() == authority.certificate().public_key()


def test_a_wrong_vault_password_is_refused_by_name(authority: ca.FleetCA,
                                                    tmp_path: Path) -> None:
    wrong = tmp_path / "wrong"
    wrong.write_text("nope\n", encoding="utf-8")
    with pytest.raises(ca.CAError, match=r"ca-key.vault: cannot open the CA key with the "
                       r"vault password in .*wrong"):
        ca.FleetCA(authority.directory, wrong).issue("x", ["10.0.0.1"], [])


def test_a_second_init_is_refused(authority: ca.FleetCA) -> None:
    with pytest.raises(ca.CAError, match="a CA is already there"):
        authority.init("Other")


def test_a_host_certificate_names_the_host_and_chains_to_the_ca(authority: ca.FleetCA) -> None:
    credential = authority.issue("lis01-srv01", ["10.41.7.4"], ["lis01-srv01"])
    cert, ca_cert = credential.certificate, authority.certificate()
    cert.verify_directly_issued_by(ca_cert)
    sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert sans.get_values_for_type(x509.DNSName) == ["lis01-srv01"]
    assert sans.get_values_for_type(x509.IPAddress) == [ipaddress.ip_address("10.41.7.4")]
    assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "lis01-srv01"
    usage = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(usage) == [ExtendedKeyUsageOID.SERVER_AUTH]
    assert not cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    lifetime = cert.not_valid_after_utc - cert.not_valid_before_utc
    assert lifetime <= ca.HOST_VALIDITY + ca.BACKDATE
    row = authority.index()[-1]
    assert (row.serial, row.host, row.status) == (f"{cert.serial_number:x}", "lis01-srv01",
                                                  "valid")
    assert (authority.directory / "issued" / f"{row.serial}.pem").read_bytes() == \
        cert.public_bytes(serialization.Encoding.PEM)


def test_revoke_publishes_a_signed_crl_and_renew_supersedes(authority: ca.FleetCA) -> None:
    first = authority.issue("lis01-pos01", ["10.41.7.20"], ["lis01-pos01"])
    renewed = authority.renew("lis01-pos01")
    assert renewed.certificate.serial_number != first.certificate.serial_number
    crl = authority.crl()
    assert crl.is_signature_valid(authority.certificate().public_key())
    revoked = crl.get_revoked_certificate_by_serial_number(first.certificate.serial_number)
    assert revoked is not None
    assert revoked.extensions.get_extension_for_class(x509.CRLReason).value.reason == \
        x509.ReasonFlags.superseded
    assert crl.get_revoked_certificate_by_serial_number(
        renewed.certificate.serial_number) is None
    statuses = {row.serial: row.status for row in authority.index() if row.host == "lis01-pos01"}
    assert statuses == {f"{first.certificate.serial_number:x}": "revoked",
                        f"{renewed.certificate.serial_number:x}": "valid"}
    with pytest.raises(ca.CAError, match="was revoked at"):
        authority.revoke(f"{first.certificate.serial_number:x}")
    with pytest.raises(ca.CAError, match="no certificate with serial abc"):
        authority.revoke("abc")
    with pytest.raises(ca.CAError, match="reason 'because' is not one of"):
        authority.revoke(f"{renewed.certificate.serial_number:x}", "because")


def test_the_pkcs12_opens_with_its_password_only(authority: ca.FleetCA) -> None:
    credential = authority.issue("lis01-kit01", ["10.41.7.50"], ["lis01-kit01"])
    blob = ca.pkcs12(credential, authority.certificate(), b"s3cret-pfx", "lis01-kit01")
    key, cert, extra = pkcs12.load_key_and_certificates(blob, b"s3cret-pfx")
    assert cert == credential.certificate
    assert key is not None and key.public_key() == credential.key.public_key()
    assert extra == [authority.certificate()]
    with pytest.raises(ValueError):
        pkcs12.load_key_and_certificates(blob, b"wrong")


def test_the_status_of_an_expired_certificate(authority: ca.FleetCA) -> None:
    past = datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=400)
    authority.issue("lis01-off01", ["10.41.7.70"], [], now=past)
    assert authority.index()[-1].status == "expired"


def test_the_command_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                          capsys: pytest.CaptureFixture[str]) -> None:
    password = tmp_path / "vp"
    password.write_text("pw\n", encoding="utf-8")
    fleet = tmp_path / "fleet"
    shutil.copytree(ROOT / "inventories" / "example", fleet)
    monkeypatch.setenv("ANSIBLE_VAULT_PASSWORD_FILE", str(password))

    def sitekit(*args: str) -> subprocess.CompletedProcess[str]:
        code = main(["ca", *args])
        out, err = capsys.readouterr()
        return subprocess.CompletedProcess(args, code, out, err)

    assert sitekit("init", str(fleet)).returncode == 0
    issued = sitekit("issue", str(fleet), "LIS01-SRV01")
    assert issued.returncode == 0, issued.stderr
    cert = x509.load_pem_x509_certificate(issued.stdout.encode())
    assert "PRIVATE KEY" not in issued.stdout + issued.stderr
    unknown = sitekit("issue", str(fleet), "lis01-nope")
    assert unknown.returncode == 1
    assert "lis01-nope is not a planned host of the fleet" in unknown.stderr
    listed = sitekit("list", str(fleet))
    assert f"{cert.serial_number:x}" in listed.stdout and "lis01-srv01" in listed.stdout
    assert sitekit("revoke", str(fleet), f"{cert.serial_number:x}",
                   "--reason", "key_compromise").returncode == 0
    assert " revoked " in sitekit("list", str(fleet)).stdout
    monkeypatch.delenv("ANSIBLE_VAULT_PASSWORD_FILE")
    refused = sitekit("renew", str(fleet), "lis01-srv01")
    assert refused.returncode == 1 and "no vault password" in refused.stderr
