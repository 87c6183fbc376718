"""Benchmark: `sitekit plan` and `sitekit rollout plan` for a large fleet, with the site cache
cold and warm, beside the same commands of a baseline commit, in one run.

    python -m tests.bench.bench_plan_speed [--sites 2000] [--repeat 5] [--baseline main]
                                           [--work DIR]

Generates a fleet (tests/bench/fleetgen.py) and a release for it (bench_rollout_plan's),
extracts the baseline commit's src/ and plugins/ with `git archive`, and times each command
as its own process: the baseline's, this tree's with the site cache off (every file parsed,
the loading the baseline had), with the cache empty (parsed, then kept) and warm (every site
file taken from the cache). The rows are interleaved round by round, so a busy machine
slows them alike; each figure is the median of --repeat runs, with its CPU time (user +
system), which the machine's load disturbs less than the wall time. Last, the interpreter's
start-up with sitekit's imports alone: a floor under every row. Prints Markdown tables for
docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path

from tests.bench.bench_rollout_plan import NOW, write_release

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Row:
    """One command, measured once per round."""

    name: str
    command: list[str]
    env: dict[str, str]
    before: Path | None = None  # a folder emptied before each run (the cold cache)
    walls: list[float] = field(default_factory=list)
    cpus: list[float] = field(default_factory=list)

    def run(self) -> None:
        """Run the command once; record its wall and CPU time."""
        if self.before is not None:
            shutil.rmtree(self.before, ignore_errors=True)
        start = time.perf_counter()
        with Path(os.devnull).open("wb") as sink:
            child = subprocess.Popen(self.command, stdout=sink, stderr=subprocess.PIPE,
                                     env=self.env, cwd=ROOT)
            _, status, usage = os.wait4(child.pid, 0)
        self.walls.append(time.perf_counter() - start)
        self.cpus.append(usage.ru_utime + usage.ru_stime)
        if status != 0:
            raise SystemExit(f"{self.name} failed: {child.stderr.read().decode()[-2000:]}")


def baseline_tree(ref: str, into: Path) -> Path:
    """The baseline commit's src/ and plugins/, extracted under `into`."""
    archive = subprocess.run(["git", "archive", ref, "src", "plugins"], cwd=ROOT, check=True,
                             capture_output=True).stdout
    target = into / "baseline"
    shutil.rmtree(target, ignore_errors=True)
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(target, filter="data")
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sites", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--baseline", default="main", help="the commit to compare with")
    parser.add_argument("--work", type=Path, default=None)
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="sitekit-bench-"))
    subprocess.run([sys.executable, "-m", "tests.bench.fleetgen", str(work), "--sites",
                    str(args.sites)], check=True, cwd=ROOT)
    fleet = str(work / "fleet")
    release = write_release(work / "fleet")
    base = baseline_tree(args.baseline, work)
    env = {**os.environ, "SITEKIT_NOW": NOW}
    env.pop("SITEKIT_TODAY", None)
    # The baseline's package first on the path, its plugins beside it.
    base_env = {**env, "PYTHONPATH": str(base / "src"), "SITEKIT_PLUGINS": str(base / "plugins"),
                "SITEKIT_CACHE": "off"}
    check = subprocess.run([sys.executable, "-c", "import sitekit; print(sitekit.__file__)"],
                           env=base_env, capture_output=True, text=True, check=True, cwd=ROOT)
    assert check.stdout.startswith(str(base)), f"the baseline is not imported: {check.stdout}"
    cold_dir, warm_dir = work / "cache-cold", work / "cache-warm"
    off = {**env, "SITEKIT_CACHE": "off"}
    cold = {**env, "SITEKIT_CACHE": str(cold_dir)}
    warm = {**env, "SITEKIT_CACHE": str(warm_dir)}
    python = [sys.executable, "-m", "sitekit"]
    plan = [*python, "plan", fleet]
    rollout = [*python, "rollout", "plan", fleet, "--release", release]
    rows = [
        Row(f"sitekit plan, baseline ({args.baseline})", plan, base_env),
        Row("sitekit plan, cache off", plan, off),
        Row("sitekit plan, cache empty (cold)", plan, cold, before=cold_dir),
        Row("sitekit plan, cache warm", plan, warm),
        Row(f"sitekit rollout plan, baseline ({args.baseline})", rollout, base_env),
        Row("sitekit rollout plan, cache off", rollout, off),
        Row("sitekit rollout plan, cache empty (cold)", rollout, cold, before=cold_dir),
        Row("sitekit rollout plan, cache warm", rollout, warm),
        Row("start-up: python -c 'import sitekit.cli, sitekit.rollout.cli'",
            [sys.executable, "-c", "import sitekit.cli, sitekit.rollout.cli"], off),
    ]
    subprocess.run(plan, env=warm, check=True, cwd=ROOT, stdout=subprocess.DEVNULL)  # fill it
    print(f"{args.sites} sites, in {work}", flush=True)
    for round_number in range(args.repeat):
        for row in rows:
            row.run()
        print(f"  round {round_number + 1}: load average {os.getloadavg()[0]:.1f}", flush=True)
    print("\n| run | wall time (s), median | CPU time (s), median | wall vs baseline |")
    print("|---|---:|---:|---:|")
    baseline = None
    for row in rows:
        wall, cpu = statistics.median(row.walls), statistics.median(row.cpus)
        if "baseline" in row.name:
            baseline = wall
        ratio = f"{wall / baseline:.2f}x" if baseline and "start-up" not in row.name else ""
        print(f"| {row.name} | {wall:.2f} | {cpu:.2f} | {ratio} |")


if __name__ == "__main__":
    main()
