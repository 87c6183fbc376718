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

from sitekit.arguments import fleet_dir
from sitekit.audit.history import History, HistoryError, Lock
from sitekit.audit.report import MaintenanceRecord
from sitekit.audit.shared import ENGINEER_VARIABLE, fleet_name
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


# How far back a record may be dated (work done on site is recorded within a year), and
# how long its texts may be.
MAX_AGE = dt.timedelta(days=366)
MAX_TEXT = 4000
MAX_NAME = 200


def record_problems(engineer: str, day: dt.date, today: dt.date,
                    **texts: str) -> list[str]:
    """What is wrong with a maintenance record an engineer gives, each saying what to change."""
    found = []
    if not engineer.strip():
        found.append(f"--engineer is blank: say who did the work (or set {ENGINEER_VARIABLE})")
    elif len(engineer.strip()) > MAX_NAME:
        found.append(f"--engineer is {len(engineer.strip())} characters; at most {MAX_NAME}")
    for name, what in (("findings", "found"), ("actions", "done")):
        if not texts[name].strip():
            found.append(f"--{name} is blank: say what was {what}")
    for name, text in texts.items():
        if len(text.strip()) > MAX_TEXT:
            found.append(f"--{name} is {len(text.strip())} characters; at most {MAX_TEXT}")
        if any((ord(c) < 32 and c not in "\n\t") or c == "\x7f" for c in text):
            found.append(f"--{name} holds control characters; write plain text")
    if day > today:
        found.append(f"--date {day} is after today ({today}): record work that was done")
    elif day < today - MAX_AGE:
        found.append(f"--date {day} is more than {MAX_AGE.days} days before today ({today}); "
                     "give the day the work was done")
    return found


def main(argv: list[str]) -> int:
    """`sitekit maintenance ...`; the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    engineer = (args.engineer if args.engineer is not None
                else os.environ.get(ENGINEER_VARIABLE, "")).strip()
    if not engineer:
        parser.error(f"say who did the work: --engineer NAME or {ENGINEER_VARIABLE}")
    fleet = fleet_name(args.fleet)
    if fleet is None:
        return 1
    code = args.site.upper()
    if not any(site.code == code for site in load_fleet_dir(args.fleet, only=[code]).sites):
        print(f"no site file has code {code}", file=sys.stderr)
        return 1
    today = planning_date()
    day = args.date or today
    wrong = record_problems(engineer, day, today, findings=args.findings,
                            actions=args.actions, cause=args.cause, result=args.result)
    if wrong:
        parser.error("; ".join(wrong))
    record = MaintenanceRecord(day.isoformat(), engineer.strip(), code, args.findings.strip(),
                               args.actions.strip(), args.cause.strip(), args.result.strip(),
                               source="manual")
    history_path = args.history or Path("reports") / fleet / "history.sqlite"
    try:
        History.verify(history_path)
        with Lock(history_path, f"sitekit maintenance {fleet} --site {code}"), \
                History(history_path) as history:
            history.add_maintenance(fleet, day.strftime("%Y-%m"), record)
    except HistoryError as error:
        print(error, file=sys.stderr)
        return 1
    print(f"kept in {history_path}: {code} {record.date} by {engineer}")
    return 0
