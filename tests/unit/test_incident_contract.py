"""The fleet's service contract: every mistake named by file, line and field."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from sitekit.incident.contract import CONTRACT_FILE, load_contract
from tests.conftest import EXAMPLE


def test_the_example_contract_promises_an_hour_and_five_working_hours() -> None:
    contract, problems = load_contract(EXAMPLE)
    assert problems == []
    assert contract is not None
    assert contract.response == dt.timedelta(hours=1)
    assert contract.onsite == dt.timedelta(hours=5)
    assert contract.calendar.weekdays == frozenset(range(5))
    assert dt.date(2026, 12, 25) in contract.calendar.holidays


@pytest.mark.parametrize(("old", "new", "field", "message"), [
    ('hours: "09:00-18:00"', 'hours: "18:00-09:00"', "calendar.hours", "ends before it starts"),
    ('hours: "09:00-18:00"', 'hours: "9-18"', "calendar.hours", ""),
    ("weekdays: [mon, tue, wed, thu, fri]", "weekdays: [mon, tue, wed, thu, fr]",
     "calendar.weekdays[4]", ""),
    ("time_zone: Europe/Lisbon", "time_zone: Europe/Lisboa", "calendar.time_zone",
     "unknown time zone"),
    ('"2026-12-08"', '"2026-12-32"', "calendar.holidays[1]", "is not a date"),
    ("response_minutes: 60", "response_minutes: 0", "response_minutes", ""),
    ("onsite_working_hours: 5", "onsite_working_hours: 5\nonsite_hours: 4", "", "onsite_hours"),
])
def test_a_wrong_contract_names_the_file_the_line_and_the_field(
        tmp_path: Path, old: str, new: str, field: str, message: str) -> None:
    text = (EXAMPLE / CONTRACT_FILE).read_text()
    assert old in text
    (tmp_path / CONTRACT_FILE).write_text(text.replace(old, new, 1))
    contract, problems = load_contract(tmp_path)
    assert contract is None
    assert len(problems) == 1, problems
    problem = problems[0]
    assert problem.file.endswith(CONTRACT_FILE)
    assert problem.line is not None or not field  # the whole file: no one line
    assert problem.field == field
    assert message in problem.message


def test_a_fleet_without_a_contract_is_told_where_to_start(tmp_path: Path) -> None:
    contract, problems = load_contract(tmp_path)
    assert contract is None
    assert "copy inventories/example/service-contract.yml" in problems[0].message
