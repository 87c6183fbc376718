"""The generated Alertmanager config in a real Alertmanager on loopback (offline).

The sites' windows are set around the real clock (Alertmanager has no other): LIS01 is in
its maintenance window now, BER02 and LON01 are not. What reaches the webhook is what an
engineer would be told.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import http.client
import json
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import zoneinfo
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml

from sitekit.monitoring.config import ALERTMANAGER, Endpoints, build, write
from tests.conftest import EXAMPLE, ROOT

ALERTMANAGER_BINARY = "prometheus-alertmanager"  # Debian's name for alertmanager


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _set_hours(site_file: Path, opens: int, window: int) -> None:
    """Open daily for 6 hours from `opens` o'clock; maintenance for 2 hours from `window`."""
    text = site_file.read_text()
    hours = f'opening_hours:\n  daily: "{opens % 24:02d}:00-{(opens + 6) % 24:02d}:00"\n'
    hours += f'maintenance_window: "{window % 24:02d}:00-{(window + 2) % 24:02d}:00"\n'
    site_file.write_text(re.sub(r"opening_hours:\n(  .*\n)+", hours, text, count=1))


class _Webhook(BaseHTTPRequestHandler):
    received: list[dict[str, Any]]

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append(json.loads(body))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *_: object) -> None:
        pass


@pytest.fixture(scope="module")
def fleet_now(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example fleet with LIS01 in its maintenance window now, BER02 and LON01 not."""
    fleet = tmp_path_factory.mktemp("fleet") / "example"
    shutil.copytree(EXAMPLE, fleet)
    for code, zone in (("lis01", "Europe/Lisbon"), ("ber02", "Europe/Berlin"),
                       ("lon01", "Europe/London")):
        hour = dt.datetime.now(zoneinfo.ZoneInfo(zone)).hour
        # LIS01: the window is open from an hour ago to an hour ahead; the others' opens
        # three hours ahead. All three open to guests later still.
        window = hour - 1 if code == "lis01" else hour + 3
        _set_hours(fleet / "sites" / f"{code}.yml", window + 4, window)
    return fleet


@contextlib.contextmanager
def _alertmanager(fleet: Path, root: Path, webhook: str, **route: str) -> Iterator[int]:
    """A real Alertmanager with the generated config (`route` overrides its timings)."""
    binary = shutil.which(ALERTMANAGER_BINARY)
    assert binary, "prometheus-alertmanager is missing: run scripts/setup"
    out = root / "config"
    write(build(fleet, Endpoints(webhook=webhook)), out)
    config = yaml.safe_load((out / ALERTMANAGER).read_text())
    config["route"].update(route)  # the test's patience, not the fleet's
    (out / ALERTMANAGER).write_text(yaml.safe_dump(config))
    port = _free_port()
    process = subprocess.Popen(
        [binary, f"--config.file={out / ALERTMANAGER}", f"--storage.path={root / 'data'}",
         f"--web.listen-address=127.0.0.1:{port}", "--cluster.listen-address="],
        stdout=subprocess.DEVNULL, stderr=(root / "alertmanager.log").open("w"))
    try:
        assert _wait(lambda: _request(port, "GET", "/-/ready") == 200
                     or process.poll() is not None, 20), "Alertmanager did not start"
        assert process.poll() is None, (root / "alertmanager.log").read_text()
        yield port
    finally:
        process.terminate()
        process.wait(10)


def _wait(done: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while not done():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


@pytest.fixture(scope="module")
def alertmanager(fleet_now: Path,
                 tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, list[Any]]]:
    """Alertmanager posting to a plain collector; its port and what the collector got."""
    received: list[dict[str, Any]] = []
    handler = type("Handler", (_Webhook,), {"received": received})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    webhook = f"http://127.0.0.1:{server.server_address[1]}/alerts"
    try:
        with _alertmanager(fleet_now, tmp_path_factory.mktemp("alertmanager"), webhook,
                           group_wait="1s") as port:
            yield port, received
    finally:
        server.shutdown()


def _alert(name: str, site: str, host: str | None = None, ends: str | None = None,
           **labels: str) -> dict[str, Any]:
    every = {"alertname": name, "site": site, **labels}
    if host:
        every["host"] = host
    alert: dict[str, Any] = {"labels": every, "annotations": {"summary": f"{name} at {site}"}}
    if ends:
        alert["endsAt"] = ends
    return alert


def _request(port: int, method: str, path: str, body: object = None) -> int | None:
    """An HTTP request to Alertmanager on loopback; its status, None if it cannot connect."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request(method, path, None if body is None else json.dumps(body),
                           {"Content-Type": "application/json"})
        return connection.getresponse().status
    except OSError:
        return None
    finally:
        connection.close()


def _post(port: int, alerts: list[dict[str, Any]]) -> None:
    assert _request(port, "POST", "/api/v2/alerts", alerts) == 200


def test_windows_mute_inhibition_and_grouping_in_a_real_alertmanager(
        alertmanager: tuple[int, list[Any]]) -> None:
    port, received = alertmanager
    _post(port, [
        # LIS01 is in its window: its host down is muted, its full disk is not.
        _alert("HostDown", "LIS01", "lis01-srv01", maintenance="mute", severity="critical"),
        _alert("DiskNearlyFull", "LIS01", "lis01-srv01", severity="warning"),
        # BER02 is not: its host down is told.
        _alert("HostDown", "BER02", "ber02-pos01", maintenance="mute", severity="critical"),
        # LON01 is down as a whole: that alone is told, not each host.
        _alert("SiteDown", "LON01", maintenance="mute", severity="critical"),
        _alert("HostDown", "LON01", "lon01-srv01", maintenance="mute", severity="critical"),
    ])
    _wait(lambda: len({n["groupLabels"]["site"] for n in received}) >= 3, 15)
    time.sleep(2)  # a muted alert would have come with the others
    told = sorted((n["groupLabels"]["site"], a["labels"]["alertname"])
                  for n in received for a in n["alerts"])
    assert told == [("BER02", "HostDown"), ("LIS01", "DiskNearlyFull"), ("LON01", "SiteDown")]
    # One notification per site: its alerts grouped, as one incident will be.
    assert all(set(n["groupLabels"]) == {"site"} for n in received)
    assert {n["status"] for n in received} == {"firing"}


def _incidents(history: Path) -> list[tuple[int, str, str, str]]:
    """(id, site, hosts, source) of each incident, and the alert steps of each."""
    if not history.is_file():
        return []
    db = sqlite3.connect(f"{history.as_uri()}?mode=ro", uri=True)
    try:
        return db.execute("SELECT id, site, hosts, source FROM incidents ORDER BY id").fetchall()
    except sqlite3.OperationalError:  # the receiver is creating the schema
        return []
    finally:
        db.close()


def _alert_steps(history: Path, number: int) -> list[dict[str, Any]]:
    db = sqlite3.connect(f"{history.as_uri()}?mode=ro", uri=True)
    try:
        return [json.loads(row[0]) for row in db.execute(
            "SELECT text FROM incident_events WHERE incident = ? AND action = 'alert' "
            "ORDER BY id", (number,))]
    finally:
        db.close()


def test_alert_groups_become_incidents_through_the_receiver(fleet_now: Path,
                                                            tmp_path: Path) -> None:
    """Alertmanager's own webhook, firing, repeated and resolved, into `sitekit incident`."""
    history = tmp_path / "history.sqlite"
    listen = f"127.0.0.1:{_free_port()}"
    receiver = subprocess.Popen(
        [sys.executable, "-m", "sitekit.cli", "incident", "receive", str(fleet_now),
         "--listen", listen, "--history", str(history)],
        stdout=subprocess.PIPE, stderr=(tmp_path / "receiver.log").open("w"), text=True,
        cwd=ROOT)
    try:
        assert receiver.stdout is not None
        assert "receiving Alertmanager's webhook" in receiver.stdout.readline(), \
            (tmp_path / "receiver.log").read_text()
        with _alertmanager(fleet_now, tmp_path, f"http://{listen}/alerts", group_wait="1s",
                           group_interval="1s", repeat_interval="2s") as port:
            pos01 = _alert("HostDown", "BER02", "ber02-pos01", maintenance="mute")
            _post(port, [pos01, _alert("DiskNearlyFull", "LIS01", "lis01-srv01")])
            assert _wait(lambda: len(_incidents(history)) == 2, 15), \
                (tmp_path / "receiver.log").read_text()
            ber02 = next(i for i in _incidents(history) if i[1] == "BER02")
            assert ber02[2:] == ('["ber02-pos01"]', "alert")
            # A second host of the same site: the same incident, one step more.
            pos02 = _alert("HostDown", "BER02", "ber02-pos02", maintenance="mute")
            _post(port, [pos01, pos02])
            assert _wait(lambda: len(_alert_steps(history, ber02[0])) == 2, 15)
            # Repeats (every 2 s here) add nothing.
            time.sleep(3)
            assert len(_incidents(history)) == 2
            assert len(_alert_steps(history, ber02[0])) == 2
            # Resolved: kept on the incident, which stays open for the engineer to close.
            now = dt.datetime.now(dt.UTC).isoformat()
            _post(port, [_alert("HostDown", "BER02", "ber02-pos01", ends=now,
                                maintenance="mute"),
                         _alert("HostDown", "BER02", "ber02-pos02", ends=now,
                                maintenance="mute")])
            assert _wait(lambda: _alert_steps(history, ber02[0])[-1]["status"] == "resolved",
                         15)
        steps = _alert_steps(history, ber02[0])
        assert steps[1]["alerts"] == [["HostDown", "ber02-pos01", "firing"],
                                      ["HostDown", "ber02-pos02", "firing"]]
        assert len(_incidents(history)) == 2
    finally:
        receiver.terminate()
        assert receiver.wait(10) == 0
