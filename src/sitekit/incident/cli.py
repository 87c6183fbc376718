"""`sitekit incident`: record faults and calls, their steps, and measure the promises.

sitekit incident open FLEET --site CODE [--host NAME ...] --source phone|alert|audit
    --caller NAME --contact HOW --reported TEXT
sitekit incident ack|dispatch|onsite|pause|resume FLEET ID [--reason TEXT]
sitekit incident restore FLEET ID --cause TEXT --solution TEXT
sitekit incident close FLEET ID --evaluation TEXT
sitekit incident list FLEET [--month YYYY-MM] [--format table|json]
sitekit incident show FLEET ID [--format table|json]

Every command takes --history FILE (default reports/<fleet>/history.sqlite); the steps
take --engineer (default $SITEKIT_ENGINEER) and --at TIME (default now).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sitekit.arguments import fleet_dir
from sitekit.audit.history import History, HistoryError, Lock
from sitekit.audit.shared import ENGINEER_VARIABLE, fleet_name
from sitekit.incident.contract import Contract, load_contract
from sitekit.incident.records import SOURCES, Clock, Event, Incident, StepError, clocks
from sitekit.incident.store import IncidentStore, stamp
from sitekit.incident.summary import month_span
from sitekit.plan.fleet import plan_fleet_dir, planning_now
from sitekit.problems import ProblemsFound

STEP_FIELDS = {"restore": ("cause", "solution"), "close": ("evaluation",), "pause": ("reason",)}
MAX_TEXT = 4000


def _moment(text: str) -> dt.datetime:
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a time; write an ISO time with its "
                                         "offset, e.g. 2026-12-07T03:00:00Z") from None
    if moment.tzinfo is None:
        raise argparse.ArgumentTypeError(f"{text!r} has no offset; add Z or +HH:MM")
    return moment.astimezone(dt.UTC)


def build_parser() -> argparse.ArgumentParser:
    """The options of `sitekit incident`."""
    parser = argparse.ArgumentParser(
        prog="sitekit incident",
        description="Faults and calls at the sites, each step with its time; the response "
        "and on-site promises measured on the fleet's service contract.")
    commands = parser.add_subparsers(dest="action", required=True, metavar="ACTION")

    def command(name: str, text: str, *, numbered: bool = True) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=text, description=text)
        sub.add_argument("fleet", type=fleet_dir, help="fleet directory, e.g. inventories/example")
        if numbered:
            sub.add_argument("id", type=int, help="the incident's number")
        sub.add_argument("--history", type=Path, metavar="FILE",
                         help="the audit history (default: reports/<fleet>/history.sqlite)")
        return sub

    def step(sub: argparse.ArgumentParser) -> None:
        sub.add_argument("--engineer", help=f"who took the step (default: ${ENGINEER_VARIABLE})")
        sub.add_argument("--at", type=_moment, metavar="TIME",
                         help="when, an ISO time with its offset (default: now)")

    opened = command("open", "record a fault or a call", numbered=False)
    opened.add_argument("--site", required=True, metavar="CODE")
    opened.add_argument("--host", action="append", default=[], metavar="NAME",
                        help="a host concerned (repeat for more)")
    opened.add_argument("--source", required=True, choices=SOURCES)
    opened.add_argument("--caller", required=True, help="who called (or the alert's name)")
    opened.add_argument("--contact", required=True, help="how to reach them")
    opened.add_argument("--reported", required=True, help="what they reported")
    step(opened)
    for name, text in (("ack", "answer it: the response clock stops"),
                       ("dispatch", "send an engineer (--engineer names who goes)"),
                       ("onsite", "the engineer is on site: the on-site clock stops"),
                       ("resume", "the customer can be reached again")):
        step(command(name, text))
    paused = command("pause", "the customer cannot be reached: the clocks stop")
    paused.add_argument("--reason", required=True)
    step(paused)
    restored = command("restore", "service restored, with the fault's cause and solution")
    restored.add_argument("--cause", required=True)
    restored.add_argument("--solution", required=True)
    step(restored)
    closed = command("close", "close it with the customer's evaluation")
    closed.add_argument("--evaluation", required=True, help="the customer's evaluation")
    step(closed)
    listed = command("list", "the incidents and their clocks", numbered=False)
    listed.add_argument("--month", metavar="YYYY-MM", help="only those opened in this month")
    listed.add_argument("--format", choices=("table", "json"), default="table")
    receiver = command("receive", "take Alertmanager's webhook on loopback: one incident "
                       "per alert group", numbered=False)
    receiver.add_argument("--listen", default="127.0.0.1:9095", metavar="HOST:PORT",
                          help="loopback address and port (default 127.0.0.1:9095, what "
                          "`sitekit monitoring config` points Alertmanager at)")
    report = command("report", "a month's incidents per site and for the fleet: how many, "
                     "how long to answer and to be on site, which missed", numbered=False)
    report.add_argument("--month", required=True, metavar="YYYY-MM")
    report.add_argument("--format", choices=("table", "json"), default="table")
    shown = command("show", "one incident, every step and both clocks")
    shown.add_argument("--format", choices=("table", "json"), default="table")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run `sitekit incident`; the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    contract, problems = load_contract(args.fleet)
    # Only `open` needs the plan (the site and its hosts); the other steps the fleet's name.
    plan = (plan_fleet_dir(args.fleet, only=[args.site] if args.action == "open" else ())
            if args.action in ("open", "receive") else None)
    fleet = plan.fleet.name if plan is not None and plan.fleet else fleet_name(args.fleet)
    if fleet is None or (plan is not None and plan.problems) or contract is None:
        print(ProblemsFound([*(plan.problems if plan else ()), *problems]).report(),
              file=sys.stderr)
        return 1
    history_path = args.history or Path("reports") / fleet / "history.sqlite"
    now = planning_now()
    if args.action == "receive" and plan is not None:
        return _receive(parser, args, fleet, history_path,
                        {site.site.code for site in plan.sites})
    try:
        if args.action in ("list", "show", "report"):
            if not history_path.is_file():
                print(f"no history at {history_path}: no incidents yet", file=sys.stderr)
                return 1
            with History(history_path, readonly=True) as history:
                store = IncidentStore(history, fleet)
                if args.action in ("list", "report"):
                    return _list(store, contract, args, now)
                return _show(store, contract, args, now)
        return _step(parser, args, fleet, history_path, contract,
                     plan.sites[0].hosts if plan is not None else ())
    except HistoryError as error:
        print(error, file=sys.stderr)
        return 1


def _step(parser: argparse.ArgumentParser, args: argparse.Namespace, fleet: str,  # noqa: PLR0917
          history_path: Path, contract: Contract, hosts: Sequence[Any]) -> int:
    """Open an incident or take one of its steps."""
    now = planning_now()
    engineer = (args.engineer if args.engineer is not None
                else os.environ.get(ENGINEER_VARIABLE, "")).strip()
    if not engineer and args.action != "open":
        parser.error(f"--engineer is empty: name who took the step (or set "
                     f"{ENGINEER_VARIABLE})")
    texts = {name: getattr(args, name) for name in
             (*STEP_FIELDS.get(args.action, ()), "caller", "contact", "reported")
             if isinstance(getattr(args, name, None), str)}
    for name, text in texts.items():
        if not text.strip() or len(text) > MAX_TEXT:
            parser.error(f"--{name} must say something, in at most {MAX_TEXT} characters")
    at = args.at or now
    History.verify(history_path)
    with Lock(history_path, f"sitekit incident {args.action} {fleet}"), \
            History(history_path) as history:
        store = IncidentStore(history, fleet)
        if args.action == "open":
            return _open(parser, store, hosts, args, at=at, engineer=engineer)
        incident = store.get(args.id)
        if incident is None:
            parser.error(f"fleet {fleet} has no incident {args.id}; "
                         "`sitekit incident list` shows them")
        try:
            incident.check(args.action, at)
        except StepError as error:
            print(f"sitekit incident {args.action}: {error}", file=sys.stderr)
            return 1
        fields = {name: getattr(args, name).strip()
                  for name in STEP_FIELDS.get(args.action, ())}
        event = Event(args.action, at, engineer, fields)
        store.add(incident.id, event)
        incident.events.append(event)
    print(f"incident {incident.id} at {incident.site}: {args.action} at {stamp(at)} by "
          f"{engineer}; now {incident.state}")
    for clock in clocks(incident, contract, max(now, at)):
        print(f"  {_clock_text(clock)}")
    return 0


def _open(parser: argparse.ArgumentParser, store: IncidentStore, hosts: Sequence[Any],
          args: argparse.Namespace, *, at: dt.datetime, engineer: str) -> int:
    names = {host.name for host in hosts}
    wanted = tuple(name.lower() for name in args.host)
    unknown = [name for name in wanted if name not in names]
    if unknown:
        parser.error(f"--host {', '.join(unknown)}: not a host of site {args.site.upper()}; "
                     f"its hosts: {', '.join(sorted(names))}")
    incident = Incident(0, store.fleet, args.site.upper(), wanted, args.source,
                        args.caller.strip(), args.contact.strip(), args.reported.strip(), at)
    number = store.open(incident)
    who = f" by {engineer}" if engineer else ""
    print(f"incident {number} opened at {incident.site} at {stamp(at)}{who}")
    return 0


def _clock_text(clock: Clock) -> str:
    verdict = ("MISSED" if clock.missed else "kept") if clock.stopped else (
        "running, MISSED" if clock.missed else "running")
    return (f"{clock.name}: {_duration(clock.used)} of {_duration(clock.limit)} "
            f"({verdict})")


def _duration(span: dt.timedelta) -> str:
    minutes = int(span.total_seconds() // 60)
    return f"{minutes // 60}h{minutes % 60:02d}m"


def as_dict(incident: Incident, contract: Contract, now: dt.datetime) -> dict[str, Any]:
    """An incident as `--format json` writes it."""
    response, onsite = clocks(incident, contract, now)
    return {
        "id": incident.id, "site": incident.site, "hosts": list(incident.hosts),
        "source": incident.source, "caller": incident.caller, "contact": incident.contact,
        "reported": incident.reported, "opened": stamp(incident.opened),
        "state": incident.state, "alert_group": incident.alert_group,
        "steps": [{"action": e.action, "at": stamp(e.at), "engineer": e.engineer, **e.fields}
                  for e in incident.events],
        "clocks": {c.name.replace(" ", "_"): {
            "used_minutes": round(c.used.total_seconds() / 60, 1),
            "limit_minutes": round(c.limit.total_seconds() / 60, 1),
            "stopped": c.stopped, "missed": c.missed} for c in (response, onsite)},
    }


def _list(store: IncidentStore, contract: Contract, args: argparse.Namespace,
          now: dt.datetime) -> int:
    since = until = None
    if args.month:
        try:
            since, until = month_span(args.month)
        except ValueError:
            print(f"--month {args.month!r} is not a month; write YYYY-MM", file=sys.stderr)
            return 2
    incidents = store.all(since, until)
    if args.action == "report":
        return _report(incidents, contract, args.format, now)
    if args.format == "json":
        json.dump([as_dict(i, contract, now) for i in incidents], sys.stdout, indent=1,
                  ensure_ascii=False)
        sys.stdout.write("\n")
        return 0
    print(f"{'id':>4}  {'site':<8} {'source':<6} {'opened':<20} {'state':<9} response / on site")
    for incident in incidents:
        response, onsite = clocks(incident, contract, now)
        print(f"{incident.id:>4}  {incident.site:<8} {incident.source:<6} "
              f"{stamp(incident.opened)[:16] + 'Z':<20} {incident.state:<9} "
              f"{_clock_text(response)}; {_clock_text(onsite)}")
    return 0


def _show(store: IncidentStore, contract: Contract, args: argparse.Namespace,
          now: dt.datetime) -> int:
    incident = store.get(args.id)
    if incident is None:
        print(f"no incident {args.id}; `sitekit incident list` shows them", file=sys.stderr)
        return 1
    if args.format == "json":
        json.dump(as_dict(incident, contract, now), sys.stdout, indent=1, ensure_ascii=False)
        sys.stdout.write("\n")
        return 0
    print(f"incident {incident.id} at {incident.site} ({incident.state}), from {incident.source}")
    print(f"  hosts: {', '.join(incident.hosts) or '-'}")
    print(f"  caller: {incident.caller} ({incident.contact})")
    print(f"  reported: {incident.reported}")
    print(f"  {stamp(incident.opened)}  open")
    for event in incident.events:
        details = "; ".join(f"{k}: {v}" for k, v in event.fields.items())
        print(f"  {stamp(event.at)}  {event.action} by {event.engineer}"
              f"{' - ' + details if details else ''}")
    for clock in clocks(incident, contract, now):
        print(f"  {_clock_text(clock)}")
    return 0


def _receive(parser: argparse.ArgumentParser, args: argparse.Namespace, fleet: str,
             history_path: Path, sites: set[str]) -> int:
    from sitekit.incident.receiver import serve  # noqa: PLC0415 - only the receiver serves

    host, _, port = args.listen.rpartition(":")
    if not port.isdigit():
        parser.error(f"--listen {args.listen!r}: write HOST:PORT, e.g. 127.0.0.1:9095")
    try:
        History.verify(history_path)
        server = serve(history_path, fleet, sites, (host.strip("[]"), int(port)), planning_now)
    except (ValueError, OSError, HistoryError) as error:
        print(f"sitekit incident receive: {error}", file=sys.stderr)
        return 1
    print(f"receiving Alertmanager's webhook on http://{args.listen}/ for fleet {fleet} "
          f"into {history_path}", flush=True)
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


def _report(incidents: list[Incident], contract: Contract, form: str, now: dt.datetime) -> int:
    from sitekit.incident.summary import FLEET, Summary, summarize  # noqa: PLC0415

    summaries = sorted(summarize(incidents, contract, now).items(),
                       key=lambda item: (item[0] == FLEET, item[0]))

    def minutes(span: dt.timedelta | None) -> float | None:
        return None if span is None else round(span.total_seconds() / 60, 1)

    def pair(spans: list[dt.timedelta]) -> tuple[dt.timedelta | None, dt.timedelta | None]:
        return Summary.median(spans), max(spans, default=None)

    if form == "json":
        json.dump({"fleet" if code == FLEET else code: {
            "incidents": s.incidents,
            "response_minutes": dict(zip(("median", "worst"), map(minutes, pair(s.response)),
                                         strict=True)),
            "onsite_minutes": dict(zip(("median", "worst"), map(minutes, pair(s.onsite)),
                                       strict=True)),
            "missed": [{"incident": number, "clock": clock} for number, clock in s.missed],
        } for code, s in summaries}, sys.stdout, indent=1)
        sys.stdout.write("\n")
        return 0

    def shown(spans: list[dt.timedelta]) -> str:
        return " / ".join("-" if span is None else _duration(span) for span in pair(spans))

    print(f"{'site':<8} {'incidents':>9}  {'response median / worst':<24} "
          f"{'on site median / worst':<24} missed")
    for code, s in summaries:
        missed = ", ".join(f"#{number} {clock}" for number, clock in s.missed) or "-"
        print(f"{'fleet' if code == FLEET else code:<8} {s.incidents:>9}  "
              f"{shown(s.response):<24} {shown(s.onsite):<24} {missed}")
    return 0
