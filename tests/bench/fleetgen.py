"""Generate a large fleet for the benchmarks: N sites of mixed sizes, ~10 hosts each.

    python -m tests.bench.fleetgen OUT_DIR [--sites 2000]

Writes OUT_DIR/fleet (a fleet directory) and OUT_DIR/static.yml, the same hosts, groups
and variables as a static YAML inventory, for the side-by-side baseline.
"""

from __future__ import annotations

import argparse
import random
import shutil
from pathlib import Path

import yaml

from sitekit.inventory import build_inventory
from sitekit.plan.fleet import plan_fleet_dir

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "inventories" / "example"
CITIES = [("Lisbon", "Europe/Lisbon"), ("Berlin", "Europe/Berlin"), ("London", "Europe/London"),
          ("Paris", "Europe/Paris"), ("Madrid", "Europe/Madrid"), ("Warsaw", "Europe/Warsaw"),
          ("Vienna", "Europe/Vienna"), ("Dublin", "Europe/Dublin")]
SECTIONS = ["wok", "grill", "cold", "pastry", "bar", "expo", "dim sum", "fry"]
FIRST = ["Ana", "Rui", "Mia", "Noah", "Lea", "Jonas", "Emma", "Liam", "Sara", "Omar"]
LAST = ["Costa", "Weber", "Patel", "Khan", "Li", "Novak", "Silva", "Moreau", "Garcia"]


def site_text(index: int, rng: random.Random) -> str:
    """One generated site file: 1 server, 3-6 tills, 3-5 kitchen sections, 0-1 office."""
    code = f"S{index:05d}"
    city, zone = CITIES[index % len(CITIES)]
    cashiers = rng.randint(3, 6)
    kitchens = rng.randint(3, 5)
    offices = rng.randint(0, 1)
    lines = [
        "---",
        f"code: {code}",
        f"name: Lotus Kitchen {city} {index}",
        f"city: {city}",
        f"time_zone: {zone}",
        "opening_hours:",
        '  daily: "11:00-23:00"',
        f"rollout_ring: {index % 4}",
        "network:",
        f"  index: {index}",
        "  infrastructure:",
        "    - {number: 1, name: core-switch}",
        "stations:",
        "  server:",
        "    - {number: 1, location: comms room}",
        "  cashier:",
        *(f"    - {{number: {n}, location: till {n}}}" for n in range(1, cashiers + 1)),
        "  kitchen:",
        *(f"    - {{number: {n}, section: {SECTIONS[n - 1]}}}" for n in range(1, kitchens + 1)),
    ]
    if offices:
        lines += ["  office:", "    - {number: 1, location: office}"]
    lines += [
        f"handhelds: {rng.randint(0, 20)}",
        "printers:",
        "  receipt:",
        "    - {number: 1, station: 1}",
        "  kitchen:",
        *(f"    - {{number: {n + 1}, section: {SECTIONS[n - 1]}}}"
          for n in range(1, kitchens + 1)),
        "staff:",
    ]
    modules = ["back_office", "cashier", "kitchen", "ordering"]
    for n in range(8):
        name = f"{FIRST[(index + n) % len(FIRST)]} {LAST[(index * 3 + n) % len(LAST)]}"
        admin = "true" if n == 0 else "false"
        own = [modules[n % 4], modules[(n + 1) % 4]]
        lines.append(f"  - {{name: {name}, user: u{n}{index}, administrator: {admin}, "
                     f"modules: [{', '.join(own)}]}}")
    return "\n".join(lines) + "\n"


def generate(out: Path, sites: int, seed: int = 7) -> tuple[Path, Path, int]:
    """Write the fleet and its static YAML twin; returns their paths and the host count."""
    rng = random.Random(seed)  # noqa: S311 - reproducible test data, not secrets
    fleet = out / "fleet"
    if fleet.exists():
        shutil.rmtree(fleet)
    (fleet / "sites").mkdir(parents=True)
    shutil.copytree(EXAMPLE / "files", fleet / "files")
    config = (EXAMPLE / "sitekit.yml").read_text()
    config = config.replace("address_space: 10.40.0.0/16", "address_space: 10.0.0.0/8")
    (fleet / "sitekit.yml").write_text(config)
    for index in range(sites):
        (fleet / "sites" / f"s{index:05d}.yml").write_text(site_text(index, rng))
    static = out / "static.yml"
    text, hosts = static_yaml(fleet)
    static.write_text(text)
    (out / "hosts.txt").write_text(f"{hosts}\n")
    return fleet, static, hosts


def static_yaml(fleet: Path) -> tuple[str, int]:
    """The fleet's inventory as static YAML (same hosts, groups, variables), and its hosts."""
    inventory = build_inventory(plan_fleet_dir(fleet))
    groups = {}
    for name, group in inventory.groups.items():
        entry: dict[str, object] = {}
        if group.vars:
            entry["vars"] = group.vars
        if group.hosts:
            entry["hosts"] = {host: (inventory.hosts[host] if name.startswith("site_") else None)
                              for host in group.hosts}
        if group.children:
            entry["children"] = dict.fromkeys(group.children)
        groups[name] = entry
    text = yaml.dump({"all": {"children": groups}}, Dumper=yaml.CSafeDumper,
                     default_flow_style=False, sort_keys=False)
    return text, len(inventory.hosts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--sites", type=int, default=2000)
    args = parser.parse_args()
    fleet, static, _ = generate(args.out, args.sites)
    print(f"wrote {fleet} and {static}")


if __name__ == "__main__":
    main()
