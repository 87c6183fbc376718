"""`sitekit maintenance`: keep a maintenance record an engineer writes, in the audit history.

The service plan signs every maintenance with the engineer, the cause of the problem, how
it was solved and the result. The monthly audit writes one record per site itself; this
adds the engineer's own (a fault fixed on site, a part replaced), which that month's
maintenance record shows beside the audit's and which re-running the month keeps.

sitekit maintenance FLEET --site CODE --findings TEXT --actions TEXT [--cause TEXT]
[--result TEXT] [--engineer NAME] [--date YYYY-MM-DD] [--history FILE]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from pathlib import Path

from sitekit.audit.cli import ENGINEER_VARIABLE, fleet_name
from sitekit.audit.history import History
from sitekit.audit.report import MaintenanceRecord
from sitekit.cli import fleet_dir
from sitekit.plan.fleet import planning_date
from sitekit.site.load import load_fleet_dir


def build_parser() -> argparse.ArgumentParser:
    """The options of `sitekit maintenance`."""
    parser = argparse.ArgumentParser(
        prog="sitekit maintenance",
        description="Keep a maintenance record (findings, actions, cause, result) in the "
                    "audit history; the month's maintenance record shows it.")
    parser.add_argument("fleet", type=fleet_dir, help="fleet directory, e.g. inventories/example")
    parser.add_argument("--site", required=True, metavar="CODE", help="the site maintained")
    parser.add_argument("--findings", required=True, help="what was found")
    parser.add_argument("--actions", required=True, help="what was done")
    parser.add_argument("--cause", default="", help="the cause of the problem")
    parser.add_argument("--result", default="", help="how it ended")
    parser.add_argument("--engineer", metavar="NAME",
                        help=f"who did it (default: ${ENGINEER_VARIABLE})")
    parser.add_argument("--date", type=dt.date.fromisoformat, metavar="YYYY-MM-DD",
                        help="when (default: today, or SITEKIT_TODAY)")
    parser.add_argument("--history", type=Path, metavar="FILE",
                        help="the audit history (default: reports/<fleet>/history.sqlite)")
    return parser


def main(argv: list[str]) -> int:
    """`sitekit maintenance ...`; the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    engineer = args.engineer or os.environ.get(ENGINEER_VARIABLE, "").strip()
    if not engineer:
        parser.error(f"say who did the work: --engineer NAME or {ENGINEER_VARIABLE}")
    fleet = fleet_name(args.fleet)
    if fleet is None:
        return 1
    code = args.site.upper()
    if not any(site.code == code for site in load_fleet_dir(args.fleet, only=[code]).sites):
        print(f"no site file has code {code}", file=sys.stderr)
        return 1
    day = args.date or planning_date()
    record = MaintenanceRecord(day.isoformat(), engineer, code, args.findings.strip(),
                               args.actions.strip(), args.cause.strip(), args.result.strip(),
                               source="manual")
    history_path = args.history or Path("reports") / fleet / "history.sqlite"
    with History(history_path) as history:
        history.add_maintenance(fleet, day.strftime("%Y-%m"), record)
    print(f"kept in {history_path}: {code} {record.date} by {engineer}")
    return 0
