"""The `sitekit` command: validate and show the plan of a fleet; run the lab."""

from __future__ import annotations

import argparse
import gc
import sys
from collections.abc import Sequence
from pathlib import Path

from sitekit.arguments import fleet_dir
from sitekit.kit import KitNotFoundError
from sitekit.plan.fleet import plan_fleet_dir, planning_date, planning_now
from sitekit.problems import ProblemsFound
from sitekit.render import plan as plan_render

# What the `lab` extra installs (pyproject.toml), by import name.
LAB_PACKAGES = frozenset({"spnego", "tree_sitter", "tree_sitter_powershell"})


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sitekit", description="Plan, provision and audit restaurant sites.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    validate = commands.add_parser(
        "validate", help="check every site file of a fleet and list every problem")
    validate.add_argument("fleet", type=fleet_dir,
                          help="fleet directory, e.g. inventories/example")

    plan = commands.add_parser("plan", help="show the plan the inventory plugin feeds Ansible")
    plan.add_argument("fleet", type=fleet_dir, help="fleet directory, e.g. inventories/example")
    plan.add_argument("--site", action="append", default=[], metavar="CODE",
                      help="only this site (repeat for more)")
    plan.add_argument("--format", choices=sorted(plan_render.RENDERERS), default="table",
                      help="table for people, csv for the installers on site, json for tools; "
                      "vlans-csv, dhcp-csv, flows-csv and network-json for the network team; "
                      "network-dot and dataflow-dot: the scope diagrams (Graphviz DOT, "
                      "PCI DSS 1.2.3 and 1.2.4); terminals-csv: the payment terminals "
                      "(PCI DSS 9.5.1.1)")
    # The lab's own parser (and its imports: TLS, NTLM, ansible-vault) loads only for `lab`.
    lab = commands.add_parser("lab", help="virtual sites over real WinRM, on loopback; "
                              "`sitekit lab --help` for its commands", add_help=False)
    lab.add_argument("lab_args", nargs=argparse.REMAINDER)
    # Likewise the audit (Jinja2, SQLite, the renderers) loads only for `report`.
    report = commands.add_parser("report", help="the monthly audit's reports from a run's "
                                 "facts or the history; `sitekit report --help`",
                                 add_help=False)
    report.add_argument("report_args", nargs=argparse.REMAINDER)
    maintenance = commands.add_parser("maintenance", help="keep an engineer's maintenance "
                                      "record in the audit history; `sitekit maintenance "
                                      "--help`", add_help=False)
    maintenance.add_argument("maintenance_args", nargs=argparse.REMAINDER)
    rollout = commands.add_parser("rollout", help="roll a release out ring by ring, inside "
                                  "each site's window; `sitekit rollout --help`", add_help=False)
    rollout.add_argument("rollout_args", nargs=argparse.REMAINDER)
    monitoring = commands.add_parser("monitoring", help="Prometheus and Alertmanager "
                                     "configured from the plan; `sitekit monitoring --help`",
                                     add_help=False)
    monitoring.add_argument("monitoring_args", nargs=argparse.REMAINDER)
    incident = commands.add_parser("incident", help="faults and calls with the promised "
                                   "times; `sitekit incident --help`", add_help=False)
    incident.add_argument("incident_args", nargs=argparse.REMAINDER)
    # The fleet's secrets (cryptography, ansible-vault) load only for their commands.
    for name, text in _CREDENTIALS.items():
        secret = commands.add_parser(name, help=text, add_help=False)
        secret.add_argument("credential_args", nargs=argparse.REMAINDER)
    return parser


_CREDENTIALS = {
    "ca": "the fleet's CA: init, issue, list, revoke, renew; `sitekit ca --help`",
    "passwords": "each host's and user's own password, vaulted per site; "
                 "`sitekit passwords --help`",
    "bootstrap": "what brings a fresh Windows install within reach: per host a script and "
                 "its certificate; `sitekit bootstrap --help`",
}


def main(argv: Sequence[str] | None = None) -> int:  # noqa: PLR0912 - a branch a command
    """Run the command line; returns the exit status."""
    # A short-lived command over thousands of acyclic objects: the cycle collector would
    # only cost time (the lab's long-running server is another process).
    gc.disable()
    parser = _parser()
    # `sitekit lab --help`: argparse leaves an option before the lab command unparsed.
    args, unparsed = parser.parse_known_args(argv)
    if unparsed and args.command not in ("lab", "report", "maintenance", "rollout",
                                         "monitoring", "incident", *_CREDENTIALS):
        parser.error(f"unrecognized arguments: {' '.join(unparsed)}")
    try:
        planning_date()  # a bad SITEKIT_TODAY or SITEKIT_NOW is a usage error, not a traceback
        planning_now()
    except ValueError as error:
        parser.error(str(error))
    try:
        if args.command == "validate":
            return _validate(args.fleet)
        if args.command == "plan":
            return _plan(args.fleet, args.site, args.format)
        if args.command == "lab":
            try:
                from sitekit.lab import cli as lab_cli  # noqa: PLC0415
            except ModuleNotFoundError as error:
                missing = (error.name or "").partition(".")[0]
                if missing not in LAB_PACKAGES:
                    raise
                print(f"sitekit lab needs {missing}, which the lab extra installs: "
                      "pip install 'sitekit[lab]'", file=sys.stderr)
                return 2
            return lab_cli.main([*unparsed, *args.lab_args])
        if args.command == "report":
            from sitekit.audit import cli as audit_cli  # noqa: PLC0415
            from sitekit.incident.monthly import month_incidents  # noqa: PLC0415
            from sitekit.rollout.rings import audit_values  # noqa: PLC0415

            # The audit judges each site's application by its rollout ring's release; the
            # month's incidents sit above the audit: both handed in, not imported by it.
            return audit_cli.main([*unparsed, *args.report_args], site_values=audit_values,
                                  incidents=month_incidents)
        if args.command == "maintenance":
            from sitekit.audit import maintenance  # noqa: PLC0415

            return maintenance.main([*unparsed, *args.maintenance_args])
        if args.command == "rollout":
            from sitekit.rollout import cli as rollout_cli  # noqa: PLC0415

            return rollout_cli.main([*unparsed, *args.rollout_args])
        if args.command == "monitoring":
            from sitekit.monitoring import cli as monitoring_cli  # noqa: PLC0415

            return monitoring_cli.main([*unparsed, *args.monitoring_args])
        if args.command == "incident":
            from sitekit.incident import cli as incident_cli  # noqa: PLC0415

            return incident_cli.main([*unparsed, *args.incident_args])
        if args.command in _CREDENTIALS:
            from sitekit.credentials import cli as credentials_cli  # noqa: PLC0415

            return credentials_cli.main(args.command, [*unparsed, *args.credential_args])
    except BrokenPipeError:  # `sitekit plan ... | head`
        return 0
    except KitNotFoundError as error:  # an install without the kit's plugins
        print(f"sitekit: {error}", file=sys.stderr)
        return 2
    raise AssertionError(args.command)


def _validate(fleet: Path) -> int:
    plan = plan_fleet_dir(fleet, cached=True)
    if plan.problems:
        print(ProblemsFound(plan.problems).report(), file=sys.stderr)
        return 1
    hosts = sum(len(site.hosts) for site in plan.sites)
    print(f"{fleet}: {len(plan.sites)} sites, {hosts} hosts, no problems")
    return 0


def _plan(fleet: Path, sites: list[str], form: str) -> int:
    plan = plan_fleet_dir(fleet, only=sites, cached=True)
    if plan.problems:
        print(ProblemsFound(plan.problems).report(), file=sys.stderr)
        return 1
    sys.stdout.write(plan_render.RENDERERS[form](plan))
    return 0


if __name__ == "__main__":
    sys.exit(main())
