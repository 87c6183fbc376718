"""Broken site and fleet files: `sitekit validate` never shows a traceback and never exits 0.

Real files from inventories/example are mutated in ways that always break them (a control
or invisible character in a text value, a required key removed, an unknown key added, a
site file replaced by something that is not one), and in ways that may or may not (random
bytes, truncation), where only a clean answer is required: exit 0 or 1, never a traceback.
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from sitekit import cli
from sitekit.site import strict_yaml
from tests.conftest import EXAMPLE

SETTINGS = settings(max_examples=40, deadline=None)
TARGETS = ["sitekit.yml", "sites/lis01.yml", "sites/ber02.yml", "sites/lon01.yml"]
# Characters no name or sentence in a site file may hold.
FORBIDDEN = ["\x00", "\x1b", "\r", "\x85", "\x9b", "\u202a", "\u202e", "\u2066", "\u2069",
             "\u200b", "\u200f", "\ufeff", "\x7f"]
REQUIRED_SITE_KEYS = ["code", "name", "city", "time_zone", "opening_hours", "network",
                      "stations", "staff"]


def _validate(fleet: Path) -> tuple[int, str]:
    """Run `sitekit validate` in this process; any exception fails the test with its trace."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(["validate", str(fleet)])
    return code, err.getvalue()


@contextlib.contextmanager
def _copy() -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as directory:
        fleet = Path(directory) / "fleet"
        shutil.copytree(EXAMPLE, fleet)
        yield fleet


def _strings(node: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Paths to every text value (not key) of a document."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _strings(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _strings(value, (*path, index))
    elif isinstance(node, str):
        yield path


def _load(file: Path) -> Any:
    return strict_yaml.plain(strict_yaml.load(file.read_text(encoding="utf-8")))


def _dump(file: Path, data: Any) -> None:
    # Escaped, not raw: YAML would read a raw NEL or CR as a line break and fold it away.
    file.write_text("---\n" + yaml.safe_dump(data, allow_unicode=False, sort_keys=False),
                    encoding="utf-8")


@SETTINGS
@given(target=st.sampled_from(TARGETS), pick=st.integers(0, 10_000),
       char=st.sampled_from(FORBIDDEN), where=st.integers(0, 10_000))
def test_a_forbidden_character_in_any_text_value_is_refused(target: str, pick: int, char: str,
                                                             where: int) -> None:
    with _copy() as fleet:
        file = fleet / target
        data = _load(file)
        paths = [p for p in _strings(data) if p[-1] not in ("plugin",)]
        path = paths[pick % len(paths)]
        parent = data
        for part in path[:-1]:
            parent = parent[part]
        value = parent[path[-1]]
        position = where % (len(value) + 1)
        parent[path[-1]] = value[:position] + char + value[position:]
        _dump(file, data)
        reread = _load(file)
        for part in path:
            reread = reread[part]
        assert char in reread  # the character really is in the file's value
        code, err = _validate(fleet)
        assert code == 1, (path, parent[path[-1]])
        assert Path(target).name in err


@SETTINGS
@given(target=st.sampled_from(TARGETS[1:]), key=st.sampled_from(REQUIRED_SITE_KEYS))
def test_a_missing_required_key_is_refused(target: str, key: str) -> None:
    with _copy() as fleet:
        file = fleet / target
        data = _load(file)
        del data[key]
        _dump(file, data)
        code, err = _validate(fleet)
        assert code == 1
        assert Path(target).name in err


@SETTINGS
@given(target=st.sampled_from(TARGETS),
       key=st.from_regex(r"\A[a-z_]{1,20}\Z").filter(
           lambda k: k not in {"sites", "compose", "groups", "keyed_groups", "strict", "cache",
                               "plugin", "fleet", "source", "loopback", "connection",
                               "cache_plugin", "cache_timeout", "cache_connection",
                               "cache_prefix", "leading_separator", "use_extra_vars",
                               "code", "name", "city", "city_group", "address", "time_zone",
                               "opening_hours", "maintenance_window", "rollout_ring",
                               "network", "stations", "handhelds", "printers", "staff",
                               "waivers", "notes"}))
def test_an_unknown_top_level_key_is_refused(target: str, key: str) -> None:
    with _copy() as fleet:
        file = fleet / target
        data = _load(file)
        data[key] = "x"
        _dump(file, data)
        code, err = _validate(fleet)
        assert code == 1
        assert f"unknown key '{key}'" in err or "has no place here" in err


@SETTINGS
@given(target=st.sampled_from(TARGETS[1:]),
       kind=st.sampled_from(["dangling", "directory", "fifo", "upper-case", "backup"]))
def test_a_site_file_that_is_not_one_is_refused(target: str, kind: str) -> None:
    with _copy() as fleet:
        file = fleet / target
        if kind == "dangling":
            file.unlink()
            file.symlink_to("gone.yml")
        elif kind == "directory":
            file.unlink()
            file.mkdir()
        elif kind == "fifo":
            file.unlink()
            os.mkfifo(file)
        elif kind == "upper-case":
            file.rename(file.with_suffix(".YML"))
        else:
            file.rename(file.with_name(file.name + "~"))
        code, err = _validate(fleet)
        assert code == 1
        assert file.stem in err


@SETTINGS
@given(target=st.sampled_from(TARGETS), cut=st.integers(0, 10_000),
       junk=st.binary(max_size=40))
def test_any_damage_gives_an_answer_never_a_traceback(target: str, cut: int,
                                                      junk: bytes) -> None:
    with _copy() as fleet:
        file = fleet / target
        content = file.read_bytes()
        position = cut % (len(content) + 1)
        file.write_bytes(content[:position] + junk + content[position + len(junk):])
        code, err = _validate(fleet)
        assert code in (0, 1)
        if code == 1:
            assert "problem" in err
