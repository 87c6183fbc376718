"""`sitekit rollout`: plan a release's rollout, see where it stands, approve, pause, halt.

sitekit rollout plan FLEET --release ID [--format table|json]
sitekit rollout status FLEET --release ID [--format table|json] [--history FILE]
sitekit rollout approve|pause|resume|halt FLEET --release ID [--ring N] --engineer NAME
    --reason TEXT [--history FILE]
sitekit rollout rings FLEET [--format table|json] [--history FILE]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sitekit.arguments import fleet_dir
from sitekit.audit.shared import ENGINEER_VARIABLE
from sitekit.plan.fleet import collector_paused, planning_now
from sitekit.plan.schedule import plan_schedule
from sitekit.problems import Problem, ProblemsFound
from sitekit.rollout.planner import STOPPED, PlannedSite, SiteInput, plan_rollout
from sitekit.rollout.release import Release, load_release, short
from sitekit.site.load import load_fleet_dir
from sitekit.site.model import Fleet, Site
from sitekit.site.sqlserver import installed_version

if TYPE_CHECKING:  # imported when used: the audit history is not needed to plan
    from sitekit.rollout.state import Event, SiteState

MAX_TEXT = 4000
FORMATS = ("table", "json")


def build_parser() -> argparse.ArgumentParser:
    """The options of `sitekit rollout`."""
    parser = argparse.ArgumentParser(
        prog="sitekit rollout",
        description="Roll a release out ring by ring, each site inside its maintenance window.")
    commands = parser.add_subparsers(dest="action", required=True, metavar="ACTION")

    def common(name: str, text: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=text, description=text)
        sub.add_argument("fleet", type=fleet_dir, help="fleet directory, e.g. inventories/example")
        sub.add_argument("--release", required=True, metavar="ID",
                         help="the release: releases/<ID>.yml in the fleet directory")
        return sub

    def history(sub: argparse.ArgumentParser) -> None:
        sub.add_argument("--history", type=Path, metavar="FILE",
                         help="the audit history (default: reports/<fleet>/history.sqlite)")

    plan = common("plan", "which site goes in which ring and batch, and when")
    plan.add_argument("--format", choices=FORMATS, default="table")
    history(plan)
    status = common("status", "each ring's and each site's state")
    status.add_argument("--format", choices=(*FORMATS, "html"), default="table",
                        help="html: one page with the progress drawn")
    history(status)
    rings = commands.add_parser(
        "rings", help="which release each ring (and each site) is on now",
        description="Which release each ring is on (complete in it), and each site: what "
                    "`sitekit report` judges the application by.")
    rings.add_argument("fleet", type=fleet_dir, help="fleet directory, e.g. inventories/example")
    rings.add_argument("--format", choices=FORMATS, default="table")
    history(rings)
    for action, text in (("approve", "approve a ring that the policy says needs approval"),
                         ("pause", "stop a ring (or, without --ring, the release) for now"),
                         ("resume", "lift a pause or a halt (a ring's, or the release's)"),
                         ("halt", "stop every site not yet done, from a ring on")):
        sub = common(action, text)
        sub.add_argument("--ring", type=int, metavar="N", required=action == "approve",
                         help="the ring (default: the whole release)")
        sub.add_argument("--engineer", metavar="NAME",
                         help=f"who decides (default: ${ENGINEER_VARIABLE})")
        sub.add_argument("--reason", required=True, help="why: kept in the history")
        history(sub)
    return parser


@dataclass
class Loaded:
    """A fleet and one of its releases, checked."""

    fleet: Fleet
    sites: list[Site]
    release: Release


def main(argv: list[str]) -> int:
    """`sitekit rollout ...`; the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    with collector_paused():
        if args.action == "rings":
            return _rings(args.fleet, args.history, args.format)
        loaded = _load(args.fleet, args.release)
        if loaded is None:
            return 1
        history_path = args.history or Path("reports") / loaded.fleet.name / "history.sqlite"
        if args.action == "plan":
            return _plan(loaded, history_path, args.format)
        if args.action == "status":
            return _status(loaded, history_path, args.format)
        return _decide(parser, args, loaded, history_path)


def _rings(fleet_path: Path, history: Path | None, form: str) -> int:
    """`sitekit rollout rings`: the release each ring and each site is on."""
    import json  # noqa: PLC0415

    from sitekit.audit.history import HistoryError  # noqa: PLC0415
    from sitekit.rollout.rings import ring_releases  # noqa: PLC0415

    found = load_fleet_dir(fleet_path)
    if found.fleet is None or found.problems:
        print(ProblemsFound(found.problems).report(), file=sys.stderr)
        return 1
    history_path = history or Path("reports") / found.fleet.name / "history.sqlite"
    try:
        on = ring_releases(fleet_path, found.fleet, found.sites, history_path, planning_now())
    except HistoryError as error:
        print(error, file=sys.stderr)
        return 1
    pinned = "the fleet's pin"
    if form == "json":
        sys.stdout.write(json.dumps({
            "rings": [{"ring": ring, "release": r.release or None, "version": r.version}
                      for ring, r in sorted(on.rings.items())],
            "sites": [{"site": code, "release": r.release or None, "version": r.version}
                      for code, r in sorted(on.sites.items())]}, indent=2) + "\n")
        return 0
    for ring, release in sorted(on.rings.items()):
        print(f"ring {ring}: {release.version} ({release.release or pinned})")
    ahead = {code: r for code, r in sorted(on.sites.items())
             if r != on.rings[next(s.rollout_ring for s in found.sites if s.code == code)]}
    for code, release in ahead.items():
        print(f"  {code}: {release.version} ({release.release or pinned}), ahead of its ring")
    return 0


def _load(fleet: Path, release_id: str) -> Loaded | None:
    found = load_fleet_dir(fleet, cached=True)
    problems = found.problems
    release = None
    if found.fleet is not None and not problems:
        release, problems = load_release(fleet, release_id, found.fleet, found.sites)
    if found.fleet is None or release is None or problems:
        print(ProblemsFound(problems).report().replace("in the site files", "in the fleet's "
                                                       "files"), file=sys.stderr)
        return None
    return Loaded(found.fleet, found.sites, release)


def _recorded(history_path: Path, fleet: str,
              release: str) -> tuple[dict[str, SiteState], list[Event]]:
    """The sites' recorded states and the release's events, from the history if it exists."""
    if not history_path.is_file():
        return {}, []
    from sitekit.audit.history import History  # noqa: PLC0415 - only when a history exists
    from sitekit.rollout.state import RolloutHistory  # noqa: PLC0415

    with History(history_path, readonly=True) as history:
        store = RolloutHistory(history, fleet)
        return store.sites(release), store.events(release)


def _plan(loaded: Loaded, history_path: Path, form: str) -> int:
    from sitekit.audit.history import HistoryError  # noqa: PLC0415
    from sitekit.rollout import render  # noqa: PLC0415

    try:
        states, events = _recorded(history_path, loaded.fleet.name, loaded.release.id)
    except HistoryError as error:
        print(error, file=sys.stderr)
        return 1
    now = planning_now()
    done = frozenset(code for code, state in states.items() if state.state == "done")
    inputs, unplanned = site_inputs(loaded.fleet, loaded.sites)
    plan = plan_rollout(loaded.release, inputs, now, done=done,
                        stopped=_stopped(loaded, states, events, now))
    for ring in plan.rings:
        ring.deferred += [site for site in unplanned if site.ring == ring.ring]
    sys.stdout.write(render.PLAN_RENDERERS[form](plan))
    return 0


def _stopped(loaded: Loaded, states: dict[str, SiteState], events: list[Event],
             now: dt.datetime) -> dict[int, str]:
    """The rings the plan leaves out: the first halted or paused one, and every later one."""
    if not states and not events:
        return {}
    from sitekit.rollout.state import gates  # noqa: PLC0415

    status = gates(loaded.release, _site_states(loaded, states), events, now)
    stopped: dict[int, str] = {}
    first = ""
    for ring in status.rings:
        if first:
            stopped[ring.ring] = f"{STOPPED}{first}"
        elif ring.state in ("halted", "paused"):
            stopped[ring.ring] = f"{STOPPED}{ring.state}: {ring.reason}"
            first = f"ring {ring.ring} is {ring.state}"
    return stopped


def site_inputs(fleet: Fleet, sites: list[Site]) -> tuple[list[SiteInput], list[PlannedSite]]:
    """Each site's ring and windows (the plan's own); sites without windows, deferred."""
    inputs, unplanned = [], []
    for site in sites:
        problems: list[Problem] = []
        schedule = plan_schedule(site, fleet, problems)
        if schedule is None:
            why = "; ".join(problem.message for problem in problems)
            unplanned.append(PlannedSite(site.code, site.rollout_ring, 0, False, site.time_zone,
                                         None, f"no maintenance window can be planned: {why}"))
        else:
            inputs.append(SiteInput(site.code, site.rollout_ring, schedule))
    return inputs, unplanned


def _status(loaded: Loaded, history_path: Path, form: str) -> int:
    from sitekit.audit.history import History, HistoryError  # noqa: PLC0415
    from sitekit.rollout import render  # noqa: PLC0415
    from sitekit.rollout.state import RolloutHistory, gates  # noqa: PLC0415

    release = loaded.release
    states: dict[str, SiteState] = {}
    events = []
    try:
        if history_path.is_file():
            with History(history_path, readonly=True) as history:
                store = RolloutHistory(history, loaded.fleet.name)
                states, events = store.sites(release.id), store.events(release.id)
    except HistoryError as error:
        print(error, file=sys.stderr)
        return 1
    status = gates(release, _site_states(loaded, states), events, planning_now())
    sys.stdout.write(render.STATUS_RENDERERS[form](status))
    return 0


def _site_states(loaded: Loaded, states: dict[str, SiteState]) -> list[SiteState]:
    """Every site of the fleet: its recorded state, or pending at the fleet's versions.

    A site is judged in the ring its site file names now, whatever ring it was in when its
    state was recorded; sites no longer in the fleet are left out.
    """
    from dataclasses import replace  # noqa: PLC0415

    from sitekit.rollout.state import SiteState  # noqa: PLC0415

    before = current_versions(loaded.fleet, loaded.release)
    return [replace(states[site.code], ring=site.rollout_ring) if site.code in states
            else SiteState(site.code, site.rollout_ring, "pending", "", before,
                           loaded.release.target)
            for site in loaded.sites]


def current_versions(fleet: Fleet, release: Release) -> str:
    """What the fleet's files say sites run now, for the components the release moves."""
    software = fleet.software
    now = {"application": str(fleet.application["version"]),
           "sql_server": installed_version(software["sql_server"]),
           "windows_updates": "as installed"}
    return short({name: now[name] for name in release.targets()})


def _decide(parser: argparse.ArgumentParser, args: argparse.Namespace, loaded: Loaded,
            history_path: Path) -> int:
    from sitekit.audit.history import History, HistoryError, Lock  # noqa: PLC0415
    from sitekit.rollout.state import Event, RolloutHistory, gates, stamp  # noqa: PLC0415

    release = loaded.release
    engineer = (args.engineer if args.engineer is not None
                else os.environ.get(ENGINEER_VARIABLE, "")).strip()
    wrong = _text_problems(engineer=engineer, reason=args.reason)
    rings = [policy.ring for policy in release.rings]
    if args.ring is not None and args.ring not in rings:
        wrong.append(f"--ring {args.ring} is not a ring of release {release.id}; its rings: "
                     f"{', '.join(map(str, rings))}")
    elif args.action == "approve" and not release.ring(args.ring).approval:
        wrong.append(f"ring {args.ring}'s policy needs no approval (approval: false in "
                     f"{release.file}); nothing to approve")
    if wrong:
        parser.error("; ".join(wrong))
    event = Event(args.action, args.ring, stamp(planning_now()), engineer, args.reason.strip())
    what = f"sitekit rollout {args.action} {loaded.fleet.name} --release {release.id}"
    try:
        History.verify(history_path)
        with Lock(history_path, what), History(history_path) as history:
            store = RolloutHistory(history, loaded.fleet.name)
            store.record_event(release.id, event)
            status = gates(release, _site_states(loaded, store.sites(release.id)),
                           store.events(release.id), planning_now())
    except HistoryError as error:
        print(error, file=sys.stderr)
        return 1
    where = f"ring {args.ring}" if args.ring is not None else "the release"
    print(f"kept in {history_path}: {args.action} {where} of {release.id} by {engineer}")
    for ring in status.rings:
        print(f"  ring {ring.ring}: {ring.state}{' - ' + ring.reason if ring.reason else ''}")
    return 0


def _text_problems(**texts: str) -> list[str]:
    found = []
    for name, text in texts.items():
        if not text.strip():
            hint = f" (or set {ENGINEER_VARIABLE})" if name == "engineer" else ""
            what = "who decides" if name == "engineer" else "why"
            found.append(f"--{name} is blank: say {what}{hint}")
        elif len(text) > MAX_TEXT:
            found.append(f"--{name} is {len(text)} characters; at most {MAX_TEXT}")
        elif any(ord(c) < 32 or c == "\x7f" for c in text):
            found.append(f"--{name} holds control characters; write plain text")
    return found
