"""Benchmark: time to the first task over the whole fleet, one shard of it, and static YAML.

    python -m tests.bench.bench_shards [--sites 2000] [--shards 8] [--repeat 1] [--work DIR]
        [--no-static]

Generates a fleet (tests/bench/fleetgen.py) and its static YAML twin, then runs, side by
side in one run and with the inventory cache off, a playbook over `hosts: all` whose first
task ends the play: what every run pays before it does anything. Measured: the whole fleet
through the plugin, shard 1 of --shards through the plugin (SITEKIT_SHARD), and the static
YAML inventory (--no-static leaves it out: it takes minutes at 2,000 sites). Prints wall
time, peak memory and the ratios as a Markdown table for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.bench.bench_inventory import BIN, ROOT, Result, measure, print_ratio_table

PLAYBOOK = """\
- name: Time to the first task
  hosts: all
  gather_facts: false
  tasks:
    - name: End the play at once
      ansible.builtin.meta: end_play
"""


def main() -> None:
    parser = argparse.ArgumentParser(description="time to first task: fleet, shard, static")
    parser.add_argument("--sites", type=int, default=2000)
    parser.add_argument("--shards", type=int, default=8)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--work", type=Path, default=None)
    parser.add_argument("--no-static", action="store_true")
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="sitekit-bench-"))
    subprocess.run([sys.executable, "-m", "tests.bench.fleetgen", str(work), "--sites",
                    str(args.sites)], check=True, cwd=ROOT)
    fleet, static = work / "fleet", work / "static.yml"
    hosts = int((work / "hosts.txt").read_text())
    playbook = work / "first_task.yml"
    playbook.write_text(PLAYBOOK)
    env = {**os.environ, "ANSIBLE_INVENTORY_CACHE": "false"}
    env.pop("SITEKIT_SHARD", None)
    run = [str(BIN / "ansible-playbook"), str(playbook), "-i"]
    print(f"{args.sites} sites, {hosts} hosts, in {work}", flush=True)
    # Warm the site cache once, as every controller's second run finds it.
    subprocess.run([str(BIN / "sitekit"), "validate", str(fleet)], check=True, cwd=ROOT,
                   capture_output=True)
    results: list[Result] = [
        measure("plugin, whole fleet", [*run, str(fleet)], env, args.repeat),
        measure(f"plugin, shard 1/{args.shards}", [*run, str(fleet)],
                {**env, "SITEKIT_SHARD": f"1/{args.shards}"}, args.repeat),
    ]
    if not args.no_static:
        results.append(measure("static YAML", [*run, str(static)],
                               {**env, "ANSIBLE_INVENTORY_ENABLED": "yaml"}, args.repeat))
    print_ratio_table(results, "run to the first task", "whole fleet")


if __name__ == "__main__":
    main()
