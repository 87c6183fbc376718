"""Anything in sites/ that is not a readable site file is an error naming it, never a
site silently left out: in `sitekit validate`, `sitekit plan` and the real ansible-inventory.

The corpus in tests/data/bad covers bad contents; this covers what a file copy can't make:
dangling symlinks, directories, FIFOs, sockets, symlink loops, unreadable files.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from sitekit.site.load import read_bytes, scan_sites
from tests.conftest import EXAMPLE, ROOT
from tests.integration.test_inventory_golden import ansible_inventory


def _dangling(sites: Path) -> str:
    (sites / "zzz01.yml").symlink_to("gone.yml")
    return "zzz01.yml: site ZZZ01: (file): is a dangling symlink"


def _directory(sites: Path) -> str:
    (sites / "dir01.yml").mkdir()
    return "dir01.yml: site DIR01: (file): is a directory, not a site file"


def _fifo(sites: Path) -> str:
    os.mkfifo(sites / "fif01.yml")
    return "fif01.yml: site FIF01: (file): is a FIFO (named pipe), not a site file"


def _fifo_behind_symlink(sites: Path) -> str:
    os.mkfifo(sites.parent.parent / "pipe")
    (sites / "fif02.yml").symlink_to(sites.parent.parent / "pipe")
    return "fif02.yml: site FIF02: (file): is a FIFO (named pipe)"


def _socket(sites: Path) -> str:
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(sites / "soc01.yml"))
    server.close()
    return "soc01.yml: site SOC01: (file): is a socket, not a site file"


def _loop(sites: Path) -> str:
    (sites / "loop01.yml").symlink_to("loop01.yml")
    return "loop01.yml: site LOOP01: (file): cannot be read: Too many levels of symbolic links"


def _upper_case(sites: Path) -> str:
    shutil.move(sites / "lis01.yml", sites / "lis01.Yaml")
    return "lis01.Yaml: site LIS01: (file): is not read as a site file: the suffix must be"


def _backup(sites: Path) -> str:
    shutil.move(sites / "lis01.yml", sites / "lis01.yml.bak")
    return "lis01.yml.bak: site LIS01: (file): is not a site file"


def _folder_without_file(sites: Path) -> str:
    (sites / "lis01.yml").unlink()
    return "lis01: site LIS01: (file): is a site's folder, but there is no site file lis01.yml"


def _sites_dangling(sites: Path) -> str:
    shutil.rmtree(sites)
    sites.symlink_to("elsewhere")
    return "sites: site (fleet): (file): is a dangling symlink"


CASES: dict[str, Callable[[Path], str]] = {
    "dangling-symlink": _dangling, "directory": _directory, "fifo": _fifo,
    "fifo-behind-symlink": _fifo_behind_symlink, "socket": _socket, "symlink-loop": _loop,
    "upper-case-suffix": _upper_case, "backup-suffix": _backup,
    "folder-without-site-file": _folder_without_file, "sites-dangling": _sites_dangling,
}


@pytest.fixture
def broken(tmp_path: Path, request: pytest.FixtureRequest) -> tuple[Path, str]:
    fleet = tmp_path / "fleet"
    shutil.copytree(EXAMPLE, fleet)
    return fleet, CASES[request.param](fleet / "sites")


def _sitekit(*args: str) -> subprocess.CompletedProcess[str]:
    # A timeout: a FIFO opened for reading would block for ever.
    return subprocess.run([sys.executable, "-m", "sitekit.cli", *args], capture_output=True,
                          text=True, check=False, cwd=ROOT, timeout=60)


@pytest.mark.parametrize("broken", CASES, indirect=True)
@pytest.mark.parametrize("command", ["validate", "plan"])
def test_cli_names_the_entry(broken: tuple[Path, str], command: str) -> None:
    fleet, expect = broken
    result = _sitekit(command, str(fleet))
    assert result.returncode == 1
    assert result.stdout == ""
    assert expect in result.stderr


@pytest.mark.slow
@pytest.mark.parametrize("broken", CASES, indirect=True)
def test_ansible_inventory_fails_naming_the_entry(broken: tuple[Path, str]) -> None:
    fleet, expect = broken
    result = ansible_inventory("-i", str(fleet), "--list")
    assert result.returncode != 0
    assert result.stdout.strip() == ""
    assert " ".join(expect.split()) in " ".join(result.stderr.split())


def test_the_example_has_only_site_files_and_their_folders() -> None:
    files, problems = scan_sites(EXAMPLE)
    assert [f.name for f in files] == ["ber02.yml", "lis01.yml", "lon01.yml"]
    assert problems == []


def test_hidden_entries_are_not_looked_at(tmp_path: Path) -> None:
    fleet = tmp_path / "fleet"
    shutil.copytree(EXAMPLE, fleet)
    (fleet / "sites" / ".gitkeep").write_text("")
    (fleet / "sites" / ".#lis01.yml").symlink_to("user@host.1234")  # an editor's lock
    assert scan_sites(fleet)[1] == []


def test_read_bytes_refuses_a_fifo_without_blocking(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.yml")
    with pytest.raises(OSError, match="FIFO"):
        read_bytes(tmp_path / "pipe.yml")


def test_unreadable_site_file(tmp_path: Path) -> None:
    fleet = tmp_path / "fleet"
    shutil.copytree(EXAMPLE, fleet)
    (fleet / "sites" / "lis01.yml").chmod(0)
    # Root reads any file whatever its mode: drop the two capabilities that let it, so
    # the run meets the file as every other user would (util-linux's setpriv).
    as_user = ["setpriv", "--bounding-set=-dac_override,-dac_read_search"] if (
        os.geteuid() == 0) else []
    result = subprocess.run([*as_user, sys.executable, "-m", "sitekit.cli", "validate",
                             str(fleet)], capture_output=True, text=True, check=False,
                            cwd=ROOT, timeout=60)
    assert result.returncode == 1
    assert "lis01.yml: site LIS01: (file): cannot read the file: Permission denied" in (
        result.stderr)


def test_a_name_with_control_characters_is_shown_escaped(tmp_path: Path) -> None:
    fleet = tmp_path / "fleet"
    shutil.copytree(EXAMPLE, fleet)
    (fleet / "sites" / "lis\x1b[31m01.yml~").write_text("")
    result = _sitekit("validate", str(fleet))
    assert result.returncode == 1
    assert "\x1b" not in result.stderr
    assert "lis\\x1b[31m01.yml~" in result.stderr


@pytest.mark.slow
def test_a_fifo_fleet_file_fails_and_never_blocks(tmp_path: Path) -> None:
    fleet = tmp_path / "fleet"
    shutil.copytree(EXAMPLE, fleet)
    (fleet / "sitekit.yml").unlink()
    os.mkfifo(fleet / "sitekit.yml")
    result = _sitekit("validate", str(fleet))
    assert result.returncode == 1
    assert "sitekit.yml: site (fleet): (file): cannot read the file: it is a FIFO" in (
        result.stderr)
    listed = ansible_inventory("-i", str(fleet), "--list")  # would hang reading the FIFO
    assert listed.returncode != 0
