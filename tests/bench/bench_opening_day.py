"""Benchmark opening day on the largest example site: WinRM calls, controller CPU, wall time.

Not a pytest test. Starts a lab with the site's hosts (fresh installs), then runs
playbooks/opening_day.yml:

1. the first run (sitekit's settings: ansible.cfg),
2. the idempotent second run (sitekit's settings),
3. the same second run with Ansible's defaults: forks 5, the linear strategy and full
   fact gathering in every play (ANSIBLE_FORKS, ANSIBLE_STRATEGY, ANSIBLE_GATHERING),

and counts, per run, the module calls each host received (the lab counts them), the
tasks that ran a module on a host (the JSON callback), the controller's CPU (the
ansible-playbook process and its workers) and the wall time. Prints a Markdown table
for docs/benchmarks.md. Targets: at most one module call per task per host on the second
run; its wall time at most 0.5x the defaults' second run.

The lab's remote side costs next to nothing, where Windows spends a PowerShell start-up
and the module's own run on every call. `--remote-seconds 0,0.5,1` repeats the second
runs with the lab's `slow` fault on every host, so each command takes that much longer on
the host, and prints one row per remote time.

    .venv/bin/python -m tests.bench.bench_opening_day [--site LON01] [--repeat 3]
        [--remote-seconds 0]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.bench.bench_lab_roundtrip import _cpu_seconds, _free_port, machine_note, markdown_table

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
# Actions that run in the controller: no WinRM call even when a host "ran" them.
CONTROLLER_ACTIONS = {"ansible.builtin.set_fact", "ansible.builtin.assert", "ansible.builtin.fail",
                      "ansible.builtin.debug", "ansible.builtin.meta", "set_fact", "assert",
                      "fail", "debug", "meta", "ansible.builtin.template",
                      "ansible.builtin.copy", "ansible.builtin.file", "ansible.builtin.stat",
                      "ansible.builtin.validate_argument_spec", "validate_argument_spec"}
DEFAULTS = {"ANSIBLE_FORKS": "5", "ANSIBLE_STRATEGY": "linear", "ANSIBLE_GATHERING": "implicit",
            "ANSIBLE_GATHER_SUBSET": "all"}


@dataclass
class Run:
    """One playbook run's figures."""

    wall: float
    cpu: float
    calls: int
    module_tasks: int
    changed: int
    hosts: int

    @property
    def calls_per_task(self) -> float:
        """Module calls per task that ran a module on a host."""
        return self.calls / self.module_tasks if self.module_tasks else 0.0


def _calls(lab_dir: Path) -> dict[str, int]:
    """Module calls each host received so far."""
    calls = {}
    for state_file in (lab_dir / "hosts").glob("*/state.json"):
        state = json.loads(state_file.read_text())
        calls[state_file.parent.name] = sum(state.get("lab", {}).get("module_calls", {}).values())
    return calls


def _module_tasks(result: dict[str, Any]) -> int:
    """Task results on a host that came from a module run over WinRM (not skipped)."""
    count = 0
    for play in result["plays"]:
        for task in play["tasks"]:
            for host_result in task["hosts"].values():
                action = host_result.get("action", "")
                # A task skipped by its `when` makes no call; one whose module skipped
                # itself (win_unzip's `creates`) made one.
                skipped = str(host_result.get("skip_reason", "")).startswith("Conditional")
                if not skipped and action not in CONTROLLER_ACTIONS:
                    count += 1  # a module, or gather_facts: one setup call per host

    return count


def _playbook(lab_dir: Path, site: str, env: dict[str, str]) -> Run:
    """Run opening day once; measure it."""
    before = _calls(lab_dir)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.monotonic()
    command = [str(BIN / "ansible-playbook"), "-i", str(lab_dir / "inventory"),
               str(ROOT / "playbooks" / "opening_day.yml"), "--limit", f"site_{site.lower()}"]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False,
                            env=os.environ | {"ANSIBLE_VAULT_PASSWORD_FILE": str(
                                lab_dir / "vault-password"),
                                "ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json"} | env)
    wall = time.monotonic() - start
    after_children = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode != 0:
        raise SystemExit(f"opening day failed (rc {result.returncode}):\n"
                         f"{(result.stdout + result.stderr)[-3000:]}")
    data = json.loads(result.stdout)
    after = _calls(lab_dir)
    cpu = (after_children.ru_utime - children.ru_utime) + \
        (after_children.ru_stime - children.ru_stime)
    return Run(wall=wall, cpu=cpu, calls=sum(after.values()) - sum(before.values()),
               module_tasks=_module_tasks(data),
               changed=sum(s["changed"] for s in data["stats"].values()),
               hosts=len(data["stats"]))


def _set_remote_time(lab_dir: Path, seconds: float) -> None:
    """Make every command on every host take `seconds` longer (the lab's `slow` fault)."""
    for host_dir in sorted((lab_dir / "hosts").iterdir()):
        if seconds:
            _sitekit("fault", "--lab-dir", str(lab_dir), host_dir.name, "slow",
                     f"seconds={seconds}")
        else:
            _sitekit("fault", "--lab-dir", str(lab_dir), host_dir.name, "clear")


def _sitekit(*args: str) -> None:
    """Run `sitekit lab ...`."""
    subprocess.run([str(BIN / "sitekit"), "lab", *args], cwd=ROOT, check=True,
                   capture_output=True, text=True)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", default="LON01")
    parser.add_argument("--repeat", type=int, default=3,
                        help="second runs of each kind, alternating; medians are reported")
    parser.add_argument("--remote-seconds", default="0",
                        help="comma-separated remote times per command to sweep, e.g. 0,0.5,1")
    args = parser.parse_args(argv)
    remote_times = [float(value) for value in args.remote_seconds.split(",")]
    with tempfile.TemporaryDirectory(prefix="sitekit-bench-") as tmp:
        lab_dir = Path(tmp) / "lab"
        _sitekit("up", "inventories/example", "--site", args.site, "--lab-dir", str(lab_dir),
                 "--port", str(_free_port()))
        pid = int((lab_dir / "lab.pid").read_text())
        try:
            lab_cpu = _cpu_seconds(pid)
            first = _playbook(lab_dir, args.site, {})
            lab_first = _cpu_seconds(pid) - lab_cpu
            sweep: dict[float, tuple[list[Run], list[Run]]] = {}
            for seconds in remote_times:
                _set_remote_time(lab_dir, seconds)
                ours: list[Run] = []
                defaults: list[Run] = []
                for _ in range(args.repeat):
                    ours.append(_playbook(lab_dir, args.site, {}))
                    defaults.append(_playbook(lab_dir, args.site, DEFAULTS))
                sweep[seconds] = ours, defaults
                print(f"remote {seconds} s: {sweep_row(seconds, ours, defaults)}",
                      file=sys.stderr, flush=True)
        finally:
            _sitekit("down", "--lab-dir", str(lab_dir))
    ours, defaults = sweep[remote_times[0]]
    print(report(args.site, first, lab_first, ours, defaults))
    if len(sweep) > 1:
        print("\n| remote time per command | second run, sitekit (median) | "
              "Ansible defaults (median) | sitekit / defaults |\n|---:|---:|---:|---:|")
        for seconds, (ours, defaults) in sweep.items():
            print(sweep_row(seconds, ours, defaults))
    return 0


def sweep_row(seconds: float, ours: list[Run], defaults: list[Run]) -> str:
    """One remote time's medians as a Markdown table row."""
    wall, base_wall = _median(ours, "wall"), _median(defaults, "wall")
    return f"| {seconds:g} s | {wall:.1f} s | {base_wall:.1f} s | {wall / base_wall:.2f}x |"


def _median(runs: list[Run], attribute: str) -> float:
    """The median of one figure over runs."""
    return statistics.median(getattr(run, attribute) for run in runs)


def report(site: str, first: Run, lab_first: float, ours: list[Run],
           defaults: list[Run]) -> str:
    """The figures as Markdown."""
    wall, base_wall = _median(ours, "wall"), _median(defaults, "wall")
    per_task = max(run.calls_per_task for run in ours)
    rows = [
        ("first run: hosts / changed", f"{first.hosts} / {first.changed}", "", None),
        ("first run: module calls (per host)",
         f"{first.calls} ({first.calls / first.hosts:.1f})", "", None),
        ("first run: wall / controller CPU / lab CPU",
         f"{first.wall:.1f} s / {first.cpu:.1f} s / {lab_first:.1f} s", "", None),
        ("second run: changed", f"{max(r.changed for r in ours)}", "0",
         max(r.changed for r in ours) == 0),
        ("second run: module calls / module tasks (per host)",
         f"{ours[0].calls} / {ours[0].module_tasks} ({ours[0].calls / ours[0].hosts:.1f})",
         "", None),
        ("second run: module calls per task per host (worst run)", f"{per_task:.2f}", "<= 1",
         per_task <= 1.0),
        ("second run, sitekit settings: wall / controller CPU (median)",
         f"{wall:.1f} s / {_median(ours, 'cpu'):.1f} s", "", None),
        ("second run, Ansible defaults: wall / controller CPU (median)",
         f"{base_wall:.1f} s / {_median(defaults, 'cpu'):.1f} s", "", None),
        ("second run, Ansible defaults: module calls (per host)",
         f"{defaults[0].calls} ({defaults[0].calls / defaults[0].hosts:.1f})", "", None),
        ("second run wall, sitekit / defaults", f"{wall / base_wall:.2f}x", "<= 0.5x",
         wall / base_wall <= 0.5),
    ]
    return (f"Opening day on {site} ({first.hosts} hosts), {len(ours)} second runs of each "
            f"kind, alternating. {machine_note()}\n\n{markdown_table(rows)}")


if __name__ == "__main__":
    raise SystemExit(main())
