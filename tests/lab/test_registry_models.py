"""win_regedit converts and refuses data as win_regedit.ps1 does; win_reg_stat reads it back.

Ranges (a dword above 0xffffffff, a qword above 0xffffffffffffffff), decimals with a
remainder and binary ints above 255 fail with the module's messages; reg-export strings
("hex:00,01,ee,ff"), decimal strings and null data become what the module writes; data
PowerShell cannot convert is the module's unhandled exception, never a lab crash. Models
are called as Ansible calls them (run_module), no WinRM.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from sitekit.lab.host import LabHost
from tests.lab.models import call, seeded

REGEDIT = "ansible.windows.win_regedit"
STAT = "ansible.windows.win_reg_stat"
KEY = "HKLM:\\SOFTWARE\\Sitekit\\Lab"


@pytest.fixture
def server() -> LabHost:
    """A server as `lab up` seeds it."""
    return seeded("server", "lis01-srv01")




REFUSED = [
    ("dword", 0x100000000, "data cannot be larger than 0xffffffff when type is dword"),
    ("dword", "0x100000000", "data cannot be larger than 0xffffffff when type is dword"),
    ("qword", 18446744073709551616.0,
     "data cannot be larger than 0xffffffffffffffff when type is qword"),
    ("dword", 1.1, "data '1.1' cannot be a decimal or float value with a remainder when type is"
     " dword or qword"),
    ("qword", 2.5, "data '2.5' cannot be a decimal or float value with a remainder when type is"
     " dword or qword"),
    ("binary", 256, "cannot convert binary data '256' to byte array, please specify this value"
     " as a yaml byte array or a comma separated hex value string"),
]


@pytest.mark.parametrize(("kind", "data", "msg"), REFUSED, ids=[f"{k}-{d}" for k, d, _ in REFUSED])
def test_data_out_of_range_fails_in_the_modules_words(server: LabHost, kind: str, data: Any,
                                                      msg: str) -> None:
    before = copy.deepcopy(server.state["registry"])
    result = call(server, REGEDIT, {"path": KEY, "name": "V", "type": kind, "data": data})
    assert result["msg"] == msg
    assert result["changed"] is False
    assert server.state["registry"] == before


@pytest.mark.parametrize(("kind", "data", "value", "raw"), [
    ("binary", "hex:00,01,ee,ff", [0, 1, 238, 255], ["0x00", "0x01", "0xee", "0xff"]),
    ("binary", "0001eeff", [0, 1, 238, 255], ["0x00", "0x01", "0xee", "0xff"]),
    ("binary", "hex:0g,01", [0, 1], ["0x00", "0x01"]),  # what is not hex is dropped first
    ("binary", None, [], []),
    ("binary", [1, "0x10", "16"], [1, 16, 16], ["0x01", "0x10", "0x10"]),
    ("dword", "0xffffffff", 0xFFFFFFFF, 0xFFFFFFFF),
    ("dword", -1, 0xFFFFFFFF, 0xFFFFFFFF),  # [Int32]-1 is 0xffffffff, read back unsigned
    ("dword", "1.1", 1, 1),  # [UInt64]"1.1": PowerShell parses and rounds a string
    ("dword", 2.0, 2, 2),
    ("dword", None, 0, 0),
    ("qword", "0xffffffffffffffff", 2**64 - 1, 2**64 - 1),
    ("string", None, "", ""),
    ("multistring", None, [], []),
])
def test_data_is_stored_as_the_module_converts_it_and_read_back(
        server: LabHost, kind: str, data: Any, value: Any, raw: Any) -> None:
    assert call(server, REGEDIT, {"path": KEY, "name": "V", "type": kind, "data": data})[
        "changed"] is True
    stat = call(server, STAT, {"path": KEY, "name": "V"})
    assert (stat["exists"], stat["value"], stat["raw_value"]) == (True, value, raw)
    # The same data again is no change.
    assert call(server, REGEDIT, {"path": KEY, "name": "V", "type": kind, "data": data})[
        "changed"] is False


@pytest.mark.parametrize(("kind", "data"), [
    ("dword", "ten"), ("dword", "-1"), ("binary", "hex:1ff,01"), ("binary", [300]),
])
def test_data_powershell_cannot_convert_is_the_modules_unhandled_exception(
        server: LabHost, kind: str, data: Any) -> None:
    result = call(server, REGEDIT, {"path": KEY, "name": "V", "type": kind, "data": data})
    assert result["msg"].startswith("Unhandled exception while executing module: ")
    assert "sitekit lab" not in result["msg"]  # the module's failure, not a model bug


def test_the_default_value_with_no_data_creates_only_the_key(server: LabHost) -> None:
    assert call(server, REGEDIT, {"path": KEY, "type": "string"})["changed"] is True
    stat = call(server, STAT, {"path": KEY})
    assert stat["exists"] is True
    assert stat["properties"] == {}


def test_a_value_with_no_data_reads_as_missing_and_the_key_still_reads(
        server: LabHost) -> None:
    # GetValue answers $null only for a value that is not there (win_reg_stat.ps1).
    server.state["registry"][KEY] = {"Empty": {"type": "string", "data": None},
                                     "Set": {"type": "dword", "data": 1}}
    empty = call(server, STAT, {"path": KEY, "name": "Empty"})
    assert empty["exists"] is False
    assert "value" not in empty
    assert set(call(server, STAT, {"path": KEY})["properties"]) == {"Set"}


@pytest.mark.parametrize("path", ["HKLM\\SOFTWARE\\Sitekit", "HKEY_LOCAL_MACHINE\\SOFTWARE",
                                  "C:\\Windows"])
def test_reg_stat_takes_only_a_hive_drive_path(server: LabHost, path: str) -> None:
    result = call(server, STAT, {"path": path})
    assert result["msg"] == (f"path: {path} is not a valid registry path, see module"
                             " documentation for examples.")


@pytest.mark.parametrize("name", [{}, {"name": ""}])
def test_no_name_sets_the_default_value(server: LabHost, name: dict[str, Any]) -> None:
    # win_regedit.ps1: a name of "" becomes $null, and GetValue/SetValue with $null name the
    # key's (Default) value, which win_reg_stat returns under the property name "".
    args = {"path": KEY, **name, "data": "default value"}
    assert call(server, REGEDIT, args, check=True)["changed"] is True
    assert call(server, STAT, {"path": KEY, "name": ""})["exists"] is False
    assert call(server, REGEDIT, args)["changed"] is True
    assert call(server, REGEDIT, args)["changed"] is False
    properties = call(server, STAT, {"path": KEY})["properties"]
    assert properties[""] == {"type": "REG_SZ", "value": "default value",
                              "raw_value": "default value"}
    # A value literally named (Default) is another value.
    call(server, REGEDIT, {"path": KEY, "name": "(Default)", "data": "custom"})
    properties = call(server, STAT, {"path": KEY})["properties"]
    assert properties[""]["value"] == "default value"
    assert properties["(Default)"]["value"] == "custom"
    # delete_key=no and no name removes the (Default) value, not the key.
    gone = {"path": KEY, "state": "absent", "delete_key": False}
    assert call(server, REGEDIT, gone)["changed"] is True
    assert "" not in call(server, STAT, {"path": KEY})["properties"]
    assert call(server, REGEDIT, gone)["changed"] is False


def test_the_default_value_is_always_a_string(server: LabHost) -> None:
    # win_regedit.ps1: "the data type when name is not specified can only be 'string', the
    # type has automatically been converted" (a warning, then type string).
    result = call(server, REGEDIT, {"path": KEY, "data": "1", "type": "dword"})
    assert result["changed"] is True
    assert result["warnings"] == ["the data type when name is not specified can only be"
                                  " 'string', the type has automatically been converted"]
    assert call(server, STAT, {"path": KEY, "name": ""})["type"] == "REG_SZ"
