"""Benchmark `sitekit lab up` for a 50-host fleet, and the lab's CPU against the controller's.

Not a pytest test. Generates a fleet of ~50 hosts (tests/bench/fleetgen.py); then, in
each of --runs rounds, times `sitekit lab up` (target < 3 s), runs one ansible-playbook
(gather facts + three modules) over all hosts with forks 10, compares the lab process's
CPU time with the controller's (target lab <= 0.1x), and takes the lab down. Prints a
Markdown table of the medians for docs/benchmarks.md. The two CPU figures come from the
same run, so a busy machine slows both alike.

    .venv/bin/python -m tests.bench.bench_lab_up [--hosts 50] [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from dataclasses import dataclass
from pathlib import Path

from sitekit.lab import control
from tests.bench.bench_lab_roundtrip import _cpu_seconds, _free_port, machine_note, markdown_table
from tests.bench.fleetgen import generate

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
UP_TARGET_S = 3.0
RATIO_TARGET = 0.1
TASKS = 4  # facts and the three tasks below
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


@dataclass(frozen=True)
class Round:
    """The figures of one up / playbook / down round."""

    up_seconds: float
    playbook_seconds: float
    controller_cpu: float
    lab_cpu: float
    hosts: int
    hosts_ok: int

    @property
    def ratio(self) -> float:
        """Lab CPU over controller CPU."""
        return self.lab_cpu / self.controller_cpu if self.controller_cpu else float("inf")


def _fleet(out: Path, hosts: int) -> Path:
    """A generated fleet of 6-11-host sites with about `hosts` hosts in all."""
    fleet, _, _ = generate(out, max(1, -(-hosts // 9)))
    return fleet


def _round(fleet: Path, lab_dir: Path, playbook: Path) -> Round | None:
    """Bring a fresh lab up, run the playbook against it, take it down."""
    up = [str(BIN / "sitekit"), "lab", "up", str(fleet), "--lab-dir", str(lab_dir),
          "--port", str(_free_port())]
    start = time.perf_counter()
    result = subprocess.run(up, capture_output=True, text=True, cwd=ROOT, check=False)
    up_seconds = time.perf_counter() - start
    if result.returncode != 0:
        print(result.stdout, result.stderr)
        return None
    try:
        pid = control.running_pid(lab_dir)
        assert pid is not None
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
    finally:
        subprocess.run([str(BIN / "sitekit"), "lab", "down", "--lab-dir", str(lab_dir)],
                       capture_output=True, check=False)
    controller_cpu = (children.ru_utime - children_before.ru_utime
                      + children.ru_stime - children_before.ru_stime)
    recap = [line for line in run.stdout.splitlines() if "failed=" in line]
    ok = sum("failed=0" in line and "unreachable=0" in line for line in recap)
    if run.returncode != 0:
        print(run.stdout[-3000:], run.stderr[-3000:])
    return Round(up_seconds, wall, controller_cpu, lab_cpu, len(recap), ok)


def main() -> int:
    """Run the rounds and print the medians."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--hosts", type=int, default=50)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    out = Path(tempfile.mkdtemp(prefix="sitekit-bench-up-"))
    fleet = _fleet(out, args.hosts)
    playbook = out / "bench.yml"
    playbook.write_text(PLAYBOOK)
    rounds = []
    for number in range(args.runs):
        measured = _round(fleet, out / f"lab{number}", playbook)
        if measured is None or measured.hosts_ok != measured.hosts:
            return 1
        rounds.append(measured)
        print(f"round {number + 1}: up {measured.up_seconds:.2f} s, controller "
              f"{measured.controller_cpu:.2f} s, lab {measured.lab_cpu:.2f} s CPU, "
              f"ratio {measured.ratio:.3f}", flush=True)
    shutil.rmtree(out, ignore_errors=True)

    def median(values: list[float]) -> float:
        return statistics.median(values)

    hosts = rounds[0].hosts
    up = median([r.up_seconds for r in rounds])
    ratio = median([r.ratio for r in rounds])
    lab = median([r.lab_cpu for r in rounds])
    controller = median([r.controller_cpu for r in rounds])
    print(f"\n{hosts} hosts, forks 10, {TASKS} tasks each; medians of {len(rounds)} rounds;"
          f" {machine_note()}\n")
    print(markdown_table([
        (f"`sitekit lab up`, {hosts} hosts", f"{up:.2f} s", f"< {UP_TARGET_S:g} s",
         up < UP_TARGET_S),
        ("lab CPU / controller CPU, one playbook run", f"{ratio:.3f}", f"<= {RATIO_TARGET:g}",
         ratio <= RATIO_TARGET),
        ("controller CPU (ansible-playbook and its workers)", f"{controller:.2f} s", "", None),
        ("lab CPU", f"{lab:.2f} s", "", None),
        ("lab CPU per task", f"{lab / (hosts * TASKS) * 1000:.1f} ms", "", None),
        ("playbook wall time", f"{median([r.playbook_seconds for r in rounds]):.1f} s", "",
         None),
    ]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
