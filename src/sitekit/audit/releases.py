"""The release table: the releases a fleet's version floors are judged by.

`inventories/<fleet>/release-table.yml`, defined by `schemas/release-table.schema.json`:
per product its security updates with release dates and, for Windows, each feature
release's last day of servicing per edition group. A floor that is a constant goes stale
silently; a floor read from dated releases moves on with time, and a table with nothing new
enough to judge says so instead of passing (PCI DSS v4.0.1 6.3.3: critical patches within
one month of release).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from sitekit.audit.published import schema
from sitekit.problems import Problem, display_path
from sitekit.site import strict_yaml
from sitekit.site.model import dotted
from sitekit.site.schema import explained

RELEASES_FILE = "release-table.yml"
_WHERE = "(release table)"
# Edition groups as Microsoft's lifecycle pages name them, from the OS caption.
_EDITIONS = (("enterprise_education", re.compile(r"\b(Enterprise|Education)\b")),
             ("home_pro", re.compile(r"\b(Home|Pro)\b")))

Verdict = tuple[bool | None, str, str]


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split("."))


@dataclass(frozen=True, slots=True)
class Update:
    """One security release: the version a host reports once it is in, and when it came out."""

    text: str
    kb: str
    released: dt.date

    @property
    def version(self) -> tuple[int, ...]:
        """The version as numbers."""
        return _version(self.text)


@dataclass(frozen=True, slots=True)
class FeatureRelease:
    """A Windows feature release: its build and last day of servicing per edition group."""

    build: int
    name: str
    end_of_servicing: dict[str, dt.date]


@dataclass(frozen=True, slots=True)
class Product:
    """A product's dated releases."""

    key: str
    title: str
    file: str
    updates: tuple[Update, ...]
    feature_releases: dict[int, FeatureRelease]

    def current(self, observed: Any, at: dt.datetime | None, days: int) -> Verdict:
        """Whether `observed` is at least an update released in the `days` before `at`.

        Windows builds are compared within their feature release (the build number); an
        update released after `at` does not count. No update in the window: unknown, and
        the note says the table needs this month's releases.
        """
        if observed is None:
            return False, "not installed", ""
        if not isinstance(observed, str) or not re.fullmatch(r"[0-9]+(\.[0-9]+)+", observed):
            return None, str(observed), f"not a version: {observed}"
        if at is None:
            return None, observed, "the facts have no valid gathered_at to date the releases by"
        found = _version(observed)
        branch = [u for u in self.updates if not self.feature_releases
                  or u.version[:3] == found[:3]]
        if not branch:
            return None, observed, (
                f"{self.file} has no {self.title} update of build {'.'.join(map(str, found[:3]))}"
                "; add that feature release's updates (or upgrade the host)")
        day, since = at.date(), at.date() - dt.timedelta(days=days)
        window = [u for u in branch if since <= u.released <= day]
        if not window:
            known = [u for u in branch if u.released <= day]
            newest = max(known, key=lambda u: u.released, default=None)
            if newest is not None and found < newest.version:
                # Updates are cumulative: any in the window is at least this one.
                return False, observed, (
                    f"older than {newest.text} ({newest.kb}, released {newest.released}), the "
                    f"newest update {self.file} knows; it has none from the last {days} days: "
                    "add this month's releases")
            last = f" (newest: {newest.kb} {newest.text} of {newest.released})" if newest else ""
            return None, observed, (
                f"{self.file} has no {self.title} update released from {since} to {day}{last}: "
                "the table is older than the run; add this month's releases to judge the host")
        floor = min(window, key=lambda u: u.version)
        if found >= floor.version:
            return True, observed, ""
        return False, observed, (
            f"older than {floor.text} ({floor.kb}, released {floor.released}), the oldest "
            f"{self.title} update of the last {days} days")

    def supported(self, observed: Any, at: dt.datetime | None) -> Verdict:
        """Whether the host's feature release (os: build, caption) is still serviced at `at`."""
        if not isinstance(observed, dict) or not isinstance(observed.get("build"), int):
            return None, str(observed), "needs the os section's build and caption"
        if at is None:
            return None, str(observed["build"]), "the facts have no valid gathered_at"
        release = self.feature_releases.get(observed["build"])
        caption = str(observed.get("caption") or "")
        if release is None:
            return None, f"build {observed['build']}", (
                f"{self.file} has no {self.title} feature release of build "
                f"{observed['build']}; add it with its end of servicing")
        shown = f"{self.title} {release.name} ({caption or 'no caption'})"
        group = next((name for name, pattern in _EDITIONS if pattern.search(caption)
                      and name in release.end_of_servicing), "all")
        end = release.end_of_servicing.get(group)
        if end is None:
            return None, shown, (f"{self.file} gives no end of servicing of {release.name} for "
                                 f"this edition ({caption})")
        if at.date() <= end:
            return True, shown, ""
        return False, shown, (f"{release.name} left servicing for this edition on {end}; "
                              "upgrade to a serviced feature release")


@dataclass(frozen=True, slots=True)
class ReleaseTable:
    """A loaded release table: its products by key."""

    file: str
    products: dict[str, Product]


def releases_file(policy_path: Path) -> Path:
    """Where a fleet keeps its release table: beside its policy."""
    return policy_path.parent / RELEASES_FILE


def load_releases(path: Path) -> tuple[ReleaseTable | None, list[Problem]]:
    """Read and check a release table; the table (None if any problem) and every problem."""
    shown = display_path(path)
    try:
        data = strict_yaml.load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None, [Problem(shown, None, _WHERE, "", (
            "no release table here: the policy's current_update and supported_release checks "
            "read it; copy inventories/example/release-table.yml and keep it current"))]
    except (OSError, UnicodeDecodeError) as error:
        return None, [Problem(shown, None, _WHERE, "", f"cannot read the file: {error}")]
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        return None, [Problem(shown, mark.line + 1 if mark else None, _WHERE, "",
                              f"YAML syntax: {getattr(error, 'problem', None) or error}")]
    from jsonschema import Draft202012Validator  # noqa: PLC0415 - slow to import

    problems = [Problem(shown, strict_yaml.line_of(data, where), _WHERE, dotted(where), message)
                for where, message in explained(Draft202012Validator(schema("release-table")),
                                                data)]
    if problems:
        return None, problems
    products = {}
    for key, item in data["products"].items():
        products[key] = _product(shown, data, key, item, problems)
    return (None, problems) if problems else (ReleaseTable(shown, products), [])


def _date(shown: str, data: Any, where: tuple[str | int, ...], text: str,
          problems: list[Problem]) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        problems.append(Problem(shown, strict_yaml.line_of(data, where), _WHERE, dotted(where),
                                f"{text} is not a date; write YYYY-MM-DD"))
        return dt.date.min


def _product(shown: str, data: Any, key: str, item: Any, problems: list[Problem]) -> Product:
    base: tuple[str | int, ...] = ("products", key)
    features = {}
    for index, feature in enumerate(item.get("feature_releases", ())):
        where = (*base, "feature_releases", index, "end_of_servicing")
        features[feature["build"]] = FeatureRelease(
            feature["build"], feature["name"],
            {group: _date(shown, data, (*where, group), text, problems)
             for group, text in feature["end_of_servicing"].items()})
    updates: list[Update] = []
    seen: dict[tuple[int, ...], int] = {}
    for index, update in enumerate(item["updates"]):
        where = (*base, "updates", index)
        version = _version(update["version"])
        if version in seen:
            problems.append(Problem(shown, strict_yaml.line_of(data, (*where, "version")), _WHERE,
                                    dotted((*where, "version")), (
                f"{update['version']} is also updates[{seen[version]}]; list each release once")))
        seen[version] = index
        if features and (len(version) < 3 or version[2] not in features):
            problems.append(Problem(shown, strict_yaml.line_of(data, (*where, "version")), _WHERE,
                                    dotted((*where, "version")), (
                f"{update['version']}: build {version[2] if len(version) > 2 else '?'} is not "
                "among this product's feature_releases; add the feature release first")))
        updates.append(Update(update["version"], update.get("kb", ""),
                              _date(shown, data, (*where, "released"), update["released"],
                                    problems)))
    # Results name the table by its file name: reports are read far from the controller.
    return Product(key, item["title"], Path(shown).name, tuple(updates), features)
