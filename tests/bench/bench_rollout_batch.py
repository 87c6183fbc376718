"""Benchmark the rollout's batches: ten sites upgraded together against one site alone.

Not a pytest test. Issue 13's target: with the lab's `slow` fault at 1 s per command on
every host, a batch of 10 sites takes at most 2x the wall time of one site alone, the
two measured side by side in one run.

A fleet of eleven small sites shaped like the example's LIS01 (a server, a till, a kitchen
station) is written to a temporary directory with a release whose canary is the first
site (soak 0) and whose ring 0 takes ten sites per batch. The lab opens them (opening day
without the antivirus and the handover, as tests/lab/test_rollout.py does), the `slow`
fault goes on every host, then at a night when every site is closed:

1. the rollout takes the canary alone: one site's upgrade;
2. when the planner lets the rest of the ring follow, the other ten as one batch.

Each run's wall time, the controller's CPU and the module calls each host answered (the
lab counts them) are printed as Markdown for docs/benchmarks.md. `--forks` sets
ANSIBLE_FORKS for both runs (the kit's ansible.cfg says 25; a batch of ten such sites
is 30 hosts).

    .venv/bin/python -m tests.bench.bench_rollout_batch [--remote-seconds 1] [--forks 25]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

from sitekit.site import strict_yaml
from tests.bench.bench_lab_roundtrip import _free_port, machine_note
from tests.bench.bench_opening_day import _calls

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
EXAMPLE = ROOT / "inventories" / "example"
RELEASE = "2026-12-lotus-8.5"
SITES = [f"B{number:02d}" for number in range(1, 12)]  # B01 the canary, B02-B11 one batch
# A Tuesday night: every copy of LIS01 is closed (Lisbon 01:00), hours left in the window.
NIGHT = "2026-12-08T01:00:00Z"
LATER = "2026-12-08T02:30:00Z"  # when the planner lets the batch follow the canary


def write_fleet(tmp: Path) -> Path:
    """The example fleet with eleven copies of LIS01 in place of its three sites."""
    fleet = tmp / "fleet"
    shutil.copytree(EXAMPLE, fleet, ignore=shutil.ignore_patterns("records", "audit", "secrets",
                                                                  "pki"))
    sites = fleet / "sites"
    template = (sites / "lis01.yml").read_text()
    for entry in list(sites.iterdir()):
        shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
    for number, code in enumerate(SITES, start=1):
        text = template.replace("code: LIS01", f"code: {code}")
        text = text.replace("10.41.7.0/26", f"10.42.{number}.0/26")
        text = re.sub(r"\{index: 41\}", f"{{index: {100 + number}}}", text)
        text = re.sub(r'serial: "[^"]+"', f'serial: "900-000-{number:03d}"', text)
        (sites / f"{code.lower()}.yml").write_text(text)
        shutil.copytree(EXAMPLE / "sites" / "lis01", sites / code.lower())
    release = fleet / "releases" / f"{RELEASE}.yml"
    data = strict_yaml.plain(strict_yaml.load(release.read_text()))
    data["release"]["policy"]["canary"] = {"sites": [SITES[0]], "soak_hours": 0}
    data["release"]["policy"]["rings"] = [
        {"ring": 0, "batch_size": len(SITES) - 1, "max_failed_percent": 0, "soak_hours": 0,
         "approval": False}]
    for other in (fleet / "releases").glob("*.yml"):
        other.unlink()
    release.write_text(yaml.safe_dump(data, sort_keys=False))
    return fleet


def _lab(*args: str, now: str | None = None) -> None:
    env = {k: v for k, v in os.environ.items() if k != "SITEKIT_NOW"}
    if now:
        env["SITEKIT_NOW"] = now
    result = subprocess.run([str(BIN / "sitekit"), "lab", *args], cwd=ROOT, env=env,
                            capture_output=True, text=True, check=False)
    if result.returncode:
        raise SystemExit(f"sitekit lab {' '.join(args)} failed:\n{result.stderr[-3000:]}")


def _playbook(lab_dir: Path, playbook: str, env: dict[str, str],
              *options: str) -> tuple[float, float, dict[str, Any]]:
    """Run a playbook against the lab: wall time, controller CPU, the JSON result."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.monotonic()
    result = subprocess.run(
        [str(BIN / "ansible-playbook"), "-i", str(lab_dir / "inventory"),
         str(ROOT / "playbooks" / playbook), *options],
        cwd=ROOT, capture_output=True, text=True, check=False,
        env=os.environ | {"ANSIBLE_VAULT_PASSWORD_FILE": str(lab_dir / "vault-password"),
                          "ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json"} | env)
    wall = time.monotonic() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode != 0:
        raise SystemExit(f"{playbook} failed (rc {result.returncode}):\n"
                         f"{(result.stdout + result.stderr)[-4000:]}")
    cpu = (after.ru_utime - children.ru_utime) + (after.ru_stime - children.ru_stime)
    return wall, cpu, json.loads(result.stdout)


def _rollout(lab_dir: Path, history: Path, now: str,
             env: dict[str, str]) -> dict[str, Any]:
    before = _calls(lab_dir)
    wall, cpu, data = _playbook(
        lab_dir, "rollout.yml", env | {"SITEKIT_ENGINEER": "Bench", "SITEKIT_NOW": now},
        "-e", f"release={RELEASE}", "-e", f"rollout_history={history}")
    calls = {host: count - before.get(host, 0) for host, count in _calls(lab_dir).items()
             if count > before.get(host, 0)}
    return {"wall": wall, "cpu": cpu, "calls": calls,
            "failed": sorted(h for h, s in data["stats"].items()
                             if s["failures"] or s["unreachable"])}


def _status(fleet: Path, history: Path) -> dict[str, str]:
    result = subprocess.run(
        [str(BIN / "sitekit"), "rollout", "status", str(fleet), "--release", RELEASE,
         "--history", str(history), "--format", "json"], cwd=ROOT, capture_output=True,
        text=True, check=True, env=os.environ | {"SITEKIT_NOW": LATER})
    document = json.loads(result.stdout)
    return {site["site"]: site["state"] for ring in document["rings"] for site in ring["sites"]}


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--remote-seconds", type=float, default=1.0)
    parser.add_argument("--forks", type=int, default=None,
                        help="ANSIBLE_FORKS for the rollout runs (default: ansible.cfg's)")
    args = parser.parse_args(argv)
    env = {"ANSIBLE_FORKS": str(args.forks)} if args.forks else {}
    with tempfile.TemporaryDirectory(prefix="sitekit-bench-") as name:
        tmp = Path(name)
        fleet = write_fleet(tmp)
        lab_dir = tmp / "lab"
        port = str(_free_port())
        site_args = [arg for code in SITES for arg in ("--site", code)]
        up = ("up", str(fleet), *site_args, "--lab-dir", str(lab_dir), "--port", port,
              "--metrics-port", str(_free_port()))
        _lab(*up)
        try:
            opened, _, _ = _playbook(lab_dir, "opening_day.yml", {}, "--skip-tags",
                                     "antivirus,acceptance")
            print(f"opening day of {len(SITES)} sites: {opened:.0f} s", file=sys.stderr)
            _lab(*up, now=NIGHT)  # the lab's clock at the night from here on
            hosts = sorted(p.name for p in (lab_dir / "hosts").iterdir())
            for host in hosts:
                if not host.endswith("-guest"):
                    _lab("fault", "--lab-dir", str(lab_dir), host, "slow",
                         f"seconds={args.remote_seconds}")
            history = tmp / "history.sqlite"
            one = _rollout(lab_dir, history, NIGHT, env)
            _lab(*up, now=LATER)
            batch = _rollout(lab_dir, history, LATER, env)
            states = _status(fleet, history)
        finally:
            _lab("down", "--lab-dir", str(lab_dir))
    print(report(one, batch, states, args.remote_seconds, args.forks))
    return 0


def report(one: dict[str, Any], batch: dict[str, Any], states: dict[str, str],
           seconds: float, forks: int | None) -> str:
    """The figures as Markdown."""
    def per_kind(calls: dict[str, int], kind: str) -> str:
        counts = [n for host, n in calls.items() if f"-{kind}" in host]
        return f"{statistics.median(counts):g}" if counts else "-"

    done = sum(1 for state in states.values() if state == "done")
    rows = [
        "| run | sites | hosts contacted | wall time (s) | controller CPU (s) | "
        "module calls: server / till / kitchen (median per host) |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for label, run, sites in (("one site (the canary)", one, 1),
                              ("one batch", batch, len(SITES) - 1)):
        rows.append(f"| {label} | {sites} | {len(run['calls'])} | {run['wall']:.1f} | "
                    f"{run['cpu']:.1f} | {per_kind(run['calls'], 'srv')} / "
                    f"{per_kind(run['calls'], 'pos')} / {per_kind(run['calls'], 'kds')} |")
    ratio = batch["wall"] / one["wall"]
    failed = one["failed"] + batch["failed"]
    return "\n".join([
        machine_note(), "",
        f"`slow` fault: {seconds:g} s per command on every host; forks: "
        f"{forks or 'ansible.cfg (25)'}.", "", *rows, "",
        f"Ten sites / one site: **{ratio:.2f}x** wall time (target: at most 2x). "
        f"Sites done: {done} of {len(states)}"
        + (f"; hosts that failed: {', '.join(failed)}" if failed else "") + ".",
    ])


if __name__ == "__main__":
    sys.exit(main())
