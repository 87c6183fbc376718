"""`sitekit ca` and `sitekit passwords`: the fleet's CA and its vaulted passwords.

sitekit ca init FLEET [--organisation NAME]
sitekit ca issue FLEET HOST        (a certificate for a planned host; key never kept)
sitekit ca list FLEET [--format table|json]
sitekit ca revoke FLEET SERIAL [--reason REASON]
sitekit ca renew FLEET HOST
sitekit passwords handover FLEET --site CODE --user NAME   (a user's first password, once)
sitekit bootstrap FLEET --site CODE [--host NAME]... --out DIR
sitekit passwords generate FLEET [--site CODE]...  (each host and user without one gets its own)
Every command takes --vault-password-file FILE (else ANSIBLE_VAULT_PASSWORD_FILE).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from cryptography.hazmat.primitives import serialization

from sitekit.arguments import fleet_dir
from sitekit.credentials import bootstrap, ca, passwords, vault
from sitekit.plan.fleet import FleetPlan, plan_fleet_dir
from sitekit.plan.site import PlannedHost
from sitekit.problems import ProblemsFound


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("fleet", type=fleet_dir, help="fleet directory, e.g. inventories/example")
    parser.add_argument("--vault-password-file", type=Path, metavar="FILE",
                        help=f"the vault password (default: ${vault.PASSWORD_FILE_ENV})")


def ca_parser() -> argparse.ArgumentParser:
    """The options of `sitekit ca`."""
    parser = argparse.ArgumentParser(prog="sitekit ca", description="The fleet's certificate "
                                     "authority for the hosts' WinRM HTTPS listeners.")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    init = actions.add_parser("init", help="make the CA: key (vaulted), certificate, CRL")
    _common(init)
    init.add_argument("--organisation", help="the CA's organisation (default: the fleet's)")
    issue = actions.add_parser("issue", help="issue a planned host's certificate (PEM out; "
                               "`sitekit bootstrap` also carries its key)")
    _common(issue)
    issue.add_argument("host", help="the host's inventory name, e.g. lis01-srv01")
    listing = actions.add_parser("list", help="every certificate issued, with its status")
    _common(listing)
    listing.add_argument("--format", choices=("table", "json"), default="table")
    revoke = actions.add_parser("revoke", help="revoke a certificate and publish the CRL")
    _common(revoke)
    revoke.add_argument("serial", help="the serial `sitekit ca list` shows (hexadecimal)")
    revoke.add_argument("--reason", choices=sorted(ca.REASONS), default="unspecified")
    renew = actions.add_parser("renew", help="issue a host's certificate anew, revoke the old")
    _common(renew)
    renew.add_argument("host")
    return parser


def planned_host(plan: FleetPlan, host: str) -> PlannedHost:
    """A host of the plan by its inventory name, or an error naming what exists."""
    for site in plan.sites:
        for planned in site.hosts:
            if planned.name == host.lower():
                return planned
    raise ca.CAError(f"{host} is not a planned host of the fleet; `sitekit plan FLEET` "
                     "lists them")


def load_plan(fleet: Path, only: Sequence[str] = ()) -> FleetPlan:
    """The fleet's plan, or ProblemsFound."""
    plan = plan_fleet_dir(fleet, only=only, cached=True)
    plan.raise_for_problems()
    return plan


def host_names(host: PlannedHost) -> list[str]:
    """The DNS names a host's certificate carries: its inventory name and computer name."""
    return sorted({host.name, host.computer_name.lower()})


def ca_main(argv: Sequence[str]) -> int:
    """Run `sitekit ca`."""
    args = ca_parser().parse_args(argv)
    try:
        # Listing reads the index only: no vault password needed.
        password = (None if args.action == "list"
                    else vault.password_file(args.vault_password_file))
        authority = ca.FleetCA.of_fleet(args.fleet, password)
        if args.action == "init":
            organisation = args.organisation or _organisation(args.fleet)
            cert = authority.init(organisation)
            print(f"{authority.cert_file}: the fleet CA, serial {cert.serial_number:x}, "
                  f"valid until {cert.not_valid_after_utc:%Y-%m-%d}; its key is vaulted in "
                  f"{authority.key_file}. Point the fleet's winrm.ca_file at it.")
        elif args.action == "issue":
            planned = planned_host(load_plan(args.fleet), args.host)
            credential = authority.issue(planned.name, [planned.address], host_names(planned))
            print(f"issued {credential.certificate.serial_number:x} for {planned.name}; the key "
                  "was not kept: `sitekit bootstrap` issues the certificate a host installs",
                  file=sys.stderr)
            sys.stdout.write(credential.certificate.public_bytes(
                serialization.Encoding.PEM).decode())
        elif args.action == "list":
            _list(authority, args.format)
        elif args.action == "revoke":
            row = authority.revoke(args.serial, args.reason)
            print(f"revoked {row.serial} ({row.host}, {row.reason}); {authority.crl_file} "
                  "published: copy it where the hosts' clients read it")
        elif args.action == "renew":
            credential = authority.renew(args.host.lower())
            print(f"issued {credential.certificate.serial_number:x} for {args.host}, the old "
                  "one revoked (superseded); install it with `sitekit bootstrap --host`")
    except (ca.CAError, ValueError) as error:
        print(f"sitekit ca: {error}", file=sys.stderr)
        return 1
    except ProblemsFound as error:
        print(error.report(), file=sys.stderr)
        return 1
    return 0


def _organisation(fleet: Path) -> str:
    loaded = plan_fleet_dir(fleet, cached=True)
    return loaded.fleet.organisation if loaded.fleet is not None else "sitekit"


def _list(authority: ca.FleetCA, form: str) -> None:
    rows = [ca.describe(row) for row in authority.index()]
    if form == "json":
        print(json.dumps(rows, indent=1))
        return
    print(f"{'serial':<41} {'host':<16} {'status':<8} {'not after':<10} names")
    for row in rows:
        names = ", ".join([*row["names"], *row["addresses"]])
        print(f"{row['serial']:<41} {row['host']:<16} {row['status']:<8} "
              f"{row['not_after'][:10]:<10} {names}")


def passwords_parser() -> argparse.ArgumentParser:
    """The options of `sitekit passwords`."""
    parser = argparse.ArgumentParser(
        prog="sitekit passwords", description="Each host's management password and each "
        "user's first-logon password, generated and kept in one ansible-vault file per site "
        "(secrets/<code>.yml beside the inventory).")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    generate = actions.add_parser("generate", help="give every planned host and user without "
                                  "a password its own; existing ones are kept")
    _common(generate)
    generate.add_argument("--site", action="append", default=[], metavar="CODE",
                          help="only this site (repeat for more)")
    handover = actions.add_parser(
        "handover", help="print a user's first-logon password once, for their manager",
        description="Print a user's own first-logon password once (never logged, never again: "
        "the vault records when it was handed over). The user must change it at the first "
        "logon.")
    _common(handover)
    handover.add_argument("--site", required=True, metavar="CODE")
    handover.add_argument("--user", required=True, metavar="NAME")
    return parser


def passwords_main(argv: Sequence[str]) -> int:
    """Run `sitekit passwords`."""
    args = passwords_parser().parse_args(argv)
    try:
        password = vault.password_file(args.vault_password_file)
        inventory = args.fleet.parent if args.fleet.is_file() else args.fleet
        if args.action == "handover":
            secret = passwords.hand_over(inventory, args.site, args.user, password)
            # stdout only, once: the manager's terminal, never a log or a file.
            print(f"{args.user}'s first-logon password at {args.site.upper()} (shown once; "
                  f"Windows asks for a new one at the first logon): {secret}")
            return 0
        plan = load_plan(args.fleet, args.site)
        added = passwords.provision(inventory, plan, password)
    except ValueError as error:
        print(f"sitekit passwords: {error}", file=sys.stderr)
        return 1
    except ProblemsFound as error:
        print(error.report(), file=sys.stderr)
        return 1
    for code, (hosts, users) in sorted(added.items()):
        print(f"{passwords.secrets_file(inventory, code)}: {len(hosts)} new host passwords, "
              f"{len(users)} new user passwords")
    return 0


def bootstrap_parser() -> argparse.ArgumentParser:
    """The options of `sitekit bootstrap`."""
    parser = argparse.ArgumentParser(
        prog="sitekit bootstrap", description="Per host of a site, a PowerShell script to run "
        "once as administrator on the fresh install, and its listener's certificate from the "
        "fleet CA (PKCS#12): WinRM over HTTPS from the management network only, the "
        "management account with the host's own password. Prints the bundle password once.")
    _common(parser)
    parser.add_argument("--site", required=True, metavar="CODE")
    parser.add_argument("--host", action="append", default=[], metavar="NAME",
                        help="only this host (repeat for more; default: every host of the site)")
    parser.add_argument("--out", type=Path, required=True, metavar="DIR",
                        help="an empty or new folder, on the medium carried to the site")
    return parser


def bootstrap_main(argv: Sequence[str]) -> int:
    """Run `sitekit bootstrap`."""
    args = bootstrap_parser().parse_args(argv)
    try:
        password = vault.password_file(args.vault_password_file)
        inventory = args.fleet.parent if args.fleet.is_file() else args.fleet
        authority = ca.FleetCA.of_fleet(args.fleet, password)
        plan = load_plan(args.fleet, [args.site])
        made = bootstrap.write_bundle(args.out, plan, args.site, authority, inventory,
                                      hosts=args.host)
    except (ca.CAError, ValueError) as error:
        print(f"sitekit bootstrap: {error}", file=sys.stderr)
        return 1
    except ProblemsFound as error:
        print(error.report(), file=sys.stderr)
        return 1
    print(f"{made.directory}: bootstrap bundle for {', '.join(made.hosts)}; README.txt says "
          "what to destroy after use.", file=sys.stderr)
    # stdout only, once: never written to the bundle. Carry it apart from the medium.
    print(f"bundle password (opens the .pfx files; keep it apart from the medium): "
          f"{made.password}")
    return 0


def main(command: str, argv: Sequence[str]) -> int:
    """Run one of the credential commands (`sitekit ca ...`)."""
    commands = {"ca": ca_main, "passwords": passwords_main, "bootstrap": bootstrap_main}
    return commands[command](argv)
