"""A release: what moves, from which files, and how it rolls out; kept beside the fleet.

`inventories/<fleet>/releases/<id>.yml`, checked against `schemas/release.schema.json`
with the kit's strict YAML loader, then against the fleet: the canary sites exist and are
in the first ring, every ring named has sites and every ring with sites is named, and each
version differs from the one the fleet runs now. Every problem is a `Problem` naming the
file, the field and what to change.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from sitekit.problems import Problem, display_path
from sitekit.site import schema, strict_yaml
from sitekit.site.load import read_bytes
from sitekit.site.model import Fleet, Site, dotted
from sitekit.site.sqlserver import installed_version

RELEASES_DIR = "releases"
RELEASE_ID = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
SCHEMA_DIR = resources.files("sitekit.rollout") / "schemas"
WHOLE_FILE = "(release)"


@dataclass(frozen=True, slots=True)
class RingPolicy:
    """How one ring rolls out."""

    ring: int
    batch_size: int
    max_failed_percent: int
    soak_hours: int
    approval: bool


@dataclass(frozen=True)
class Release:
    """A release file, checked against its schema and the fleet."""

    id: str
    file: str
    title: str
    upgrade_minutes: int
    components: dict[str, Any]
    schema_changes: bool
    canary: tuple[str, ...]
    canary_soak_hours: int
    rings: tuple[RingPolicy, ...]

    def ring(self, number: int) -> RingPolicy:
        """The policy of ring `number` (which the release names)."""
        return next(policy for policy in self.rings if policy.ring == number)

    def targets(self) -> dict[str, str]:
        """What each component moves to, as short text: {"application": "8.5.0", ...}."""
        out = {}
        components = self.components
        if "application" in components:
            out["application"] = components["application"]["version"]
        if "sql_server" in components:
            sql = components["sql_server"]
            out["sql_server"] = f"{sql['version']} ({sql['cumulative_update']})"
        if "windows_updates" in components:
            out["windows_updates"] = ", ".join(
                update["kb"] for update in components["windows_updates"]["kbs"])
        return out

    @property
    def target(self) -> str:
        """The whole release's target as one short line: "app 8.5.0, SQL 16.0.4165.4 ..."."""
        return short(self.targets())


SHORT_NAMES = {"application": "app", "sql_server": "SQL", "windows_updates": "updates"}


def short(versions: dict[str, str]) -> str:
    """Component versions as one short line, for tables: "app 8.5.0, SQL 16.0.4165.4"."""
    return ", ".join(f"{SHORT_NAMES[name]} {value}" for name, value in versions.items())


@cache
def release_schema() -> dict[str, Any]:
    """The published release schema."""
    return json.loads((SCHEMA_DIR / "release.schema.json").read_text(encoding="utf-8"))


@cache
def _fast_validator() -> Any:
    return schema.fast_validator(release_schema())


@cache
def _validator() -> Any:
    import jsonschema  # noqa: PLC0415 - only to explain a release's errors: slow to import

    cls = jsonschema.validators.validator_for(release_schema())
    return cls(release_schema())


def release_path(fleet_dir: Path, release_id: str) -> Path:
    """Where release `release_id` of a fleet is kept."""
    directory = fleet_dir.parent if fleet_dir.is_file() else fleet_dir
    return directory / RELEASES_DIR / f"{release_id}.yml"


def load_release(fleet_dir: Path, release_id: str, fleet: Fleet,
                 sites: Iterable[Site]) -> tuple[Release | None, list[Problem]]:
    """Read and check a release of a fleet; None with every problem when it is not usable."""
    if not RELEASE_ID.match(release_id):
        folder = display_path(release_path(fleet_dir, "x").parent) + "/"
        return None, [Problem(folder, None, WHOLE_FILE, "", (
            f"{release_id!r} is not a release name: use lower-case letters, digits, '.', '_' "
            "and '-', the file's name in releases/ without .yml"))]
    path = release_path(fleet_dir, release_id)
    shown = display_path(path)
    data, problems = _read(path, shown)
    if data is None:
        return None, problems
    problems = [Problem(shown, strict_yaml.line_of(data, p), WHOLE_FILE, dotted(p), message)
                for p, message in schema.validated(_fast_validator(), _validator, data)]
    if problems:
        return None, problems
    release = _build(shown, data["release"])
    problems = cross_check(release, data, fleet, list(sites), release_id)
    return (None if problems else release), problems


def _read(path: Path, shown: str) -> tuple[Any, list[Problem]]:
    try:
        text = read_bytes(path).decode("utf-8")
    except FileNotFoundError:
        folder = path.parent
        known = sorted(p.stem for p in folder.glob("*.yml")) if folder.is_dir() else []
        return None, [Problem(shown, None, WHOLE_FILE, "", (
            f"no such release; write it there (docs/rollout.md shows the format); releases "
            f"of this fleet: {', '.join(known) or 'none'}"))]
    except OSError as error:
        return None, [Problem(shown, None, WHOLE_FILE, "", f"cannot read the file: "
                              f"{error.strerror}")]
    except UnicodeDecodeError:
        return None, [Problem(shown, None, WHOLE_FILE, "", "is not UTF-8 text; save it as UTF-8")]
    try:
        data = strict_yaml.load(text)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        return None, [Problem(shown, mark.line + 1 if mark else None, WHOLE_FILE, "",
                              f"YAML syntax: {error.problem or 'invalid YAML'}")]
    except yaml.YAMLError as error:
        return None, [Problem(shown, None, WHOLE_FILE, "", f"YAML syntax: {error}")]
    if not isinstance(data, strict_yaml.Mapping):
        return None, [Problem(shown, 1, WHOLE_FILE, "", "must be a mapping with one key, "
                              "`release`")]
    return data, []


def _build(file: str, data: Any) -> Release:
    policy = data["policy"]
    return Release(
        id=data["id"],
        file=file,
        title=data["title"],
        upgrade_minutes=data["upgrade_minutes"],
        components=strict_yaml.plain(data["components"]),
        schema_changes=data["database"]["schema_changes"],
        canary=tuple(policy["canary"]["sites"]),
        canary_soak_hours=policy["canary"]["soak_hours"],
        rings=tuple(RingPolicy(**ring) for ring in policy["rings"]),
    )


def cross_check(release: Release, data: Any, fleet: Fleet, sites: list[Site],
                release_id: str) -> list[Problem]:
    """The rules that span the release and the fleet, each problem saying what to change."""
    problems: list[Problem] = []

    def problem(path: tuple[str | int, ...], message: str, site: str = WHOLE_FILE) -> None:
        full = ("release", *path)
        problems.append(Problem(release.file, strict_yaml.line_of(data, full), site,
                                dotted(full), message))

    if release.id != release_id:
        problem(("id",), f"the id is {release.id} but the file is {release_id}.yml; make "
                         "them the same")
    _check_versions(release, fleet, problem)
    _check_database(release, data["release"], problem)
    _check_rings(release, sites, problem)
    return problems


def _check_versions(release: Release, fleet: Fleet, problem: Any) -> None:
    software, components = fleet.software, release.components
    application = components.get("application")
    if application is not None:
        current = str(fleet.application["version"])
        if application["version"] == current:
            problem(("components", "application", "version"), (
                f"{current} is the version the fleet runs now (application.version in "
                f"{fleet.file}); give the new version, or leave `application` out"))
        file_version = application["client"]["file_version"]
        if file_version == software["application_client"]["file_version"]:
            problem(("components", "application", "client", "file_version"), (
                f"{file_version} is the client's file version now; give the new client's"))
        elif not file_version.startswith(application["version"] + "."):
            problem(("components", "application", "client", "file_version"), (
                f"{file_version} does not start with the application's version "
                f"{application['version']}; give the new client executable's file version"))
    if "sql_server" in components:
        _check_sql(components["sql_server"]["version"], fleet, problem)
    _check_updates(components.get("windows_updates"), problem)
    checksums: dict[str, tuple[str | int, ...]] = {}
    for path, item in _installers(components):
        digest = item["sha256"].lower()
        if digest in checksums:
            problem((*path, "sha256"), (
                f"the same SHA-256 as {dotted(checksums[digest])}: two installers cannot be "
                "one file; copy each checksum from its own installer"))
        checksums.setdefault(digest, path)


def _check_updates(updates: dict[str, Any] | None, problem: Any) -> None:
    """Updates given as files the kit can install, each KB once; never by date."""
    if updates is None:
        return
    if "security_released_before" in updates:
        # A site has no internet and no WSUS: an update reaches it only as a file on the
        # share, and a date names no file nor checksum. Refused here, when the release is
        # loaded (plan, status, the playbook's action), so no site is ever marked done
        # with updates nobody installed.
        problem(("components", "windows_updates", "security_released_before"), (
            "a date names no file an offline site can install, so the kit cannot carry it "
            "out: give `kbs` instead, each update's kb, its .msu installer on the share and "
            "its sha256 (the fleet's release-table.yml gives the KB of each Windows build; "
            "Get-FileHash -Algorithm SHA256 the checksum)"))
    if "kbs" not in updates:
        return
    seen: dict[str, int] = {}
    for index, update in enumerate(updates["kbs"]):
        if update["kb"].upper() in seen:
            problem(("components", "windows_updates", "kbs", index, "kb"), (
                f"{update['kb']} is listed twice (also item {seen[update['kb'].upper()]}); "
                "give each update once"))
        seen.setdefault(update["kb"].upper(), index)


def _installers(components: dict[str, Any]) -> list[tuple[tuple[str | int, ...], Any]]:
    found: list[tuple[tuple[str | int, ...], Any]] = []
    if "application" in components:
        found += [(("components", "application", part), components["application"][part])
                  for part in ("server", "client")]
    if "sql_server" in components:
        found.append((("components", "sql_server"), components["sql_server"]))
    found += [(("components", "windows_updates", "kbs", index), update) for index, update
              in enumerate(components.get("windows_updates", {}).get("kbs", []))]
    return found


def _check_database(release: Release, data: Any, problem: Any) -> None:
    database = data["database"]
    if release.schema_changes and "upgrade_step" not in database:
        problem(("database", "upgrade_step"), (
            "the schema changes: give the application's upgrade step (executable, arguments, "
            "timeout_minutes)"))
    if release.schema_changes and "application" not in release.components:
        problem(("database", "schema_changes"), (
            "only a new application version changes its database schema: add "
            "components.application, or set schema_changes: false"))
    if not release.schema_changes and "upgrade_step" in database:
        problem(("database", "upgrade_step"), (
            "schema_changes is false, so there is no upgrade step to run: remove it, or set "
            "schema_changes: true"))


def _check_rings(release: Release, sites: list[Site], problem: Any) -> None:
    by_ring: dict[int, list[str]] = {}
    for site in sites:
        by_ring.setdefault(site.rollout_ring, []).append(site.code)
    named = [policy.ring for policy in release.rings]
    for index, number in enumerate(named):
        if number in named[:index]:
            problem(("policy", "rings", index, "ring"),
                    f"ring {number} is named twice; give each ring once")
        elif index and number < named[index - 1]:
            problem(("policy", "rings", index, "ring"),
                    f"ring {number} comes after ring {named[index - 1]}; list rings in order")
        if number not in by_ring:
            used = ", ".join(map(str, sorted(by_ring))) or "none"
            problem(("policy", "rings", index, "ring"), (
                f"no site is in ring {number} (rollout_ring in the site files); rings with "
                f"sites: {used}"))
    for number in sorted(set(by_ring) - set(named)):
        codes = ", ".join(sorted(by_ring[number])[:5])
        problem(("policy", "rings"), (
            f"ring {number} ({codes}{', ...' if len(by_ring[number]) > 5 else ''}) has no "
            "policy, so its sites would never get the release: add it"))
    first = named[0]
    ring_of = {site.code: site.rollout_ring for site in sites}
    for index, code in enumerate(release.canary):
        if code not in ring_of:
            problem(("policy", "canary", "sites", index),
                    f"no site file has code {code}; name a site of the fleet", site=code)
        elif ring_of[code] != first:
            problem(("policy", "canary", "sites", index), (
                f"{code} is in ring {ring_of[code]}; canary sites go first, so they must be in "
                f"the first ring ({first}): choose a ring {first} site or move this one"),
                site=code)


def _check_sql(version: str, fleet: Fleet, problem: Any) -> None:
    """A release's SQL Server version moves the fleet forward: not the same, never older."""
    running = installed_version(fleet.software["sql_server"])
    if version == running:
        problem(("components", "sql_server", "version"), (
            f"{version} is the SQL Server version the fleet runs now "
            f"(software.sql_server in {fleet.file}); give the cumulative update's "
            "version, or leave `sql_server` out"))
    elif _numbers(version) < _numbers(running):
        problem(("components", "sql_server", "version"), (
            f"{version} is older than the SQL Server version the fleet runs now "
            f"({running}, software.sql_server in {fleet.file}): a release never moves a "
            "site back; give a newer cumulative update's version, or leave `sql_server` out"))


def _numbers(version: str) -> tuple[int, ...]:
    """A dotted version as numbers, so 16.0.4265.3 sorts after 16.0.999.1."""
    return tuple(int(part) for part in version.split("."))
