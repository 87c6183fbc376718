"""Alertmanager's webhook into incidents: one incident per alert group, added to while open.

Alertmanager posts a group's alerts as JSON (webhook payload version 4,
https://prometheus.io/docs/alerting/latest/configuration/#webhook_config): `groupKey`
names the group, `status` is firing or resolved, `alerts[]` carry their labels. The
group's first firing notification opens an incident (source `alert`); later ones for the
same group, while it is open, add what changed (new alerts, resolved ones) and nothing
for a repeat. A resolved group does not close the incident: an engineer closes it with
the cause, the solution and the customer's evaluation.

The server listens on loopback only; Alertmanager runs beside it.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import sys
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

from sitekit.audit.history import History, HistoryError, Lock
from sitekit.incident.records import Event, Incident
from sitekit.incident.store import IncidentStore

CALLER = "Alertmanager"
MAX_BODY = 1 << 20  # Alertmanager's payloads for one site's group stay far below this


class PayloadError(ValueError):
    """A payload that is not an Alertmanager webhook for a site of this fleet."""


def _alerts(payload: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(alertname, host, status) of each alert, sorted: what a notification says."""
    return sorted((str(a["labels"].get("alertname", "")), str(a["labels"].get("host", "")),
                   str(a["status"])) for a in payload["alerts"])


def receive(store: IncidentStore, payload: object, sites: set[str], now: dt.datetime) -> str:
    """Keep one notification; what was done, in a few words. PayloadError when malformed."""
    if not isinstance(payload, dict) or payload.get("version") != "4" or not isinstance(
            payload.get("alerts"), list) or not isinstance(payload.get("groupKey"), str):
        raise PayloadError("not an Alertmanager webhook payload (version 4, with groupKey and "
                           "alerts)")
    if not all(isinstance(a, dict) and isinstance(a.get("labels"), dict) for a in
               payload["alerts"]):
        raise PayloadError("an alert without labels")
    labels = {**payload.get("commonLabels", {}), **payload.get("groupLabels", {})}
    site = str(labels.get("site", "")).upper()
    if site not in sites:
        raise PayloadError(f"the group's site label {site or '(none)'!r} is no site of the "
                           "fleet; group alerts by site (sitekit monitoring config does)")
    said = _alerts(payload)
    group = payload["groupKey"]
    incident = store.open_for_group(group)
    if incident is None:
        if payload.get("status") != "firing":
            return f"{site}: resolved, no open incident"
        hosts = sorted({host for _, host, _ in said if host})
        firing = [a for a in payload["alerts"] if a["status"] == "firing"]
        reported = "; ".join(str(a.get("annotations", {}).get("summary")
                                 or a["labels"].get("alertname")) for a in firing)
        number = store.open(Incident(0, store.fleet, site, tuple(hosts), "alert", CALLER,
                                     str(payload.get("externalURL", "")), reported, now,
                                     alert_group=group))
        store.add(number, Event("alert", now, CALLER, {"status": "firing", "alerts": said}))
        return f"{site}: incident {number} opened"
    last = next((e for e in reversed(incident.events) if e.action == "alert"), None)
    if last is not None and [tuple(a) for a in last.fields.get("alerts", ())] == said:
        return f"{site}: incident {incident.id}, a repeat"
    store.add(incident.id, Event("alert", max(now, _last(incident)), CALLER,
                                 {"status": str(payload.get("status")), "alerts": said}))
    return f"{site}: incident {incident.id}, {payload.get('status')} alerts added"


def _last(incident: Incident) -> dt.datetime:
    return max([incident.opened, *(e.at for e in incident.events)])


def serve(history_path: Path, fleet: str, sites: set[str], listen: tuple[str, int],
          clock: Callable[[], dt.datetime]) -> HTTPServer:
    """The receiver's HTTP server on a loopback address (not started: call serve_forever).

    One request at a time: each holds the history's lock while it keeps its notification.
    """
    if not ipaddress.ip_address(listen[0]).is_loopback:
        raise ValueError(f"{listen[0]} is not a loopback address; the receiver listens on "
                         "127.0.0.1 (or ::1) beside Alertmanager only")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BODY:
                self._answer(413, "payload too large")
                return
            try:
                payload = json.loads(self.rfile.read(length))
                with Lock(history_path, "sitekit incident receive"), \
                        History(history_path) as history:
                    said = receive(IncidentStore(history, fleet), payload, sites, clock())
            except HistoryError as error:  # busy or unusable: Alertmanager retries a 5xx
                self._answer(503, str(error))
                return
            except ValueError as error:  # PayloadError, or not JSON at all
                self._answer(400, str(error))
                return
            self._answer(200, said)

        def _answer(self, status: int, text: str) -> None:
            body = (text + "\n").encode()
            self.send_response(status)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            sys.stderr.write(f"{status} {text}\n")

        def log_message(self, *_: object) -> None:
            pass  # each request is said once, above

    return HTTPServer(listen, Handler)
