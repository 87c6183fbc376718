"""The seeded host state: a fresh install of the stated build, before opening day."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from sitekit.lab import host as host_module
from sitekit.lab.host import LabHost
from sitekit.lab.state import reboot, seed_state


@pytest.mark.parametrize(("kind", "os_name", "version", "features"), [
    ("server", "Microsoft Windows Server 2022 Standard", "10.0.20348", True),
    ("cashier", "Microsoft Windows 11 Enterprise", "10.0.26200", False),
    ("kitchen", "Microsoft Windows 11 Enterprise", "10.0.26200", False),
])
def test_fresh_install_of_the_stated_build(kind: str, os_name: str, version: str,
                                           features: bool) -> None:
    state = seed_state(kind, "lis01-pos01", random.Random(1), "sitekit")  # noqa: S311 - a model
    assert (state["os"]["name"], state["os"]["version"]) == (os_name, version)
    assert state["hostname"].startswith("WIN-")
    assert len(state["hostname"]) == 15
    assert state["time_zone"] == "UTC"
    assert bool(state["features"]) is features
    assert state["groups"]["Administrators"]["members"] == ["Administrator", "sitekit"]
    assert {"WinRM", "WinDefend", "W32Time"} <= set(state["services"])
    assert state["updates"]["pending"]
    assert state["sql_instances"] == {}


def test_reboot_applies_the_pending_name_and_moves_the_boot_time() -> None:
    state = seed_state("server", "lis01-srv01", random.Random(2))  # noqa: S311 - a model
    boot = state["boot_time"]
    state["pending_hostname"], state["reboot_pending"] = "LIS01-SRV01", True
    reboot(state)
    assert state["hostname"] == "LIS01-SRV01"
    assert state["reboot_pending"] is False
    assert state["boot_time"] > boot


@pytest.mark.parametrize("exchange", [True, False], ids=["renameat2", "rename"])
def test_state_is_replaced_whole_and_shrinks_into_padding(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, exchange: bool
) -> None:
    if not exchange:
        monkeypatch.setattr(host_module, "_RENAMEAT2", None)
    host = LabHost("pos01", "127.0.0.9", "u", "p", state_file=tmp_path / "pos01" / "state.json")
    for version in ("a", "b", ""):  # the last much shorter than the first two
        host.state = {"fs": {"files": {str(i): version * 100 for i in range(50 if version else 0)}}}
        host.save()
    text = host.state_file.read_text()
    assert json.loads(text) == host.state
    assert len(text) > 5000 if exchange else len(text) < 100  # the spare is reused, padded
    again = LabHost("pos01", "127.0.0.9", "u", "p", state_file=host.state_file)
    again.load()
    assert again.state == host.state
    assert sorted(p.name for p in host.state_file.parent.iterdir()) == (
        ["state.json", "state.json.spare"] if exchange else ["state.json"])
