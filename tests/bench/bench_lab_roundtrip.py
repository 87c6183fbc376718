"""Benchmark the lab: median pywinrm run_cmd round trip and the lab's CPU time per call.

Not a pytest test. Starts `python -m sitekit.lab.server` for N hosts in its own
process (so the client's CPU is not counted as the lab's), then runs pywinrm's
run_cmd against the hosts in turn; each call is a full WinRM cycle: TLS handshake,
NTLM, encrypted Create/Command/Receive/Signal/Delete.

    .venv/bin/python tests/bench/bench_lab_roundtrip.py [--hosts 10] [--calls 300]
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import winrm

from sitekit.lab import LabHost
from sitekit.lab.server import PID_FILE, write_config

TARGET_MS = 15.0


def _cpu_seconds(pid: int) -> float:
    """User plus system CPU time of a process, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _free_port() -> int:
    """A port free on 127.0.0.1 right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def main() -> int:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--hosts", type=int, default=10)
    parser.add_argument("--calls", type=int, default=300)
    args = parser.parse_args()
    lab_dir = Path(tempfile.mkdtemp(prefix="sitekit-bench-"))
    hosts = [LabHost(f"pos{i:03d}", f"127.0.{100 + i // 250}.{i % 250 + 1}", "bench", "Bench-Pw1")
             for i in range(args.hosts)]
    port = _free_port()
    write_config(lab_dir, hosts, port)
    lab = subprocess.Popen([sys.executable, "-m", "sitekit.lab.server", "--lab-dir", str(lab_dir)])
    try:
        while not (lab_dir / PID_FILE).exists():
            if lab.poll() is not None:
                return 1
            time.sleep(0.05)
        sessions = [
            winrm.Session(f"https://{h.address}:{port}/wsman", auth=("bench", "Bench-Pw1"),
                          transport="ntlm", server_cert_validation="validate",
                          ca_trust_path=str(lab_dir / "pki" / "ca.pem"),
                          message_encryption="always")
            for h in hosts
        ]
        for client in sessions:  # warm up imports and caches on both sides
            client.run_cmd("hostname")
        cpu_before = _cpu_seconds(lab.pid)
        times = []
        for i in range(args.calls):
            start = time.perf_counter()
            result = sessions[i % len(sessions)].run_cmd("hostname")
            times.append(time.perf_counter() - start)
            if result.status_code != 0:
                print(f"run_cmd failed: {result.std_err!r}")
                return 1
        lab_cpu = _cpu_seconds(lab.pid) - cpu_before
    finally:
        lab.send_signal(signal.SIGTERM)
        lab.wait(timeout=10)
    times.sort()
    median_ms = statistics.median(times) * 1000
    print(f"hosts {args.hosts}, run_cmd calls {args.calls}")
    print(f"round trip  median {median_ms:.2f} ms  p90 {times[int(len(times) * 0.9)] * 1000:.2f} ms"
          f"  min {times[0] * 1000:.2f} ms  max {times[-1] * 1000:.2f} ms")
    print(f"lab CPU     {lab_cpu:.2f} s total, {lab_cpu / args.calls * 1000:.2f} ms per run_cmd")
    print(f"target      median < {TARGET_MS} ms: {'met' if median_ms < TARGET_MS else 'MISSED'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
