"""Every host's management password and every user's first-logon password, one vault per site.

LAPS for machines outside a domain: Windows LAPS needs Active Directory or Entra ID, and the
restaurants' machines are in workgroups. sitekit generates each password (`secrets`), keeps
a site's in one ansible-vault file beside the inventory, and the `sitekit_secrets` vars
plugin hands a host its own as `ansible_password` when a run touches it:

<inventory>/secrets/<code>.yml   (ansible-vault)
  hosts: {<host>: {password, set_at}}          the management account, per host
  users: {<user>: {password, set_at, handed_over_at}}   first-logon passwords (PCI DSS 8.3.5)

One file per site, not per host: a run decrypts one file per site it touches (PBKDF2 is the
cost), never the whole fleet's; docs/benchmarks.md has the figures.
"""

from __future__ import annotations

import datetime
import secrets
import string
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sitekit.credentials.vault import read_vault_vars, write_vault_vars
from sitekit.inventory import vantage_host
from sitekit.plan.fleet import FleetPlan
from sitekit.plan.passwords import complexity_problems
from sitekit.plan.site import SitePlan

SECRETS_DIR = "secrets"
LENGTH = 20
# Letters, digits and specials that survive every hop unquoted: PowerShell single-quoted
# strings, YAML, the lab's NTLM account file (':' is its separator) and a person reading
# them out: no quotes, backquote, '$', ':', ';', spaces, nor the look-alikes 0/O, 1/l/I.
_LETTERS = "".join(c for c in string.ascii_letters if c not in "OlI")
_DIGITS = "23456789"
_SPECIAL = "-_.!#%+=?@"
_ALPHABET = _LETTERS + _DIGITS + _SPECIAL


def secrets_file(inventory_dir: Path, code: str) -> Path:
    """Where a site's secrets live: <inventory>/secrets/<code>.yml."""
    return inventory_dir / SECRETS_DIR / f"{code.lower()}.yml"


def new_password(accounts: dict[str, str] | None = None, length: int = LENGTH) -> str:
    """A random password Windows accepts for the accounts ({name: full name}).

    Windows refuses one that holds the account name or a token of the full name, so a
    draw that does is drawn again (sitekit.plan.passwords has the rule).
    """
    while True:
        password = "".join(secrets.choice(_ALPHABET) for _ in range(length))
        if (any(c.isupper() for c in password) and any(c.islower() for c in password)
                and any(c in _DIGITS for c in password) and any(c in _SPECIAL for c in password)
                and not complexity_problems(password, accounts or {}, length)):
            return password


@dataclass
class SiteSecrets:
    """A site's vault file, decrypted: hosts' and users' passwords."""

    hosts: dict[str, dict[str, Any]]
    users: dict[str, dict[str, Any]]

    @classmethod
    def read(cls, path: Path, password_file: Path) -> SiteSecrets:
        """Read a site's file; an absent file is a site with no secrets yet."""
        if not path.exists():
            return cls({}, {})
        data = read_vault_vars(path, password_file)
        return cls(dict(data.get("hosts") or {}), dict(data.get("users") or {}))

    def write(self, path: Path, password_file: Path) -> None:
        """Encrypt and replace the file at once (a crash leaves the old file or the new)."""
        write_vault_vars(path, {"hosts": self.hosts, "users": self.users}, password_file)


def site_hosts(site_plan: SitePlan) -> list[str]:
    """Every inventory host of a site that Ansible logs on to, the guest vantage point too."""
    names = [host.name for host in site_plan.hosts]
    vantage = vantage_host(site_plan)
    return [*names, vantage[0]] if vantage is not None else names


def provision_site(site_plan: SitePlan, found: SiteSecrets, management_user: str,
                   now: datetime.datetime) -> tuple[list[str], list[str]]:
    """Give every planned host and user without a password its own; return who got one.

    Existing passwords are kept: they are what the machines have.
    """
    stamp = now.isoformat()
    new_hosts = [name for name in site_hosts(site_plan) if name not in found.hosts]
    for name in new_hosts:
        found.hosts[name] = {"password": new_password({management_user: ""}), "set_at": stamp}
    new_users = [u.user for u in site_plan.users.users if u.user not in found.users]
    full_names = {u.user: u.full_name for u in site_plan.users.users}
    for user in new_users:
        found.users[user] = {"password": new_password({user: full_names[user]}),
                             "set_at": stamp, "handed_over_at": None}
    return new_hosts, new_users


def provision(inventory_dir: Path, plan: FleetPlan, password_file: Path,
              now: datetime.datetime | None = None) -> dict[str, tuple[list[str], list[str]]]:
    """Provision every planned site's vault file; per site code, the hosts and users added."""
    if plan.fleet is None:
        raise ValueError("a fleet plan without a fleet has problems to report")
    now = now or datetime.datetime.now(datetime.UTC)
    user = str(plan.fleet.winrm["user"])
    added = {}
    for site_plan in plan.sites:
        path = secrets_file(inventory_dir, site_plan.site.code)
        found = SiteSecrets.read(path, password_file)
        hosts, users = provision_site(site_plan, found, user, now)
        if hosts or users:
            found.write(path, password_file)
        added[site_plan.site.code] = (hosts, users)
    return added


def hand_over(inventory_dir: Path, code: str, user: str, password_file: Path,
              now: datetime.datetime | None = None) -> str:
    """A user's first-logon password, once: the vault records that it was handed over.

    A second time is refused: a password shown twice may have been seen by someone else.
    """
    path = secrets_file(inventory_dir, code)
    if not path.exists():
        raise ValueError(f"{path}: no secrets for site {code.upper()}; run `sitekit passwords "
                         "generate FLEET` first")
    found = SiteSecrets.read(path, password_file)
    entry = found.users.get(user)
    if entry is None:
        raise ValueError(f"{path}: site {code.upper()} has no user {user!r}; the site file's "
                         "staff lists who has an account (then `sitekit passwords generate`)")
    if entry.get("handed_over_at"):
        raise ValueError(f"{user}'s first-logon password at {code.upper()} was handed over at "
                         f"{entry['handed_over_at']} and is not shown again; if it was lost, "
                         "an administrator sets a new one on the station, to change at logon")
    entry["handed_over_at"] = (now or datetime.datetime.now(datetime.UTC)).isoformat()
    found.write(path, password_file)
    return str(entry["password"])


def host_vars(data: dict[str, Any], host: str, source: str) -> dict[str, Any]:
    """What a host's run sees of its site's file: its own password, the users' first ones.

    Raises KeyError with a message naming the file and the command that fixes it.
    """
    hosts = data.get("hosts") or {}
    if host not in hosts:
        raise KeyError(f"{source} has no password for {host}: run `sitekit passwords "
                       "generate FLEET` (it adds the hosts and users the plan has)")
    users = data.get("users") or {}
    return {"ansible_password": hosts[host]["password"],
            "sitekit_initial_passwords": {name: entry["password"]
                                          for name, entry in users.items()}}

