"""Read a fleet directory: the fleet file `sitekit.yml` and one file per site in `sites/`."""

from __future__ import annotations

import ast
import functools
import importlib.util
import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from sitekit.kit import plugins_dir
from sitekit.problems import Problem, display_path
from sitekit.site import schema, sqlserver, strict_yaml
from sitekit.site.cache import SiteCache, content_key
from sitekit.site.model import Fleet, Site, dotted

FLEET_FILE_NAMES = ("sitekit.yml", "sitekit.yaml")
SITES_DIR = "sites"
SITE_SUFFIXES = (".yml", ".yaml")
# Larger than any real site file (8,000 staff take about 1 MB); reading stops there.
MAX_FILE_BYTES = 16 * 1024 * 1024

# What `sites/` may hold: a site file is `<code>.yml` or `<code>.yaml`, a regular file
# (or a symlink to one) that can be read; the folder `<code>/` beside it holds the
# site's other files. Names starting with a dot (editors' swap and lock files, .gitkeep)
# are not looked at. Everything else in `sites/` is an error naming it: a dangling
# symlink, a directory, a FIFO or socket, `lis01.YML`, `lis01.yml~`, `lis01.yml.bak`,
# `lis01.json`, a folder with no site file beside it. Each could be a restaurant that
# would otherwise silently drop out of the run.
_KINDS = {stat.S_IFDIR: "a directory", stat.S_IFIFO: "a FIFO (named pipe)",
          stat.S_IFSOCK: "a socket", stat.S_IFCHR: "a character device",
          stat.S_IFBLK: "a block device", stat.S_IFLNK: "a symlink"}


# The fleet file is also the inventory plugin's configuration: its top-level keys are the
# plugin's documented options (its own and the constructed / inventory_cache fragments').
@cache
def fleet_file_keys(plugin: Path | None = None) -> frozenset[str]:
    """The top-level keys a fleet file may hold, read from the plugin's DOCUMENTATION."""
    doc = yaml.safe_load(_documentation(plugin or plugins_dir() / "inventory" / "sitekit.py"))
    keys = set(doc["options"])
    spec = importlib.util.find_spec("ansible")  # located, not imported: importing is slow
    fragments = Path(spec.origin or "").parent / "plugins" / "doc_fragments" if spec else None
    for fragment in doc.get("extends_documentation_fragment", ()):
        # ansible-core's own fragments (constructed, inventory_cache), read as ansible-doc does.
        if fragments is not None:
            keys |= set(yaml.safe_load(_documentation(fragments / f"{fragment}.py"))["options"])
    return frozenset(keys)


def _documentation(file: Path) -> str:
    """The DOCUMENTATION string of a plugin or doc fragment, read without importing it."""
    for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
        if (isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant)
                and any(getattr(t, "id", "") == "DOCUMENTATION" for t in node.targets)):
            return str(node.value.value)
    raise LookupError(f"{file} has no DOCUMENTATION")


class NotRegularFileError(OSError):
    """A path that is no regular file (a directory, FIFO, socket or device)."""


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
    """The site files of a fleet directory, in a stable order (see scan_sites)."""
    return scan_sites(directory)[0]


def scan_sites(directory: Path) -> tuple[list[Path], list[Problem]]:
    """The site files in `sites/`, and a problem for each entry that is not one.

    Never opens anything: a FIFO would block the reader.
    """
    sites = directory / SITES_DIR
    try:
        entries = sorted(os.scandir(sites), key=lambda entry: entry.name)
    except FileNotFoundError:
        if os.path.lexists(sites):
            return [], [_entry_problem(sites, "(fleet)", "is a dangling symlink; point it at "
                                       "the folder of site files or remove it")]
        return [], []
    except NotADirectoryError:
        return [], [_entry_problem(sites, "(fleet)", "is not a folder; sites/ must be the "
                                   "folder holding one <code>.yml file per restaurant")]
    except OSError as error:
        return [], [_entry_problem(sites, "(fleet)", f"cannot be listed: {error.strerror}; "
                                   "give the user running sitekit read access")]
    files: list[Path] = []
    problems: list[Problem] = []
    folders: list[Path] = []
    for entry in entries:
        if entry.name.startswith("."):
            continue
        path = Path(entry.path)
        kind, message = _classify(path)
        if kind == "file":
            files.append(path)
        elif kind == "folder":
            folders.append(path)  # a site's own files; checked once all names are known
        else:
            problems.append(_entry_problem(path, path.name.partition(".")[0].upper(), message))
    stems = {path.name.partition(".")[0] for path in files}
    problems.extend(
        _entry_problem(folder, folder.name.upper(), (
            f"is a site's folder, but there is no site file {folder.name}.yml beside it; "
            "restore the site file, or remove the folder if the site is gone"))
        for folder in folders if folder.name not in stems)
    return files, problems


def _classify(path: Path) -> tuple[str, str]:
    """("file", ""), ("folder", "") or ("problem", what is wrong with an entry of sites/)."""
    stem, _, suffix = path.name.partition(".")
    try:
        mode = path.stat().st_mode  # follows a symlink to what it names
    except FileNotFoundError:
        return "problem", (f"is a dangling symlink (it points at {path.readlink()}, which "
                           "does not exist); point it at the site file or remove it")
    except OSError as error:
        return "problem", f"cannot be read: {error.strerror}"
    is_site_name = f".{suffix}" in SITE_SUFFIXES
    if stat.S_ISDIR(mode) and not suffix:
        return "folder", ""
    if not is_site_name:
        return "problem", _not_a_site_file(path.name, stem)
    if not stat.S_ISREG(mode):
        return "problem", (
            f"is {_KINDS.get(stat.S_IFMT(mode), 'not a regular file')}, not a site file; "
            "a site file must be a regular YAML file: replace it with one, or remove it")
    return "file", ""


def _not_a_site_file(name: str, stem: str) -> str:
    lowered = name.lower()
    if lowered.endswith(SITE_SUFFIXES):
        return (f"is not read as a site file: the suffix must be .yml or .yaml in lower case; "
                f"rename it to {stem.lower()}.yml")
    return ("is not a site file: sites/ holds only <code>.yml site files and their <code>/ "
            "folders (a backup or a disabled site belongs outside sites/); rename it to "
            "<code>.yml or move it out of sites/")


def _entry_problem(path: Path, site: str, message: str) -> Problem:
    shown = display_path(path)
    # A file name with control or bidi characters is shown escaped, never acted on.
    return Problem(shown if shown.isprintable() else repr(shown), None,
                   site if site.isprintable() else repr(site), "", message)


def read_bytes(path: Path) -> bytes:
    """The bytes of a regular file, refusing FIFOs, devices and directories without blocking."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    descriptor = os.open(path, flags)
    try:
        mode = os.fstat(descriptor).st_mode
        if not stat.S_ISREG(mode):
            kind = _KINDS.get(stat.S_IFMT(mode), "not a regular file")
            raise NotRegularFileError(0, f"it is {kind}, not a regular file")
        with os.fdopen(descriptor, "rb", closefd=False) as file:
            data = file.read(MAX_FILE_BYTES + 1)
    finally:
        os.close(descriptor)
    if len(data) > MAX_FILE_BYTES:
        raise NotRegularFileError(0, f"it is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB, "
                             "far more than any site file")
    return data


def load_fleet_dir(path: Path, only: Iterable[str] = (), *, cached: bool = False) -> Loaded:
    """Load and check the fleet file and its site files; never raises on bad input.

    With `cached`, a site file whose bytes passed the checks before is taken from the
    fleet's SiteCache (when $SITEKIT_CACHE does not turn it off) instead of parsed again.
    """
    file = fleet_file(path)
    directory = file.parent
    cache = SiteCache.for_fleet(directory) if cached else None
    fleet_data, problems = _read(file, "(fleet)")
    loaded = Loaded(fleet=None, problems=problems)
    if fleet_data is not None:
        loaded.fleet = _fleet(directory, file, fleet_data, loaded.problems)
    wanted = {code.lower() for code in only}
    files, found = scan_sites(directory)
    loaded.problems.extend(found)
    for site_path in files:
        if wanted and site_path.stem.lower() not in wanted:
            continue
        site = _site(site_path, loaded.problems, cache)
        if site is not None:
            loaded.sites.append(site)
    if cache is not None:
        cache.save(prune=not wanted)
    if not files and not found and fleet_data is not None:
        loaded.problems.append(
            Problem(display_path(file), None, "(fleet)", "sites",
                    f"no site files found in {display_path(directory / SITES_DIR)}/; "
                    "add one file per restaurant, named <code>.yml")
        )
    return loaded


def _read(path: Path, site: str, raw: bytes | None = None) -> tuple[Any, list[Problem]]:
    """Parse one YAML file (or its bytes, already read) strictly; problems name the line."""
    shown = display_path(path)
    try:
        text = (read_bytes(path) if raw is None else raw).decode("utf-8")
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
    problems.extend(unknown_fleet_keys(file, data, fleet_file_keys()))
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
    update = sqlserver.update_problem(fleet.software["sql_server"])
    if update is not None:
        problems.append(fleet.problem(("software", "sql_server", *update[0]), update[1]))
    return fleet


def unknown_fleet_keys(file: Path, data: Any, allowed: frozenset[str]) -> list[Problem]:
    """A problem for each top-level key of a fleet file that is not a plugin option."""
    names = sorted(allowed)
    lines = getattr(data, "lines", {})
    return [
        Problem(display_path(file), lines.get(key), "(fleet)", str(key), (
            schema.unknown_keys([str(key)], names) + " (the fleet file's top-level keys are "
            "the sitekit inventory plugin's options)"))
        for key in sorted((k for k in data if k not in allowed), key=str)
    ]


def _site(path: Path, problems: list[Problem], cache: SiteCache | None) -> Site | None:
    code = path.stem.upper()
    shown = display_path(path)
    raw = key = data = None
    if cache is not None:
        try:
            raw = read_bytes(path)
        except OSError:
            pass  # _read reports it
        else:
            key = content_key(raw)
            data = cache.get(key)
    if data is not None:
        data.reread = functools.cache(functools.partial(_reread, path, key))
        code = data["code"]
    else:
        data, found = _read(path, code, raw)
        if data is None:
            problems.extend(found)
            return None
        if isinstance(data.get("code"), str):
            code = data["code"]
        found = [
            Problem(shown, strict_yaml.line_of(data, p), code, dotted(p), message)
            for p, message in schema.errors("site", data)
        ]
        if found:
            problems.extend(found)
            return None
        if cache is not None and key is not None:
            cache.put(key, data)
    if path.stem != code.lower():
        problems.append(Problem(shown, strict_yaml.line_of(data, ("code",)), code, "code",
                                f"the file is named {path.name} but the code is {code}; "
                                f"rename the file to {code.lower()}{path.suffix} or fix the code"))
    return Site.from_data(shown, data)


def _reread(path: Path, key: str | None) -> Any:
    """A cached site file's data with its lines: parsed again, if its bytes are the same."""
    try:
        raw = read_bytes(path)
        if content_key(raw) == key:
            return strict_yaml.load(raw.decode("utf-8"))
    except (OSError, ValueError, yaml.YAMLError):
        pass
    return None  # changed since: no line rather than a wrong one
