"""The bootstrap bundle: what brings a fresh Windows install within the kit's reach.

`sitekit bootstrap FLEET --site CODE [--host NAME] --out DIR` writes, per host:
  DIR/<host>/bootstrap.ps1   run once as administrator on the fresh install
  DIR/<host>/<host>.pfx      the WinRM listener's key and certificate from the fleet CA
  DIR/fleet-ca.cer           the fleet CA's certificate
  DIR/README.txt             what it does, and what to destroy afterwards
The PKCS#12 files open with a bundle password that is printed once and never written to
DIR. The host's management password travels encrypted to the host's own certificate (CMS,
as PowerShell's Protect-CmsMessage writes it): only the imported key opens it.
"""

from __future__ import annotations

import base64
import datetime
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.ciphers import algorithms
from cryptography.hazmat.primitives.serialization import pkcs7

from sitekit.credentials import ca
from sitekit.credentials.passwords import SiteSecrets, provision, secrets_file
from sitekit.credentials.vault import atomic_write
from sitekit.plan.fleet import FleetPlan
from sitekit.plan.flows import inbound
from sitekit.plan.site import PlannedHost, SitePlan

# The firewall rule windows_base keeps (roles/windows_base/vars/main.yml,
# __windows_base_winrm_rule; a unit test holds them equal): the bootstrap makes the rule the
# role then owns, open to the flow matrix's sources only.
WINRM_RULE = "Windows Remote Management (HTTPS-In, sitekit)"
WINRM_RULE_GROUP = "sitekit management"
# The built-in rules a fresh install has for WinRM over HTTP (Enable-PSRemoting's).
BUILTIN_HTTP_RULES = ("WINRM-HTTP-In-TCP", "WINRM-HTTP-In-TCP-PUBLIC", "WINRM-HTTP-Compat-In-TCP")
# Administrators, by its well-known SID (the name is localised).
ADMINISTRATORS_SID = "S-1-5-32-544"


@dataclass(frozen=True)
class Bundle:
    """What `sitekit bootstrap` wrote, and the password that opens its PKCS#12 files."""

    directory: Path
    hosts: tuple[str, ...]
    password: str


def _ps_quote(text: str) -> str:
    """A PowerShell single-quoted string literal."""
    return "'" + text.replace("'", "''") + "'"


def winrm_sources(site_plan: SitePlan, host: PlannedHost, port: int) -> list[str]:
    """Who may reach the host's WinRM: the flow matrix's sources for the port."""
    for entry in inbound(site_plan.flows, host.kind):
        if entry["port"] == port:
            return list(entry["sources"])
    return []


def envelope(secret: str, credential: ca.HostCredential) -> str:
    """The secret encrypted to the host's certificate, as Unprotect-CmsMessage reads it."""
    der = (pkcs7.PKCS7EnvelopeBuilder()
           .set_data(secret.encode("utf-8"))
           .add_recipient(credential.certificate)
           .set_content_encryption_algorithm(algorithms.AES256)
           .encrypt(serialization.Encoding.DER, []))
    body = base64.encodebytes(der).decode().strip()
    return f"-----BEGIN CMS-----\n{body}\n-----END CMS-----"


def script(*, host: PlannedHost, site_code: str, fleet_name: str, user: str, port: int,
           sources: list[str], thumbprint: str, cms: str) -> str:
    """The PowerShell a fresh install runs once, as administrator (Windows PowerShell 5.1)."""
    source_list = ", ".join(_ps_quote(s) for s in sources)
    builtin = ", ".join(_ps_quote(r) for r in BUILTIN_HTTP_RULES)
    return f"""#Requires -RunAsAdministrator
#Requires -Version 5.1
# sitekit bootstrap of {host.computer_name} ({host.name}), site {site_code}, fleet {fleet_name}.
# Run once, as administrator, on the fresh install; it asks for the bundle password that
# `sitekit bootstrap` printed. It holds no secret in clear: the management password below is
# encrypted to this host's own certificate, which the password-protected .pfx beside it holds.
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 3.0

$HostName = {_ps_quote(host.name)}
$ManagementUser = {_ps_quote(user)}
$WinRMPort = {port}
# The flow matrix's sources for WinRM (the controller and monitoring), no one else.
$ManagementSources = @({source_list})
$Thumbprint = {_ps_quote(thumbprint)}
$Here = Split-Path -Parent $MyInvocation.MyCommand.Path

# 1. The listener's certificate, from the fleet CA: its key not exportable once imported.
$BundlePassword = Read-Host -AsSecureString -Prompt "Bundle password for $HostName"
Import-Certificate -FilePath (Join-Path (Split-Path -Parent $Here) 'fleet-ca.cer') `
    -CertStoreLocation Cert:\\LocalMachine\\Root | Out-Null
$Certificate = Import-PfxCertificate -FilePath (Join-Path $Here "$HostName.pfx") `
    -CertStoreLocation Cert:\\LocalMachine\\My -Password $BundlePassword |
    Where-Object {{ $_.Thumbprint -eq $Thumbprint }}
if (-not $Certificate) {{ throw "$HostName.pfx does not hold the certificate $Thumbprint" }}

# 2. The management account, with this host's own password (never the fleet's).
$Protected = @'
{cms}
'@
# Without -To, .NET's EnvelopedCms finds the recipient's key in LocalMachine\\My, where the
# .pfx just went (-To would also demand the Document Encryption usage of the certificate).
$Password = ConvertTo-SecureString -AsPlainText -Force `
    -String (Unprotect-CmsMessage -Content $Protected)
$Account = Get-LocalUser -Name $ManagementUser -ErrorAction SilentlyContinue
if ($Account) {{
    Set-LocalUser -Name $ManagementUser -Password $Password -PasswordNeverExpires $true
}} else {{
    New-LocalUser -Name $ManagementUser -Password $Password -PasswordNeverExpires `
        -AccountNeverExpires -Description 'sitekit management (WinRM)' | Out-Null
}}
Remove-Variable Password, Protected
$Administrators = Get-LocalGroup -SID '{ADMINISTRATORS_SID}'
if (-not (Get-LocalGroupMember -Group $Administrators |
        Where-Object {{ $_.Name -like "*\\$ManagementUser" }})) {{
    Add-LocalGroupMember -Group $Administrators -Member $ManagementUser
}}
# A local administrator other than the built-in one gets a filtered token over the network
# unless this is set (Microsoft: "User Account Control and remote restrictions").
Set-ItemProperty -Path 'HKLM:\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Policies\\System' `
    -Name LocalAccountTokenFilterPolicy -Value 1 -Type DWord

# 3. WinRM over HTTPS only: the listener with this certificate, no HTTP listener, Basic
# and unencrypted traffic off (the service's and the client's).
Set-Service -Name WinRM -StartupType Automatic
Start-Service -Name WinRM
Get-ChildItem -Path WSMan:\\localhost\\Listener |
    Where-Object {{ $_.Keys -contains 'Transport=HTTP' }} | Remove-Item -Recurse -Force
Get-ChildItem -Path WSMan:\\localhost\\Listener |
    Where-Object {{ $_.Keys -contains 'Transport=HTTPS' }} | Remove-Item -Recurse -Force
New-WSManInstance -ResourceURI winrm/config/Listener `
    -SelectorSet @{{ Address = '*'; Transport = 'HTTPS' }} `
    -ValueSet @{{ Hostname = $HostName; CertificateThumbprint = $Thumbprint
                 Port = "$WinRMPort" }} | Out-Null
Set-Item -Path WSMan:\\localhost\\Service\\Auth\\Basic -Value $false
Set-Item -Path WSMan:\\localhost\\Service\\AllowUnencrypted -Value $false
Set-Item -Path WSMan:\\localhost\\Client\\Auth\\Basic -Value $false
Set-Item -Path WSMan:\\localhost\\Client\\AllowUnencrypted -Value $false

# 4. The firewall: WinRM over HTTPS from the management sources only; WinRM over HTTP shut.
Get-NetFirewallRule -Name @({builtin}) -ErrorAction SilentlyContinue |
    Disable-NetFirewallRule
Get-NetFirewallRule -DisplayName {_ps_quote(WINRM_RULE)} -ErrorAction SilentlyContinue |
    Remove-NetFirewallRule
New-NetFirewallRule -DisplayName {_ps_quote(WINRM_RULE)} -Group {_ps_quote(WINRM_RULE_GROUP)} `
    -Description 'WinRM over HTTPS, for the management connection (sitekit)' `
    -Direction Inbound -Action Allow -Protocol TCP -LocalPort $WinRMPort `
    -RemoteAddress $ManagementSources -Profile Any | Out-Null

$From = $ManagementSources -join ', '
Write-Output "$HostName is ready: WinRM HTTPS on port $WinRMPort from $From."
Write-Output "Certificate $Thumbprint. Destroy the bundle now (README.txt)."
"""


README = """sitekit bootstrap bundle: site {site}, fleet {fleet}, made {made}
=====================================================================

For each host below there is a folder with bootstrap.ps1 and <host>.pfx. On the host's fresh
install, as administrator, run:   powershell -ExecutionPolicy Bypass -File <host>\\bootstrap.ps1
and type the bundle password `sitekit bootstrap` printed. The script imports the listener's
certificate from the fleet CA, sets the management account `{user}` with the host's own
password, makes WinRM listen on HTTPS port {port} only (Basic and unencrypted off) and opens
the firewall to the management network's sources only.

Hosts: {hosts}

Destroy after use
- This whole folder, once every host above reports "is ready": the .pfx files hold the hosts'
  private keys (protected by the bundle password only), and bootstrap.ps1 holds the
  management password encrypted to them. Wipe the medium, do not just delete the files.
- The bundle password, wherever it was written down: it opens the .pfx files.
- Nothing else needs keeping: the certificates are in the fleet CA's index (`sitekit ca
  list`), the passwords in the site's vault file (secrets/{code}.yml). A lost bundle is
  replaced by running `sitekit bootstrap` again and revoking the old certificates
  (`sitekit ca revoke`).
"""


def write_bundle(out: Path, plan: FleetPlan, code: str, authority: ca.FleetCA,
                 inventory_dir: Path, *, hosts: list[str] | None = None,
                 now: datetime.datetime | None = None) -> Bundle:
    """Write a site's bootstrap bundle (or some hosts'); return it and its password."""
    fleet = plan.fleet
    if fleet is None:
        raise ValueError("a fleet plan without a fleet has problems to report")
    matches = [s for s in plan.sites if s.site.code.upper() == code.upper()]
    if not matches:
        raise ValueError(f"site {code} is not in the fleet; `sitekit plan FLEET` lists them")
    site_plan = matches[0]
    chosen = list(site_plan.hosts)
    if hosts:
        wanted = {h.lower() for h in hosts}
        unknown = wanted - {h.name for h in chosen}
        if unknown:
            raise ValueError(f"site {site_plan.site.code} has no host "
                             f"{', '.join(sorted(unknown))}; it has "
                             f"{', '.join(h.name for h in chosen)}")
        chosen = [h for h in chosen if h.name in wanted]
    if out.exists() and any(out.iterdir()):
        raise ValueError(f"{out} is not empty: a bundle goes to an empty folder (an old one "
                         "left there would be carried along)")
    port = int(fleet.winrm["port"])
    user = str(fleet.winrm["user"])
    password_file = authority.password_file
    provision(inventory_dir, plan, password_file)  # the host's own password, if still new
    site_secrets = SiteSecrets.read(secrets_file(inventory_dir, site_plan.site.code),
                                    password_file)
    bundle_password = secrets.token_urlsafe(18)
    ca_cert = authority.certificate()
    atomic_write(out / "fleet-ca.cer", ca_cert.public_bytes(serialization.Encoding.DER))
    for host in chosen:
        sources = winrm_sources(site_plan, host, port)
        if not sources:
            raise ValueError(f"{host.name}: the flow matrix lets no one reach WinRM (port "
                             f"{port}); add a flow for it to the fleet's network.flows")
        credential = authority.issue(host.name, [host.address],
                                     sorted({host.name, host.computer_name.lower()}), now)
        # Windows names a certificate by its SHA-1 thumbprint; an identifier, not a signature.
        thumbprint = credential.certificate.fingerprint(hashes.SHA1()).hex().upper()  # noqa: S303
        folder = out / host.name
        atomic_write(folder / f"{host.name}.pfx",
                     ca.pkcs12(credential, ca_cert, bundle_password.encode(), host.name))
        cms = envelope(site_secrets.hosts[host.name]["password"], credential)
        text = script(host=host, site_code=site_plan.site.code, fleet_name=fleet.name,
                      user=user, port=port, sources=sources, thumbprint=thumbprint, cms=cms)
        atomic_write(folder / "bootstrap.ps1", text.replace("\n", "\r\n").encode("utf-8-sig"))
    made = (now or datetime.datetime.now(datetime.UTC)).strftime("%Y-%m-%d %H:%M UTC")
    atomic_write(out / "README.txt", README.format(
        site=site_plan.site.code, fleet=fleet.name, made=made, user=user, port=port,
        hosts=", ".join(h.name for h in chosen), code=site_plan.site.code.lower(),
    ).replace("\n", "\r\n").encode())
    return Bundle(out, tuple(h.name for h in chosen), bundle_password)
