"""The requirement ids a control may cite: PCI DSS v4.0.1 and the CIS benchmark items.

The table is `references.yml` beside this module (package data); it says where each
number comes from. The policy loader checks every reference against it and prints a CIS
item as its benchmark numbers it, with the benchmark's name and version.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from sitekit.site import strict_yaml

# How the written configuration standard names a deviation: CS-01.
DEVIATION = re.compile(r"^CS-[0-9]{2}$")


@dataclass(frozen=True, slots=True)
class Benchmark:
    """A CIS benchmark: the kinds of host it is for, and the items the kit cites."""

    key: str
    title: str
    version: str
    kinds: tuple[str, ...]
    items: dict[str, dict[str, Any]]

    def short(self) -> str:
        """Its name without "CIS Microsoft" and "Benchmark", and its version."""
        name = self.title.removeprefix("CIS Microsoft ").removesuffix(" Benchmark")
        return f"{name} v{self.version}"


@dataclass(frozen=True, slots=True)
class Table:
    """The references table: PCI DSS requirements and the CIS benchmarks."""

    pci_version: str
    pci: dict[str, str]
    benchmarks: tuple[Benchmark, ...]

    def for_kinds(self, kinds: tuple[str, ...]) -> Iterator[Benchmark]:
        """The benchmarks that judge hosts of these kinds."""
        return (b for b in self.benchmarks if set(b.kinds) & set(kinds))


def _merged(items: dict[str, Any]) -> dict[str, Any]:
    """A benchmark's items: those it shares with the other (`<<: *items`), then its own.

    The strict loader reads a merge key as a plain key, so the merge is done here.
    """
    own = dict(items)
    return {**own.pop("<<", {}), **own}


@cache
def table() -> Table:
    """The references table, read once."""
    text = (resources.files("sitekit.audit") / "references.yml").read_text(encoding="utf-8")
    data = strict_yaml.plain(strict_yaml.load(text))
    benchmarks = tuple(
        Benchmark(key, str(item["title"]), str(item["version"]), tuple(item["kinds"]),
                  {str(number): entry for number, entry in _merged(item["items"]).items()})
        for key, item in data["cis"].items())
    pci = data["pci_dss"]
    return Table(str(pci["version"]), {str(k): str(v) for k, v in pci["requirements"].items()},
                 benchmarks)
