"""`sitekit maintenance`: keep a maintenance record an engineer writes, in the audit history.

The service plan signs every maintenance with the engineer, the cause of the problem, how
it was solved and the result. The monthly audit writes one record per site itself; this
adds the engineer's own (a fault fixed on site, a part replaced), which that month's
maintenance record shows beside the audit's and which re-running the month keeps.

sitekit maintenance FLEET --site CODE --findings TEXT --actions TEXT [--cause TEXT]
[--result TEXT] [--engineer NAME] [--date YYYY-MM-DD] [--history FILE]

A card terminal's inspection for tampering and substitution (PCI DSS 9.5.1.2) is a record
of its own: --terminal NAME (or its serial, as the site file lists it) --checked TEXT
--outcome passed|failed [--findings TEXT]. It is kept per terminal, with its serial, and
shows in the month's maintenance record; the audit's TRM-01 judges its age.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from pathlib import Path

from sitekit.arguments import fleet_dir
from sitekit.audit.history import History, HistoryError, Lock, TerminalInspection
from sitekit.audit.report import MaintenanceRecord
from sitekit.audit.shared import ENGINEER_VARIABLE, fleet_name
from sitekit.plan.fleet import planning_date
from sitekit.site.load import load_fleet_dir
from sitekit.site.model import CardTerminal, Device, Site


def build_parser() -> argparse.ArgumentParser:
    """The options of `sitekit maintenance`."""
    parser = argparse.ArgumentParser(
        prog="sitekit maintenance",
        description="Keep a maintenance record (findings, actions, cause, result) in the "
                    "audit history; the month's maintenance record shows it.")
    parser.add_argument("fleet", type=fleet_dir, help="fleet directory, e.g. inventories/example")
    parser.add_argument("--site", required=True, metavar="CODE", help="the site maintained")
    parser.add_argument("--findings", default="", help="what was found")
    parser.add_argument("--actions", default="", help="what was done")
    parser.add_argument("--terminal", metavar="NAME",
                        help="a card terminal's inspection (PCI DSS 9.5.1.2): its name or serial "
                             "in the site file")
    parser.add_argument("--checked", default="",
                        help="with --terminal: what was inspected (surfaces, seals, serial ...)")
    parser.add_argument("--outcome", choices=OUTCOMES,
                        help="with --terminal: passed, or failed (signs of tampering or "
                             "substitution)")
    parser.add_argument("--cause", default="", help="the cause of the problem")
    parser.add_argument("--result", default="", help="how it ended")
    parser.add_argument("--engineer", metavar="NAME",
                        help=f"who did it (default: ${ENGINEER_VARIABLE})")
    parser.add_argument("--date", type=dt.date.fromisoformat, metavar="YYYY-MM-DD",
                        help="when (default: today, or SITEKIT_TODAY)")
    parser.add_argument("--history", type=Path, metavar="FILE",
                        help="the audit history (default: reports/<fleet>/history.sqlite)")
    return parser


OUTCOMES = ("passed", "failed")
# How far back a record may be dated (work done on site is recorded within a year), and
# how long its texts may be.
MAX_AGE = dt.timedelta(days=366)
MAX_TEXT = 4000
MAX_NAME = 200


def record_problems(engineer: str, day: dt.date, today: dt.date,
                    **texts: str) -> list[str]:
    """What is wrong with a maintenance record an engineer gives, each saying what to change.

    A terminal inspection (`checked` given) needs what was checked, not findings or actions.
    """
    found = []
    if not engineer.strip():
        found.append(f"--engineer is blank: say who did the work (or set {ENGINEER_VARIABLE})")
    elif len(engineer.strip()) > MAX_NAME:
        found.append(f"--engineer is {len(engineer.strip())} characters; at most {MAX_NAME}")
    needed = (("checked", "inspected"),) if "checked" in texts else \
        (("findings", "found"), ("actions", "done"))
    for name, what in needed:
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


def _terminal(site: Site, wanted: str | None, outcome: str | None
              ) -> tuple[Device, CardTerminal] | str:
    """The site file's card terminal named (or with that serial); or what to change."""
    terminals = [(d, d.card_terminal) for d in site.devices if d.card_terminal is not None]
    listed = ", ".join(f"{d.name} ({t.serial})" for d, t in terminals) or "none"
    if not wanted or not wanted.strip():
        return (f"--terminal is missing: name the card terminal inspected (in {site.code}: "
                f"{listed})")
    if outcome is None:
        return "--outcome is missing: passed, or failed (signs of tampering or substitution)"
    key = wanted.strip().casefold()
    for device, terminal in terminals:
        if key in (device.name.casefold(), terminal.serial.casefold()):
            return device, terminal
    return (f"--terminal {wanted}: {site.code}'s site file lists no card terminal of that name "
            f"or serial (its card terminals: {listed}); a terminal swapped for another is "
            "added to the site file first (PCI DSS 9.5.1.1)")


def _inspection_record(record: MaintenanceRecord, device: Device, terminal: CardTerminal,
                       inspection: TerminalInspection) -> MaintenanceRecord:
    """The month's maintenance record of a terminal inspection, in the service plan's terms."""
    what = (f"Card terminal {device.name} ({terminal.make} {terminal.model}, serial "
            f"{terminal.serial}, {device.location}) inspected for tampering and substitution "
            f"(PCI DSS 9.5.1.2): {inspection.outcome}")
    findings = f"{what}; {record.findings}" if record.findings else what
    actions = f"Checked: {inspection.checked}"
    if record.actions:
        actions = f"{actions}; {record.actions}"
    return MaintenanceRecord(record.date, record.engineer, record.site, findings, actions,
                             record.cause, record.result or inspection.outcome, source="manual")


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
    site = next((s for s in load_fleet_dir(args.fleet, only=[code]).sites if s.code == code),
                None)
    if site is None:
        print(f"no site file has code {code}", file=sys.stderr)
        return 1
    today = planning_date()
    day = args.date or today
    texts = {"findings": args.findings, "actions": args.actions, "cause": args.cause,
             "result": args.result}
    if args.terminal is not None or args.checked or args.outcome:
        texts["checked"] = args.checked
    wrong = record_problems(engineer, day, today, **texts)
    found: tuple[Device, CardTerminal] | str | None = None
    if "checked" in texts:
        found = _terminal(site, args.terminal, args.outcome)
        if isinstance(found, str):
            wrong.append(found)
    if wrong:
        parser.error("; ".join(wrong))
    record = MaintenanceRecord(day.isoformat(), engineer.strip(), code, args.findings.strip(),
                               args.actions.strip(), args.cause.strip(), args.result.strip(),
                               source="manual")
    inspection = None
    if isinstance(found, tuple):
        device, terminal = found
        inspection = TerminalInspection(device.name, terminal.serial, args.checked.strip(),
                                        args.findings.strip(), str(args.outcome))
        record = _inspection_record(record, device, terminal, inspection)
    history_path = args.history or Path("reports") / fleet / "history.sqlite"
    try:
        History.verify(history_path)
        with Lock(history_path, f"sitekit maintenance {fleet} --site {code}"), \
                History(history_path) as history:
            history.add_maintenance(fleet, day.strftime("%Y-%m"), record, inspection)
    except HistoryError as error:
        print(error, file=sys.stderr)
        return 1
    print(f"kept in {history_path}: {code} {record.date} by {engineer}")
    return 0
