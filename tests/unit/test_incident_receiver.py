"""The webhook receiver's rules, fed payloads shaped as Alertmanager 0.25 sends them.

The end-to-end path (a real Alertmanager posting to `sitekit incident receive`) is in
test_monitoring_alertmanager.py; these are the cases it cannot make happen.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sitekit.audit.history import History
from sitekit.incident.receiver import PayloadError, receive, serve
from sitekit.incident.records import Event
from sitekit.incident.store import IncidentStore

NOW = dt.datetime(2026, 12, 7, 3, 0, tzinfo=dt.UTC)
SITES = {"LIS01", "BER02"}


def payload(status: str = "firing", site: str = "LIS01", **extra: Any) -> dict[str, Any]:
    """A webhook payload (version 4) as Alertmanager posts it for one site's group."""
    return {
        "receiver": "sitekit-incidents", "status": status, "version": "4",
        "groupKey": f'{{}}/{{maintenance="mute",site="{site}"}}:{{site="{site}"}}',
        "truncatedAlerts": 0, "externalURL": "http://monitoring:9093",
        "groupLabels": {"site": site}, "commonLabels": {"site": site, "alertname": "HostDown"},
        "commonAnnotations": {},
        "alerts": [{"status": status, "labels": {"alertname": "HostDown", "site": site,
                                                 "host": f"{site.lower()}-srv01"},
                    "annotations": {"summary": "the server does not answer"},
                    "startsAt": "2026-12-07T02:55:00Z", "endsAt": "0001-01-01T00:00:00Z",
                    "generatorURL": "", "fingerprint": "0123456789abcdef"}],
        **extra,
    }


@pytest.fixture
def store(tmp_path: Path) -> Iterator[IncidentStore]:
    with History(tmp_path / "history.sqlite") as history:
        yield IncidentStore(history, "example")


@pytest.mark.parametrize(("body", "message"), [
    ({"status": "firing"}, "not an Alertmanager webhook payload"),
    (payload(version="3"), "not an Alertmanager webhook payload"),
    (payload(alerts=[{"status": "firing"}]), "an alert without labels"),
    (payload(site="XXX01"), "'XXX01' is no site of the fleet"),
    (payload(groupLabels={}, commonLabels={}), "'(none)' is no site of the fleet"),
    ([], "not an Alertmanager webhook payload"),
])
def test_what_is_not_a_sites_alert_group_is_refused(store: IncidentStore, body: Any,
                                                    message: str) -> None:
    with pytest.raises(PayloadError, match=message.replace("(", r"\(").replace(")", r"\)")):
        receive(store, body, SITES, NOW)
    assert store.all() == []


def test_a_resolved_group_without_an_incident_opens_none(store: IncidentStore) -> None:
    assert receive(store, payload("resolved"), SITES, NOW) == "LIS01: resolved, no open incident"
    assert store.all() == []


def test_once_its_incident_is_closed_the_group_opens_a_new_one(store: IncidentStore) -> None:
    assert receive(store, payload(), SITES, NOW) == "LIS01: incident 1 opened"
    first = store.all()[0]
    assert (first.source, first.hosts, first.reported) == (
        "alert", ("lis01-srv01",), "the server does not answer")
    for step, fields in (("ack", {}), ("restore", {"cause": "c", "solution": "s"}),
                         ("close", {"evaluation": "fine"})):
        store.add(1, Event(step, NOW, "ana", fields))
    later = NOW + dt.timedelta(days=1)
    assert receive(store, payload(), SITES, later) == "LIS01: incident 2 opened"


def test_the_receiver_listens_on_loopback_only(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not a loopback address"):
        serve(tmp_path / "h.sqlite", "example", SITES, ("0.0.0.0", 0),  # noqa: S104
              lambda: NOW)
