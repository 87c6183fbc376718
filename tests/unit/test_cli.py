"""`sitekit validate` and `sitekit plan`, as a user runs them."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from sitekit.cli import main
from tests.conftest import EXAMPLE


def test_validate_example(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(EXAMPLE)]) == 0
    assert "3 sites, 26 hosts, no problems" in capsys.readouterr().out


def test_validate_lists_every_problem_at_once(fleet_copy: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    lis01 = fleet_copy / "sites" / "lis01.yml"
    lis01.write_text(lis01.read_text().replace("handhelds: 2", "handhelds: 200"))
    ber02 = fleet_copy / "sites" / "ber02.yml"
    ber02.write_text(ber02.read_text().replace("time_zone: Europe/Berlin", "time_zone: Berlin"))
    assert main(["validate", str(fleet_copy)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("2 problems found in the site files:")
    assert "lis01.yml:43: site LIS01: handhelds: the handheld segment's DHCP scope" in err
    assert "ber02.yml:8: site BER02: time_zone: unknown time zone 'Berlin'" in err


def test_plan_csv_is_what_the_installers_need(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", str(EXAMPLE), "--site", "lis01", "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert list(rows[0]) == ["site", "hostname", "address", "kind", "location", "groups"]
    by_name = {row["hostname"]: row for row in rows}
    assert by_name["LIS01-POS01"] == {
        "site": "LIS01", "hostname": "LIS01-POS01", "address": "10.41.7.6", "kind": "cashier",
        "location": "counter", "groups": "POS Administrators;POS Cashier Operators"}
    assert by_name["LIS01-PRN02"]["kind"] == "kitchen printer"
    assert by_name["card-terminal-1"]["address"] == "10.41.7.22"
    assert by_name["gateway"]["address"] == "10.41.7.1"
    addresses = [tuple(map(int, row["address"].split("."))) for row in rows]
    assert addresses == sorted(addresses)


def test_plan_json_is_the_inventory_data(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", str(EXAMPLE), "--format", "json"]) == 0
    sites = json.loads(capsys.readouterr().out)["sites"]
    assert sorted(sites) == ["BER02", "LIS01", "LON01"]
    lon01 = sites["LON01"]
    assert lon01["vars"]["sitekit_network"]["subnet"] == "10.50.0.0/23"
    # Office stations live in the back-office segment (LON01's index 50 of 10.61.0.0/16).
    assert lon01["hosts"]["lon01-ofc02"]["ansible_host"] == "10.61.6.67"
    assert lon01["kinds"]["office"]["sitekit_kind"] == "office"
    assert set(lon01["kinds"]) == {"server", "cashier", "kitchen", "office"}
    assert lon01["vars"]["sitekit_waived_rules"] == ["min_operators:back_office"]
    assert lon01["addresses"]["blocks"]["dhcp"] == {"first": "10.50.0.128",
                                                    "last": "10.50.1.254", "size": 383}


def test_plan_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", str(EXAMPLE), "--site", "BER02"]) == 0
    out = capsys.readouterr().out
    assert "BER02  Lotus Kitchen Prenzlauer Berg, Berlin  (ring 1)" in out
    assert "subnet 10.40.2.0/24  gateway 10.40.2.1" in out
    assert "1 site(s), 8 hosts" in out


def test_plan_unknown_site(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", str(EXAMPLE), "--site", "XYZ01"]) == 1
    assert "no site file has code XYZ01" in capsys.readouterr().err


def test_missing_fleet_dir(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["validate", str(tmp_path / "nowhere")])
    assert exited.value.code == 2
    assert "does not exist" in capsys.readouterr().err


def test_fleet_dir_without_a_fleet_file(capsys: pytest.CaptureFixture[str],
                                        tmp_path: Path) -> None:
    assert main(["validate", str(tmp_path)]) == 1
    assert "sitekit.yml: site (fleet): (file): cannot read the file" in capsys.readouterr().err


def test_a_bad_sitekit_today_is_a_usage_error(capsys: pytest.CaptureFixture[str],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SITEKIT_TODAY", "next week")
    with pytest.raises(SystemExit) as exited:
        main(["validate", str(EXAMPLE)])
    assert exited.value.code == 2
    assert "SITEKIT_TODAY='next week' is not a date; write YYYY-MM-DD" in capsys.readouterr().err
