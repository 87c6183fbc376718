"""Benchmark: the inventory plugin against the equivalent static YAML inventory.

    python -m tests.bench.bench_inventory [--sites 2000] [--repeat 1] [--work DIR]

Generates a fleet (tests/bench/fleetgen.py) and its static YAML twin, then times, side by
side in one run, `ansible-inventory --list` over each, the plugin with one `compose` and
one `keyed_groups` entry, the same on top of the static YAML through
ansible.builtin.constructed, the plugin's cached second run, `sitekit plan` for the whole
fleet, and `--graph` runs, which load the inventory as a playbook does, without the JSON
dump. Prints wall time (median of --repeat runs), peak memory (max RSS) and ratios as a
Markdown table for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
COMPOSE = (
    "compose:\n"
    "  sitekit_label: sitekit_computer_name ~ ' ' ~ sitekit_site.city\n"
    "keyed_groups:\n"
    "  - key: sitekit_kind\n"
    "    prefix: kind\n"
)


@dataclass
class Result:
    """One measured command."""

    name: str
    seconds: float
    max_rss_mb: float


def measure(name: str, command: list[str], env: dict[str, str], repeat: int,
            before: list[str] | None = None) -> Result:
    """Run a command `repeat` times; median wall time and the largest peak memory."""
    times, peaks = [], []
    for _ in range(repeat):
        if before:
            subprocess.run(before, check=True)
        start = time.perf_counter()
        with Path(os.devnull).open("wb") as sink:
            child = subprocess.Popen(command, stdout=sink, stderr=subprocess.PIPE, env=env,
                                     cwd=ROOT)
            _, status, usage = os.wait4(child.pid, 0)
        times.append(time.perf_counter() - start)
        if status != 0:
            raise SystemExit(f"{name} failed: {child.stderr.read().decode()[-2000:]}")
        peaks.append(usage.ru_maxrss / 1024)
    result = Result(name, statistics.median(times), max(peaks))
    print(f"  {name}: {result.seconds:.2f} s, {result.max_rss_mb:.0f} MB", flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description="inventory plugin vs static YAML")
    parser.add_argument("--sites", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--work", type=Path, default=None)
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="sitekit-bench-"))
    # Generated in a child process: Linux keeps a process's peak memory across fork and
    # exec, so a large parent would set a floor under every child's measured peak.
    subprocess.run([sys.executable, "-m", "tests.bench.fleetgen", str(work), "--sites",
                    str(args.sites)], check=True, cwd=ROOT)
    fleet, static = work / "fleet", work / "static.yml"
    hosts = int((work / "hosts.txt").read_text())
    composed = work / "composed"
    shutil.rmtree(composed, ignore_errors=True)
    shutil.copytree(fleet, composed)
    (composed / "sitekit.yml").write_text((fleet / "sitekit.yml").read_text() + COMPOSE)
    constructed = work / "constructed"
    constructed.mkdir(exist_ok=True)
    shutil.copy(static, constructed / "01-static.yml")
    (constructed / "02-constructed.yml").write_text(
        "plugin: constructed\nstrict: false\n" + COMPOSE)
    cache = work / "cache"

    base_env = {**os.environ, "ANSIBLE_INVENTORY_CACHE": "false"}
    static_env = {**base_env, "ANSIBLE_INVENTORY_ENABLED": "yaml"}
    constructed_env = {**base_env, "ANSIBLE_INVENTORY_ENABLED": "yaml,constructed"}
    cached_env = {**os.environ, "ANSIBLE_INVENTORY_CACHE": "true",
                  "ANSIBLE_INVENTORY_CACHE_CONNECTION": str(cache)}
    inventory = str(BIN / "ansible-inventory")
    clear = ["rm", "-rf", str(cache)]
    r = args.repeat
    print(f"{args.sites} sites, {hosts} hosts, in {work}", flush=True)
    results = [
        measure("static YAML", [inventory, "-i", str(static), "--list"], static_env, r),
        measure("plugin", [inventory, "-i", str(fleet), "--list"], base_env, r),
        measure("static YAML, --graph (load only, no JSON dump)",
                [inventory, "-i", str(static), "--graph"], static_env, r),
        measure("plugin, --graph (load only, no JSON dump)",
                [inventory, "-i", str(fleet), "--graph"], base_env, r),
        measure("plugin + compose + keyed_groups", [inventory, "-i", str(composed), "--list"],
                base_env, r),
        measure("static YAML + constructed (compose + keyed_groups)",
                [inventory, "-i", str(constructed), "--list"], constructed_env, r),
        measure("plugin, cache empty", [inventory, "-i", str(fleet), "--list"], cached_env, r,
                before=clear),
        measure("plugin, cached second run", [inventory, "-i", str(fleet), "--list"],
                cached_env, r),
        measure("sitekit plan (table)", [str(BIN / "sitekit"), "plan", str(fleet)], base_env,
                max(r, 3)),
        measure("sitekit plan --format json", [str(BIN / "sitekit"), "plan", str(fleet),
                                               "--format", "json"], base_env, max(r, 3)),
        measure("sitekit validate", [str(BIN / "sitekit"), "validate", str(fleet)], base_env,
                max(r, 3)),
    ]
    print_ratio_table(results, "run", "static YAML")


def print_ratio_table(results: list[Result], first: str, against: str) -> None:
    """Each result's time and memory, and both as ratios of the first result's."""
    base = results[0]
    print(f"\n| {first} | wall time (s) | max RSS (MB) | time vs {against} |"
          f" memory vs {against} |")
    print("|---|---:|---:|---:|---:|")
    for result in results:
        time_ratio = result.seconds / base.seconds
        memory_ratio = result.max_rss_mb / base.max_rss_mb
        print(f"| {result.name} | {result.seconds:.2f} | {result.max_rss_mb:.0f} | "
              f"{time_ratio:.3f}x | {memory_ratio:.3f}x |")


if __name__ == "__main__":
    main()
