"""`sitekit report`: evaluate a run's facts, keep them in the history, write every report.

sitekit report FLEET --facts RUN_DIR [--month YYYY-MM] [--engineer NAME]
[--history FILE] [--out DIR] [--site CODE ...]
sitekit report FLEET --month YYYY-MM --from-history [--history FILE] [--out DIR]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from sitekit.audit.evaluate import Evaluator, fleet_sites
from sitekit.audit.history import History, HistoryError
from sitekit.audit.policy import load_policy, policy_file
from sitekit.audit.render import FORMATS, write_all
from sitekit.audit.report import (
    ControlInfo,
    Report,
    Run,
    SiteReport,
    TrendPoint,
    audit_record,
    compare,
)
from sitekit.cli import fleet_dir
from sitekit.plan.fleet import collector_paused, planning_date
from sitekit.problems import Problem, display_path
from sitekit.site import strict_yaml
from sitekit.site.load import fleet_file, load_fleet_dir

ENGINEER_VARIABLE = "SITEKIT_ENGINEER"
_MONTH = re.compile(r"^[0-9]{4}-(0[1-9]|1[0-2])$")


def month_type(text: str) -> str:
    """--month: YYYY-MM."""
    if not _MONTH.match(text):
        raise argparse.ArgumentTypeError(f"{text} is not a month; write YYYY-MM, e.g. 2026-12")
    return text


def build_parser() -> argparse.ArgumentParser:
    """The parser of `sitekit report`."""
    out = argparse.ArgumentParser(
        prog="sitekit report",
        description="Evaluate a run's facts against the fleet's baseline policy, keep the "
                    "results in the audit history and write the month's reports; or render "
                    "a month again from the history alone.")
    out.add_argument("fleet", type=fleet_dir, help="fleet directory, e.g. inventories/example")
    add_arguments(out)
    return out


def main(argv: list[str]) -> int:
    """`sitekit report ...`; the exit status."""
    report_parser = build_parser()
    return run(report_parser, report_parser.parse_args(argv))


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of `sitekit report`."""
    parser.add_argument("--facts", type=Path, metavar="RUN_DIR",
                        help="the gather step's run directory: <SITE>/<host>.json per host")
    parser.add_argument("--month", type=month_type, metavar="YYYY-MM",
                        help="the month audited (default: this month, or SITEKIT_TODAY's)")
    parser.add_argument("--engineer", metavar="NAME",
                        help=f"who ran the audit (default: ${ENGINEER_VARIABLE})")
    parser.add_argument("--history", type=Path, metavar="FILE",
                        help="the audit history (default: reports/<fleet>/history.sqlite)")
    parser.add_argument("--out", type=Path, metavar="DIR",
                        help="where the reports go (default: reports/<fleet>/<month>)")
    parser.add_argument("--policy", type=Path, metavar="FILE",
                        help="the baseline policy (default: <fleet dir>/audit-policy.yml)")
    parser.add_argument("--site", action="append", default=[], metavar="CODE",
                        help="only this site (repeat for more); a run of some sites is not "
                             "kept in the history")
    parser.add_argument("--format", action="append", choices=FORMATS, default=[],
                        dest="formats", help="only this report (repeat for more)")
    parser.add_argument("--validate-facts", action="store_true",
                        help="check every facts document against the whole facts schema "
                             "(slower; without it only the envelope is checked, and a fact "
                             "of the wrong type is unknown)")
    parser.add_argument("--from-history", action="store_true",
                        help="render --month from the history alone: no facts, no hosts")


def run(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    """Run `sitekit report`; the exit status."""
    today = planning_date()
    month = args.month or today.strftime("%Y-%m")
    if args.from_history:
        if args.facts is not None:
            parser.error("--from-history renders from the history alone; leave out --facts")
        if args.month is None:
            parser.error("--from-history needs --month YYYY-MM")
        fleet = fleet_name(args.fleet)
        if fleet is None:
            return 1
        return _from_history(args, fleet, month)
    if args.facts is None:
        parser.error("give --facts RUN_DIR (the gather step's output), or --from-history")
    if not args.facts.is_dir():
        parser.error(f"--facts {args.facts} is not a directory")
    engineer = args.engineer or os.environ.get(ENGINEER_VARIABLE, "").strip()
    if not engineer:
        parser.error(f"say who ran the audit: --engineer NAME or {ENGINEER_VARIABLE}")
    with collector_paused():
        return _fresh(args, month, engineer, today)


def _report_problems(problems: list[Problem], what: str) -> None:
    count = len(problems)
    print(f"{count} problem{'s' if count != 1 else ''} found in the {what}:", file=sys.stderr)
    for problem in sorted(set(problems)):
        print(f"  {problem}", file=sys.stderr)


def fleet_name(directory: Path) -> str | None:
    """The fleet's name from its fleet file; None (said on stderr) when it cannot be read."""
    path = fleet_file(directory)
    try:
        data = strict_yaml.load(path.read_text(encoding="utf-8"))
        return str(data["fleet"]["name"])
    except (OSError, TypeError, KeyError, ValueError) as error:
        print(f"{display_path(path)}: cannot read the fleet's name: {error}", file=sys.stderr)
        return None


def _fresh(args: argparse.Namespace, month: str, engineer: str, today: dt.date) -> int:
    loaded = load_fleet_dir(args.fleet, only=args.site)
    if loaded.problems or loaded.fleet is None:
        _report_problems(loaded.problems, "site files")
        return 1
    fleet = loaded.fleet
    unknown = {code.upper() for code in args.site} - {site.code for site in loaded.sites}
    if unknown:
        print(f"no site file has code {', '.join(sorted(unknown))}", file=sys.stderr)
        return 1
    policy, problems = load_policy(args.policy or policy_file(args.fleet),
                                   strict_yaml.plain(fleet.source["fleet"]),
                                   None if args.site else [site.code for site in loaded.sites])
    if policy is None:
        _report_problems(problems, "audit policy")
        return 1
    started = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
    run = Run(fleet.name, month, engineer, started, today.isoformat(), policy.version,
              display_path(args.facts))
    evaluator = Evaluator(policy, today, args.validate_facts)
    sites = [SiteReport(result.site, result.hosts)
             for result in (evaluator.site(site, args.facts)
                            for site in fleet_sites(fleet, loaded.sites))]
    report = Report(run, [ControlInfo.of(control) for control in policy.controls], sites)
    history_path = args.history or Path("reports") / fleet.name / "history.sqlite"
    with History(history_path) as history:
        _compare(history, report)
        kept = history.maintenance(fleet.name, month)
        for site in report.sites:  # the month's manual records stay, and come first
            manual = [m for m in kept.get(site.site.code, ()) if m.source == "manual"]
            site.maintenance = sorted([*manual, audit_record(report, site, today)],
                                      key=lambda m: m.date)
        earlier = [point for point in history.trend(fleet.name, month) if point.month != month]
    if args.site:
        print("only some sites: this run is not kept in the history", file=sys.stderr)
        return _write(args, report)
    report.trend = [*earlier, TrendPoint(month, dict(report.counts), report.hosts,
                                         report.unreachable)]
    # SQLite does its work without the GIL: keep the run while the reports are written.
    with ThreadPoolExecutor(max_workers=1) as pool:
        recorded = pool.submit(_record, history_path, report)
        status = _write(args, report)
        recorded.result()
    return status


def _record(path: Path, report: Report) -> None:
    with History(path) as history:
        history.record(report)


def _compare(history: History, report: Report, sites: list[str] | None = None) -> None:
    run = report.run
    previous = history.previous_month(run.fleet, run.month)
    if previous is None:
        return
    failed = history.failures(run.fleet, previous, sites)
    for site in report.sites:
        site.changes = compare(site, previous, failed.get(site.site.code, {}))


def _from_history(args: argparse.Namespace, fleet: str, month: str) -> int:
    history_path = args.history or Path("reports") / fleet / "history.sqlite"
    if not history_path.is_file():
        print(f"no audit history at {history_path}; give --history FILE", file=sys.stderr)
        return 1
    sites = [code.upper() for code in args.site] or None
    with collector_paused(), History(history_path) as history:
        try:
            report = history.load(fleet, month, sites)
        except HistoryError as error:
            print(error, file=sys.stderr)
            return 1
        _compare(history, report, sites)
        report.trend = history.trend(fleet, month)
    return _write(args, report)


def _write(args: argparse.Namespace, report: Report) -> int:
    out = args.out or Path("reports") / report.run.fleet / report.run.month
    written = write_all(report, out, args.formats or FORMATS)
    counts = report.counts
    share = report.compliance
    print(f"{report.run.fleet} {report.run.month}: {len(report.sites)} sites, {report.hosts} "
          f"hosts; {counts['fail']} fail, {counts['unknown']} unknown, {counts['waived']} "
          f"waived, {counts['pass']} pass ({f'{share:.1%}' if share is not None else '-'} "
          "compliant)")
    summary = out / "summary.html"
    print(f"reports in {display_path(out)}/ ({len(written)} files)"
          + (f"; start with {display_path(summary)}" if summary in written else ""))
    return 0
