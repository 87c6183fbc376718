"""The helper modules tests and roles read state back with: win_service_info, win_find,
win_tempfile (issue 14).

Each test calls one model as ansible calls it and asserts what the module's own code
(ansible.windows 3.3.0's .ps1) or its integration test says Windows answers.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import zoneinfo

import pytest

from sitekit.lab import filesystem
from sitekit.lab.host import LabHost
from tests.lab.models import call, seeded

SERVICE = "ansible.windows.win_service"
INFO = "ansible.windows.win_service_info"
FIND = "ansible.windows.win_find"
TEMPFILE = "ansible.windows.win_tempfile"


@pytest.fixture
def server() -> LabHost:
    """A server as `lab up` seeds it."""
    return seeded("server", "lis01-srv01")


def test_a_new_service_reads_back_with_createservice_defaults(server: LabHost) -> None:
    # The upstream win_service_info test's assertions for a service New-Service made.
    call(server, SERVICE, {"name": "svc_one", "path": '"C:\\svc\\one.exe"', "state": "stopped"})
    result = call(server, INFO, {"name": "svc_one"}, check=True)
    assert result["changed"] is False and result["exists"] is True
    (service,) = result["services"]
    assert service["description"] is None
    assert service["display_name"] == service["name"] == "svc_one"
    assert service["error_control"] == "normal"
    assert service["service_type"] == "win32_own_process"
    assert service["sid_info"] == "none"
    assert service["start_mode"] == "auto" and service["state"] == "stopped"
    assert service["username"] == "NT AUTHORITY\\SYSTEM"  # not win_service's LocalSystem
    assert service["win32_exit_code"] == 1077  # ERROR_SERVICE_NEVER_STARTED
    assert service["failure_actions"] == [] and service["triggers"] == []
    assert service["process_id"] == 0 and service["controls_accepted"] == []


def test_a_started_service_has_a_process_and_no_never_started_code(server: LabHost) -> None:
    call(server, SERVICE, {"name": "svc_one", "path": "C:\\svc\\one.exe", "state": "started"})
    call(server, SERVICE, {"name": "svc_one", "state": "stopped"})
    (stopped,) = call(server, INFO, {"name": "svc_one"})["services"]
    assert stopped["win32_exit_code"] == 0
    call(server, SERVICE, {"name": "svc_one", "state": "started"})
    (running,) = call(server, INFO, {"name": "svc_one"})["services"]
    assert running["state"] == "started" and running["process_id"] > 0


def test_a_wildcard_or_a_display_name_finds_services(server: LabHost) -> None:
    # win_service_info.ps1: name equality first, else Get-Service -Name (wildcards, and a
    # display name matches too).
    for name in ("info_t1", "info_t2", "info_other"):
        call(server, SERVICE, {"name": name, "path": "C:\\svc.exe"})
    found = call(server, INFO, {"name": "info_t*"})
    assert [s["name"] for s in found["services"]] == ["info_t1", "info_t2"]
    call(server, SERVICE, {"name": "info_t2", "display_name": "Info Two"})
    assert [s["name"] for s in call(server, INFO, {"name": "Info Two"})["services"]] == \
        ["info_t2"]
    call(server, SERVICE, {"name": "info_t1", "dependencies": []})
    missing = call(server, INFO, {"name": "no_such_service"})
    assert missing == missing | {"changed": False, "exists": False, "services": []}


def test_a_windows_service_or_every_service_is_refused_not_invented(server: LabHost) -> None:
    # WinRM's recovery actions and SID type are Windows' own: the lab does not hold them.
    winrm = call(server, INFO, {"name": "WinRM"})
    assert winrm["failed"] is True and "WinRM" in winrm["msg"]
    every = call(server, INFO, {})
    assert every["failed"] is True and "every service" in every["msg"]


@pytest.fixture
def tree(server: LabHost) -> LabHost:
    r"""C:\find: a.log (10 bytes), b.txt (2000 bytes), sub\c.log, sub\deeper\d.log."""
    for folder in ("C:\\find\\sub\\deeper", "C:\\find\\empty"):
        filesystem.make_dirs(server, folder)
    filesystem.write_file(server, "C:\\find\\a.log", b"0123456789")
    filesystem.write_file(server, "C:\\find\\b.txt", b"x" * 2000)
    filesystem.write_file(server, "C:\\find\\sub\\c.log", b"c")
    filesystem.write_file(server, "C:\\find\\sub\\deeper\\d.log", b"d")
    return server


def paths(result: dict[str, object]) -> list[str]:
    return [f["path"] for f in result["files"]]  # type: ignore[attr-defined, index]


def test_find_lists_files_of_one_level_sorted_with_their_checksums(tree: LabHost) -> None:
    result = call(tree, FIND, {"paths": ["C:\\find"]})
    assert paths(result) == ["C:\\find\\a.log", "C:\\find\\b.txt"]
    assert result["examined"] == 4 and result["matched"] == 2  # two dirs examined too
    first = result["files"][0]
    assert first["checksum"] == hashlib.sha1(b"0123456789").hexdigest()  # noqa: S324
    assert first["size"] == 10 and first["extension"] == ".log" and first["isreg"] is True


def test_find_recurses_to_a_depth_and_matches_patterns(tree: LabHost) -> None:
    everything = call(tree, FIND, {"paths": ["C:\\find"], "recurse": True, "patterns": ["*.LOG"]})
    assert paths(everything) == ["C:\\find\\a.log", "C:\\find\\sub\\c.log",
                                 "C:\\find\\sub\\deeper\\d.log"]
    two_levels = call(tree, FIND, {"paths": ["C:\\find"], "recurse": True, "depth": 2,
                                   "patterns": ["*.log"]})
    assert paths(two_levels) == ["C:\\find\\a.log", "C:\\find\\sub\\c.log"]
    regex = call(tree, FIND, {"paths": ["C:\\find"], "patterns": ["^B\\."], "use_regex": True})
    assert paths(regex) == ["C:\\find\\b.txt"]
    strict = call(tree, FIND, {"paths": ["C:\\find"], "patterns": ["^B\\."], "use_regex": True,
                               "case_sensitive": True})
    assert paths(strict) == []


def test_find_by_size_type_and_age(tree: LabHost) -> None:
    assert paths(call(tree, FIND, {"paths": ["C:\\find"], "size": "1k"})) == ["C:\\find\\b.txt"]
    assert paths(call(tree, FIND, {"paths": ["C:\\find"], "size": "-1k"})) == ["C:\\find\\a.log"]
    dirs = call(tree, FIND, {"paths": ["C:\\find"], "file_type": "directory"})
    assert paths(dirs) == ["C:\\find\\empty", "C:\\find\\sub"]
    assert all(f["isdir"] and f["size"] is None for f in dirs["files"])
    assert paths(call(tree, FIND, {"paths": ["C:\\find"], "age": "1d"})) == []  # all new
    assert len(paths(call(tree, FIND, {"paths": ["C:\\find"], "age": "-1h"}))) == 2
    bad = call(tree, FIND, {"paths": ["C:\\find"], "age": "1y"})
    assert bad["failed"] is True and bad["msg"] == "Invalid age pattern specified"


def test_find_reports_local_times(tree: LabHost) -> None:
    # win_find.ps1: New-TimeSpan from an unspecified-kind 1970 to the local LastWriteTime.
    tree.state["time_zone"] = "W. Europe Standard Time"
    written = filesystem.times(tree, "C:\\find\\a.log")[2]
    moment = dt.datetime.fromtimestamp(written, dt.UTC)
    offset = moment.astimezone(zoneinfo.ZoneInfo("Europe/Berlin")).utcoffset() or dt.timedelta()
    (found,) = call(tree, FIND, {"paths": ["C:\\find"], "patterns": ["a.log"]})["files"]
    assert found["lastwritetime"] == pytest.approx(written + offset.total_seconds())


def test_find_skips_a_missing_path_or_a_file_with_a_warning(tree: LabHost) -> None:
    result = call(tree, FIND, {"paths": ["C:\\nowhere", "C:\\find\\a.log"]})
    assert result["files"] == [] and result["examined"] == 0
    assert result["warnings"] == [
        "Argument path 'C:\\nowhere' does not exist or is not accessible, skipping",
        "Argument path 'C:\\find\\a.log' is a file not a directory, skipping"]


def test_tempfile_makes_a_random_file_in_temp_and_check_mode_makes_none(server: LabHost) -> None:
    temp = filesystem.getenv(server, "TEMP")
    rehearsed = call(server, TEMPFILE, {}, check=True)
    assert rehearsed["changed"] is True and rehearsed["path"].startswith(f"{temp}\\ansible.")
    assert not filesystem.is_file(server, rehearsed["path"])
    made = call(server, TEMPFILE, {})
    again = call(server, TEMPFILE, {})
    assert made["state"] == "file" and filesystem.is_file(server, made["path"])
    assert made["path"] != again["path"]
    # GetRandomFileName: eight characters, a dot, three more.
    assert re.fullmatch(r"ansible\.[a-z0-9]{8}\.[a-z0-9]{3}", made["path"].rsplit("\\", 1)[1])


def test_tempfile_directory_prefix_suffix_and_a_missing_folder(server: LabHost) -> None:
    folder = call(server, TEMPFILE, {"state": "directory", "path": "C:\\Work\\Deep",
                                     "prefix": "pre-", "suffix": "-%COMPUTERNAME%"})
    assert filesystem.is_dir(server, folder["path"])  # New-Item makes a directory's parents
    assert folder["path"].startswith("C:\\Work\\Deep\\pre-")
    assert folder["path"].endswith(f"-{filesystem.getenv(server, 'COMPUTERNAME')}")
    missing = call(server, TEMPFILE, {"path": "C:\\Nowhere"})
    assert missing["failed"] is True
    assert missing["msg"].startswith("No random temporary file worked in 5 attempts. Error:"
                                     " Could not find a part of the path 'C:\\Nowhere\\ansible.")


RIGHT = "ansible.windows.win_user_right"


def test_user_right_set_add_remove_report_names_as_windows_gives_them(server: LabHost) -> None:
    # win_user_right.ps1: added/removed as SID.Translate names them; set removes the rest.
    host = server.state["hostname"]
    call(server, "ansible.windows.win_user", {"name": "backup_svc", "password": "Pa55-word!x"})
    added = call(server, RIGHT, {"name": "SeBackupPrivilege", "users": ["backup_svc"],
                                 "action": "add"})
    assert added["changed"] is True and added["added"] == [f"{host}\\backup_svc"]
    assert call(server, RIGHT, {"name": "SeBackupPrivilege", "users": [".\\backup_svc"],
                                "action": "add"})["changed"] is False
    only = call(server, RIGHT, {"name": "SeBackupPrivilege", "users": ["S-1-5-32-544"]},
                diff=True)
    assert only["removed"] == ["BUILTIN\\Backup Operators", f"{host}\\backup_svc"]
    assert only["diff"]["after"] == {"SeBackupPrivilege": ["BUILTIN\\Administrators"]}
    gone = call(server, RIGHT, {"name": "SeBackupPrivilege", "users": ["Administrators"],
                                "action": "remove"}, check=True)
    assert gone["changed"] is True and gone["removed"] == ["BUILTIN\\Administrators"]
    assert call(server, RIGHT, {"name": "SeBackupPrivilege", "users": ["Administrators"],
                                "action": "add"})["changed"] is False  # check mode kept it


def test_user_right_refuses_what_windows_refuses_and_what_the_lab_does_not_hold(
        server: LabHost) -> None:
    bad_right = call(server, RIGHT, {"name": "SeFakePrivilege", "users": ["Administrators"]})
    assert bad_right["msg"] == "the specified right SeFakePrivilege is not a valid right"
    bad_user = call(server, RIGHT, {"name": "SeDebugPrivilege", "users": ["nobody_here"]})
    assert bad_user["msg"] == "Failed to translate the account 'nobody_here' to a SID"
    unmodelled = call(server, RIGHT, {"name": "SeServiceLogonRight", "users": ["Administrators"]})
    assert unmodelled["failed"] is True and "does not model" in unmodelled["msg"]
