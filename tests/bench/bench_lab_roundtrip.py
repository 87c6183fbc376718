"""Benchmark the lab: median pywinrm run_cmd round trip, and whose CPU it is spent on.

Not a pytest test. Starts `python -m sitekit.lab.server` for N hosts in its own
process (so the client's CPU is not counted as the lab's), then runs pywinrm's
run_cmd against the hosts in turn; each call is a full WinRM cycle, as pywinrm closes
its session after each: TLS handshake, NTLM, encrypted Create/Command/Receive/Signal/
Delete. Prints a Markdown table for docs/benchmarks.md: the round trip against its
target, and the lab's and the client's CPU per call, which tell where the time goes.

    .venv/bin/python -m tests.bench.bench_lab_roundtrip [--hosts 10] [--calls 300]
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
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


def markdown_table(rows: Sequence[tuple[str, str, str, bool | None]]) -> str:
    """Figures beside their targets: (figure, measured, target, met or None for no target)."""
    lines = ["| figure | measured | target | |", "|---|---:|---:|---|"]
    lines += [f"| {figure} | {measured} | {target} | "
              f"{'' if met is None else 'met' if met else '**missed**'} |"
              for figure, measured, target, met in rows]
    return "\n".join(lines)


def machine_note() -> str:
    """How busy the machine was: a figure means little without it."""
    load = os.getloadavg()[0]
    return f"load average {load:.2f} over {os.cpu_count()} CPUs when the run ended"


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
    lab = subprocess.Popen([sys.executable, "-m", "sitekit.lab.server", "--lab-dir", str(lab_dir)],
                           stderr=subprocess.DEVNULL)
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
        cpu_before, client_before = _cpu_seconds(lab.pid), time.process_time()
        times = []
        for i in range(args.calls):
            start = time.perf_counter()
            result = sessions[i % len(sessions)].run_cmd("hostname")
            times.append(time.perf_counter() - start)
            if result.status_code != 0:
                print(f"run_cmd failed: {result.std_err!r}")
                return 1
        lab_cpu = _cpu_seconds(lab.pid) - cpu_before
        client_cpu = time.process_time() - client_before
    finally:
        lab.send_signal(signal.SIGTERM)
        lab.wait(timeout=10)
        shutil.rmtree(lab_dir, ignore_errors=True)
    times.sort()
    median_ms = statistics.median(times) * 1000
    per_call = 1000 / args.calls
    print(f"pywinrm run_cmd, {args.calls} calls over {args.hosts} hosts; {machine_note()}\n")
    print(markdown_table([
        ("WinRM round trip (run_cmd), median", f"{median_ms:.1f} ms", f"< {TARGET_MS:g} ms",
         median_ms < TARGET_MS),
        ("round trip, 90th percentile", f"{times[int(len(times) * 0.9)] * 1000:.1f} ms", "",
         None),
        ("lab CPU per run_cmd", f"{lab_cpu * per_call:.2f} ms", "", None),
        ("client (pywinrm) CPU per run_cmd", f"{client_cpu * per_call:.2f} ms", "", None),
    ]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
