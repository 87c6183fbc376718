"""Benchmark: `sitekit rollout plan` for a large fleet, beside `sitekit plan` on the same fleet.

    python -m tests.bench.bench_rollout_plan [--sites 2000] [--repeat 3] [--work DIR]

Generates a fleet (tests/bench/fleetgen.py: rings 0-3, 500 sites each) and a release for
it (the example's, with its canary in ring 0 and a policy for ring 3). Then times, side by
side in one run, each as its own process (median of --repeat runs, largest peak memory):
`sitekit validate` (reading and checking every file: the floor under both), `sitekit plan`
(the baseline), and `sitekit rollout plan` as a table and as JSON. Last, in this process,
where the rollout plan's time goes: loading the fleet, loading the release, the sites'
windows, the planner, the table and JSON. Prints Markdown tables for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.bench.bench_inventory import Result, measure

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
EXAMPLE_RELEASE = ROOT / "inventories" / "example" / "releases" / "2026-12-lotus-8.5.yml"
NOW = "2026-12-07T03:00:00Z"


def write_release(fleet: Path) -> str:
    """The example release, for the generated fleet's sites and rings; returns its id."""
    ring_2 = ("      - {ring: 2, batch_size: 50, max_failed_percent: 5, soak_hours: 0, "
              "approval: true}\n")
    text = EXAMPLE_RELEASE.read_text()
    assert ring_2 in text, "the example release's ring 2 policy changed: update this benchmark"
    text = (text.replace("id: 2026-12-lotus-8.5", "id: bench")
            .replace("sites: [LIS01]", "sites: [S00000]")
            .replace(ring_2, ring_2 + ring_2.replace("ring: 2", "ring: 3")
                     .replace("batch_size: 50", "batch_size: 100")))
    (fleet / "releases").mkdir(exist_ok=True)
    (fleet / "releases" / "bench.yml").write_text(text)
    return "bench"


def phases(fleet: Path, release_id: str) -> list[tuple[str, float]]:
    """Where one rollout plan's time goes, measured in this process."""
    from sitekit.rollout import render  # noqa: PLC0415 - timed below, after the fleet exists
    from sitekit.rollout.cli import site_inputs  # noqa: PLC0415
    from sitekit.rollout.planner import plan_rollout  # noqa: PLC0415
    from sitekit.rollout.release import load_release  # noqa: PLC0415
    from sitekit.site.load import load_fleet_dir  # noqa: PLC0415

    marks = [time.perf_counter()]
    loaded = load_fleet_dir(fleet)
    assert loaded.fleet is not None and not loaded.problems, loaded.problems[:3]
    marks.append(time.perf_counter())
    release, problems = load_release(fleet, release_id, loaded.fleet, loaded.sites)
    assert release is not None, problems
    marks.append(time.perf_counter())
    inputs, _ = site_inputs(loaded.fleet, loaded.sites)
    marks.append(time.perf_counter())
    plan = plan_rollout(release, inputs, dt.datetime.fromisoformat(NOW))
    marks.append(time.perf_counter())
    render.plan_table(plan)
    marks.append(time.perf_counter())
    render.plan_json(plan)
    marks.append(time.perf_counter())
    names = ["load and check the fleet (site files)", "load and check the release",
             "each site's windows (plan_schedule)", "the planner", "the table", "the JSON"]
    return [(name, marks[i + 1] - marks[i]) for i, name in enumerate(names)]


def main() -> None:
    parser = argparse.ArgumentParser(description="sitekit rollout plan vs sitekit plan")
    parser.add_argument("--sites", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--work", type=Path, default=None)
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="sitekit-bench-"))
    subprocess.run([sys.executable, "-m", "tests.bench.fleetgen", str(work), "--sites",
                    str(args.sites)], check=True, cwd=ROOT)
    fleet = work / "fleet"
    release = write_release(fleet)
    env = {**os.environ, "SITEKIT_NOW": NOW}
    env.pop("SITEKIT_TODAY", None)
    sitekit = str(BIN / "sitekit")
    r = args.repeat
    print(f"{args.sites} sites, in {work}", flush=True)
    results: list[Result] = [
        measure("sitekit plan (the baseline)", [sitekit, "plan", str(fleet)], env, r),
        measure("sitekit validate", [sitekit, "validate", str(fleet)], env, r),
        measure("sitekit rollout plan (table)",
                [sitekit, "rollout", "plan", str(fleet), "--release", release], env, r),
        measure("sitekit rollout plan --format json",
                [sitekit, "rollout", "plan", str(fleet), "--release", release, "--format",
                 "json"], env, r),
    ]
    base = results[0]
    print("\n| run | wall time (s) | max RSS (MB) | time vs sitekit plan |")
    print("|---|---:|---:|---:|")
    for result in results:
        print(f"| {result.name} | {result.seconds:.2f} | {result.max_rss_mb:.0f} | "
              f"{result.seconds / base.seconds:.3f}x |")
    os.environ["SITEKIT_NOW"] = NOW
    split = phases(fleet, release)
    total = sum(seconds for _, seconds in split)
    print("\n| one rollout plan, in process | time (s) | share |")
    print("|---|---:|---:|")
    for name, seconds in split:
        print(f"| {name} | {seconds:.2f} | {seconds / total:.0%} |")


if __name__ == "__main__":
    main()
