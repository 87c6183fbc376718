"""Benchmark: the monthly audit's reports for a whole fleet, against Ansible's template module.

    python -m tests.bench.bench_audit_report [--sites 2000] [--repeat 1] [--work DIR]

Generates a fleet (tests/bench/fleetgen.py) with the example policy, and two months of
stored facts for every host (tests/auditdata.py: healthy hosts, a few drifted, a few
unreachable). Then times, side by side in one run, each as its own process:

- the baseline: ansible-playbook on localhost rendering the same results (one row per
  host and control) into an HTML table with ansible.builtin.template;
- `sitekit report` from stored facts to every report (evaluation, history, inspection
  reports and maintenance records for every site, fleet summary, JSON, CSV, JUnit XML),
  with last month already in the history;
- the same month again from the history alone (`--from-history`);
- one site's reports, from facts and from the history (median of 5 runs).

Prints wall time, peak memory (max RSS of the process) and ratios as Markdown tables for
docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import random
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
MONTHS = (("2026-11", dt.datetime(2026, 11, 1, 2, 30, tzinfo=dt.UTC)),
          ("2026-12", dt.datetime(2026, 12, 1, 2, 30, tzinfo=dt.UTC)))
PLAYBOOK = """---
- name: Render the audit table with Ansible's template module
  hosts: localhost
  connection: local
  gather_facts: false
  vars_files:
    - rows.json
  tasks:
    - name: Render the table
      ansible.builtin.template:
        src: table.html.j2
        dest: "{{ playbook_dir }}/table.html"
        mode: "0644"
"""
TEMPLATE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>audit {{ month }}</title></head><body>
<table>
<tr><th>site</th><th>host</th><th>kind</th><th>control</th><th>severity</th><th>status</th><th>observed</th><th>expected</th><th>note</th></tr>
{% for r in rows %}
<tr class="{{ r[5] }}"><td>{{ r[0] | e }}</td><td>{{ r[1] | e }}</td><td>{{ r[2] }}</td>
<td>{{ r[3] }}</td><td>{{ r[4] }}</td><td>{{ r[5] }}</td><td>{{ r[6] | e }}</td>
<td>{{ r[7] | e }}</td><td>{{ r[8] | e }}</td></tr>
{% endfor %}
</table></body></html>
"""


@dataclass
class Result:
    """One measured command."""

    name: str
    seconds: float
    max_rss_mb: float


def measure(name: str, command: list[str], repeat: int, cwd: Path = ROOT,
            env: dict[str, str] | None = None) -> Result:
    """Run a command `repeat` times; median wall time and the largest peak memory."""
    times, peaks = [], []
    for _ in range(repeat):
        start = time.perf_counter()
        with Path(os.devnull).open("wb") as sink:
            child = subprocess.Popen(command, stdout=sink, stderr=subprocess.PIPE, cwd=cwd,
                                     env=env or {**os.environ, "SITEKIT_TODAY": "2026-12-01"})
            _, status, usage = os.wait4(child.pid, 0)
        times.append(time.perf_counter() - start)
        assert child.stderr is not None
        errors = child.stderr.read().decode()
        if status != 0:
            raise SystemExit(f"{name} failed: {errors[-3000:]}")
        peaks.append(usage.ru_maxrss / 1024)
    result = Result(name, statistics.median(times), max(peaks))
    print(f"  {name}: {result.seconds:.2f} s, {result.max_rss_mb:.0f} MB", flush=True)
    return result


def generate(work: Path, sites: int) -> None:
    """The fleet, its policy and two months of facts (run in a child process)."""
    from sitekit.audit.evaluate import fleet_sites  # noqa: PLC0415
    from sitekit.site.load import load_fleet_dir  # noqa: PLC0415
    from tests.auditdata import RELEASES, healthy, unreachable, write_fast  # noqa: PLC0415
    from tests.bench import fleetgen  # noqa: PLC0415

    rng = random.Random(11)  # noqa: S311 - reproducible test data
    fleet = work / "fleet"
    shutil.rmtree(fleet, ignore_errors=True)
    (fleet / "sites").mkdir(parents=True)
    shutil.copytree(fleetgen.EXAMPLE / "files", fleet / "files")
    config = (fleetgen.EXAMPLE / "sitekit.yml").read_text()
    (fleet / "sitekit.yml").write_text(
        config.replace("address_space: 10.40.0.0/16", "address_space: 10.0.0.0/8"))
    for index in range(sites):
        (fleet / "sites" / f"s{index:05d}.yml").write_text(fleetgen.site_text(index, rng))
    policy = (fleetgen.EXAMPLE / "audit-policy.yml").read_text()
    (fleet / "audit-policy.yml").write_text(
        policy.replace("site: LON01", "site: S00001").replace("LON01-SRV01", "S00001-SRV01"))
    # The facts are of November and December 2026: judged by the tests' release table.
    shutil.copy(RELEASES, fleet / "release-table.yml")
    loaded = load_fleet_dir(fleet)
    assert loaded.fleet is not None, loaded.problems
    for month, at in MONTHS:
        run = work / "facts" / month
        shutil.rmtree(run, ignore_errors=True)
        documents = []
        for site in fleet_sites(loaded.fleet, loaded.sites):
            for host, kind in site.hosts:
                roll = rng.random()
                if roll < 0.01:
                    documents.append(unreachable(host, site.code, kind, at))
                    continue
                document = healthy(host, site.code, kind, at)
                facts = document["facts"]
                if roll < 0.04:
                    facts["defender"]["signature_last_updated"] = (
                        at - dt.timedelta(days=rng.randint(3, 9))).isoformat()
                elif roll < 0.06:
                    facts["services"]["WinDefend"]["state"] = "stopped"
                elif roll < 0.08:
                    facts["disks"]["C:"]["free_percent"] = round(rng.uniform(2, 14), 1)
                elif roll < 0.09:
                    facts["local_groups"]["Administrators"]["members"].append("temp-admin")
                documents.append(document)
        write_fast(run, documents)
    hosts = sum(1 for _ in (work / "facts" / "2026-12").rglob("*.json"))
    (work / "hosts.txt").write_text(f"{hosts}\n")


def ansible_baseline(work: Path) -> Path:
    """The playbook, template and rows (from the sitekit run's CSV) for the baseline."""
    base = work / "ansible"
    base.mkdir(exist_ok=True)
    (base / "playbook.yml").write_text(PLAYBOOK)
    (base / "table.html.j2").write_text(TEMPLATE)
    with (work / "out" / "results.csv").open(encoding="utf-8") as file:
        reader = csv.DictReader(file)
        rows = [[r["site"], r["host"], r["kind"], r["control"], r["severity"], r["status"],
                 r["observed"], r["expected"], r["note"]] for r in reader]
    (base / "rows.json").write_text(json.dumps({"month": "2026-12", "rows": rows}))
    return base


def main() -> None:
    parser = argparse.ArgumentParser(description="sitekit report vs ansible.builtin.template")
    parser.add_argument("--sites", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--work", type=Path, default=None)
    parser.add_argument("--generate", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.generate:
        generate(args.generate, args.sites)
        return
    work = args.work or Path(tempfile.mkdtemp(prefix="sitekit-audit-bench-"))
    # Generated in a child: Linux keeps a process's peak memory across fork and exec.
    subprocess.run([sys.executable, "-m", "tests.bench.bench_audit_report", "--sites",
                    str(args.sites), "--generate", str(work)], check=True, cwd=ROOT)
    hosts = int((work / "hosts.txt").read_text())
    fleet, history = work / "fleet", work / "history.sqlite"
    history.unlink(missing_ok=True)
    sitekit = str(BIN / "sitekit")
    common = [str(fleet), "--engineer", "Bench Engineer", "--history", str(history)]
    print(f"{args.sites} sites, {hosts} hosts, in {work}", flush=True)
    # Last month first, so this month's reports compare against it (not measured).
    measure("sitekit report, previous month (history warm-up)",
            [sitekit, "report", *common, "--facts", str(work / "facts" / "2026-11"),
             "--month", "2026-11", "--out", str(work / "out-2026-11")], 1)
    r = args.repeat
    code = f"S{args.sites // 2:05d}"
    ours = measure("sitekit report: evaluate + history + all reports",
                   [sitekit, "report", *common, "--facts", str(work / "facts" / "2026-12"),
                    "--month", "2026-12", "--out", str(work / "out")], r)
    again = measure("sitekit report --from-history (all reports)",
                    [sitekit, "report", str(fleet), "--history", str(history), "--month",
                     "2026-12", "--from-history", "--out", str(work / "out-again")], r)
    one = measure(f"one site ({code}) from facts",
                  [sitekit, "report", *common, "--facts", str(work / "facts" / "2026-12"),
                   "--month", "2026-12", "--site", code, "--out", str(work / "out-one")],
                  max(r, 5))
    one_history = measure(f"one site ({code}) from the history",
                          [sitekit, "report", str(fleet), "--history", str(history),
                           "--month", "2026-12", "--from-history", "--site", code, "--out",
                           str(work / "out-one-history")], max(r, 5))
    base_dir = ansible_baseline(work)
    rows = len(json.loads((base_dir / "rows.json").read_text())["rows"])
    env = {key: value for key, value in os.environ.items() if not key.startswith("ANSIBLE_")}
    baseline = measure("ansible-playbook, ansible.builtin.template of the results table",
                       [str(BIN / "ansible-playbook"), "-i", "localhost,", "-e",
                        f"ansible_python_interpreter={sys.executable}", "playbook.yml"], r,
                       cwd=base_dir, env=env)
    results = [baseline, ours, again, one, one_history]
    print(f"\n{args.sites} sites, {hosts} hosts, {rows} results (host x control)\n")
    print("| run | wall time (s) | max RSS (MB) | time vs Ansible template |")
    print("|---|---:|---:|---:|")
    for result in results:
        print(f"| {result.name} | {result.seconds:.2f} | {result.max_rss_mb:.0f} | "
              f"{result.seconds / baseline.seconds:.3f}x |")
    sizes = {path.name: path.stat().st_size / 2**20 for path in (
        work / "out" / "results.json", work / "out" / "results.csv", work / "out" / "junit.xml",
        work / "out" / "summary.html", history)}
    print("\n" + ", ".join(f"{name} {size:.0f} MB" for name, size in sizes.items()))


if __name__ == "__main__":
    main()
