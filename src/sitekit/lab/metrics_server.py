"""The lab's windows_exporter endpoints: /metrics on each host's loopback address and port.

A host's exporter answers while it is installed, its service runs and the host is up
(exporter.listening); the lab binds and unbinds the listeners as that changes (a role
installs it, a playbook stops the service, a fault takes the host down), checking every
POLL seconds. A port another process holds is logged as an error, and the host is then
down for Prometheus, as a real host whose exporter cannot bind.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from prometheus_client.core import Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest

from sitekit.lab import exporter
from sitekit.lab.host import LabHost

log = logging.getLogger(__name__)
POLL = 0.25
METRICS_PATH = "/metrics"  # main.wxs: METRICS_PATH's default


class _Host:
    """A host's metrics as prometheus_client's exposition reads a registry."""

    def __init__(self, host: LabHost) -> None:
        self.host = host

    def collect(self) -> Iterable[Metric]:
        return exporter.collect(self.host)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, host: LabHost, installed: int, port: int) -> None:
        super().__init__((host.address, port), _Handler)
        self.host = host
        self.installed = installed  # the port the exporter was installed with


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:
        host = self.server.host
        if exporter.listening(host) != self.server.installed:
            self.close_connection = True  # the service stopped since: as a closed port
            return
        if self.path.split("?")[0] != METRICS_PATH:
            self.send_error(404)
            return
        body = generate_latest(_Host(host))  # type: ignore[arg-type]
        self.send_response(200)
        self.send_header("Content-Type", CONTENT_TYPE_LATEST)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Scrapes are not worth a line each in the lab's log."""


class MetricsServer:
    """Keep each host's exporter listener bound exactly while its exporter answers."""

    def __init__(self, hosts: Sequence[LabHost], port: int | None = None) -> None:
        """Watch the hosts; `port`, if given, is where every exporter answers.

        Whatever port an exporter was installed with, as the lab's WinRM port stands in for
        5986: two labs of the same sites (the same loopback addresses) can then run at once.
        """
        self.hosts = list(hosts)
        self.port = port
        self._servers: dict[tuple[str, int], tuple[_Server, threading.Thread]] = {}
        self._failed: set[tuple[str, int]] = set()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> MetricsServer:
        """Start watching the hosts."""
        self._thread = threading.Thread(target=self._run, name="lab-exporter", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop watching and close every listener."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        for key in list(self._servers):
            self._close(key)

    def _run(self) -> None:
        while not self._stopping.is_set():
            self.reconcile()
            self._stopping.wait(POLL)

    def reconcile(self) -> None:
        """Bind the listeners that should answer, close the others."""
        wanted: dict[tuple[str, int], tuple[LabHost, int]] = {}
        for host in self.hosts:
            with host.lock:
                installed = exporter.listening(host)
            if installed is not None:
                wanted[(host.address, self.port or installed)] = (host, installed)
        for key in set(self._servers) - set(wanted):
            self._close(key)
        for key, (host, installed) in wanted.items():
            if key in self._servers:
                continue
            try:
                server = _Server(host, installed, key[1])
            except OSError as error:
                if key not in self._failed:
                    self._failed.add(key)
                    log.error("%s: windows_exporter cannot listen on %s:%d: %s",
                              host.hostname, key[0], key[1], error)
                continue
            self._failed.discard(key)
            thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2},
                                      name=f"lab-exporter-{host.hostname}", daemon=True)
            thread.start()
            self._servers[key] = (server, thread)

    def _close(self, key: tuple[str, int]) -> None:
        server, thread = self._servers.pop(key)
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
