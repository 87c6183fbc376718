"""`sitekit monitoring`: the Prometheus and Alertmanager configuration of a fleet.

sitekit monitoring config FLEET --out DIR [--alertmanager HOST:PORT] [--webhook URL]
                                          [--scrape-interval DURATION] [--lab]
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence
from pathlib import Path

from sitekit.arguments import fleet_dir
from sitekit.monitoring.config import Endpoints, build, write
from sitekit.problems import ProblemsFound

# Prometheus's duration: units from the largest down, each at most once (model.ParseDuration).
_DURATION = re.compile(r"(?=\d)(\d+y)?(\d+w)?(\d+d)?(\d+h)?(\d+m)?(\d+s)?(\d+ms)?")


def _duration(text: str) -> str:
    if not _DURATION.fullmatch(text) or not re.search(r"[1-9]", text):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a Prometheus duration: write e.g. 15s, 1m or 1h30m")
    return text


def build_parser() -> argparse.ArgumentParser:
    """The options of `sitekit monitoring`."""
    parser = argparse.ArgumentParser(
        prog="sitekit monitoring",
        description="Prometheus and Alertmanager configured from the plan.")
    commands = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    config = commands.add_parser(
        "config", help="write prometheus.yml, its file_sd targets and rules, and "
        "alertmanager.yml", description="Write everything a Prometheus and an Alertmanager "
        "need for the fleet: scrape targets, alert rules, routes and maintenance mutes.")
    config.add_argument("fleet", type=fleet_dir, help="fleet directory, e.g. inventories/example")
    config.add_argument("--out", type=Path, required=True, metavar="DIR",
                        help="where to write the files (created if missing)")
    defaults = Endpoints()
    config.add_argument("--alertmanager", default=defaults.alertmanager, metavar="HOST:PORT",
                        help=f"where Prometheus sends alerts (default {defaults.alertmanager})")
    config.add_argument("--webhook", default=defaults.webhook, metavar="URL",
                        help=f"where Alertmanager posts them (default {defaults.webhook}, "
                        "the incident receiver)")
    config.add_argument("--scrape-interval", type=_duration,
                        default=defaults.scrape_interval, metavar="DURATION",
                        help="how often Prometheus scrapes and evaluates "
                        f"the rules, a Prometheus duration (default {defaults.scrape_interval})")
    config.add_argument("--lab", action="store_true",
                        help="scrape the hosts at their `sitekit lab` addresses (127.x.y.z, "
                        "as the lab's inventory reaches them)")
    config.add_argument("--exporter-port", type=int, metavar="PORT",
                        help="scrape this port instead of the fleet's windows_exporter port "
                        "(a lab started with `sitekit lab up --metrics-port PORT`)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run `sitekit monitoring`; the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.out.exists() and not args.out.is_dir():
        parser.error(f"--out {args.out} is a file; give a directory")
    if args.exporter_port is not None and not args.lab:
        parser.error("--exporter-port is a lab's own port (sitekit lab up --metrics-port); "
                     "give --lab with it, or leave it out to scrape the fleet's port")
    try:
        files = build(args.fleet, Endpoints(args.alertmanager, args.webhook,
                                            args.scrape_interval), lab=args.lab,
                      scrape_port=args.exporter_port)
    except ProblemsFound as error:
        sys.stderr.write(error.report() + "\n")
        return 1
    sys.stdout.writelines(f"{path}\n" for path in write(files, args.out))
    return 0
