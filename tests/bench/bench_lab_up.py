"""Benchmark `sitekit lab up` for a 50-host fleet, and the lab's CPU against the controller's.

Not a pytest test. Generates a fleet of ~50 hosts (tests/bench/fleetgen.py), times
`sitekit lab up` (target < 3 s), then runs one ansible-playbook (gather facts + a few
modules) over all hosts with forks 10 and compares the lab process's CPU time with the
controller's (target lab <= 0.1x).

    .venv/bin/python -m tests.bench.bench_lab_up [--hosts 50]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

from sitekit.lab import control
from tests.bench.bench_lab_roundtrip import _cpu_seconds, _free_port
from tests.bench.fleetgen import generate

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PLAYBOOK = textwrap.dedent("""\
    ---
    - name: Benchmark play
      hosts: all
      gather_facts: true
      tasks:
        - name: Set the time zone
          ansible.windows.win_timezone:
            timezone: "{{ sitekit_windows_time_zone }}"
        - name: Create a directory
          ansible.windows.win_file:
            path: C:\\ProgramData\\Bench
            state: directory
        - name: Read it back
          ansible.windows.win_stat:
            path: C:\\ProgramData\\Bench
    """)


def _fleet(out: Path, hosts: int) -> Path:
    """A generated fleet of 6-11-host sites with about `hosts` hosts in all."""
    fleet, _, _ = generate(out, max(1, -(-hosts // 9)))
    return fleet


def main() -> int:
    """Run both measurements and print the figures."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--hosts", type=int, default=50)
    args = parser.parse_args()
    out = Path(tempfile.mkdtemp(prefix="sitekit-bench-up-"))
    fleet = _fleet(out, args.hosts)
    lab_dir = out / "lab"
    up = [str(BIN / "sitekit"), "lab", "up", str(fleet), "--lab-dir",
          str(lab_dir), "--port", str(_free_port())]
    start = time.perf_counter()
    result = subprocess.run(up, capture_output=True, text=True, cwd=ROOT, check=False)
    up_seconds = time.perf_counter() - start
    if result.returncode != 0:
        print(result.stdout, result.stderr)
        return 1
    try:
        pid = control.running_pid(lab_dir)
        assert pid is not None
        playbook = out / "bench.yml"
        playbook.write_text(PLAYBOOK)
        env = os.environ | {"ANSIBLE_VAULT_PASSWORD_FILE": str(lab_dir / "vault-password")}
        lab_before = _cpu_seconds(pid)
        children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        run = subprocess.run([str(BIN / "ansible-playbook"), "-i", str(lab_dir / "inventory"),
                              str(playbook), "--forks", "10"], capture_output=True, text=True,
                             cwd=ROOT, env=env, check=False)
        wall = time.perf_counter() - start
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        lab_cpu = _cpu_seconds(pid) - lab_before
        controller_cpu = (children.ru_utime - children_before.ru_utime
                          + children.ru_stime - children_before.ru_stime)
    finally:
        subprocess.run([str(BIN / "sitekit"), "lab", "down", "--lab-dir", str(lab_dir)],
                       capture_output=True, check=False)
    hosts = len(list((lab_dir / "hosts").iterdir()))
    recap = [line for line in run.stdout.splitlines() if "failed=" in line]
    failed = sum("failed=0" not in line or "unreachable=0" not in line for line in recap)
    ratio = lab_cpu / controller_cpu if controller_cpu else float("inf")
    print(f"sitekit lab up, {hosts} hosts: {up_seconds:.2f} s  (target < 3 s: "
          f"{'met' if up_seconds < 3 else 'MISSED'})")
    print(f"ansible-playbook, {hosts} hosts, forks 10, 4 tasks: {wall:.1f} s wall, "
          f"{len(recap) - failed}/{len(recap)} hosts ok")
    print(f"CPU: controller {controller_cpu:.2f} s, lab {lab_cpu:.2f} s, ratio {ratio:.3f}  "
          f"(target <= 0.1: {'met' if ratio <= 0.1 else 'MISSED'})")
    shutil.rmtree(out, ignore_errors=True)
    return 0 if run.returncode == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
