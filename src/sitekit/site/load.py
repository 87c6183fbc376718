"""Read a fleet directory: the fleet file `sitekit.yml` and one file per site in `sites/`."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from sitekit.problems import Problem, display_path
from sitekit.site import schema, strict_yaml
from sitekit.site.model import Fleet, Site, dotted

FLEET_FILE_NAMES = ("sitekit.yml", "sitekit.yaml")
SITES_DIR = "sites"
SITE_SUFFIXES = (".yml", ".yaml")


@dataclass
class Loaded:
    """What a fleet directory holds, and every problem found reading it."""

    fleet: Fleet | None
    sites: list[Site] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def fleet_file(directory: Path) -> Path:
    """The fleet file of a fleet directory (or the file itself when given one)."""
    if directory.is_file():
        return directory
    for name in FLEET_FILE_NAMES:
        if (directory / name).is_file():
            return directory / name
    return directory / FLEET_FILE_NAMES[0]


def site_files(directory: Path) -> list[Path]:
    """The site files of a fleet directory, in a stable order."""
    sites = directory / SITES_DIR
    if not sites.is_dir():
        return []
    return sorted(p for p in sites.iterdir() if p.suffix in SITE_SUFFIXES and p.is_file())


def load_fleet_dir(path: Path, only: Iterable[str] = ()) -> Loaded:
    """Load and check the fleet file and its site files; never raises on bad input."""
    file = fleet_file(path)
    directory = file.parent
    fleet_data, problems = _read(file, "(fleet)")
    loaded = Loaded(fleet=None, problems=problems)
    if fleet_data is not None:
        loaded.fleet = _fleet(directory, file, fleet_data, loaded.problems)
    wanted = {code.lower() for code in only}
    files = site_files(directory)
    for site_path in files:
        if wanted and site_path.stem.lower() not in wanted:
            continue
        site = _site(site_path, loaded.problems)
        if site is not None:
            loaded.sites.append(site)
    if not files and fleet_data is not None:
        loaded.problems.append(
            Problem(display_path(file), None, "(fleet)", "sites",
                    f"no site files found in {display_path(directory / SITES_DIR)}/; "
                    "add one file per restaurant, named <code>.yml")
        )
    return loaded


def _read(path: Path, site: str) -> tuple[Any, list[Problem]]:
    """Parse one YAML file strictly; problems name the line."""
    shown = display_path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        return None, [Problem(shown, None, site, "", f"cannot read the file: {error.strerror}")]
    except UnicodeDecodeError:
        return None, [Problem(shown, None, site, "", "is not UTF-8 text; save it as UTF-8")]
    try:
        data = strict_yaml.load(text)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark else None
        what = error.problem or "invalid YAML"
        return None, [Problem(shown, line, site, "", f"YAML syntax: {what}")]
    except yaml.YAMLError as error:
        return None, [Problem(shown, None, site, "", f"YAML syntax: {error}")]
    if not isinstance(data, strict_yaml.Mapping):
        return None, [Problem(shown, 1, site, "", "must be a mapping of keys to values")]
    return data, []


def _fleet(directory: Path, file: Path, data: Any, problems: list[Problem]) -> Fleet | None:
    shown = display_path(file)
    if "fleet" not in data:
        problems.append(Problem(shown, None, "(fleet)", "fleet",
                                "missing the `fleet` key with the fleet's settings"))
        return None
    found = [
        Problem(shown, strict_yaml.line_of(data, ("fleet", *path)), "(fleet)",
                dotted(("fleet", *path)), message)
        for path, message in schema.errors("fleet", data["fleet"])
    ]
    problems.extend(found)
    if found:
        return None
    fleet = Fleet.from_data(directory, shown, data)
    ca_file = fleet.winrm["ca_file"]
    if not (directory / ca_file).is_file():
        problems.append(fleet.problem(("winrm", "ca_file"), (
            f"{ca_file} does not exist in {display_path(directory)}; put the site CA's "
            "certificate (PEM) there")))
    return fleet


def _site(path: Path, problems: list[Problem]) -> Site | None:
    code = path.stem.upper()
    data, found = _read(path, code)
    if data is None:
        problems.extend(found)
        return None
    shown = display_path(path)
    if isinstance(data.get("code"), str):
        code = data["code"]
    found = [
        Problem(shown, strict_yaml.line_of(data, p), code, dotted(p), message)
        for p, message in schema.errors("site", data)
    ]
    if found:
        problems.extend(found)
        return None
    if path.stem != code.lower():
        problems.append(Problem(shown, data.lines["code"], code, "code",
                                f"the file is named {path.name} but the code is {code}; "
                                f"rename the file to {code.lower()}{path.suffix} or fix the code"))
    return Site.from_data(shown, data)
