"""Splitting a fleet into shards of whole sites, for several controllers or AWX jobs.

A shard is written `K/N`: the K-th of N shards, 1 <= K <= N. Every site is in exactly one
shard, and which one is a function of that site alone (its network index, or its code) and
N: adding or removing a site never moves another one, and every controller computes the same
split from the same site files. sha256, never Python's hash(), which is salted per process.

Balance. Pure rendezvous hashing of the site code gives each shard a binomial share of the
sites: at 250 sites per shard that is about 6% standard deviation, 15-20% between the
fullest and the emptiest of eight. Sites are numbered already, though: `network.index`
places a site's subnet, so a fleet's indexes are distinct and mostly dense. A site with an
index goes by it: the indexes are cut into blocks of N consecutive numbers, and each block
is dealt to the N shards in an order shuffled by the block's number (so shard and
`index % N` do not line up with rings or cities that also follow the index). Within a block
every shard gets one site, so shards differ by at most one site per gap in the numbering,
and the remaining spread of hosts is that of the sites' sizes (about 1% at 250 sites per
shard on the generated fleet). Sites with a subnet of their own (no index) fall back to
rendezvous hashing of the code. Changing N re-deals most sites: choose N once.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import lru_cache

# More shards than this is a typo, not a deployment (and would make the deal tables big).
MAX_SHARDS = 1024
_SPEC = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")


class ShardSpecError(ValueError):
    """A shard written in a way sitekit cannot read; the message says what to write."""


@dataclass(frozen=True, slots=True)
class Shard:
    """The number-th of count shards (1-based, as people count controllers)."""

    number: int
    count: int

    def __str__(self) -> str:
        return f"{self.number}/{self.count}"

    def holds(self, code: str, index: int | None) -> bool:
        """Whether the site with this code (and network index, if any) is in this shard."""
        return shard_of(code, index, self.count) == self.number


def parse_shard(text: object) -> Shard:
    """`3/8` -> Shard(3, 8); ShardSpecError saying what to write otherwise."""
    match = _SPEC.match(text) if isinstance(text, str) else None
    if match is None:
        raise ShardSpecError(f"{text!r} is not a shard; write K/N, e.g. 3/8 (the third of eight)")
    number, count = int(match.group(1)), int(match.group(2))
    if not 1 <= count <= MAX_SHARDS:
        raise ShardSpecError(f"{text!r}: the number of shards must be 1 to {MAX_SHARDS}")
    if not 1 <= number <= count:
        raise ShardSpecError(f"{text!r}: the shard must be 1 to {count} (shards count from 1)")
    return Shard(number, count)


def shard_of(code: str, index: int | None, count: int) -> int:
    """The shard (1..count) a site belongs in: by its network index, else by its code."""
    if index is not None:
        block, place = divmod(index, count)
        return _deal(block, count)[place]
    return 1 + max(range(count), key=lambda shard: _digest(f"code:{code.upper()}:{shard}"))


@lru_cache(maxsize=4096)
def _deal(block: int, count: int) -> tuple[int, ...]:
    """The order block `block` deals its N sites to the N shards: a seeded shuffle."""
    shards = list(range(1, count + 1))
    # Sorting by a digest per (block, shard) is a uniform shuffle without `random`'s seeding
    # rules, which Python may change between versions.
    return tuple(sorted(shards, key=lambda shard: _digest(f"block:{block}:{count}:{shard}")))


def _digest(text: str) -> bytes:
    return hashlib.sha256(text.encode()).digest()
