"""Run the lab: one HTTPS WinRM listener per host address, in the background or as a process.

Each host whose windows_exporter is installed also answers /metrics (metrics_server.py).

    LabServer(hosts, lab_dir).start() ... .stop()
    python -m sitekit.lab.server --lab-dir DIR     (hosts from DIR/lab.json)

One thread accepts on every listener through a selector; each client connection gets
its own thread, since an NTLM-authenticated connection lives as long as the client
keeps it. (A pool of reused threads measured no cheaper: ansible's per-task
connections cost the TLS and NTLM handshakes, not the thread.) At most
MAX_UNAUTHENTICATED connections may be open and not yet authenticated, over the whole lab:
one more is reset at once, so an unauthenticated client cannot make the lab hold more
than that many request bodies of MaxEnvelopeSizekb (connection.py).
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import json
import logging
import os
import selectors
import signal
import socket
import ssl
import threading
from collections.abc import Sequence
from pathlib import Path
from types import FrameType, TracebackType

from spnego.channel_bindings import GssChannelBindings

from sitekit.lab import faults, network
from sitekit.lab.clock import clock_offset, set_clock_offset
from sitekit.lab.connection import Listener, reset, serve_connection
from sitekit.lab.host import LabHost, require_loopback
from sitekit.lab.metrics_server import MetricsServer
from sitekit.lab.modules import load_models
from sitekit.lab.ntlm import channel_bindings, write_credential_file
from sitekit.lab.pki import PkiPaths, issue_pki
from sitekit.lab.runner import execute
from sitekit.lab.shell import ShellService

log = logging.getLogger(__name__)

DEFAULT_PORT = 5986
MAX_UNAUTHENTICATED = 64
CONFIG_FILE = "lab.json"
PID_FILE = "lab.pid"
# glibc's mallopt parameters (malloc.h).
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3


class LabServer:
    """Serve virtual hosts over WinRM/HTTPS on their loopback addresses."""

    def __init__(self, hosts: Sequence[LabHost], lab_dir: Path, port: int = DEFAULT_PORT,
                 metrics_port: int | None = None) -> None:
        """Prepare a lab; nothing is bound until start()."""
        addresses = [require_loopback(h.address) for h in hosts]
        if len(set(addresses)) != len(addresses):
            raise ValueError("every lab host needs its own address")
        self.hosts = list(hosts)
        self.lab_dir = Path(lab_dir)
        self.port = port
        self.pki: PkiPaths | None = None
        self._stopping = threading.Event()
        self._listeners: dict[socket.socket, Listener] = {}
        self._connections: set[socket.socket] = set()
        self._threads: set[threading.Thread] = set()
        self._lock = threading.Lock()
        self._accept_thread: threading.Thread | None = None
        self._wake_r, self._wake_w = socket.socketpair()
        self._unauthenticated = threading.BoundedSemaphore(MAX_UNAUTHENTICATED)
        # Each host's windows_exporter, once installed.
        self._metrics = MetricsServer(self.hosts, metrics_port)

    @property
    def ca_path(self) -> Path:
        """Return the lab CA's PEM file, for clients' ca_trust_path."""
        if self.pki is None:
            raise RuntimeError("the lab has not been started")
        return self.pki.ca_cert

    def endpoint(self, host: LabHost) -> str:
        """Return the WinRM URL of a host."""
        return f"https://{host.address}:{self.port}/wsman"

    def start(self) -> LabServer:
        """Issue certificates, bind every listener and start accepting."""
        load_models()
        network.attach(self.hosts)
        self.pki = issue_pki(
            self.lab_dir, [h.address for h in self.hosts], [h.hostname for h in self.hosts]
        )
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(self.pki.server_cert, self.pki.server_key)
        # ansible-core connects from a fresh worker process per task, so no client ever
        # resumes a session: TLS 1.3 tickets would be made and sent for nothing.
        context.num_tickets = 0
        bindings = channel_bindings(self.pki.server_cert.read_bytes())
        try:
            for host in self.hosts:
                self._listen(host, bindings)
        except OSError:
            self._close_listeners()
            raise
        self._accept_thread = threading.Thread(
            target=self._accept_loop, args=(context,), name="lab-accept", daemon=True
        )
        self._accept_thread.start()
        self._metrics.start()
        return self

    def _listen(self, host: LabHost, bindings: GssChannelBindings) -> None:
        """Bind one host's listener and prepare its state and NTLM account file."""
        host_dir = self.lab_dir / "hosts" / host.hostname
        if host.state_file is None:
            host.state_file = host_dir / "state.json"
        host.load()
        credential_file = write_credential_file(host, host_dir / "ntlm-users")
        faults.refresh(host)  # a wrong-credentials fault rewrites the account file
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((require_loopback(host.address), self.port))
            sock.listen(128)
        except OSError:
            sock.close()
            raise
        sock.setblocking(False)
        service = ShellService(host, self.endpoint(host), execute)
        self._listeners[sock] = Listener(service, credential_file, bindings,
                                         self._unauthenticated)

    def _accept_loop(self, context: ssl.SSLContext) -> None:
        """Accept on all listeners until stop() wakes the selector."""
        with selectors.DefaultSelector() as selector:
            selector.register(self._wake_r, selectors.EVENT_READ)
            for sock in self._listeners:
                selector.register(sock, selectors.EVENT_READ)
            while not self._stopping.is_set():
                for key, _ in selector.select():
                    if key.fileobj is self._wake_r:
                        return
                    listener_sock = key.fileobj
                    assert isinstance(listener_sock, socket.socket)  # noqa: S101 - registered above
                    self._accept(listener_sock, context)

    def _accept(self, listener_sock: socket.socket, context: ssl.SSLContext) -> None:
        """Accept one client and hand it to its own thread."""
        try:
            raw, _ = listener_sock.accept()
        except BlockingIOError:
            return
        listener = self._listeners[listener_sock]
        host = listener.service.host
        if "unreachable" in faults.refresh(host) or faults.rebooting(host.hostname) or \
                faults.stuck(host.state):
            # A host that is off, or restarting: the connection is reset before TLS starts.
            reset(raw)
            raw.close()
            return
        if not self._unauthenticated.acquire(blocking=False):
            log.warning("%s: %d connections are not authenticated yet; resetting one more",
                        host.hostname, MAX_UNAUTHENTICATED)
            reset(raw)
            raw.close()
            return
        raw.setblocking(True)
        # Nagle would hold each small reply ~40 ms waiting for the client's delayed ACK.
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock = context.wrap_socket(raw, server_side=True, do_handshake_on_connect=False)
        thread = threading.Thread(
            target=self._serve, args=(sock, listener), daemon=True, name="lab-conn"
        )
        with self._lock:
            self._connections.add(sock)
            self._threads.add(thread)
        thread.start()

    def _serve(self, sock: socket.socket, listener: Listener) -> None:
        """Run one connection and forget it when it ends."""
        try:
            serve_connection(sock, listener, self._stopping.is_set, admitted=True)
        finally:
            with self._lock:
                self._connections.discard(sock)
                self._threads.discard(threading.current_thread())

    def stop(self) -> None:
        """Stop accepting, drop every connection, join all threads, save host state."""
        if self._stopping.is_set():
            return
        self._stopping.set()
        self._wake_w.send(b"x")
        if self._accept_thread is not None:
            self._accept_thread.join(timeout=5)
        self._close_listeners()
        self._metrics.stop()
        with self._lock:
            connections, threads = list(self._connections), list(self._threads)
        for sock in connections:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        for thread in threads:
            thread.join(timeout=5)
        for host in self.hosts:
            with host.lock:
                host.save()
        self._wake_r.close()
        self._wake_w.close()

    def _close_listeners(self) -> None:
        """Close every listening socket."""
        for sock in self._listeners:
            sock.close()

    def __enter__(self) -> LabServer:
        """Start on entering a with block."""
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Stop on leaving a with block."""
        self.stop()


def write_config(lab_dir: Path, hosts: Sequence[LabHost], port: int = DEFAULT_PORT,
                 metrics_port: int | None = None) -> Path:
    """Write the hosts of a lab for `python -m sitekit.lab.server` (owner-readable only)."""
    lab_dir.mkdir(parents=True, exist_ok=True)
    path = lab_dir / CONFIG_FILE
    path.touch(mode=0o600)
    hosts_json = [
        {"hostname": h.hostname, "address": h.address, "username": h.username,
         "password": h.password}
        for h in hosts
    ]
    config = {"port": port, "metrics_port": metrics_port, "hosts": hosts_json}
    path.write_text(json.dumps(config, indent=2), encoding="utf-8")
    return path


def read_config(lab_dir: Path) -> tuple[list[LabHost], int]:
    """Read the hosts and port written by write_config."""
    data = json.loads((lab_dir / CONFIG_FILE).read_text(encoding="utf-8"))
    hosts = [LabHost(h["hostname"], h["address"], h["username"], h["password"])
             for h in data["hosts"]]
    return hosts, int(data.get("port", DEFAULT_PORT))


def read_metrics_port(lab_dir: Path) -> int | None:
    """The port the lab serves every exporter on, if not the one it was installed with."""
    data = json.loads((lab_dir / CONFIG_FILE).read_text(encoding="utf-8"))
    port = data.get("metrics_port")
    return None if port is None else int(port)


def _keep_freed_memory() -> None:
    """Have glibc keep freed memory for reuse instead of handing it back to the kernel.

    Each task's ~270 KB of stdin passes through several buffers; with glibc's default
    thresholds each is mapped afresh and its pages faulted in again, which cost ~7% of
    the lab's CPU (measured). Does nothing where the C library is not glibc.
    """
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return
    mallopt(_M_MMAP_THRESHOLD, 4 * 2**20)
    mallopt(_M_TRIM_THRESHOLD, 64 * 2**20)


def main(argv: Sequence[str] | None = None) -> int:
    """Serve the lab described in --lab-dir until SIGTERM or SIGINT."""
    parser = argparse.ArgumentParser(prog="python -m sitekit.lab.server")
    parser.add_argument("--lab-dir", type=Path, required=True)
    parser.add_argument("--port", type=int, help="override the port in lab.json")
    args = parser.parse_args(argv)
    # INFO logs one line per module run: the lab's log is a record of what a playbook did.
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    _keep_freed_memory()
    hosts, port = read_config(args.lab_dir)
    set_clock_offset(clock_offset(args.lab_dir))
    server = LabServer(hosts, args.lab_dir, args.port or port, read_metrics_port(args.lab_dir))
    done = threading.Event()

    def _on_signal(signum: int, _frame: FrameType | None) -> None:
        done.set()

    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    server.start()
    pid_file = args.lab_dir / PID_FILE
    # Written once listening, so a parent can wait for the file instead of sleeping.
    pid_file.write_text(f"{os.getpid()}\n", encoding="utf-8")
    try:
        done.wait()
    finally:
        server.stop()
        pid_file.unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
