"""The `sitekit` command: validate and show the plan of a fleet."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from sitekit.plan.fleet import plan_fleet_dir
from sitekit.problems import ProblemsFound
from sitekit.render import plan as plan_render


def _fleet_dir(text: str) -> Path:
    path = Path(text)
    if not path.exists():
        raise argparse.ArgumentTypeError(f"{text} does not exist; give a fleet directory "
                                         "such as inventories/example")
    return path


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sitekit", description="Plan, provision and audit restaurant sites.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    validate = commands.add_parser(
        "validate", help="check every site file of a fleet and list every problem")
    validate.add_argument("fleet", type=_fleet_dir,
                          help="fleet directory, e.g. inventories/example")

    plan = commands.add_parser("plan", help="show the plan the inventory plugin feeds Ansible")
    plan.add_argument("fleet", type=_fleet_dir, help="fleet directory, e.g. inventories/example")
    plan.add_argument("--site", action="append", default=[], metavar="CODE",
                      help="only this site (repeat for more)")
    plan.add_argument("--format", choices=sorted(plan_render.RENDERERS), default="table",
                      help="table for people, csv for the installers on site, json for tools")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "validate":
            return _validate(args.fleet)
        if args.command == "plan":
            return _plan(args.fleet, args.site, args.format)
    except BrokenPipeError:  # `sitekit plan ... | head`
        return 0
    raise AssertionError(args.command)


def _validate(fleet: Path) -> int:
    plan = plan_fleet_dir(fleet)
    if plan.problems:
        print(ProblemsFound(plan.problems).report(), file=sys.stderr)
        return 1
    hosts = sum(len(site.hosts) for site in plan.sites)
    print(f"{fleet}: {len(plan.sites)} sites, {hosts} hosts, no problems")
    return 0


def _plan(fleet: Path, sites: list[str], form: str) -> int:
    plan = plan_fleet_dir(fleet, only=sites)
    if plan.problems:
        print(ProblemsFound(plan.problems).report(), file=sys.stderr)
        return 1
    sys.stdout.write(plan_render.RENDERERS[form](plan))
    return 0


if __name__ == "__main__":
    sys.exit(main())
