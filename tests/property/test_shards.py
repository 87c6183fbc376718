"""Shards of whole sites: every site in exactly one, stable as sites come and go, balanced.

The pure rules (src/sitekit/plan/shard.py) are property-tested; the plan of a generated
fleet checks that a shard's hosts, groups and variables are the whole fleet's for its sites.
"""

from __future__ import annotations

import random
import shutil
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sitekit.inventory import Inventory, build_inventory
from sitekit.plan.fleet import plan_fleet_dir
from sitekit.plan.shard import MAX_SHARDS, Shard, ShardSpecError, parse_shard, shard_of
from tests.bench.fleetgen import generate, site_text

SETTINGS = settings(max_examples=60, deadline=None)
codes = st.from_regex(r"[A-Z]{3}[0-9]{2,4}", fullmatch=True)
sites = st.dictionaries(codes, st.one_of(st.none(), st.integers(0, 1 << 20)), min_size=1,
                        max_size=30)
counts = st.integers(1, 24)


@SETTINGS
@given(sites, counts)
def test_every_site_is_in_exactly_one_shard(found: dict[str, int | None], count: int) -> None:
    for code, index in found.items():
        holders = [k for k in range(1, count + 1) if Shard(k, count).holds(code, index)]
        assert len(holders) == 1, (code, index, holders)


@SETTINGS
@given(sites, codes, st.one_of(st.none(), st.integers(0, 1 << 20)), counts)
def test_adding_or_removing_a_site_moves_no_other(found: dict[str, int | None], code: str,
                                                  index: int | None, count: int) -> None:
    def assign(fleet: dict[str, int | None]) -> dict[str, int]:
        return {c: shard_of(c, i, count) for c, i in fleet.items()}

    before = assign(found)
    grown = assign({**found, code: index})
    shrunk = assign({c: i for c, i in found.items() if c != code})
    assert {c: s for c, s in grown.items() if c != code} == {
        c: s for c, s in before.items() if c != code}
    assert shrunk == {c: s for c, s in before.items() if c != code}


@SETTINGS
@given(st.integers(0, 10_000), st.integers(1, 64))
def test_each_block_of_n_indexes_deals_one_site_to_every_shard(block: int, count: int) -> None:
    # The balance guarantee: a fleet numbered without gaps differs by at most one site a shard.
    dealt = sorted(shard_of("ANY", block * count + place, count) for place in range(count))
    assert dealt == list(range(1, count + 1))


@SETTINGS
@given(st.integers(1, MAX_SHARDS).flatmap(lambda n: st.tuples(st.integers(1, n), st.just(n))),
       st.sampled_from(["{}/{}", " {} / {} ", "{}/{}\n"]))
def test_shard_specs_read_back(shard: tuple[int, int], form: str) -> None:
    assert parse_shard(form.format(*shard)) == Shard(*shard)
    assert str(Shard(*shard)) == f"{shard[0]}/{shard[1]}"


@pytest.mark.parametrize(("text", "expect"), [
    ("9/8", "the shard must be 1 to 8"), ("0/8", "the shard must be 1 to 8"),
    ("3/0", "the number of shards must be 1 to"), ("3", "write K/N, e.g. 3/8"),
    ("3 of 8", "write K/N"), ("-1/8", "write K/N"), (3, "write K/N"), ("", "write K/N"),
    (f"1/{MAX_SHARDS + 1}", "the number of shards must be 1 to"),
])
def test_bad_shard_specs_say_what_to_write(text: Any, expect: str) -> None:
    with pytest.raises(ShardSpecError, match=expect):
        parse_shard(text)


def test_hosts_balance_within_a_few_percent_on_the_generated_fleet() -> None:
    # The benchmarks' 2,000-site fleet (tests/bench/fleetgen.py): site N has code S<N> and
    # network.index N; its hosts are its stations, the "{number: ...}" entries before
    # `handhelds:` (the printers come after).
    rng = random.Random(7)  # noqa: S311 - fleetgen's seed
    sizes = [site_text(index, rng).split("handhelds:")[0].count("{number:")
             for index in range(2000)]
    assert 18_000 < sum(sizes) < 22_000
    for count in (2, 4, 8, 16):
        load = [0] * count
        for index, hosts in enumerate(sizes):
            load[shard_of(f"S{index:05d}", index, count) - 1] += hosts
        mean = sum(load) / count
        assert max(abs(hosts / mean - 1) for hosts in load) < 0.03, (count, load)


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("shards")
    directory, _, _ = generate(out, 40)
    # Two sites with a subnet of their own (no index) go by their code.
    for number, name in enumerate(("s00038.yml", "s00039.yml")):
        path = directory / "sites" / name
        segments = "".join(f"    {name}: {{index: {900 + number}}}\n"
                           for name in ("guest", "handheld", "management"))
        path.write_text(path.read_text().replace(
            f"  index: {38 + number}\n",
            f"  subnet: 10.200.{number}.0/24\n  segments:\n{segments}"))
    return directory


def _inventory(directory: Path, shard: Shard | None = None) -> Inventory:
    return build_inventory(plan_fleet_dir(directory, shard=shard))


def _site_view(inventory: Inventory, site: str) -> dict[str, Any]:
    """What a play sees of one site: its groups' variables and parents, its hosts' vars."""
    mine = {site, *inventory.groups[site].children}
    return {
        "groups": {name: inventory.groups[name].vars for name in sorted(mine)},
        "parents": sorted((parent, child) for parent, group in inventory.groups.items()
                          for child in group.children if child in mine),
        "hosts": {host: inventory.hosts[host] for name in mine
                  for host in inventory.groups[name].hosts},
    }


@pytest.mark.parametrize("count", [1, 3, 8])
def test_a_shard_sees_the_whole_fleets_groups_and_vars_for_its_sites(fleet: Path,
                                                                    count: int) -> None:
    whole = _inventory(fleet)
    sites = set(whole.groups[next(g for g in whole.groups if g.startswith("fleet_"))].children)
    seen: dict[str, int] = {}
    for number in range(1, count + 1):
        part = _inventory(fleet, Shard(number, count))
        mine = {name for name in part.groups if name.startswith("site_")
                and not name.endswith(("_server", "_cashier", "_kitchen", "_office"))}
        for site in mine:
            seen[site] = seen.get(site, 0) + 1
            assert _site_view(part, site) == _site_view(whole, site)
        # Fleet-wide values are the whole fleet's too.
        fleet_group = next(g for g in part.groups if g.startswith("fleet_"))
        assert part.groups[fleet_group].vars == whole.groups[fleet_group].vars
    assert seen == dict.fromkeys(sites, 1)


def test_a_new_or_closed_site_moves_no_other_site(fleet: Path, tmp_path: Path) -> None:
    copy = tmp_path / "fleet"
    shutil.copytree(fleet, copy)
    shard = Shard(2, 3)

    def members(directory: Path) -> set[str]:
        return {s.site.code for s in plan_fleet_dir(directory, shard=shard).sites}

    before = members(copy)
    (copy / "sites" / "s00005.yml").unlink()
    text = site_text(100, random.Random(1))  # noqa: S311 - test data
    (copy / "sites" / "s00100.yml").write_text(text)
    after = members(copy)
    assert after - {"S00100"} == before - {"S00005"}
