"""The whole example fleet at once: every host served on loopback, reached with forks."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.lab.conftest import CliLab, cli_lab_at
from tests.lab.test_lifecycle import listening

pytestmark = pytest.mark.slow


@pytest.fixture
def fleet_lab(tmp_path: Path) -> Iterator[CliLab]:
    """Every site of the example fleet."""
    with cli_lab_at(tmp_path / "lab") as lab:
        yield lab


def test_every_planned_host_answers_with_forks(fleet_lab: CliLab) -> None:
    hosts = fleet_lab.hosts()
    # 26 planned hosts and each site's guest vantage point (the segmentation test's).
    assert len(hosts) == 29
    assert sorted(h.hostname for h in hosts if h.hostname.endswith("-guest")) == [
        "ber02-guest", "lis01-guest", "lon01-guest"]
    result = fleet_lab.ansible("all", "ansible.windows.win_ping", "", "--forks", "10")
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr
    assert result.stdout.count("SUCCESS") == 29


def test_listens_only_on_the_hosts_loopback_addresses(fleet_lab: CliLab) -> None:
    addresses = listening(fleet_lab.port)
    assert sorted(addresses) == sorted(h.address for h in fleet_lab.hosts())
    assert all(ipaddress.ip_address(a) in ipaddress.ip_network("127.0.0.0/8")
               for a in addresses)


def test_unmodelled_module_and_misspelled_option_fail_loudly(fleet_lab: CliLab) -> None:
    unmodelled = fleet_lab.ansible("lis01-srv01", "community.windows.win_say", "msg=hello")
    assert unmodelled.returncode == 2
    assert "the sitekit lab does not model the module community.windows.win_say" in \
        unmodelled.stdout
    typo = fleet_lab.ansible("lis01-srv01", "ansible.windows.win_service", "nmae=Spooler")
    assert typo.returncode == 2
    assert "Unsupported parameters for (ansible.windows.win_service) module: nmae" in \
        typo.stdout
