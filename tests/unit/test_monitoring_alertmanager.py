"""The generated Alertmanager config in a real Alertmanager on loopback (offline).

The sites' windows are set around the real clock (Alertmanager has no other): LIS01 is in
its maintenance window now, BER02 and LON01 are not. What reaches the webhook is what an
engineer would be told.
"""

from __future__ import annotations

import datetime as dt
import http.client
import json
import re
import shutil
import socket
import subprocess
import threading
import time
import zoneinfo
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml

from sitekit.monitoring.config import ALERTMANAGER, Endpoints, build, write
from tests.conftest import EXAMPLE

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
def alertmanager(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, list[Any]]]:
    """A real Alertmanager with the generated config; its port and what its webhook got."""
    binary = shutil.which(ALERTMANAGER_BINARY)
    assert binary, "prometheus-alertmanager is missing: run scripts/setup"
    root = tmp_path_factory.mktemp("alertmanager")
    fleet = root / "fleet"
    shutil.copytree(EXAMPLE, fleet)
    for code, zone in (("lis01", "Europe/Lisbon"), ("ber02", "Europe/Berlin"),
                       ("lon01", "Europe/London")):
        hour = dt.datetime.now(zoneinfo.ZoneInfo(zone)).hour
        # LIS01: the window is open from an hour ago to an hour ahead; the others' opens
        # three hours ahead. All three open to guests later still.
        window = hour - 1 if code == "lis01" else hour + 3
        _set_hours(fleet / "sites" / f"{code}.yml", window + 4, window)
    received: list[dict[str, Any]] = []
    handler = type("Handler", (_Webhook,), {"received": received})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    webhook = f"http://127.0.0.1:{server.server_address[1]}/alerts"
    out = root / "config"
    write(build(fleet, Endpoints(webhook=webhook)), out)
    config = yaml.safe_load((out / ALERTMANAGER).read_text())
    config["route"]["group_wait"] = "1s"  # the test's patience, not the fleet's
    (out / ALERTMANAGER).write_text(yaml.safe_dump(config))
    port = _free_port()
    process = subprocess.Popen(
        [binary, f"--config.file={out / ALERTMANAGER}", f"--storage.path={root / 'data'}",
         f"--web.listen-address=127.0.0.1:{port}", "--cluster.listen-address="],
        stdout=subprocess.DEVNULL, stderr=(root / "alertmanager.log").open("w"))
    try:
        deadline = time.monotonic() + 20
        while True:
            if _request(port, "GET", "/-/ready") == 200:
                break
            assert process.poll() is None, (root / "alertmanager.log").read_text()
            assert time.monotonic() < deadline, "Alertmanager did not start"
            time.sleep(0.1)
        yield port, received
    finally:
        process.terminate()
        process.wait(10)
        server.shutdown()


def _alert(name: str, site: str, host: str | None = None, **labels: str) -> dict[str, Any]:
    every = {"alertname": name, "site": site, **labels}
    if host:
        every["host"] = host
    return {"labels": every, "annotations": {"summary": f"{name} at {site}"}}


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
    deadline = time.monotonic() + 15
    while len({n["groupLabels"]["site"] for n in received}) < 3 and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(2)  # a muted alert would have come with the others
    told = sorted((n["groupLabels"]["site"], a["labels"]["alertname"])
                  for n in received for a in n["alerts"])
    assert told == [("BER02", "HostDown"), ("LIS01", "DiskNearlyFull"), ("LON01", "SiteDown")]
    # One notification per site: its alerts grouped, as one incident will be.
    assert all(set(n["groupLabels"]) == {"site"} for n in received)
    assert {n["status"] for n in received} == {"firing"}
