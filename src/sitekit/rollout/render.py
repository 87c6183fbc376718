"""The rollout plan and status as a table for people and as JSON for tools."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from markupsafe import Markup

from sitekit.audit.svg import stacked_bars
from sitekit.rollout.planner import PlannedSite, RolloutPlan
from sitekit.rollout.state import STATES, Status


def _utc(moment: dt.datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%MZ")


def _local(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%d %a %H:%M %Z")


def plan_data(plan: RolloutPlan) -> dict[str, Any]:
    """The plan as plain data (the JSON output)."""
    release = plan.release
    return {
        "release": release.id,
        "title": release.title,
        "target": release.targets(),
        "now": _utc(plan.now),
        "upgrade_minutes": release.upgrade_minutes,
        "completes": _utc(plan.completes),
        "stopped": plan.stopped,
        "rings": [{
            "ring": ring.ring,
            "approval": ring.approval,
            "soak_hours": ring.soak_hours,
            "starts": _utc(ring.starts) if ring.batches else None,
            "ends": _utc(ring.ends),
            "batches": [[_site_data(site) for site in batch] for batch in ring.batches],
            "deferred": [_site_data(site) for site in ring.deferred],
        } for ring in plan.rings],
    }


def _site_data(site: PlannedSite) -> dict[str, Any]:
    slot = site.slot
    return {
        "site": site.code,
        "ring": site.ring,
        "batch": site.batch or None,
        "canary": site.canary,
        "time_zone": site.time_zone,
        "start_utc": _utc(slot.start) if slot else None,
        "start_local": slot.local_start.isoformat(timespec="minutes") if slot else None,
        "end_utc": _utc(slot.end) if slot else None,
        "window_opens_utc": _utc(slot.window_opens) if slot else None,
        "window_closes_utc": _utc(slot.window_closes) if slot else None,
        "deferred": site.deferred or None,
    }


def plan_json(plan: RolloutPlan) -> str:
    """The plan as JSON (compact, as `sitekit plan --format json`: 2,000 sites stay fast)."""
    return json.dumps(plan_data(plan), ensure_ascii=False) + "\n"


def plan_table(plan: RolloutPlan) -> str:
    """The plan as a table: ring, batch, site, local start, UTC start; then what is deferred."""
    release = plan.release
    lines = [f"release {release.id}: {release.title}",
             f"target: {release.target}",
             f"now {_utc(plan.now)}; each site's upgrade takes up to "
             f"{release.upgrade_minutes} minutes inside its maintenance window", ""]
    header = ("ring", "batch", "site", "starts (site's time)", "starts (UTC)",
              "window closes (UTC)")
    rows = []
    for ring in plan.rings:
        for batch in ring.batches:
            for site in batch:
                assert site.slot is not None  # noqa: S101 - batches hold planned sites only
                rows.append((str(ring.ring), f"{site.batch}{' canary' if site.canary else ''}",
                             site.code, _local(site.slot.local_start), _utc(site.slot.start) or "",
                             _utc(site.slot.window_closes) or ""))
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    lines += ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
              for row in [header, *rows]]
    lines.append("")
    for ring in plan.rings:
        gate = []
        if ring.approval:
            gate.append("needs approval")
        if ring.soak_hours:
            gate.append(f"soaks {ring.soak_hours} h after")
        span = (f"{_utc(ring.starts)} to {_utc(ring.ends)}" if ring.batches
                else "nothing planned")
        lines.append(f"ring {ring.ring}: {len(ring.batches)} batch(es), "
                     f"{sum(map(len, ring.batches))} site(s), {span}"
                     f"{'; ' + ', '.join(gate) if gate else ''}")
    deferred = [site for ring in plan.rings for site in ring.deferred]
    if deferred:
        lines += ["", f"deferred: {len(deferred)} site(s)"]
        lines += [f"  {site.code} (ring {site.ring}): {site.deferred}" for site in deferred]
    if plan.stopped:
        lines += ["", "no estimate of completion while a ring is halted or paused"]
    else:
        lines += ["", f"completes by {_utc(plan.completes) or 'never: no site is planned'} "
                  "(if every approval is given as its soak ends)"]
    return "\n".join(lines) + "\n"


PLAN_RENDERERS = {"table": plan_table, "json": plan_json}


def status_data(status: Status) -> dict[str, Any]:
    """The status as plain data (the JSON output)."""
    return {
        "release": status.release,
        "now": _utc(status.now),
        "halted": status.halted or None,
        "rings": [{
            "ring": ring.ring,
            "state": ring.state,
            "reason": ring.reason,
            "counts": ring.counts,
            "sites": [{
                "site": site.site, "state": site.state, "reason": site.reason or None,
                "version_before": site.version_before, "target": site.target,
                "at": site.at, "engineer": site.engineer, "error": site.error or None,
            } for site in ring.sites],
        } for ring in status.rings],
        "events": [{"action": event.action, "ring": event.ring, "at": event.at,
                    "engineer": event.engineer, "reason": event.reason}
                   for event in status.events],
    }


def status_json(status: Status) -> str:
    """The status as JSON (compact)."""
    return json.dumps(status_data(status), ensure_ascii=False) + "\n"


def status_table(status: Status) -> str:
    """The status: each ring's state and why; each site's state, versions, when, by whom."""
    lines = [f"release {status.release}, {_utc(status.now)}"]
    if status.halted:
        lines.append(f"HALTED: {status.halted}")
    header = ("site", "state", "before", "target", "when", "by", "reason or error")
    for ring in status.rings:
        counts = ", ".join(f"{count} {state}" for state, count in ring.counts.items() if count)
        lines += ["", f"ring {ring.ring}: {ring.state}"
                  f"{' - ' + ring.reason if ring.reason else ''} ({counts})"]
        rows = [(site.site, site.state, site.version_before, site.target, site.at,
                 site.engineer,
                 site.error or ("(the ring's)" if site.reason == ring.reason else site.reason))
                for site in ring.sites]
        widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
        lines += ["  " + "  ".join(cell.ljust(width)
                                   for cell, width in zip(row, widths, strict=True)).rstrip()
                  for row in [header, *rows]]
    return "\n".join(lines) + "\n"


# The states' colours: done green, failures red, waiting grey, halted dark red.
COLOURS = {"done": "#2e7d32", "upgrading": "#5b7fa6", "pending": "#9e9e9e",
           "deferred": "#a15c00", "failed": "#c62828", "rolled_back": "#ad1457",
           "halted": "#6d0000"}


def progress_chart(status: Status, width: int = 640) -> Markup:
    """One bar per ring, split by the sites' states, with the share done, as inline SVG."""
    rows = [(f"ring {ring.ring}", dict(ring.counts)) for ring in status.rings]
    return stacked_bars(rows, "progress by ring", width, order=STATES, colours=COLOURS,
                        counted=("done",), label_width=70)


def status_html(status: Status) -> str:
    """The status as one HTML page, the progress drawn (Jinja2, autoescaped)."""
    from jinja2 import Environment, PackageLoader, StrictUndefined  # noqa: PLC0415 - html only

    env = Environment(loader=PackageLoader("sitekit.rollout", "templates"), autoescape=True,
                      undefined=StrictUndefined, keep_trailing_newline=True)
    return env.get_template("status.html.j2").render(
        status=status, now=_utc(status.now), chart=progress_chart(status), colours=COLOURS)


STATUS_RENDERERS = {"table": status_table, "json": status_json, "html": status_html}
