"""A lab directory: what `sitekit lab up` writes, and where everything in it lives.

<lab>/lab.json                      hosts, port and credentials for the lab process (0600)
<lab>/vault-password                the vault password (0600): ANSIBLE_VAULT_PASSWORD_FILE
<lab>/inventory/sitekit.yml         the real fleet through the sitekit plugin, on loopback
<lab>/inventory/secrets/<code>.yml each host's own ansible_password, each user's first
                                    password (vault; sitekit.credentials.passwords)
<lab>/inventory/group_vars/all/vault.yml   sitekit_autologon_password (vault)
<lab>/pki/ca.pem                    the lab CA, which the inventory trusts
<lab>/hosts/<host>/state.json       each virtual host's persisted state
<lab>/lab.pid, lab.log              the running process and its log
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from sitekit.credentials.passwords import SiteSecrets, provision, secrets_file
from sitekit.credentials.vault import write_secret_file, write_vault_vars
from sitekit.inventory import VANTAGE_KIND, loopback_address, vantage_host
from sitekit.lab.clock import lab_clock
from sitekit.lab.host import LabHost, dump_state
from sitekit.lab.pki import pki_paths
from sitekit.lab.server import CONFIG_FILE, DEFAULT_PORT, write_config
from sitekit.lab.shares import share_listing
from sitekit.lab.state import seed_state
from sitekit.plan.fleet import FleetPlan
from sitekit.plan.flows import inbound
from sitekit.site import strict_yaml


@dataclass(frozen=True)
class LabLayout:
    """The paths of one lab directory."""

    root: Path

    @property
    def config(self) -> Path:
        """The lab process's configuration: hosts, port, credentials."""
        return self.root / CONFIG_FILE

    @property
    def inventory(self) -> Path:
        """The directory to pass to `ansible -i`."""
        return self.root / "inventory"

    @property
    def inventory_file(self) -> Path:
        """The sitekit plugin's configuration file."""
        return self.inventory / "sitekit.yml"

    @property
    def vault_file(self) -> Path:
        """The fleet-wide secrets (the automatic logon's password), encrypted."""
        return self.inventory / "group_vars" / "all" / "vault.yml"

    @property
    def vault_password_file(self) -> Path:
        """The vault password, for ANSIBLE_VAULT_PASSWORD_FILE."""
        return self.root / "vault-password"

    @property
    def ca_file(self) -> Path:
        """The lab CA certificate clients trust."""
        return pki_paths(self.root).ca_cert

    def host_dir(self, name: str) -> Path:
        """A host's directory (state, faults, NTLM account file)."""
        return self.root / "hosts" / name

    def state_file(self, name: str) -> Path:
        """A host's persisted state."""
        return self.host_dir(name) / "state.json"

    def exists(self) -> bool:
        """Tell whether a lab was ever set up here."""
        return self.config.is_file()


def plan_hosts(plan: FleetPlan, username: str,
               passwords: dict[str, str]) -> list[tuple[LabHost, str, str]]:
    """One virtual host per planned host, at its loopback address: kind, planned address.

    And each site's guest vantage point, a guest's device on its guest Wi-Fi. Each host's
    management account has its own password (`passwords`, by host name).
    """
    planned = []
    for site in plan.sites:
        planned += [(LabHost(host.name, loopback_address(host.address), username,
                             passwords[host.name]), host.kind, host.address)
                    for host in site.hosts]
        vantage = vantage_host(site)
        if vantage is not None:
            name, values = vantage
            address = values["ansible_host"]
            planned.append((LabHost(name, loopback_address(address), username,
                                    passwords[name]), VANTAGE_KIND, address))
    return planned


def site_networks(plan: FleetPlan) -> dict[str, dict[str, object]]:
    """Per host: its segment's subnet and what the plan's flow matrix routes into it.

    The lab's site network reads these (sitekit.lab.network): traffic between segments
    passes the site's router, which allows only the flows of the matrix.
    """
    networks: dict[str, dict[str, object]] = {}
    for site in plan.sites:
        for host in site.hosts:
            networks[host.name] = {"segment": host.segment,
                                   "subnet": site.network.segments[host.segment].subnet,
                                   "inbound": inbound(site.flows, host.kind)}
        vantage = vantage_host(site)
        if vantage is not None:  # the matrix lets nothing into a guest's device
            networks[vantage[0]] = {"segment": "guest",
                                    "subnet": site.network.segments["guest"].subnet,
                                    "inbound": []}
    return networks


def read_releases(fleet_dir: Path) -> list[dict[str, Any]]:
    """The fleet's release files (releases/*.yml), as written; `sitekit rollout` checks them.

    The lab puts their installers on its share. A file that does not read as a release is
    an error here too: a lab without the release's installers would fail later, unclearly.
    """
    directory = fleet_dir.parent if fleet_dir.is_file() else fleet_dir
    found = []
    for path in sorted((directory / "releases").glob("*.yml")):
        try:
            data = strict_yaml.plain(strict_yaml.load(path.read_text(encoding="utf-8")))
        except yaml.YAMLError as error:
            raise ValueError(f"{path}: {error}; check it with `sitekit rollout plan`") from None
        if not isinstance(data, dict) or not isinstance(data.get("release"), dict):
            raise ValueError(f"{path}: not a release file (no `release:` mapping); check it "
                             "with `sitekit rollout plan`")
        found.append(data["release"])
    return found


def prepare(layout: LabLayout, fleet_dir: Path, plan: FleetPlan, sites: list[str],
            port: int = DEFAULT_PORT, *, metrics_port: int | None = None) -> list[LabHost]:
    """Write everything the lab process and Ansible need; keep existing credentials and state."""
    if plan.fleet is None:
        raise ValueError(f"{fleet_dir}: no fleet to plan")
    layout.root.mkdir(parents=True, exist_ok=True)
    username = str(plan.fleet.winrm["user"])
    if not layout.vault_password_file.exists():
        write_secret_file(layout.vault_password_file)
    # Each host its own password, in its site's vault beside the lab's inventory, as in a
    # fleet; kept across restarts so a controller's vault stays valid.
    provision(layout.inventory, plan, layout.vault_password_file)
    passwords = {name: entry["password"] for site in plan.sites
                 for name, entry in SiteSecrets.read(
                     secrets_file(layout.inventory, site.site.code),
                     layout.vault_password_file).hosts.items()}
    planned = plan_hosts(plan, username, passwords)
    hosts = [host for host, _, _ in planned]
    write_config(layout.root, hosts, port, metrics_port)
    listing = share_listing(plan.fleet, read_releases(fleet_dir))
    segments = site_networks(plan)
    for host, kind, address in planned:
        state_file = layout.state_file(host.hostname)
        if state_file.exists():
            state = json.loads(state_file.read_text(encoding="utf-8"))
        else:
            state_file.parent.mkdir(parents=True, exist_ok=True)
            state = seed_state(kind, host.hostname, secrets.SystemRandom(),
                               now=lab_clock(layout.root), volumes=plan.fleet.volumes_of(kind))
        state["shares"] = listing  # the fleet's share as it is now, not as it was seeded
        state["planned_address"] = address  # what its peers on the site network see
        state["site_network"] = segments[host.hostname]  # its segment; the router's matrix
        state_file.write_text(dump_state(state), encoding="utf-8")
    _write_inventory(layout, fleet_dir, sites, username, port)
    # The users' first-logon passwords are in the sites' files, each user its own.
    write_vault_vars(layout.vault_file, {"sitekit_autologon_password": _new_password()},
                     layout.vault_password_file)
    return hosts


def _new_password() -> str:
    """A Windows-complex password: every character class, no ':' (the NTLM file's separator).

    Random digits, not letters: Windows refuses a password holding three letters of a user's
    full name ("Ana", "Rui"), and random letters would now and then spell one.
    """
    return f"Lab-{secrets.randbelow(10**24):024d}-9a"


def _write_inventory(layout: LabLayout, fleet_dir: Path, sites: list[str], username: str,
                     port: int) -> None:
    """Write the lab's sitekit.yml: the real fleet, its chosen sites, reached on loopback."""
    config: dict[str, Any] = {
        "plugin": "sitekit",
        "source": str(fleet_dir.resolve()),
        "sites": [code.upper() for code in sites],
        "loopback": True,
        "guest_vantage": True,  # each site's guest device, for the segmentation test
        "connection": {
            "ansible_port": port,
            "ansible_user": username,
            "ansible_winrm_ca_trust_path": str(layout.ca_file.resolve()),
        },
    }
    header = ("---\n# Written by `sitekit lab up`: the fleet below, served by the lab on "
              "127.0.0.0/8.\n# Each host's ansible_password is in secrets/<site>.yml; their vault "
              f"password is in\n# {layout.vault_password_file.resolve()}.\n")
    layout.inventory.mkdir(parents=True, exist_ok=True)
    layout.inventory_file.write_text(header + yaml.safe_dump(config, sort_keys=False),
                                     encoding="utf-8")


def read_inventory(layout: LabLayout) -> dict[str, Any]:
    """Read back the lab's sitekit.yml (fleet source and sites)."""
    data = yaml.safe_load(layout.inventory_file.read_text(encoding="utf-8"))
    return data if isinstance(data, dict) else {}
