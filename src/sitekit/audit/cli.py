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
import sqlite3
import sys
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from sitekit.arguments import fleet_dir
from sitekit.audit import segmentation
from sitekit.audit.evaluate import Evaluator, fleet_sites
from sitekit.audit.history import History, HistoryError, Lock
from sitekit.audit.incidents import MonthIncidents
from sitekit.audit.policy import Policy, load_policy, policy_file
from sitekit.audit.render import FORMATS, discard, publish, stage_all, write_all
from sitekit.audit.report import (
    ControlInfo,
    Report,
    Run,
    SiteReport,
    TrendPoint,
    audit_record,
    compare,
)
from sitekit.audit.shared import ENGINEER_VARIABLE, fleet_name
from sitekit.plan.fleet import collector_paused, planning_date, planning_now
from sitekit.problems import Problem, ProblemsFound, display_path
from sitekit.site import strict_yaml
from sitekit.site.load import load_fleet_dir
from sitekit.site.model import Fleet, Site

_MONTH = re.compile(r"^[0-9]{4}-(0[1-9]|1[0-2])$")


FIRST_MONTH = "2000-01"

# What measures a month's incidents for the reports (fleet dir, history, fleet, month, now):
# sitekit.incident.monthly.month_incidents, which sits above the audit and is handed in by
# the `sitekit` command; without it the reports show no incidents.
IncidentSource = Callable[[Path, History, str, str, dt.datetime], MonthIncidents | None]


def month_type(text: str) -> str:
    """--month: YYYY-MM, from FIRST_MONTH to this month (SITEKIT_TODAY's)."""
    if not _MONTH.match(text):
        raise argparse.ArgumentTypeError(f"{text} is not a month; write YYYY-MM, e.g. 2026-12")
    this_month = planning_date().strftime("%Y-%m")
    if text > this_month:
        raise argparse.ArgumentTypeError(f"{text} is after this month ({this_month}): a month "
                                         "is audited once its facts are gathered")
    if text < FIRST_MONTH:
        raise argparse.ArgumentTypeError(f"{text} is before {FIRST_MONTH}; check the year")
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


# Per site, values replacing the fleet file's for `value_from: fleet.<key>`: given the
# fleet directory, the fleet, every site (None when the run audits only some) and the
# history. The command line passes the rollout's (the release each site's ring is on).
SiteValues = Callable[[Path, Fleet, list[Site] | None, Path], Mapping[str, Mapping[str, Any]]]


def main(argv: list[str], site_values: SiteValues | None = None,
         incidents: IncidentSource | None = None) -> int:
    """`sitekit report ...`; the exit status. `incidents` adds the month's incidents."""
    report_parser = build_parser()
    args = report_parser.parse_args(argv)
    args.site_values = site_values
    return run(report_parser, args, incidents)


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
    parser.add_argument("--releases", type=Path, metavar="FILE",
                        help="the release table the version floors are judged by (default: "
                             "release-table.yml beside the policy)")
    parser.add_argument("--records", type=Path, metavar="DIR",
                        help="the handover records, whose newest segmentation test the "
                             "maintenance records name (default: <fleet dir>/records)")
    parser.add_argument("--site", action="append", default=[], metavar="CODE",
                        help="only this site (repeat for more); the run replaces only "
                             "these sites' results of the month in the history")
    parser.add_argument("--format", action="append", choices=FORMATS, default=[],
                        dest="formats", help="only this report (repeat for more)")
    parser.add_argument("--validate-facts", action="store_true",
                        help="check every facts document against the whole facts schema "
                             "(slower; without it only the envelope is checked, and a fact "
                             "of the wrong type is unknown)")
    parser.add_argument("--from-history", action="store_true",
                        help="render --month from the history alone: no facts, no hosts")


def run(parser: argparse.ArgumentParser, args: argparse.Namespace,
        incidents: IncidentSource | None = None) -> int:
    """Run `sitekit report`; the exit status."""
    args.incidents = incidents
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
    engineer = (args.engineer if args.engineer is not None
                else os.environ.get(ENGINEER_VARIABLE, "")).strip()
    if not engineer:
        parser.error(f"say who ran the audit: --engineer NAME or {ENGINEER_VARIABLE}")
    with collector_paused():
        return _fresh(args, month, engineer, today)


def _report_problems(problems: list[Problem], what: str) -> None:
    count = len(problems)
    print(f"{count} problem{'s' if count != 1 else ''} found in the {what}:", file=sys.stderr)
    for problem in sorted(set(problems)):
        print(f"  {problem}", file=sys.stderr)


def _out_problem(out: Path) -> str | None:
    """Why the reports cannot go to `out` (checked before anything is recorded)."""
    folder = out
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not folder.is_dir():
        return (f"--out {out}: {folder} is a file, not a folder; give --out a folder (it is "
                "created when missing)")
    if not os.access(folder, os.W_OK | os.X_OK):
        return f"--out {out}: cannot write in {folder}"
    return None


def _run_sites(args: argparse.Namespace, sites: list[Site]) -> list[Site]:
    """The sites this run audits: --site's, or those with a folder in the facts."""
    if args.site:
        return sites
    return [site for site in sites if (args.facts / site.code).is_dir()]


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
                                   None if args.site else [site.code for site in loaded.sites],
                                   releases_path=args.releases)
    if policy is None:
        _report_problems(problems, "audit policy")
        return 1
    audited = _run_sites(args, loaded.sites)
    if not audited:
        print(f"{display_path(args.facts)} holds the facts of no site of fleet {fleet.name} "
              "(<RUN_DIR>/<SITE>/<host>.json); give the gather step's run directory, or "
              "--site CODE", file=sys.stderr)
        return 1
    out = args.out or Path("reports") / fleet.name / month
    wrong = _out_problem(out)
    if wrong:
        print(wrong, file=sys.stderr)
        return 2
    history_path = args.history or Path("reports") / fleet.name / "history.sqlite"
    try:
        History.verify(history_path)  # before the lock file is made beside it
        with Lock(history_path, f"sitekit report {fleet.name} --month {month}"):
            return _fresh_locked(args, month=month, engineer=engineer, today=today,
                                 policy=policy, fleet=fleet, audited=audited,
                                 every_site=[] if args.site else loaded.sites,
                                 history_path=history_path, out=out)
    except HistoryError as error:
        print(error, file=sys.stderr)
        return 1
    except ProblemsFound as error:  # the incidents cannot be measured: nothing recorded
        _report_problems(error.problems, "service contract")
        return 1
    except (OSError, sqlite3.Error) as error:
        print(f"sitekit report: {error}; nothing of this run was recorded in {history_path} "
              f"and no report under {out} was replaced", file=sys.stderr)
        return 1


def _segmentation_test(args: argparse.Namespace, fleet: Fleet, code: str,
                       today: dt.date) -> str:
    """The site's last segmentation test (PCI DSS 11.4.5), from its handover records."""
    records = args.records or Path(fleet.directory) / "records"
    return segmentation.sentence(segmentation.last_test(records, code), today)


def _fresh_locked(args: argparse.Namespace, *, month: str, engineer: str, today: dt.date,
                  policy: Policy, fleet: Fleet, audited: list[Site], every_site: list[Site],
                  history_path: Path, out: Path) -> int:
    started = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
    run = Run(fleet.name, month, engineer, started, today.isoformat(), policy.version,
              display_path(args.facts))
    evaluator = Evaluator(policy, today, args.validate_facts, month=month,
                          site_values=_site_values(args, fleet, every_site, history_path),
                          first_seen=_first_seen(history_path, fleet.name),
                          terminals=_terminals(history_path, fleet.name, audited))
    sites = [SiteReport(result.site, result.hosts)
             for result in (evaluator.site(site, args.facts)
                            for site in fleet_sites(fleet, audited))]
    controls = [ControlInfo.of(control) for control in policy.controls]
    report = Report(run, controls, sites)  # what this run keeps: its own sites
    codes = {site.site.code for site in sites}
    with History(history_path) as history:
        others = [code for code in history.site_codes(fleet.name, month) if code not in codes]
        # The month as it now stands: this run's sites and every other site's latest.
        month_report = report
        if others:
            kept_sites = history.load(fleet.name, month, others)
            known = {control.id for control in controls}
            month_report = Report(run, [*controls, *(c for c in kept_sites.controls
                                                    if c.id not in known)],
                                  sorted([*sites, *kept_sites.sites],
                                         key=lambda s: s.site.code))
        _compare(history, month_report)
        month_report.incidents = _incidents(args, history, fleet.name, month)
        _maintenance(args, history, fleet, report, today)
        earlier = [point for point in history.trend(fleet.name, month) if point.month != month]
    missing = sorted({site.code for site in every_site}
                     - {s.site.code for s in month_report.sites})
    if others:
        print(f"this run audited {', '.join(sorted(codes))}; the {month} results of "
              f"{', '.join(others)} are kept as they were", file=sys.stderr)
    if missing:
        print(f"not audited in {month}: {', '.join(missing)}", file=sys.stderr)
    month_report.trend = [*earlier, TrendPoint(month, dict(month_report.counts),
                                               month_report.hosts, month_report.unreachable)]
    # The run is kept only together with its reports: they are rendered to temporary files
    # while SQLite (without the GIL) records the run; the transaction commits once every
    # report is rendered, and the reports are then put in place, each at once.
    rendered, failed = threading.Event(), threading.Event()

    def when_rendered() -> None:
        rendered.wait()
        if failed.is_set():
            raise RuntimeError("the reports could not be written")

    with ThreadPoolExecutor(max_workers=1) as pool:
        recorded = pool.submit(_record, history_path, report, when_rendered,
                               evaluator.sightings)
        try:
            staged = stage_all(month_report, out, args.formats or FORMATS)
        except BaseException:
            failed.set()
            rendered.set()
            recorded.exception()
            raise
        rendered.set()
        try:
            recorded.result()
        except BaseException:
            discard(staged)
            raise
    try:
        written = publish(staged)
    except OSError as error:  # the run is kept: say so, and how to get its reports
        discard(staged)
        print(f"sitekit report: the run is recorded in {history_path}, but its reports could "
              f"not all be put in place under {out} ({error}); write them again with: sitekit "
              f"report {args.fleet} --month {month} --from-history --history {history_path} "
              f"--out {out}", file=sys.stderr)
        return 1
    return _said(month_report, out, written)


def _maintenance(args: argparse.Namespace, history: History, fleet: Fleet,
                 report: Report, today: dt.date) -> None:
    """Each site's maintenance records of the month: the engineers' own, and this audit's."""
    kept = history.maintenance(fleet.name, report.run.month)
    for site in report.sites:  # the month's manual records stay, and come first
        manual = [m for m in kept.get(site.site.code, ()) if m.source == "manual"]
        site.maintenance = sorted(
            [*manual, audit_record(report, site, today,
                                   _segmentation_test(args, fleet, site.site.code, today))],
            key=lambda m: m.date)


def _site_values(args: argparse.Namespace, fleet: Fleet, every_site: list[Site],
                 history_path: Path) -> Mapping[str, Mapping[str, Any]] | None:
    """The run's per-site values (SiteValues), when the command line gave a provider."""
    provider: SiteValues | None = getattr(args, "site_values", None)
    return provider(args.fleet, fleet, every_site or None, history_path) if provider else None


def _first_seen(path: Path, fleet: str) -> dict[tuple[str, str], dict[str, str]]:
    """When the history first saw each enabled account (ACC-06, PCI DSS 8.2.6, ages by it)."""
    with History(path) as history:
        return history.first_seen(fleet)


def _terminals(path: Path, fleet: str, sites: list[Site]) -> dict[str, dict[str, Any]]:
    """Per site, each card terminal of its site file and its newest inspection (TRM-01)."""
    with History(path) as history:
        newest = history.last_inspections(fleet)
    out: dict[str, dict[str, Any]] = {}
    for site in sites:
        out[site.code] = {}
        for device in site.devices:
            if device.card_terminal is None:
                continue
            serial = device.card_terminal.serial
            day, outcome = newest.get((site.code, device.name, serial), (None, None))
            out[site.code][device.name] = {"serial": serial, "inspected": day,
                                           "outcome": outcome}
    return out


def _record(path: Path, report: Report, before_commit: Callable[[], None],
            sightings: Mapping[tuple[str, str], Mapping[str, str]]) -> None:
    with History(path) as history:
        history.record(report, before_commit, sightings)


def _compare(history: History, report: Report) -> None:
    """Each site's changes against its latest earlier month in the history."""
    run = report.run
    previous = history.previous_months(run.fleet, run.month)
    by_month: dict[str, list[str]] = {}
    for site in report.sites:
        if site.site.code in previous:
            by_month.setdefault(previous[site.site.code], []).append(site.site.code)
    for month, codes in by_month.items():
        failed = history.failures(run.fleet, month, codes)
        for site in report.sites:
            if site.site.code in codes:
                site.changes = compare(site, month, failed.get(site.site.code, {}))


def _incidents(args: argparse.Namespace, history: History, fleet: str,
               month: str) -> MonthIncidents | None:
    """The month's incidents, as they stand now, if `sitekit report` was handed the source."""
    if args.incidents is None:
        return None
    return args.incidents(args.fleet, history, fleet, month, planning_now())


def _from_history(args: argparse.Namespace, fleet: str, month: str) -> int:
    history_path = args.history or Path("reports") / fleet / "history.sqlite"
    sites = [code.upper() for code in args.site] or None
    out = args.out or Path("reports") / fleet / month
    wrong = _out_problem(out)
    if wrong:
        print(wrong, file=sys.stderr)
        return 2
    try:
        with collector_paused(), History(history_path, readonly=True) as history:
            report = history.load(fleet, month, sites)
            _compare(history, report)
            report.trend = history.trend(fleet, month)
            report.incidents = _incidents(args, history, fleet, month)
    except HistoryError as error:
        print(error, file=sys.stderr)
        return 1
    except ProblemsFound as error:
        _report_problems(error.problems, "service contract")
        return 1
    except sqlite3.Error as error:
        print(f"{history_path} cannot be read as an audit history: {error}", file=sys.stderr)
        return 1
    return _write(args, report)


def _write(args: argparse.Namespace, report: Report) -> int:
    out = args.out or Path("reports") / report.run.fleet / report.run.month
    return _said(report, out, write_all(report, out, args.formats or FORMATS))


def _said(report: Report, out: Path, written: list[Path]) -> int:
    """Say what the reports found and where they are; 0."""
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
