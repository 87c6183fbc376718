"""`sitekit bootstrap`: per host a script and a PKCS#12 from the fleet CA, no secret in clear."""

from __future__ import annotations

import base64
import contextlib
import io
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import pkcs7, pkcs12

from sitekit.cli import main
from sitekit.credentials import bootstrap, ca
from sitekit.credentials.passwords import SiteSecrets, secrets_file

ROOT = Path(__file__).resolve().parents[2]
HOSTS = ("lis01-srv01", "lis01-pos01")


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    base = tmp_path_factory.mktemp("bootstrap")
    fleet = base / "fleet"
    shutil.copytree(ROOT / "inventories" / "example", fleet)
    key = base / "vault-password"
    key.write_text("bundle test\n", encoding="utf-8")
    authority = ca.FleetCA.of_fleet(fleet, key)
    authority.init("Lotus Kitchen Group")
    out = base / "medium"
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        code = main(["bootstrap", str(fleet), "--site", "lis01", "--host", HOSTS[0],
                     "--host", HOSTS[1].upper(), "--out", str(out), "--vault-password-file",
                     str(key)])
    assert code == 0, stderr.getvalue()
    password = stdout.getvalue().rsplit(": ", 1)[1].strip()
    site = SiteSecrets.read(secrets_file(fleet, "LIS01"), key)
    return {"fleet": fleet, "key": key, "out": out, "password": password, "site": site,
            "authority": authority, "stdout": stdout.getvalue(), "stderr": stderr.getvalue()}


def _script(bundle: dict[str, Any], host: str) -> str:
    raw = (bundle["out"] / host / "bootstrap.ps1").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw  # Windows PowerShell 5.1 reads it
    return raw.decode("utf-8-sig").replace("\r\n", "\n")


def test_the_bundle_holds_each_host_and_a_readme(bundle: dict[str, Any]) -> None:
    out = bundle["out"]
    assert sorted(p.name for p in out.iterdir()) == ["README.txt", "fleet-ca.cer", *sorted(HOSTS)]
    readme = (out / "README.txt").read_text(encoding="utf-8")
    assert "Destroy after use" in readme and "Wipe the medium" in readme
    assert "The bundle password" in readme


def test_no_secret_is_on_the_medium_in_clear(bundle: dict[str, Any]) -> None:
    secrets = [bundle["password"], *(bundle["site"].hosts[h]["password"] for h in HOSTS)]
    for path in bundle["out"].rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert b"PRIVATE KEY" not in data, path
            for secret in secrets:
                assert secret.encode() not in data, path
                assert secret.encode("utf-16-le") not in data, path
    assert bundle["password"] not in bundle["stderr"]
    assert bundle["stdout"].count(bundle["password"]) == 1


@pytest.mark.parametrize("host", HOSTS)
def test_the_pkcs12_opens_with_the_bundle_password_and_chains_to_the_ca(
        bundle: dict[str, Any], host: str) -> None:
    blob = (bundle["out"] / host / f"{host}.pfx").read_bytes()
    with pytest.raises(ValueError):
        pkcs12.load_key_and_certificates(blob, b"not the password")
    key, cert, extra = pkcs12.load_key_and_certificates(blob, bundle["password"].encode())
    assert key is not None and cert is not None
    ca_cert = bundle["authority"].certificate()
    cert.verify_directly_issued_by(ca_cert)
    assert extra == [ca_cert]
    assert x509.load_der_x509_certificate(
        (bundle["out"] / "fleet-ca.cer").read_bytes()) == ca_cert
    sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert host in sans.get_values_for_type(x509.DNSName)
    assert f"{cert.serial_number:x}" in {r.serial for r in bundle["authority"].index()
                                        if r.host == host and r.status == "valid"}
    script = _script(bundle, host)
    assert f"$Thumbprint = '{cert.fingerprint(hashes.SHA1()).hex().upper()}'" in script  # noqa: S303
    # The management password, encrypted to this host's certificate: its key opens it.
    cms = re.search(r"-----BEGIN CMS-----\n(.*?)\n-----END CMS-----", script, re.S)
    assert cms is not None
    der = base64.b64decode(cms.group(1))
    opened = pkcs7.pkcs7_decrypt_der(der, cert, key, [])  # type: ignore[arg-type]
    assert opened.decode() == bundle["site"].hosts[host]["password"]


def test_the_script_sets_every_setting(bundle: dict[str, Any]) -> None:
    script = _script(bundle, "lis01-srv01")
    for setting in (
        "#Requires -RunAsAdministrator",
        "Import-PfxCertificate -FilePath (Join-Path $Here \"$HostName.pfx\")",
        "-CertStoreLocation Cert:\\LocalMachine\\My -Password $BundlePassword",
        "Read-Host -AsSecureString",
        "$ManagementUser = 'sitekit'",
        "Unprotect-CmsMessage -Content $Protected)",
        "Get-LocalGroup -SID 'S-1-5-32-544'",
        "-Name LocalAccountTokenFilterPolicy -Value 1",
        "Where-Object { $_.Keys -contains 'Transport=HTTP' } | Remove-Item -Recurse -Force",
        "-SelectorSet @{ Address = '*'; Transport = 'HTTPS' }",
        "$WinRMPort = 5986",
        "Set-Item -Path WSMan:\\localhost\\Service\\Auth\\Basic -Value $false",
        "Set-Item -Path WSMan:\\localhost\\Service\\AllowUnencrypted -Value $false",
        "Set-Item -Path WSMan:\\localhost\\Client\\Auth\\Basic -Value $false",
        "Set-Item -Path WSMan:\\localhost\\Client\\AllowUnencrypted -Value $false",
        "'WINRM-HTTP-In-TCP', 'WINRM-HTTP-In-TCP-PUBLIC'",
        "New-NetFirewallRule -DisplayName 'Windows Remote Management (HTTPS-In, sitekit)'",
        "-RemoteAddress $ManagementSources",
    ):
        assert setting in script, setting
    # The flow matrix's WinRM sources: the controller and monitoring of the example fleet.
    sources = re.search(r"\$ManagementSources = @\((.*)\)", script)
    assert sources is not None
    fleet = yaml.safe_load((ROOT / "inventories" / "example" / "sitekit.yml").read_text())
    named = fleet["fleet"]["network"]["sources"]
    assert sorted(s.strip("' ") for s in sources.group(1).split(",")) == sorted(
        [*named["controller"], *named["monitoring"]])


def test_the_firewall_rule_is_the_one_windows_base_keeps() -> None:
    role = yaml.safe_load((ROOT / "roles" / "windows_base" / "vars" / "main.yml").read_text())
    assert role["__windows_base_winrm_rule"] == bootstrap.WINRM_RULE


@pytest.mark.parametrize(("args", "message"), [
    (["--site", "LIS01", "--host", "lis01-nope"], "site LIS01 has no host lis01-nope"),
    (["--site", "XXX99"], "XXX99"),
])
def test_bad_requests_say_what_to_change(bundle: dict[str, Any], tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str], args: list[str],
                                         message: str) -> None:
    code = main(["bootstrap", str(bundle["fleet"]), *args, "--out", str(tmp_path / "b"),
                 "--vault-password-file", str(bundle["key"])])
    assert code == 1
    assert message in capsys.readouterr().err


def test_a_bundle_goes_to_an_empty_folder(bundle: dict[str, Any],
                                          capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["bootstrap", str(bundle["fleet"]), "--site", "LIS01", "--out",
                 str(bundle["out"]), "--vault-password-file", str(bundle["key"])])
    assert code == 1
    assert "is not empty: a bundle goes to an empty folder" in capsys.readouterr().err
