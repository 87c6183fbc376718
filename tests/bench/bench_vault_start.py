"""Benchmark: what the per-site vault files cost a playbook's start, for 2,000 sites.

    python -m tests.bench.bench_vault_start [--sites 2000] [--repeat 3] [--work DIR]

Generates a fleet (tests/bench/fleetgen.py), gives every site its vault file
(`sitekit passwords generate`), then times `ansible-playbook --limit site_s00007` over a
one-task play (debug, on the controller: no WinRM) that reads the host's ansible_password:
- without secrets (no secrets/ directory): the inventory alone;
- with the sitekit_secrets vars plugin as shipped (stage task): one site's file decrypted;
- with the same plugin at stage inventory: every site's file decrypted at start, which is
  what loading them eagerly (as group_vars at start would) costs;
and, in one process, decrypting all 2,000 files through Ansible's DataLoader.
Prints a Markdown table for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.bench.bench_inventory import BIN, ROOT, Result, measure

PLAY = """---
- name: Read the host's own password, on the controller
  hosts: all
  gather_facts: false
  tasks:
    - name: Show its length, never the password
      ansible.builtin.debug:
        msg: "{{ ansible_password | length }}"
"""


def decrypt_all(fleet: Path, password_file: Path) -> float:
    """Seconds to decrypt every site's file through Ansible's DataLoader, in one process."""
    code = ("import sys, time\n"
            "from pathlib import Path\n"
            "from ansible.parsing.dataloader import DataLoader\n"
            "from ansible.parsing.vault import VaultSecret\n"
            "loader = DataLoader()\n"
            "loader.set_vault_secrets([('default', VaultSecret("
            "Path(sys.argv[2]).read_text().strip().encode()))])\n"
            "files = sorted(Path(sys.argv[1]).glob('secrets/*.yml'))\n"
            "start = time.perf_counter()\n"
            "for f in files:\n"
            "    assert loader.load_from_file(str(f), cache='none')['hosts']\n"
            "print(len(files), time.perf_counter() - start)\n")
    out = subprocess.run([sys.executable, "-c", code, str(fleet), str(password_file)],
                         check=True, capture_output=True, text=True).stdout.split()
    print(f"  decrypt {out[0]} files in one process: {float(out[1]):.2f} s", flush=True)
    return float(out[1])


def main() -> None:
    """Run the benchmark and print the table."""
    parser = argparse.ArgumentParser(description="per-site vault files at a playbook's start")
    parser.add_argument("--sites", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--work", type=Path, default=None)
    parser.add_argument("--reuse", action="store_true",
                        help="keep the fleet and secrets a previous run left in --work")
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="sitekit-bench-vault-"))
    fleet = work / "fleet"
    reuse = args.reuse and (fleet / "secrets").is_dir()
    if not reuse:
        subprocess.run([sys.executable, "-m", "tests.bench.fleetgen", str(work), "--sites",
                        str(args.sites)], check=True, cwd=ROOT)
    password_file = work / "vault-password"
    password_file.write_text("benchmark\n", encoding="utf-8")
    play = work / "play.yml"
    play.write_text(PLAY, encoding="utf-8")
    env = {**os.environ, "ANSIBLE_VAULT_PASSWORD_FILE": str(password_file),
           "ANSIBLE_INVENTORY_CACHE_CONNECTION": str(work / "cache")}
    start = time.perf_counter()
    subprocess.run([str(BIN / "sitekit"), "passwords", "generate", str(fleet)], env=env,
                   check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
    generated = time.perf_counter() - start  # with --reuse: a run that finds nothing new
    print(f"  sitekit passwords generate, {args.sites} sites: {generated:.1f} s", flush=True)
    playbook = [str(BIN / "ansible-playbook"), "-i", str(fleet), "--limit", "site_s00007",
                str(play)]
    hidden = work / "secrets-hidden"  # outside the inventory directory
    r = args.repeat
    # The inventory cache warm for every row: the rows differ in the secrets alone.
    (fleet / "secrets").rename(hidden)
    measure("warm the inventory cache", [*playbook, "-e", "ansible_password=x"], env, 1)
    try:
        baseline = measure("no secrets/ (ansible_password from elsewhere)",
                           [*playbook, "-e", "ansible_password=x"], env, r)
    finally:
        hidden.rename(fleet / "secrets")
    results: list[Result] = [
        baseline,
        measure("sitekit_secrets, stage task (as shipped): one site's file", playbook, env, r),
        measure("sitekit_secrets, stage inventory: every site's file at start", playbook,
                {**env, "ANSIBLE_VARS_SITEKIT_SECRETS_STAGE": "inventory"}, r),
    ]
    everything = decrypt_all(fleet, password_file)
    print(f"\n{args.sites} sites; `sitekit passwords generate` wrote their files in "
          f"{generated:.1f} s; decrypting all of them in one process: {everything:.2f} s.\n")
    print("| `ansible-playbook --limit site_s00007` (one site, 1 debug task) | wall (s), "
          "median | max RSS (MB) |")
    print("|---|---:|---:|")
    for result in results:
        print(f"| {result.name} | {result.seconds:.2f} | {result.max_rss_mb:.0f} |")


if __name__ == "__main__":
    main()
